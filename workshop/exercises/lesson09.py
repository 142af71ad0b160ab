"""Lesson 09: revision 0005 makes users.role NOT NULL on SQLite, with batch mode.

The check runs the participant's revision first on a throwaway SQLite database that holds a user
with a role and one without (upgrade, downgrade, upgrade), because a failed batch copy on SQLite
can leave a half-made table behind (:func:`workshop.checks.rehearse`). Only then does it upgrade
the participant's own database.
"""

from __future__ import annotations

import sqlalchemy as sa

from workshop import checks, db
from workshop.checks import (
    NotYet,
    NotYetInYours,
    Rehearsal,
    exercise,
    first_line,
    no_strays,
    rehearse,
    revision_file,
)

BATCH_HINT = (
    'On SQLite, change a column inside `with op.batch_alter_table("users") as batch_op:`, '
    'with batch_op.alter_column("role", existing_type=sa.String(45), nullable=False, '
    'server_default="member").'
)


def _step(verb: str, target: str, what: str) -> None:
    try:
        checks.step(verb, target, database=checks.target())
    except NotImplementedError as error:
        if str(error):  # Alembic's own: "No support for ALTER of constraints in SQLite dialect"
            raise NotYet(f"{what} failed: {error}", BATCH_HINT) from error
        raise NotYet(
            f"{what} still raises NotImplementedError.",
            "Replace `raise NotImplementedError()` with your code, run that cell again, "
            "then run this check.",
        ) from error
    except Exception as error:  # noqa: BLE001 - any failure of the participant's code is a verdict
        reason = first_line(error)
        hint = "Read the error, fix the revision file, run its cell again, then this check."
        if 'near "ALTER"' in reason:
            hint = BATCH_HINT
        elif "NOT NULL constraint failed" in reason:
            hint = (
                "Bob's role is NULL, and the copy into a NOT NULL column fails on it: first run "
                "op.execute(\"UPDATE users SET role = 'member' WHERE role IS NULL\")."
            )
        raise NotYet(f"{what} failed: {reason}", hint) from error


def _role(engine: sa.Engine) -> dict:
    return next(c for c in sa.inspect(engine).get_columns("users") if c["name"] == "role")


def _roles(engine: sa.Engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT username, role FROM users ORDER BY id"))
        return dict(rows.all())


def _uniques(engine: sa.Engine) -> set[str | None]:
    return {u["name"] for u in sa.inspect(engine).get_unique_constraints("users")}


def _inspect() -> None:
    """On the rehearsal's new database at 0004, with a user with a role and one without:
    upgrade, look, downgrade, look, upgrade."""
    engine = checks.engine()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (email, username, role) VALUES "
                "('ada@example.com', 'ada', 'admin'), ('bob@example.com', 'bob', NULL)"
            )
        )
    uniques = _uniques(engine)
    _step("upgrade", "0005", "upgrade of 0005")
    role = _role(engine)
    if not isinstance(role["type"], sa.String) or role["type"].length != 45:
        raise NotYet(
            f"after `upgrade 0005`, users.role is {role['type']}; it should stay VARCHAR(45).",
            "Change only the rule, not the type: existing_type=sa.String(45) tells batch mode "
            "what the column is, and no type_= argument.",
        )
    if role["nullable"]:
        raise NotYet(
            "after `upgrade 0005`, users.role still accepts NULL.",
            'Give alter_column("role", ...) nullable=False, inside a batch_alter_table block.',
        )
    if "member" not in str(role.get("default") or ""):
        raise NotYet(
            f"after `upgrade 0005`, users.role has the default {role.get('default')!r}; "
            "expected 'member'.",
            'Give alter_column("role", ...) server_default="member".',
        )
    roles = _roles(engine)
    if roles != {"ada": "admin", "bob": "member"}:
        raise NotYet(
            f"after `upgrade 0005` the users' roles are {roles}; expected Ada to stay 'admin' "
            "and Bob to become 'member'.",
            "Set the role only where it is NULL: UPDATE users SET role = 'member' "
            "WHERE role IS NULL.",
        )
    if _uniques(engine) != uniques:
        raise NotYet(
            f"`upgrade 0005` changed the unique constraints of users: {sorted(uniques, key=str)} "
            f"became {sorted(_uniques(engine), key=str)}.",
            "Change only the role column.",
        )
    _step("downgrade", "0004", "downgrade of 0005")
    role = _role(engine)
    if not role["nullable"] or role.get("default") is not None:
        raise NotYet(
            f"after `downgrade 0004`, users.role is nullable={role['nullable']} with default "
            f"{role.get('default')!r}; it should be optional again, without a default.",
            'In downgrade(), batch_op.alter_column("role", existing_type=sa.String(45), '
            "nullable=True, server_default=None).",
        )
    if set(_roles(engine)) != {"ada", "bob"}:
        raise NotYet("after `downgrade 0004` the users are gone.", "Keep the rows: only alter.")
    _step("upgrade", "0005", "upgrade of 0005 after its downgrade")


@exercise("09.1")
def role_required() -> str:
    no_strays({"0001", "0002", "0003", "0004", "0005"}, then="Then run this check again.")
    revision_file(
        "0005",
        parent="0004",
        hint='Create it first: !alembic revision -m "make role required" --rev-id 0005',
    )
    if db.backend() != "sqlite":
        raise NotYet(
            "this notebook is not using SQLite.",
            "Run the lesson's first cell: it points the notebook at .workshop/lesson-09.sqlite.",
        )
    try:
        rehearse(Rehearsal(start="0004", revision="0005"), _inspect)
    except NotYetInYours as problem:
        if "_alembic_tmp_users" in problem.message:
            problem.hint = (
                "An earlier failed upgrade left that table behind: run "
                "%sql DROP TABLE _alembic_tmp_users, then this check again."
            )
        raise
    return (
        "role is NOT NULL with the default 'member', a NULL role becomes 'member', the downgrade "
        "makes it optional again, and your database is at 0005."
    )
