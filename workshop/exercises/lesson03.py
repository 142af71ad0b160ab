"""Lesson 03: a view of the active users, created and dropped with raw SQL by revision 0003."""

from __future__ import annotations

import sqlalchemy as sa

from workshop import checks, commands, db
from workshop.checks import NotYet, columns, exercise, first_line, migrate, revision_file

VIEW = "active_users"
COLUMNS = ["id", "username", "email", "phone_number"]
ACTIVE, INACTIVE = "check_0301_active", "check_0301_inactive"


def _views() -> list[str]:
    return sa.inspect(db.engine()).get_view_names()


def _quietly(sql: str) -> None:
    """Tidy up after a wrong answer, so that the next attempt starts from revision 0002's schema."""
    try:
        with db.engine().begin() as conn:
            conn.execute(sa.text(sql))
    except Exception:  # noqa: BLE001 - tidying up must never hide the verdict
        pass


def _drop_view_quietly() -> None:
    _quietly(f"DROP VIEW IF EXISTS {VIEW}")


def _back_to_0002() -> None:
    """After a wrong answer, go back to 0002, so that a fixed file is upgraded afresh next time.

    The participant's downgrade() first; when that fails, 0003's one object is removed by hand
    and the database stamped at 0002, which is then exactly where the lesson left it.
    """
    try:
        checks.step("downgrade", "0002")
    except Exception:  # noqa: BLE001 - the verdict is already decided
        pass
    _drop_view_quietly()
    if commands.current_revisions() != ("0002",):
        _quietly(f"DROP TABLE IF EXISTS {VIEW}")
        try:
            checks.step("stamp", "0002")
        except Exception:  # noqa: BLE001 - the verdict is already decided
            pass


def _visible_usernames() -> set[str]:
    """Insert an active and an inactive user, read the view, and roll everything back."""
    with db.engine().connect() as conn:
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
    found = [column["name"] for column in sa.inspect(db.engine()).get_columns(VIEW)]
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


@exercise("03.1")
def active_users_view() -> str:
    revision_file(
        "0003",
        parent="0002",
        hint='Create it first: !alembic revision -m "create active users view" --rev-id 0003',
    )
    if "0003" in commands.current_revisions():
        # Upgraded earlier (by hand or by a previous check): go down first, so that the file as
        # it is now is what gets upgraded and inspected.
        _back_to_0002()
    migrate("upgrade", "0003", what="upgrade() of revision 0003")
    try:
        _inspect_view()
    except NotYet:
        _back_to_0002()
        raise
    migrate("downgrade", "0002", what="downgrade() of revision 0003")
    if VIEW in _views():
        _drop_view_quietly()
        raise NotYet(
            f"after `downgrade 0002` the view {VIEW} is still there: downgrade() must undo "
            "upgrade(). (The check dropped it for you, so you can try again.)",
            f'In downgrade(), op.execute("DROP VIEW {VIEW}").',
        )
    if "phone_number" not in columns("users"):
        _quietly("ALTER TABLE users ADD COLUMN phone_number VARCHAR(20)")
        raise NotYet(
            "after `downgrade 0002` the users table has no phone_number column: downgrade() of "
            "0003 must only undo what 0003 did. (The check put the column back, so you can try "
            "again.)",
            "Drop only the view in downgrade(), nothing else.",
        )
    migrate("upgrade", "0003", what="upgrade() of revision 0003, run a second time,")
    return (
        f"{VIEW} shows id, username, email and phone_number of active users only, downgrade() "
        "drops it, and the database is back at 0003."
    )
