"""Lesson 04: repair a database whose alembic_version was stamped to a revision it is not at."""

from __future__ import annotations

import sqlalchemy as sa

from workshop import checks, commands, db
from workshop.checks import NotYet, columns, exercise, first_line, no_strays

HEAD = "c3d9b7"
FIX = (
    "Find the revision the schema really matches (wk.describe_table('todos')), "
    "`!alembic stamp` that one, then `!alembic upgrade head`."
)


def _titles() -> list[str]:
    with db.engine().connect() as conn:
        return [row[0] for row in conn.execute(sa.text("SELECT title FROM todos ORDER BY id"))]


@exercise("04.1")
def repair_the_stamp() -> str:
    try:
        heads = checks.heads()
    except Exception as error:  # noqa: BLE001 - unreadable revision files are a verdict too
        raise NotYet(f"Alembic cannot read the revision files: {first_line(error)}", FIX) from error
    no_strays({"0001", "0002", "0003", "ae10c4", "ae52f1", HEAD}, then="Then run this check again.")
    if heads != (HEAD,):
        raise NotYet(
            f"the revision files have the heads {', '.join(heads) or 'none'}, not {HEAD}.",
            "Run the lesson's cells that write ae10c4, ae52f1 and c3d9b7 first.",
        )
    todos = columns("todos")
    if not todos:
        raise NotYet(
            "there is no todos table.",
            "Run the cell that sets the scene (just above the exercise), then repair: " + FIX,
        )
    if "buy milk" not in _titles():
        raise NotYet(
            "the to-do 'buy milk' is gone. Dropping a table so that a migration can create it "
            "again throws its rows away.",
            "Run the cell that sets the scene again, then repair without dropping anything: " + FIX,
        )
    current = commands.current_revisions()
    if current != (HEAD,):
        raise NotYet(
            f"the database is at {', '.join(current) or 'base'}, not at the head {HEAD}.",
            FIX,
        )
    missing = [name for name in ("priority", "due_date") if name not in todos]
    if missing:
        raise NotYet(
            f"alembic_version says {HEAD}, but todos has no column {', '.join(missing)}: a stamp "
            "skipped migrations that never ran, so the record lies again.",
            "The schema is still that of an older revision. Stamp that revision (the one right "
            "before the first missing column was added), then `!alembic upgrade head`.",
        )
    return (
        f"the database is at {HEAD}, todos has priority and due_date, and 'buy milk' is still "
        "there: alembic_version tells the truth again."
    )
