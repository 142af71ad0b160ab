"""Exercise 11.1 (a data and a schema revision, `upgrade heads`): the reference passes; wrong fail.

Also the starting point of the products lessons: the pristine copies of products/ that
start_app puts back are the course's models.
"""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest

from workshop import commands
from workshop.lessons import lesson
from workshop.orchestrator import cli as orchestrator_cli

from .conftest import REPO
from .exercise_support import follow, verdict
from .products_support import install_schema


def db(*argv: str) -> None:
    """`PYTHONPATH=. python main.py db ...`, in process."""
    assert orchestrator_cli.main(["db", *argv]) == 0


@pytest.fixture
def lesson_11(project: Path) -> Path:
    """Where the lesson stands before its exercise: data0001 started the data branch, applied."""
    install_schema(project)
    db(
        "revision",
        "--message",
        "My descriptive revision description",
        "--head=data@head",
        "--rev-id",
        "data0001",
    )
    db("upgrade", "heads")
    return project


def data0002(head: str = "data@head") -> None:
    db("revision", "--message", "Register more products", f"--head={head}", "--rev-id", "data0002")


def schema0002(head: str = "schema@head") -> None:
    db(
        "revision",
        "--message",
        "New orchestrator release",
        f"--head={head}",
        "--rev-id",
        "schema0002",
    )


def test_11_1_solution_passes(lesson_11: Path) -> None:
    data0002()
    schema0002()
    db("upgrade", "heads")
    result = verdict("11.1")
    assert result.passed, result
    assert commands.current_revisions() == ("data0002", "schema0002")


def test_11_1_nothing_done(lesson_11: Path) -> None:
    result = verdict("11.1")
    assert not result.passed and "no revision data0002" in result.message
    assert "!WORKSHOP_REV_ID=data0002 PYTHONPATH=. python main.py db revision" in result.hint
    assert "--head=data@head" in result.hint


def test_11_1_schema_revision_on_the_data_branch(lesson_11: Path) -> None:
    data0002()
    schema0002(head="data@head")
    db("upgrade", "heads")
    result = verdict("11.1")
    assert not result.passed
    assert "schema0002 has down_revision = 'data0002'" in result.message
    assert result.hint


def test_11_1_only_the_data_branch_upgraded(lesson_11: Path) -> None:
    data0002()
    schema0002()
    db("upgrade", "data@head")
    result = verdict("11.1")
    assert not result.passed
    assert "the database is at data0002: schema0002 is not applied yet" in result.message
    assert "upgrade heads" in result.hint


def test_11_1_not_upgraded_at_all(lesson_11: Path) -> None:
    data0002()
    schema0002()
    result = verdict("11.1")
    assert not result.passed and "data0002 and schema0002 are not applied" in result.message


def test_11_1_a_third_head(lesson_11: Path) -> None:
    data0002()
    schema0002()
    commands.revision("stray", rev_id="stray1", head="data0001", splice=True)
    db("upgrade", "heads")
    result = verdict("11.1")
    assert not result.passed and "stray1_stray.py (revision stray1" in result.message, result
    assert follow(lesson_11, result.hint) == 2  # stray1@-1, then delete it
    assert verdict("11.1").passed


def test_the_products_lessons_put_back_the_course_models() -> None:
    """start_app of lessons 11-14 restores products/; the copies must be the course's models."""
    for lesson_id in ("11", "12", "13", "14"):
        entries = lesson(lesson_id).start_app
        assert entries, f"lesson {lesson_id} restores no product models"
        for entry in entries:
            pristine = REPO / "solutions" / "app" / entry
            relative = Path(*Path(entry).parts[1:])
            assert filecmp.cmp(pristine, REPO / relative, shallow=False), (
                f"solutions/app/{entry} differs from {relative}: copy the course's version there"
            )
