"""What the checks of the products track (lessons 11-14) share: rows by name, reruns, restores.

Not a lesson of its own: it registers no check. The checks read the product tables by name
(never by UUID), and put the database back where the participant had it when they are done.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from workshop import checks, commands, db
from workshop import orchestrator_schema as schema
from workshop.checks import NotYet, first_line, migrate

CLI = "!PYTHONPATH=. python main.py db"
KEYWORDS_HINT = (
    "SQLAlchemy 2 takes the values as one dict: "
    'conn.execute(sa.text("... :name ..."), {"name": value}), not conn.execute(text, name=value).'
)


def rows(sql: str, **params: object) -> list[tuple]:
    """The rows of a query on the workshop database, as tuples."""
    with db.engine().connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql), params)]


def blocks_holding(resource_type: str) -> list[str]:
    return [
        row[0]
        for row in rows(
            """
            SELECT b.name FROM product_block_resource_types AS br
            JOIN product_blocks AS b ON b.product_block_id = br.product_block_id
            JOIN resource_types AS r ON r.resource_type_id = br.resource_type_id
            WHERE r.resource_type = :resource_type ORDER BY b.name
            """,
            resource_type=resource_type,
        )
    ]


def descriptions(resource_type: str) -> list[str | None]:
    return [
        row[0]
        for row in rows(
            "SELECT description FROM resource_types WHERE resource_type = :resource_type",
            resource_type=resource_type,
        )
    ]


def count(table: str) -> int:
    return rows(f"SELECT count(*) FROM {table}")[0][0]  # noqa: S608 - table names are the kit's


def require_product_tables() -> None:
    """The schema branch is applied: the nine tables exist."""
    with db.engine().connect() as conn:
        missing = schema.missing_tables(conn)
    if missing:
        raise NotYet(
            f"the database has no product tables (missing: {', '.join(missing)}).",
            "Run the lesson's first cell again: it applies schema0001.",
        )


def stamp(revision: str) -> None:
    checks.step("stamp", revision)


@contextmanager
def restoring() -> Iterator[None]:
    """Run a check, then bring the database back to the revisions it was at (when it can).

    A check upgrades and downgrades the participant's revisions; afterwards the database is where
    it was, or at the newer revision the check applied, never lower.
    """
    before = commands.current_revisions()
    try:
        yield
    finally:
        for revision in before:
            try:
                checks.step("upgrade", revision)
            except Exception:  # noqa: BLE001, S110 - best effort; the verdict is what matters
                pass


def upgrade(revision: str) -> None:
    """``upgrade revision``, with the 1.x ``execute(text, name=...)`` mistake explained."""
    try:
        migrate("upgrade", revision, what=f"upgrade() of revision {revision}")
    except NotYet as problem:
        if "unexpected keyword argument" in problem.message:
            raise NotYet(problem.message, KEYWORDS_HINT) from None
        raise


def rerun(revision: str, parent: str) -> None:
    """Run ``upgrade()`` of ``revision`` a second time, on the rows it made: it must not fail.

    ``stamp parent`` makes Alembic forget the revision without touching a row, as a database
    where someone registered the same product by hand would be.
    """
    stamp(parent)
    try:
        checks.step("upgrade", revision)
    except Exception as error:  # noqa: BLE001 - the participant's code failing is the verdict
        stamp(revision)
        raise NotYet(
            f"upgrade() of {revision} fails when its rows are already there (run a second time): "
            f"{first_line(error)}",
            "Make every INSERT idempotent: end it with ON CONFLICT DO NOTHING (the helpers "
            "already do).",
        ) from error
