"""Exercise 04.1 (repair a lying alembic_version): the reference passes; wrong repairs fail.

Also the navigation the lesson relies on: partial ids, ambiguous ones explained, `<id>+1`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.util.exc import CommandError

from workshop import commands, db

from .exercise_support import verdict

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions" / "migrations"


def install(project: Path) -> None:
    for folder in ("03", "04"):
        for file in (SOLUTIONS / folder).glob("*.py"):
            shutil.copy(file, project / "migrations" / "versions" / file.name)


def sql(statement: str) -> None:
    with db.engine().begin() as conn:
        conn.execute(sa.text(statement))


def run(verb, target: str) -> None:  # noqa: ANN001 - an alembic.command function
    commands.run(verb, target, quiet=True)


@pytest.fixture
def scene(project: Path) -> Path:
    """The lesson's exercise set-up: two revisions down, a to-do added, stamped at 0003."""
    install(project)
    run(command.upgrade, "head")
    run(command.downgrade, "-2")
    sql("INSERT INTO users (email, username) VALUES ('ada@example.com', 'ada')")
    sql("INSERT INTO todos (title, owner_id) SELECT 'buy milk', id FROM users")
    run(command.stamp, "0003")
    return project


def test_04_1_solution_passes(scene: Path) -> None:
    run(command.stamp, "ae10c4")
    run(command.upgrade, "head")
    result = verdict("04.1")
    assert result.passed, result


def test_04_1_solution_with_a_partial_id_passes(scene: Path) -> None:
    run(command.stamp, "ae10")
    run(command.upgrade, "head")
    assert verdict("04.1").passed


def test_04_1_nothing_done(scene: Path) -> None:
    result = verdict("04.1")
    assert not result.passed and "the database is at 0003, not at the head" in result.message
    assert "stamp" in result.hint


def test_04_1_stamp_head_lies_again(scene: Path) -> None:
    run(command.stamp, "head")
    result = verdict("04.1")
    assert not result.passed
    assert "todos has no column priority, due_date" in result.message
    assert "Stamp that revision" in result.hint
    # ... and the right repair still works from there.
    run(command.stamp, "ae10c4")
    run(command.upgrade, "head")
    assert verdict("04.1").passed


def test_04_1_stamp_one_too_far(scene: Path) -> None:
    run(command.stamp, "ae52f1")
    run(command.upgrade, "head")
    result = verdict("04.1")
    assert not result.passed and "todos has no column priority" in result.message


def test_04_1_dropping_the_table_loses_the_row(scene: Path) -> None:
    sql("DROP TABLE todos")
    run(command.upgrade, "head")
    result = verdict("04.1")
    assert not result.passed and "'buy milk' is gone" in result.message
    assert "without dropping" in result.hint


def test_04_1_without_the_lesson_files(project: Path) -> None:
    for file in (SOLUTIONS / "03").glob("*.py"):
        shutil.copy(file, project / "migrations" / "versions" / file.name)
    result = verdict("04.1")
    assert not result.passed and "not c3d9b7" in result.message


# --- the navigation the lesson shows --------------------------------------------------------


def test_partial_ids_and_relative_steps(project: Path) -> None:
    install(project)
    run(command.upgrade, "0001")
    run(command.upgrade, "+1")
    assert commands.current_revisions() == ("0002",)
    run(command.upgrade, "0003+1")
    assert commands.current_revisions() == ("ae10c4",)
    run(command.upgrade, "c3d9")
    assert commands.current_revisions() == ("c3d9b7",)
    run(command.downgrade, "-1")
    assert commands.current_revisions() == ("ae52f1",)
    run(command.downgrade, "base")
    assert commands.current_revisions() == ()


def test_an_ambiguous_partial_id_is_explained(project: Path, capsys) -> None:  # noqa: ANN001
    install(project)
    with pytest.raises(CommandError, match="Can't locate revision identified by 'ae'") as error:
        commands.upgrade("ae")
    assert "Multiple revisions start with 'ae': 'ae10c4', 'ae52f1'" in str(error.value.__cause__)
    out = capsys.readouterr().out
    assert "'ae' is ambiguous" in out and "ae10c4, ae52f1" in out
    assert "There is no revision" not in out
    assert commands.current_revisions() == ()
