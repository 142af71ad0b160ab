"""The lessons on general Alembic also run, start to end, on SQLite.

Their outputs differ from PostgreSQL's and are not compared; what is checked is that every cell
runs without an error and every exercise check passes on the reference solution.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest

from workshop import build
from workshop.lessons import LESSONS

from .conftest import REPO, make_project

ON_SQLITE = [item for item in LESSONS if item.also_on_sqlite]


def test_the_general_lessons_are_marked_for_sqlite() -> None:
    """Issue 3, acceptance 4: the lessons on raw SQL ... data migrations and testing."""
    titles = " | ".join(item.title.lower() for item in ON_SQLITE)
    for topic in ("raw sql", "navigat", "branch", "autogenerate", "offline", "data migration"):
        assert topic in titles, f"no lesson about {topic!r} runs on SQLite: {titles}"
    assert "testing" in titles


@pytest.mark.notebook
@pytest.mark.parametrize("item", ON_SQLITE, ids=lambda item: item.id)
def test_lesson_runs_on_sqlite(item) -> None:
    root = make_project()
    try:
        nb = nbformat.read(REPO / "solutions" / item.notebook, as_version=4)
        url = f"sqlite:///{root / '.workshop' / 'lesson.sqlite'}"
        (root / ".workshop").mkdir(exist_ok=True)
        build.run_notebook(nb, root, url)
        outputs = "\n".join(
            output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
            for cell in nb.cells
            for output in cell.get("outputs", [])
        )
        assert "Database: SQLite" in outputs, "the lesson did not run on SQLite"
        assert "❌" not in outputs, "an exercise check failed on SQLite"
        assert outputs.count("✅") >= 1
    finally:
        shutil.rmtree(root, ignore_errors=True)
