"""Lesson 12: revision data0002 adds the resource type display_name to the block Username (SQL)."""

from __future__ import annotations

from workshop.checks import NotYet, Rehearsal, exercise, migrate, no_strays, rehearse, revision_file
from workshop.exercises._products import (
    blocks_holding,
    cli,
    delete,
    descriptions,
    require_product_tables,
    rerun,
    rows,
    run_again,
    snapshot,
    upgrade,
)
from workshop.orchestrator.versions import SCHEMA_HEAD

#: What data0001 registers, as one row of the lesson's join over every table.
#: One row per workflow: its own, and modify_note, which orchestrator-core expects of a product.
USERNAME_REGISTRATION = [
    ("Username registration", "UNPT", "UNR", "Username", "username", workflow)
    for workflow in ("create_username_registration", "modify_note")
]
DESCRIPTION = "Name shown to other users"


def product_rows() -> list[tuple]:
    """The product, block, resource type and workflow rows of the lesson, joined by name."""
    return rows(
        """
        SELECT p.name, p.product_type, p.tag, b.name, r.resource_type, w.name
        FROM products AS p
        JOIN product_product_blocks AS pb ON pb.product_id = p.product_id
        JOIN product_blocks AS b ON b.product_block_id = pb.product_block_id
        JOIN product_block_resource_types AS br ON br.product_block_id = b.product_block_id
        JOIN resource_types AS r ON r.resource_type_id = br.resource_type_id
        JOIN products_workflows AS pw ON pw.product_id = p.product_id
        JOIN workflows AS w ON w.workflow_id = pw.workflow_id
        WHERE r.resource_type <> 'display_name'
        ORDER BY 1, 4, 5, 6
        """
    )


def _data0001_intact(after: str) -> None:
    if product_rows() != USERNAME_REGISTRATION:
        raise NotYet(
            f"{after}, the product Username registration of data0001 is not complete any more "
            "(its block, resource type username or workflow is missing).",
            "data0002 must only add (and its downgrade only remove) display_name and its link. "
            "If data0001 was never applied, run the lesson's cells from its %%writefile on.",
        )


def _inspect() -> None:
    """On the rehearsal's new database at data0001: upgrade, look, run again, down, look, up."""
    upgrade("data0002")
    _data0001_intact("after `upgrade data0002`")
    found = descriptions("display_name")
    if not found:
        raise NotYet(
            "after `upgrade data0002` there is no resource type display_name.",
            "INSERT INTO resource_types (resource_type, description) VALUES (:resource_type, "
            ":description) ON CONFLICT DO NOTHING, with a dict of both values.",
        )
    if found != [DESCRIPTION]:
        raise NotYet(
            f"display_name has the description {found[0]!r}; it should be {DESCRIPTION!r}.",
            "Correct the value in the dict, then run this check again.",
        )
    holders = blocks_holding("display_name")
    if holders != ["Username"]:
        raise NotYet(
            "display_name is held by "
            + (", ".join(holders) if holders else "no block")
            + "; the block Username should hold it.",
            "Add the link row: INSERT INTO product_block_resource_types (product_block_id, "
            "resource_type_id) SELECT b.product_block_id, r.resource_type_id FROM product_blocks "
            "AS b, resource_types AS r WHERE b.name = :block AND r.resource_type = :resource_type "
            "ON CONFLICT DO NOTHING.",
        )
    rerun("data0002", "data0001")
    migrate("downgrade", "data0001", what="downgrade() of revision data0002")
    if descriptions("display_name") or blocks_holding("display_name"):
        raise NotYet(
            "after `downgrade data0001` the resource type display_name is still there: "
            "downgrade() must undo upgrade().",
            "In downgrade(): DELETE FROM resource_types WHERE resource_type = :resource_type, "
            'with {"resource_type": "display_name"}. The link row goes with it (cascade).',
        )
    _data0001_intact("after `downgrade data0001`")
    upgrade("data0002")


def _tidy() -> None:
    """What data0002 left in the participant's database at data0001: the resource type
    display_name (its link row goes with it, ON DELETE CASCADE)."""
    delete("DELETE FROM resource_types WHERE resource_type = 'display_name'")


@exercise("12.1")
def display_name() -> str:
    require_product_tables()
    no_strays({SCHEMA_HEAD, "data0000", "data0001", "data0002"}, then="Then run this check again.")
    revision_file(
        "data0002",
        parent="data0001",
        hint=f'Create it first: {cli("data0002")} revision --message "Add display name resource '
        'type" --head=data@head',
    )
    plan = Rehearsal(
        start="data0001",
        revision="data0002",
        tidy=_tidy,
        facts=snapshot,
        repair=lambda: run_again("data0001"),
    )
    rehearse(plan, _inspect)
    return (
        "display_name is a resource type of the block Username, a second run changes nothing, "
        "downgrade() removes exactly it, and the database is back at data0002."
    )
