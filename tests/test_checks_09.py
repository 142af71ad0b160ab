"""Lesson 09 (SQLite by design): the check of exercise 09.1, and the batch-mode explanation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from workshop import commands, db

from .conftest import REPO
from .exercise_support import edited, verdict

SOLUTIONS = REPO / "solutions"
FIFTH = "0005_make_role_required.py"
SOLVED_UPGRADE = (
    "    op.execute(\"UPDATE users SET role = 'member' WHERE role IS NULL\")\n"
    '    with op.batch_alter_table("users") as batch_op:\n'
    "        batch_op.alter_column(\n"
    '            "role", existing_type=sa.String(45), nullable=False, server_default="member"\n'
    "        )\n"
)
SOLVED_DOWNGRADE = (
    '    with op.batch_alter_table("users") as batch_op:\n'
    "        batch_op.alter_column(\n"
    '            "role", existing_type=sa.String(45), nullable=True, server_default=None\n'
    "        )\n"
)


@pytest.fixture
def lesson09(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project on a SQLite file, at revision 0004 with Ada (admin) and Bob (no role)."""
    (project / ".workshop").mkdir(exist_ok=True)
    monkeypatch.setenv(db.URL_ENV, f"sqlite:///{project / '.workshop' / 'lesson-09.sqlite'}")
    versions = project / "migrations" / "versions"
    for name in ("0001_create_users_table.py", "0002_create_phone_number_for_user_column.py"):
        shutil.copy(SOLUTIONS / "migrations" / "03" / name, versions / name)
    for file in (SOLUTIONS / "migrations" / "09").glob("000[34]_*.py"):
        shutil.copy(file, versions / file.name)
    shutil.copy(SOLUTIONS / "app" / "03" / "todo" / "models.py", project / "todo" / "models.py")
    commands.run(command.upgrade, "0004", quiet=True)
    with db.engine().begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (email, username, role) VALUES "
                "('ada@example.com', 'ada', 'admin'), ('bob@example.com', 'bob', NULL)"
            )
        )
    return project


def _install(project: Path, **replacements: str) -> None:
    text = edited(SOLUTIONS / "migrations" / "09" / FIFTH, **replacements)
    (project / "migrations" / "versions" / FIFTH).write_text(text)


def _roles() -> dict[str, str]:
    with db.engine().connect() as conn:
        return dict(conn.execute(sa.text("SELECT username, role FROM users ORDER BY id")).all())


def test_the_reference_0005_is_the_solution() -> None:
    text = (SOLUTIONS / "migrations" / "09" / FIFTH).read_text()
    assert SOLVED_UPGRADE in text and SOLVED_DOWNGRADE in text


def test_09_1_solution_passes_and_upgrades_the_participants_database(lesson09: Path) -> None:
    _install(lesson09)
    result = verdict("09.1")
    assert result.passed, result
    assert commands.current_revisions() == ("0005",)
    assert _roles() == {"ada": "admin", "bob": "member"}


@pytest.mark.parametrize(
    "old,new,says,hint",
    [
        (
            SOLVED_UPGRADE,
            SOLVED_UPGRADE.split("\n", 1)[1],
            "NOT NULL constraint failed: _alembic_tmp_users.role",
            "UPDATE users SET role = 'member' WHERE role IS NULL",
        ),
        (
            SOLVED_UPGRADE,
            "    op.execute(\"UPDATE users SET role = 'member' WHERE role IS NULL\")\n"
            '    op.alter_column("users", "role", existing_type=sa.String(45), nullable=False)\n',
            'near "ALTER": syntax error',
            "batch_alter_table",
        ),
        (
            'nullable=False, server_default="member"',
            'server_default="member"',
            "users.role still accepts NULL",
            "nullable=False",
        ),
        (
            'nullable=False, server_default="member"',
            "nullable=False",
            "has the default None; expected 'member'",
            'server_default="member"',
        ),
        (
            " WHERE role IS NULL",
            "",
            "expected Ada to stay 'admin'",
            "only where it is NULL",
        ),
        (
            SOLVED_DOWNGRADE,
            "    pass\n",
            "after `downgrade 0004`, users.role is nullable=False",
            "nullable=True, server_default=None",
        ),
        (
            SOLVED_DOWNGRADE,
            "    raise NotImplementedError()\n",
            "downgrade of 0005 still raises NotImplementedError",
            "Replace `raise NotImplementedError()`",
        ),
        (
            SOLVED_UPGRADE,
            '    with op.batch_alter_table("users") as batch_op:\n'
            '        batch_op.drop_constraint("uq_users_email", type_="unique")\n' + SOLVED_UPGRADE,
            "changed the unique constraints of users",
            "Change only the role column",
        ),
    ],
    ids=[
        "no-update",
        "no-batch",
        "still-nullable",
        "no-default",
        "updates-everyone",
        "no-downgrade",
        "not-implemented",
        "drops-a-constraint",
    ],
)
def test_09_1_wrong_answers_fail_with_a_hint(
    lesson09: Path, old: str, new: str, says: str, hint: str
) -> None:
    _install(lesson09, **{old: new})
    result = verdict("09.1")
    assert not result.passed
    assert says in result.message, result
    assert hint in result.hint, result
    assert commands.current_revisions() == ("0004",), "a wrong answer must not touch the database"
    assert _roles() == {"ada": "admin", "bob": None}


def test_09_1_a_leftover_copy_in_the_participants_database_is_explained(lesson09: Path) -> None:
    _install(lesson09)
    with db.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE _alembic_tmp_users (id INTEGER)"))
    result = verdict("09.1")
    assert not result.passed and "_alembic_tmp_users" in result.message, result
    assert "DROP TABLE _alembic_tmp_users" in result.hint


def test_09_1_without_the_revision_file(lesson09: Path) -> None:
    result = verdict("09.1")
    assert not result.passed and "no revision 0005" in result.message


# --- the kit's explanation when a migration asks SQLite for too much -------------------------


@pytest.mark.parametrize(
    "body",
    [
        '    op.alter_column("users", "role", existing_type=sa.String(45), nullable=False)\n',
        '    op.drop_constraint("uq_users_email", "users", type_="unique")\n',
    ],
    ids=["alter-column", "drop-constraint"],
)
def test_a_plain_alter_on_sqlite_points_to_batch_mode(
    lesson09: Path, body: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _install(lesson09, **{SOLVED_UPGRADE: body})
    capsys.readouterr()
    with pytest.raises(Exception):  # noqa: B017 - the database's or Alembic's own error
        commands.upgrade("0005")
    out = capsys.readouterr().out
    assert "SQLite cannot change a column or a constraint in place" in out, out
    assert "op.batch_alter_table" in out
    assert "still raises NotImplementedError" not in out
