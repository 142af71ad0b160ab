"""Lesson 06: revision 0006 adds todos.due_date and renames todos.description to notes."""

from __future__ import annotations

import runpy

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from workshop import checks, db
from workshop.checks import (
    NotYet,
    Rehearsal,
    columns,
    exercise,
    expect_type,
    first_line,
    migrate,
    no_strays,
    rehearse,
    revision_file,
)

EMAIL = "check-06@example.org"
NOTE = "water the plants"


def _add_check_rows() -> None:
    """A user and a to-do with a description, on the rehearsal's new database at 0005."""
    try:
        with checks.engine().begin() as conn:
            conn.execute(
                sa.text("INSERT INTO users (email, username) VALUES (:e, 'check06')"),
                {"e": EMAIL},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO todos (title, description, owner_id) "
                    "SELECT 'check', :note, id FROM users WHERE email = :e"
                ),
                {"note": NOTE, "e": EMAIL},
            )
    except sa.exc.SQLAlchemyError as error:
        raise NotYet(
            f"at revision 0005 the check cannot add a user and a to-do: {first_line(error)}",
            "Run the lesson's cells from the start, in order.",
        ) from error


def _text_in(column: str) -> object:
    with checks.engine().connect() as conn:
        return conn.execute(
            sa.text(
                f"SELECT todos.{column} FROM todos JOIN users ON users.id = todos.owner_id "
                "WHERE users.email = :e"
            ),
            {"e": EMAIL},
        ).scalar()


def _table_of(difference: tuple | list) -> str | None:
    """The table one difference from ``compare_metadata`` is about."""
    first = difference[0] if isinstance(difference, list) else difference
    kind = first[0]
    if kind in ("add_column", "remove_column") or kind.startswith("modify_"):
        return first[2]
    if kind in ("add_table", "remove_table"):
        return first[1].name
    table = getattr(first[1], "table", None)
    return getattr(table, "name", None)


def _todos_drift() -> list:
    """What `alembic check` would report about todos between todo/models.py and the database.

    Only todos: on SQLite the unique constraints that revision 0001 made on users have no names,
    so `alembic check` keeps listing them there (the lesson says so); that is not this exercise.
    """
    try:
        metadata = runpy.run_path(str(checks.app_file("todo/models.py")))["Base"].metadata
    except Exception as error:  # noqa: BLE001 - a broken models file is a verdict
        raise NotYet(
            f"todo/models.py cannot be loaded: {type(error).__name__}: {error}",
            "Run the cell that writes todo/models.py again (it comes before the exercise).",
        ) from error
    with checks.engine().connect() as conn:
        found = compare_metadata(MigrationContext.configure(conn), metadata)
    return [difference for difference in found if _table_of(difference) == "todos"]


def _after_upgrade() -> None:
    found = columns("todos")
    if "due_date" not in found:
        raise NotYet(
            "after `upgrade 0006` the todos table has no due_date column.",
            'Keep the draft\'s op.add_column("todos", sa.Column("due_date", sa.Date(), '
            "nullable=True)).",
        )
    expect_type("todos", found["due_date"], sa.Date)
    if not found["due_date"]["nullable"]:
        raise NotYet("todos.due_date does not accept NULL.", "Give it nullable=True.")
    if "notes" not in found:
        raise NotYet(
            "after `upgrade 0006` the todos table has no notes column.",
            'Rename it: op.alter_column("todos", "description", new_column_name="notes").',
        )
    if "description" in found:
        raise NotYet(
            "after `upgrade 0006` the todos table still has its description column.",
            'Rename it instead of adding a new column: op.alter_column("todos", "description", '
            'new_column_name="notes").',
        )
    if _text_in("notes") != NOTE:
        raise NotYet(
            "the to-do's text was lost: it said 'water the plants' in description before the "
            "upgrade, and its notes are empty after it. The draft's drop plus add throws the "
            "data away.",
            "Replace the add_column of notes and the drop_column of description with "
            'op.alter_column("todos", "description", new_column_name="notes").',
        )


def _after_downgrade() -> None:
    found = columns("todos")
    if "description" not in found or "notes" in found:
        raise NotYet(
            "after `downgrade 0005` the column is not called description again.",
            'In downgrade(), rename it back: op.alter_column("todos", "notes", '
            'new_column_name="description").',
        )
    if "due_date" in found:
        raise NotYet(
            "after `downgrade 0005` the todos table still has due_date.",
            'In downgrade(), also op.drop_column("todos", "due_date").',
        )
    if _text_in("description") != NOTE:
        raise NotYet(
            "after `downgrade 0005` the to-do's description is empty: the downgrade lost the "
            "notes.",
            'Rename the column back instead of dropping it: op.alter_column("todos", "notes", '
            'new_column_name="description").',
        )


def _tidy() -> None:
    """Undo by hand, in the participant's database at 0005, what 0006 left there: the column
    notes renamed back to description (its text kept), and due_date dropped while it holds no
    date. A due_date that holds dates stays, and the verdict says so."""
    found = columns("todos")
    engine = db.engine()
    if "notes" in found and "description" not in found:
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE todos RENAME COLUMN notes TO description"))
    if "due_date" in found:
        with engine.connect() as conn:
            dated = conn.execute(
                sa.text("SELECT count(*) FROM todos WHERE due_date IS NOT NULL")
            ).scalar_one()
        if dated:
            raise NotYet(
                f"your database is at 0005, but its todos table still has the due_date column "
                f"of 0006, with {dated} date(s) in it. The check keeps data it did not make.",
                "If you do not need them: %sql ALTER TABLE todos DROP COLUMN due_date, then run "
                "this check again.",
            )
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("ALTER TABLE todos DROP COLUMN due_date"))
        except sa.exc.SQLAlchemyError:
            pass  # e.g. an index on it (SQLite): the comparison that follows names it


def _inspect() -> None:
    """On the rehearsal's new database at 0005, with a to-do: upgrade, look, down, look, up."""
    if "description" not in columns("todos"):
        raise NotYet(
            "at revision 0005 the todos table has no description column.",
            "Run the lesson's cells from the start, in order.",
        )
    _add_check_rows()
    migrate("upgrade", "0006", what="upgrade() of revision 0006")
    _after_upgrade()
    migrate("downgrade", "0005", what="downgrade() of revision 0006")
    _after_downgrade()
    migrate("upgrade", "0006", what="upgrade() of revision 0006, run a second time,")
    drift = _todos_drift()
    if drift:
        raise NotYet(
            f"at 0006 the todos table does not match todo/models.py: {drift[0]}",
            "Run `!alembic check` to see every difference, and make the revision create exactly "
            "what the models describe.",
        )


@exercise("06.1")
def due_date_and_notes() -> str:
    no_strays({"0001", "0002", "0003", "0004", "0005", "0006"}, then="Then run this check again.")
    revision_file(
        "0006",
        parent="0005",
        hint="Run the cells before the exercise in order: the models, then "
        '!alembic revision --autogenerate -m "add due date and notes to todos" --rev-id 0006',
    )
    rehearse(Rehearsal(start="0005", revision="0006", tidy=_tidy), _inspect)
    return (
        "due_date is added, description is renamed to notes with its text kept, downgrade() "
        "undoes both, and the todos table matches the models."
    )
