"""Shared fixtures: scratch copies of the project and scratch databases.

Tests never touch the participant's own database or files: each one that needs state gets a
temporary copy of the project (``WORKSHOP_ROOT``) and a throwaway database on the same embedded
server (``WORKSHOP_DATABASE_URL``), dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from workshop import build, db

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session", autouse=True)
def _repo_root() -> None:
    """Resolve the kit's root from the repository, whatever folder pytest was started in."""
    os.environ["WORKSHOP_ROOT"] = str(REPO)
    os.environ.pop(db.URL_ENV, None)
    os.environ.pop("JUPYTERHUB_USER", None)


@pytest.fixture
def scratch_url() -> Iterator[str]:
    """A fresh database on the embedded server, dropped after the test."""
    with db.scratch_database("test") as url:
        yield url.render_as_string(hide_password=False)


def make_project() -> Path:
    """A temporary copy of the project. No hyphen in the name: see sanitize.cfg on wrapping."""
    folder = Path(tempfile.mkdtemp(prefix="wk_"))
    return build.copy_project(folder)


@pytest.fixture
def project(monkeypatch: pytest.MonkeyPatch, scratch_url: str) -> Iterator[Path]:
    """A scratch project and database, made current for this process and its subprocesses."""
    root = make_project()
    monkeypatch.setenv("WORKSHOP_ROOT", str(root))
    monkeypatch.setenv(db.URL_ENV, scratch_url)
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    # start_lesson() sets these for the rest of the process, as a kernel needs; owning them here
    # makes pytest put them back, so no later test runs `alembic` against a deleted copy.
    monkeypatch.setenv("ALEMBIC_CONFIG", str(root / "alembic.ini"))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.chdir(root)
    try:
        yield root
    finally:
        db.dispose_engines()
        shutil.rmtree(root, ignore_errors=True)


from .labserver import lab  # noqa: E402, F401 - the `lab` fixture, shared by lab and browser tests
