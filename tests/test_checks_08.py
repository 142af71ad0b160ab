"""Exercise 08.1: the check passes on the reference revision 0006 and fails, with a hint, on
realistic wrong ones (the app's models imported, values pasted into SQL, the 1.x style...)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa

from workshop import commands, db

from .conftest import REPO
from .exercise_support import edited, verdict

MIGRATIONS = REPO / "solutions" / "migrations"
LESSON = REPO / "solutions" / "08-data-migrations.ipynb"
REFERENCE = MIGRATIONS / "08" / "0006_rename_role_user_to_member.py"


def cell_file(cell_id: str) -> tuple[str, str]:
    """(path, content) that a %%writefile cell of the lesson writes."""
    nb = nbformat.read(LESSON, as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == cell_id)
    first, _, rest = cell.source.partition("\n")
    return first.split()[-1], rest


def install(project: Path, text: str | None = None) -> None:
    """Revisions 0001-0005 of the lesson (and 0006), its later models, the database at 0005."""
    versions = project / "migrations" / "versions"
    for file in [*(MIGRATIONS / "03").glob("000[12]_*.py"), *(MIGRATIONS / "08").glob("*.py")]:
        if not file.name.startswith("0006"):
            (versions / file.name).write_text(file.read_text())
    if text is not None:
        (versions / REFERENCE.name).write_text(text)
    path, models = cell_file("08-models")
    (project / path).write_text(models)
    commands.run(commands.command.upgrade, "0005", quiet=True)


def check_rows() -> int:
    with db.engine().connect() as conn:
        return conn.execute(
            sa.text("SELECT count(*) FROM users WHERE email LIKE 'check-08-%'")
        ).scalar()


def test_the_reference_solution_passes(project: Path) -> None:
    install(project, REFERENCE.read_text())
    result = verdict("08.1")
    assert result.passed, result
    assert commands.current_revisions() == ("0006",)
    assert check_rows() == 0, "the check must remove its own users"


def test_a_dict_and_get_bind_pass_too(project: Path) -> None:
    text = REFERENCE.read_text()
    for old, new in (("user", "member"), ("member", "user")):
        text = text.replace(
            f'op.execute(RENAME.bindparams(old="{old}", new="{new}"))',
            f'op.get_bind().execute(RENAME, {{"old": "{old}", "new": "{new}"}})',
        )
    assert "get_bind" in text
    install(project, text)
    commands.run(commands.command.upgrade, "head", quiet=True)
    assert verdict("08.1").passed


def replaced(**replacements: str) -> str:
    return edited(REFERENCE, **replacements)


UP_ROLES = 'op.execute(RENAME_ROLE.bindparams(old="user", new="member"))'
UP_USERS = 'op.execute(RENAME.bindparams(old="user", new="member"))'
DOWN_ROLES = 'op.execute(RENAME_ROLE.bindparams(old="member", new="user"))'
DOWN_USERS = 'op.execute(RENAME.bindparams(old="member", new="user"))'


@pytest.mark.parametrize(
    "text,says",
    [
        (lambda: cell_file("08-write-0006-orm")[1], "imports the application's models"),
        (
            lambda: replaced(
                **{UP_USERS: "op.execute(\"UPDATE users SET role = 'member' WHERE role = 'user'\")"}
            ),
            "writes the values ('user', 'member') into the SQL text",
        ),
        (
            lambda: replaced(
                **{UP_USERS: 'op.get_bind().execute(RENAME, old="user", new="member")'}
            ),
            "TypeError: Connection.execute() got an unexpected keyword argument",
        ),
        (lambda: replaced(**{UP_ROLES: "pass"}), "roles table still calls the role 'user'"),
        (lambda: replaced(**{UP_USERS: "pass"}), "not 'member'"),
        (
            lambda: replaced(
                **{
                    UP_USERS: 'op.execute(sa.text("UPDATE users SET role = :new")'
                    '.bindparams(new="member"))'
                }
            ),
            "the admin is not an admin any more",
        ),
        (lambda: replaced(**{DOWN_USERS: "pass"}), "must turn 'member' back into 'user'"),
        (
            lambda: replaced(**{DOWN_ROLES: "pass"}),
            "roles table does not call the role 'user' again",
        ),
        (
            lambda: replaced(
                **{
                    "def upgrade() -> None:\n": "def upgrade() -> None:\n"
                    "    raise NotImplementedError()\n"
                }
            ),
            "still raises NotImplementedError",
        ),
    ],
    ids=[
        "orm-models",
        "pasted-values",
        "sqlalchemy-1x",
        "roles-forgotten",
        "users-forgotten",
        "no-where",
        "no-downgrade",
        "downgrade-roles-forgotten",
        "not-implemented",
    ],
)
def test_wrong_answers_fail_with_a_hint(project: Path, text, says: str) -> None:
    install(project, text())
    result = verdict("08.1")
    assert not result.passed
    assert says in result.message, result
    assert result.hint
    assert check_rows() == 0, "the check must remove its own users, even when it fails"


def test_without_the_revision_file(project: Path) -> None:
    install(project)
    result = verdict("08.1")
    assert not result.passed and "no revision 0006" in result.message
