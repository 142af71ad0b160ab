"""Exercise 05.1 (merge two heads, not the data branch): the reference passes; wrong ones fail.

Also what the lesson shows about branches: two heads, `upgrade heads`, labels and depends_on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.util.exc import CommandError

from workshop import commands, db

from .exercise_support import follow, verdict

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions" / "migrations"


def run(verb, *args, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003 - alembic.command verbs
    commands.run(verb, *args, quiet=True, **kwargs)


def versions(project: Path) -> Path:
    return project / "migrations" / "versions"


@pytest.fixture
def lesson(project: Path) -> Path:
    """Where the lesson stands before its exercise: both branches, and Carol's and Dan's heads."""
    for name in ("0001_create_users_table.py", "0002_create_phone_number_for_user_column.py"):
        shutil.copy(SOLUTIONS / "03" / name, versions(project))
    for file in (SOLUTIONS / "05").glob("*.py"):
        shutil.copy(file, versions(project))
    run(command.merge, ["0003a", "0003b"], message="merge todos and last login", rev_id="0004")
    run(command.revision, message="add todo priority", rev_id="0005a", head="0004")
    run(command.revision, message="add user created at", rev_id="0005b", head="0004", splice=True)
    run(command.upgrade, "heads")
    return project


def test_05_1_solution_passes(lesson: Path) -> None:
    run(command.merge, ["0005a", "0005b"], message="merge priority and created at", rev_id="0006")
    run(command.upgrade, "heads")
    result = verdict("05.1")
    assert result.passed, result
    assert commands.current_revisions() == ("0006", "d002")


def test_05_1_nothing_done(lesson: Path) -> None:
    result = verdict("05.1")
    assert not result.passed and "no revision 0006" in result.message
    assert "0005a 0005b --rev-id 0006" in result.hint


def test_05_1_merged_but_not_upgraded(lesson: Path) -> None:
    run(command.merge, ["0005a", "0005b"], message="merge priority and created at", rev_id="0006")
    result = verdict("05.1")
    assert not result.passed and "not at both heads" in result.message
    assert "upgrade heads" in result.hint


def test_05_1_merge_heads_takes_the_data_branch_too_and_the_hint_repairs_it(lesson: Path) -> None:
    run(command.merge, "heads", message="merge priority and created at", rev_id="0006")
    run(command.upgrade, "heads")
    result = verdict("05.1")
    assert not result.passed and "also merges d002" in result.message
    assert "stamp --purge 0005a 0005b d002" in result.hint
    # Follow the hint: the merge ran no SQL, so stamping its parents tells the truth; then delete
    # the file, merge the two, upgrade.
    run(command.stamp, ["0005a", "0005b", "d002"], purge=True)
    assert commands.current_revisions() == ("0005a", "0005b", "d002")
    next(versions(lesson).glob("0006_*.py")).unlink()
    run(command.merge, ["0005a", "0005b"], message="merge priority and created at", rev_id="0006")
    run(command.upgrade, "heads")
    assert verdict("05.1").passed


def test_05_1_merging_the_wrong_pair(lesson: Path) -> None:
    run(command.merge, ["0005a", "d002"], message="merge priority and created at", rev_id="0006")
    result = verdict("05.1")
    assert not result.passed and "also merges d002" in result.message


def test_05_1_a_plain_revision_instead_of_a_merge(lesson: Path) -> None:
    run(command.revision, message="merge priority and created at", rev_id="0006", head="0005a")
    run(command.upgrade, "heads")
    result = verdict("05.1")
    assert not result.passed
    assert "0006 merges 0005a; it should merge 0005a and 0005b" in result.message


def test_05_1_an_extra_head(lesson: Path) -> None:
    run(command.merge, ["0005a", "0005b"], message="merge priority and created at", rev_id="0006")
    run(command.revision, message="stray", rev_id="0007", head="0005a", splice=True)
    run(command.upgrade, "heads")
    result = verdict("05.1")
    assert not result.passed and "0007_stray.py (revision 0007" in result.message, result
    # The hint undoes only the stray (0007@-1, not 0006 with it) and deletes it: then all is well.
    assert "`!alembic downgrade 0007@-1`" in result.hint
    assert follow(lesson, result.hint) == 2
    assert commands.current_revisions() == ("0006", "d002")
    assert verdict("05.1").passed


# --- what the lesson shows -----------------------------------------------------------------


def test_two_heads_then_merge_then_a_labelled_branch(project: Path) -> None:
    for name in ("0001_create_users_table.py", "0002_create_phone_number_for_user_column.py"):
        shutil.copy(SOLUTIONS / "03" / name, versions(project))
    for name in ("0003a_create_todos_table.py", "0003b_add_user_last_login.py"):
        shutil.copy(SOLUTIONS / "05" / name, versions(project))
    run(command.upgrade, "0002")
    with pytest.raises(CommandError, match="Multiple head revisions are present"):
        run(command.upgrade, "head")
    run(command.upgrade, "heads")
    assert commands.current_revisions() == ("0003a", "0003b")
    run(command.merge, ["0003a", "0003b"], message="merge", rev_id="0004")
    run(command.upgrade, "head")
    assert commands.current_revisions() == ("0004",)
    for name in ("d001_seed_admin_user.py", "d002_seed_welcome_todo.py"):
        shutil.copy(SOLUTIONS / "05" / name, versions(project))
    assert commands.head_revisions() == ("0004", "d002")
    run(command.downgrade, "base")
    run(command.upgrade, "data@head")  # depends_on brings 0001..0003a along, not 0003b
    assert commands.current_revisions() == ("d002",)
    with db.engine().connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("users")}
        title = conn.execute(sa.text("SELECT title FROM todos")).scalar_one()
    assert "last_login" not in columns and title == "Welcome! Tick me off."
    run(command.upgrade, "heads")
    assert commands.current_revisions() == ("0004", "d002")
