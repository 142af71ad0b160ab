"""Lesson 03: a view of the active users, created and dropped with raw SQL by revision 0003."""

from __future__ import annotations

import sqlalchemy as sa

from workshop import checks
from workshop.checks import (
    NotYet,
    Rehearsal,
    columns,
    exercise,
    first_line,
    migrate,
    no_strays,
    rehearse,
    revision_file,
)

VIEW = "active_users"
COLUMNS = ["id", "username", "email", "phone_number"]
ACTIVE, INACTIVE = "check_0301_active", "check_0301_inactive"


def _views() -> list[str]:
    return sa.inspect(checks.engine()).get_view_names()


def _visible_usernames() -> set[str]:
    """Insert an active and an inactive user, read the view, and roll everything back."""
    with checks.engine().connect() as conn:
        transaction = conn.begin()
        try:
            for name, active in ((ACTIVE, True), (INACTIVE, False)):
                conn.execute(
                    sa.text(
                        "INSERT INTO users (email, username, is_active) "
                        "VALUES (:email, :username, :active)"
                    ),
                    {"email": f"{name}@example.com", "username": name, "active": active},
                )
            rows = conn.execute(
                sa.text(f"SELECT username FROM {VIEW} WHERE username IN (:a, :b)"),
                {"a": ACTIVE, "b": INACTIVE},
            )
            return {row[0] for row in rows}
        finally:
            transaction.rollback()


def _inspect_view() -> None:
    views = _views()
    if VIEW not in views:
        if columns(VIEW):
            raise NotYet(
                f"{VIEW} is a table, not a view.",
                f"Use CREATE VIEW {VIEW} AS SELECT ... in op.execute, not CREATE TABLE.",
            )
        raise NotYet(
            f"after `upgrade 0003` there is no view called {VIEW}.",
            f'In upgrade(), op.execute("CREATE VIEW {VIEW} AS SELECT ... FROM users WHERE ...").',
        )
    found = [column["name"] for column in sa.inspect(checks.engine()).get_columns(VIEW)]
    if found != COLUMNS:
        extra = [name for name in found if name not in COLUMNS]
        missing = [name for name in COLUMNS if name not in found]
        detail = []
        if missing:
            detail.append(f"it lacks {', '.join(missing)}")
        if extra:
            detail.append(f"it should not show {', '.join(extra)}")
        problem = "; ".join(detail) or "they are in another order"
        if "hashed_password" in extra:
            problem = "it shows hashed_password, which it is there to hide"
        raise NotYet(
            f"the view's columns are {', '.join(found)}: {problem}.",
            f"Select exactly these columns, in this order: SELECT {', '.join(COLUMNS)} FROM users.",
        )
    try:
        visible = _visible_usernames()
    except Exception as error:  # noqa: BLE001 - a view that cannot be read is a verdict
        raise NotYet(
            f"reading the view failed: {type(error).__name__}: {first_line(error)}",
            "Try your SELECT on its own with %sql first, then put it in the view.",
        ) from error
    if visible == {INACTIVE}:
        raise NotYet(
            "the view lists the inactive users instead of the active ones.",
            "Keep the rows whose is_active is true: ... FROM users WHERE is_active",
        )
    if INACTIVE in visible:
        raise NotYet(
            "the view also lists users whose is_active is false.",
            "Add a WHERE clause: ... FROM users WHERE is_active",
        )
    if ACTIVE not in visible:
        raise NotYet(
            "the view does not list an active user.",
            "Keep the users whose is_active is true: ... FROM users WHERE is_active",
        )


def _inspect() -> None:
    """On the rehearsal's new database at 0002: upgrade, look, downgrade, look, upgrade."""
    migrate("upgrade", "0003", what="upgrade() of revision 0003")
    _inspect_view()
    migrate("downgrade", "0002", what="downgrade() of revision 0003")
    if VIEW in _views():
        raise NotYet(
            f"after `downgrade 0002` the view {VIEW} is still there: downgrade() must undo "
            "upgrade().",
            f'In downgrade(), op.execute("DROP VIEW {VIEW}").',
        )
    if "phone_number" not in columns("users"):
        raise NotYet(
            "after `downgrade 0002` the users table has no phone_number column: downgrade() of "
            "0003 must only undo what 0003 did.",
            "Drop only the view in downgrade(), nothing else.",
        )
    migrate("upgrade", "0003", what="upgrade() of revision 0003, run a second time,")


@exercise("03.1")
def active_users_view() -> str:
    no_strays({"0001", "0002", "0003"}, then="Then run this check again.")
    revision_file(
        "0003",
        parent="0002",
        hint='Create it first: !alembic revision -m "create active users view" --rev-id 0003',
    )
    rehearse(Rehearsal(start="0002", revision="0003"), _inspect)
    return (
        f"{VIEW} shows id, username, email and phone_number of active users only, downgrade() "
        "drops it, and the database is back at 0003."
    )
