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


def apt_get_install(*packages: str) -> str | None:
    """Install Debian packages with apt-get. None when done, else why it could not be."""
    import subprocess

    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "not running as root, so apt-get cannot install it"
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        return "there is no apt-get on this machine"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    wait = ["-o", "DPkg::Lock::Timeout=300"]
    install = [apt_get, *wait, "install", "-y", *packages]
    # Install at once when the package lists are there; else do what apt-get advises for its two
    # usual failures (no lists: update; an interrupted install: dpkg --configure -a), and retry.
    for first in ([], [[apt_get, *wait, "update"]], [["dpkg", "--configure", "-a"]]):
        for argv in [*first, install]:
            result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=1200)
            if result.returncode != 0:
                break
        else:
            return None
    tail = (result.stdout + result.stderr).strip().splitlines()[-3:]
    return f"`{' '.join(argv)}` failed ({result.returncode}): " + " | ".join(tail)


@pytest.fixture(scope="session")
def bubblewrap() -> None:
    """Debian's bubblewrap for the grading sandbox, installed now if missing (CI runs as root).

    Skips, saying why, only where a sandbox is impossible: bwrap missing and not installable, or
    the kernel refusing the namespaces it needs.
    """
    from filelock import FileLock

    from workshop.grading.sandbox import available

    if shutil.which("bwrap") is None:
        # Parallel workers (pytest-xdist) must not run apt-get at the same time.
        with FileLock(Path(tempfile.gettempdir()) / "workshop-bubblewrap-install.lock"):
            if shutil.which("bwrap") is None and (why_not := apt_get_install("bubblewrap")):
                reason = f"bubblewrap is missing and could not be installed: {why_not}"
                print(f"sandbox tests: SKIPPED: {reason}")
                pytest.skip(reason)
    reason = available()
    if reason is not None:
        print(f"sandbox tests: SKIPPED: {reason}")
        pytest.skip(reason)


from .class_support import cluster_of_each_kind  # noqa: E402, F401 - a fixture, shared
from .labserver import lab  # noqa: E402, F401 - the `lab` fixture, shared by lab and browser tests
from .orchestrator_real import real_app, real_orchestrator  # noqa: E402, F401 - the real thing
