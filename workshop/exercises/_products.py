"""What the checks of the products track (lessons 11-14) share: rows by name, reruns, restores.

Not a lesson of its own: it registers no check. The checks read the product tables by name
(never by UUID): on the rehearsal's new database while they try the participant's revision
(:func:`workshop.checks.rehearse`), then on the participant's own, where the rows must be what
the revision files make (:func:`snapshot`), and where a data revision that can run twice makes
missing rows again (:func:`run_again`).
"""

from __future__ import annotations

import sqlalchemy as sa

from workshop import checks, db
from workshop.checks import NotYet, first_line, migrate
from workshop.orchestrator import schema

CLI = "!PYTHONPATH=. python main.py db"


def cli(rev_id: str, *, confirm: bool = False) -> str:
    """The lessons' command line that writes revision ``rev_id``: the id fixed by
    ``WORKSHOP_REV_ID`` in front (orchestrator-core ignores it), and with ``confirm`` the
    ``echo y |`` that answers migrate-domain-models' "Confirm the above actions [y/n]:"."""
    return (
        f"!{'echo y | ' if confirm else ''}WORKSHOP_REV_ID={rev_id} PYTHONPATH=. python main.py db"
    )


KEYWORDS_HINT = (
    "SQLAlchemy 2 takes the values as one dict: "
    'conn.execute(sa.text("... :name ..."), {"name": value}), not conn.execute(text, name=value).'
)


def rows(sql: str, **params: object) -> list[tuple]:
    """The rows of a query on the database the check looks at, as tuples."""
    with checks.engine().connect() as conn:
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
            "Run the lesson's first cell again: it applies the schema revision 544fd845554d.",
        )


#: Every product row by names, never by UUID (those differ between two databases).
SNAPSHOT = {
    "products": "SELECT name, description, product_type, tag, status FROM products",
    "product_blocks": "SELECT name, description, tag, status FROM product_blocks",
    "resource_types": "SELECT resource_type, description FROM resource_types",
    "workflows": "SELECT name, target, description FROM workflows",
    "fixed_inputs": (
        "SELECT p.name, f.name, f.value FROM fixed_inputs AS f "
        "JOIN products AS p ON p.product_id = f.product_id"
    ),
    "product_product_blocks": (
        "SELECT p.name, b.name FROM product_product_blocks AS pb "
        "JOIN products AS p ON p.product_id = pb.product_id "
        "JOIN product_blocks AS b ON b.product_block_id = pb.product_block_id"
    ),
    "product_block_resource_types": (
        "SELECT b.name, r.resource_type FROM product_block_resource_types AS br "
        "JOIN product_blocks AS b ON b.product_block_id = br.product_block_id "
        "JOIN resource_types AS r ON r.resource_type_id = br.resource_type_id"
    ),
    "product_block_relations": (
        "SELECT u.name, d.name, r.min, r.max FROM product_block_relations AS r "
        "JOIN product_blocks AS u ON u.product_block_id = r.in_use_by_id "
        "JOIN product_blocks AS d ON d.product_block_id = r.depends_on_id"
    ),
    "products_workflows": (
        "SELECT p.name, w.name FROM products_workflows AS pw "
        "JOIN products AS p ON p.product_id = pw.product_id "
        "JOIN workflows AS w ON w.workflow_id = pw.workflow_id"
    ),
}


def snapshot() -> dict[str, list[tuple]]:
    """The product rows of the database the check looks at, by names: a data revision's
    "schema", compared between the participant's database and what the files make."""
    return {table: sorted(rows(sql), key=repr) for table, sql in SNAPSHOT.items()}


def run_again(revision: str) -> None:
    """Make the rows of ``revision`` again in the participant's database.

    First its own ``downgrade()`` takes away what is left of them (it deletes by name, so a row
    already gone is no matter), then its ``upgrade()`` makes them all afresh. That works for a
    revision that cannot run twice too: lesson 13's, whose orchestrator-core helpers insert link
    rows without ON CONFLICT. When the downgrade cannot run, the revision is forgotten instead
    (a stamp changes no row) and upgraded again, which suits a revision written to run twice.
    """
    script = checks.scripts().get_revision(revision)
    below = script.down_revision or script.dependencies
    below = (below,) if isinstance(below, str) else tuple(below or ())
    parent = below[0] if len(below) == 1 else "base"
    try:
        checks.step("stamp", revision)
        checks.step("downgrade", parent)
    except Exception:  # noqa: BLE001 - then the way that needs no downgrade
        checks.step("stamp", parent)
    checks.step("upgrade", revision)


def delete(sql: str, **params: object) -> None:
    """Remove a leftover row of the exercise's revision from the participant's database."""
    with db.engine().begin() as conn:
        conn.execute(sa.text(sql), params)


def stamp(revision: str) -> None:
    """``alembic stamp`` on the database the check looks at."""
    checks.step("stamp", revision, database=checks.target())


def rerun(revision: str, parent: str) -> None:
    """Run ``upgrade()`` of ``revision`` a second time, on the rows it made: it must not fail.

    ``stamp parent`` makes Alembic forget the revision without touching a row, as a database
    where someone registered the same product by hand would be.
    """
    stamp(parent)
    try:
        checks.step("upgrade", revision, database=checks.target())
    except Exception as error:  # noqa: BLE001 - the participant's code failing is the verdict
        stamp(revision)
        raise NotYet(
            f"upgrade() of {revision} fails when its rows are already there (run a second time): "
            f"{first_line(error)}",
            "Make every INSERT idempotent: end it with ON CONFLICT DO NOTHING (the helpers "
            "already do).",
        ) from error


def upgrade(revision: str) -> None:
    """``upgrade revision``, with the 1.x ``execute(text, name=...)`` mistake explained."""
    try:
        migrate("upgrade", revision, what=f"upgrade() of revision {revision}")
    except NotYet as problem:
        if "unexpected keyword argument" in problem.message:
            raise NotYet(problem.message, KEYWORDS_HINT) from None
        raise
