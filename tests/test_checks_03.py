"""Exercise 03.1 (a view in raw SQL): the reference passes; wrong answers fail with a hint."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from workshop import commands, db

from .exercise_support import edited, verdict

REFERENCE = Path(__file__).resolve().parent.parent / "solutions" / "migrations" / "03"
VIEW_SQL = """
        CREATE VIEW active_users AS
        SELECT id, username, email, phone_number
        FROM users
        WHERE is_active
        """


def install(project: Path, **replacements: str) -> None:
    """The lesson's three files (0003 changed as given), the database at 0002 as in the lesson."""
    for file in REFERENCE.glob("*.py"):
        text = edited(file, **replacements) if file.name.startswith("0003") else file.read_text()
        (project / "migrations" / "versions" / file.name).write_text(text)
    commands.run(command.upgrade, "0002", quiet=True)


def views() -> list[str]:
    return sa.inspect(db.engine()).get_view_names()


def test_the_reference_files_are_the_contract() -> None:
    names = sorted(p.name for p in REFERENCE.glob("*.py"))
    assert names == [
        "0001_create_users_table.py",
        "0002_create_phone_number_for_user_column.py",
        "0003_create_active_users_view.py",
    ]
    phone = (REFERENCE / "0002_create_phone_number_for_user_column.py").read_text()
    assert 'op.execute("ALTER TABLE users ADD COLUMN phone_number VARCHAR(20)")' in phone
    assert 'op.execute("ALTER TABLE users DROP COLUMN phone_number")' in phone


def test_03_1_solution_passes_and_leaves_the_database_at_0003(project: Path) -> None:
    install(project)
    result = verdict("03.1")
    assert result.passed, result
    assert commands.current_revisions() == ("0003",)
    assert views() == ["active_users"]
    assert verdict("03.1").passed, "a second run of the check passes too"


@pytest.mark.parametrize(
    "old,new,says",
    [
        ("FROM users\n        WHERE is_active", "FROM users", "also lists users whose is_active"),
        ("WHERE is_active", "WHERE NOT is_active", "inactive users instead of the active"),
        (
            "SELECT id, username, email, phone_number",
            "SELECT *",
            "it shows hashed_password",
        ),
        (
            "SELECT id, username, email, phone_number",
            "SELECT id, username, email",
            "it lacks phone_number",
        ),
        ("CREATE VIEW active_users AS", "CREATE TABLE active_users AS", "is a table, not a view"),
        ("CREATE VIEW active_users", "CREATE VIEW active_user", "no view called active_users"),
        # PostgreSQL will not compare a boolean with an integer: the dialect lesson of the hint.
        ("WHERE is_active", "WHERE is_active = 1", "`alembic upgrade 0003` failed"),
        ('op.execute("DROP VIEW active_users")', "pass", "view active_users is still there"),
        (
            'op.execute("DROP VIEW active_users")',
            'op.execute("DROP VIEW active_users")\n'
            '    op.execute("ALTER TABLE users DROP COLUMN phone_number")',
            "has no phone_number column",
        ),
        (
            "def upgrade() -> None:\n",
            "def upgrade() -> None:\n    raise NotImplementedError()\n",
            "still raises NotImplementedError",
        ),
    ],
    ids=[
        "no-where",
        "inverted-where",
        "select-star",
        "missing-column",
        "a-table",
        "wrong-name",
        "integer-boolean",
        "no-downgrade",
        "downgrade-too-much",
        "not-implemented",
    ],
)
def test_03_1_wrong_answers_fail_with_a_hint_and_a_fix_then_passes(
    project: Path, old: str, new: str, says: str
) -> None:
    install(project, **{old: new})
    result = verdict("03.1")
    assert not result.passed
    assert says in result.message, result
    assert result.hint
    # The participant fixes the file and runs the check again: it must not be stuck on the
    # leftovers of the wrong attempt (a view that stayed, a column that went, the old view).
    install(project)
    fixed = verdict("03.1")
    assert fixed.passed, fixed
    assert commands.current_revisions() == ("0003",)


def test_03_1_upgraded_by_hand_with_a_wrong_view_then_fixed(project: Path) -> None:
    install(project, **{"FROM users\n        WHERE is_active": "FROM users"})
    commands.run(command.upgrade, "0003", quiet=True)
    install(project)
    assert verdict("03.1").passed, "the check must upgrade the file as it is now, not the old view"


def test_03_1_without_the_revision_file(project: Path) -> None:
    install(project)
    next((project / "migrations" / "versions").glob("0003_*.py")).unlink()
    result = verdict("03.1")
    assert not result.passed and "no revision 0003" in result.message
    assert "--rev-id 0003" in result.hint


def test_03_1_on_the_wrong_parent(project: Path) -> None:
    install(
        project, **{"down_revision: str | Sequence[str] | None = '0002'": "down_revision = '0001'"}
    )
    result = verdict("03.1")
    assert not result.passed and "should build on '0002'" in result.message
