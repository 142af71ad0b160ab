"""Lesson 08: revision 0006 renames the role 'user' to 'member' in roles and users, without the
app's models, with bound parameters, and its downgrade reverses it."""

from __future__ import annotations

import ast
import re

import sqlalchemy as sa

from workshop import checks, db, paths
from workshop.checks import (
    NotYet,
    Rehearsal,
    exercise,
    first_line,
    migrate,
    no_strays,
    rehearse,
    revision_file,
)

ROLE_USER = "check-08-user@example.org"
ADMIN = "check-08-admin@example.org"
IMPORTS_THE_APP = re.compile(r"^\s*(from|import)\s+todo\b", re.MULTILINE)
PASTED_VALUE = re.compile(r"'(user|member)'")


def _source() -> str:
    files = sorted(paths.versions_dir().glob("0006_*.py"))
    return checks.read_text(files[0]) if files else ""


def _pastes_values(source: str) -> bool:
    """Whether a string in the file is SQL with 'user' or 'member' written into it."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False  # the upgrade reports it, with the line
    return any(
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and PASTED_VALUE.search(node.value)
        for node in ast.walk(tree)
    )


def _check_source() -> None:
    source = _source()
    if IMPORTS_THE_APP.search(source):
        raise NotYet(
            "revision 0006 still imports the application's models (from todo...).",
            "Remove `from todo.models import User` and the ORM session; use "
            "op.execute(RENAME.bindparams(old=..., new=...)) instead.",
        )
    if _pastes_values(source):
        raise NotYet(
            "revision 0006 writes the values ('user', 'member') into the SQL text instead of "
            "binding them.",
            "Use the placeholders :old and :new of RENAME and RENAME_ROLE, and pass the values "
            'with .bindparams(old="user", new="member") or a dict.',
        )


def _run(sql: str, **values: object) -> list:
    with checks.engine().begin() as conn:
        result = conn.execute(sa.text(sql), values)
        return result.all() if result.returns_rows else []


def _add_check_rows() -> None:
    insert = (
        "INSERT INTO users (email, username, display_name, role) "
        "VALUES (:email, :username, :username, :role)"
    )
    try:
        _run(insert, email=ROLE_USER, username="check08user", role="user")
        _run(insert, email=ADMIN, username="check08admin", role="admin")
    except sa.exc.SQLAlchemyError as error:
        raise NotYet(
            f"at revision 0005 the check cannot add its users: {first_line(error)}",
            "Run the lesson's cells from the start, in order.",
        ) from error


def _role_of(email: str) -> str | None:
    rows = _run("SELECT role FROM users WHERE email = :email", email=email)
    return rows[0][0] if rows else None


def _role_names() -> set[str]:
    return {name for (name,) in _run("SELECT name FROM roles")}


def _after_upgrade() -> None:
    if _role_of(ROLE_USER) != "member":
        raise NotYet(
            f"after `upgrade 0006` a user whose role was 'user' has the role "
            f"{_role_of(ROLE_USER)!r}, not 'member'.",
            'In upgrade(), op.execute(RENAME.bindparams(old="user", new="member")).',
        )
    if _role_of(ADMIN) != "admin":
        raise NotYet(
            "after `upgrade 0006` the admin is not an admin any more: only the role 'user' "
            "may change.",
            "Keep the WHERE role = :old in the UPDATE.",
        )
    names = _role_names()
    if "user" in names or "member" not in names:
        raise NotYet(
            "after `upgrade 0006` the roles table still calls the role 'user'.",
            'Rename it there too: op.execute(RENAME_ROLE.bindparams(old="user", new="member")).',
        )


def _after_downgrade() -> None:
    if _role_of(ROLE_USER) != "user":
        raise NotYet(
            f"after `downgrade 0005` the user's role is {_role_of(ROLE_USER)!r}; downgrade() "
            "must turn 'member' back into 'user'.",
            'In downgrade(), op.execute(RENAME.bindparams(old="member", new="user")).',
        )
    if _role_of(ADMIN) != "admin":
        raise NotYet(
            "after `downgrade 0005` the admin is not an admin any more.",
            "Only the role 'member' may change in downgrade(): keep the WHERE role = :old.",
        )
    names = _role_names()
    if "member" in names or "user" not in names:
        raise NotYet(
            "after `downgrade 0005` the roles table does not call the role 'user' again.",
            'In downgrade(), also op.execute(RENAME_ROLE.bindparams(old="member", new="user")).',
        )


def _tidy() -> None:
    """Undo by hand, in the participant's database at 0005, what 0006 left there: the role
    'member' is 'user' again, in roles and in users (at 0005 no role is called 'member')."""
    with db.engine().begin() as conn:
        names = set(conn.execute(sa.text("SELECT name FROM roles")).scalars())
        if "member" in names and "user" not in names:
            conn.execute(sa.text("UPDATE roles SET name = 'user' WHERE name = 'member'"))
        conn.execute(sa.text("UPDATE users SET role = 'user' WHERE role = 'member'"))


def _facts() -> object:
    """The role names, which 0006 changes and the comparison of tables does not see."""
    return {"roles": sorted(name for (name,) in _run("SELECT name FROM roles"))}


def _inspect() -> None:
    """On the rehearsal's new database at 0005, with two users: upgrade, look, down, look, up."""
    _add_check_rows()
    migrate("upgrade", "0006", what="upgrade() of revision 0006")
    _after_upgrade()
    migrate("downgrade", "0005", what="downgrade() of revision 0006")
    _after_downgrade()
    migrate("upgrade", "0006", what="upgrade() of revision 0006, run a second time,")


@exercise("08.1")
def rename_role() -> str:
    no_strays({"0001", "0002", "0003", "0004", "0005", "0006"}, then="Then run this check again.")
    revision_file(
        "0006",
        parent="0005",
        hint="Run the cells of the lesson in order: 0006 is written just before the exercise.",
    )
    _check_source()
    rehearse(Rehearsal(start="0005", revision="0006", tidy=_tidy, facts=_facts), _inspect)
    return (
        "0006 renames the role 'user' to 'member' in users and roles with bound parameters, "
        "without the app's models, and downgrade() turns it back."
    )
