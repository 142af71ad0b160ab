"""nbval over every lesson and its solution, each in a fresh project copy and database.

Each notebook runs in its own pytest process (nbval's kernel inherits the environment), with
``WORKSHOP_ROOT`` pointing at a scratch copy and ``WORKSHOP_DATABASE_URL`` at a scratch
database, so every notebook starts from a clean state and the repository is never written to.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from workshop import db
from workshop.lessons import LESSONS

from .conftest import BIN, REPO, make_project

SANITIZE = REPO / "workshop" / "sanitize.cfg"


def run_nbval(notebook: Path, root: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, WORKSHOP_ROOT=str(root), WORKSHOP_DATABASE_URL=url)
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "workshop.nbval_plugin",
            "--nbval",
            str(notebook),
            "--nbval-sanitize-with",
            str(SANITIZE),
            "--nbval-cell-timeout",
            "120",
            "-p",
            "no:cacheprovider",
            "-q",
            "--rootdir",
            str(root),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


NOTEBOOKS = [("notebooks", item.notebook) for item in LESSONS] + [
    ("solutions", item.notebook) for item in LESSONS
]


@pytest.mark.notebook
@pytest.mark.parametrize("folder,name", NOTEBOOKS, ids=[f"{f}/{n}" for f, n in NOTEBOOKS])
def test_lesson_passes_nbval(folder: str, name: str) -> None:
    root = make_project()
    try:
        with db.scratch_database("test") as url:
            result = run_nbval(root / folder / name, root, url.render_as_string(False))
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
        assert " passed" in result.stdout
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.notebook
def test_a_deliberately_wrong_solution_fails_nbval() -> None:
    """nbval must catch a wrong answer: a String(30) column turned into an Integer."""
    root = make_project()
    target = root / "solutions" / "02-op-create-table.ipynb"
    nb = nbformat.read(target, as_version=4)
    exercise = next(c for c in nb.cells if "exercise" in c.metadata.get("tags", []))
    assert 'sa.Column("name", sa.String(30), nullable=False)' in exercise.source
    exercise.source = exercise.source.replace(
        'sa.Column("name", sa.String(30), nullable=False)',
        'sa.Column("name", sa.Integer, nullable=False)',
    )
    nbformat.write(nb, target)
    try:
        with db.scratch_database("test") as url:
            result = run_nbval(target, root, url.render_as_string(False))
        assert result.returncode != 0, "nbval passed a wrong solution"
        assert re.search(r"\d+ failed", result.stdout), result.stdout[-3000:]
        assert 'wk.check_exercise("02.1")' in result.stdout, "the check cell itself must differ"
        assert "expected String(30)" in result.stdout, result.stdout[-3000:]
    finally:
        shutil.rmtree(root, ignore_errors=True)
