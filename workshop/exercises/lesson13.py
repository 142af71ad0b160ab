"""Lesson 13: revision data0002 links a new workflow to the product, with orchestrator-core's
helpers as a real app imports them (``from migrations.helpers import ...``)."""

from __future__ import annotations

from workshop import checks
from workshop.checks import NotYet, Rehearsal, exercise, migrate, no_strays, rehearse, revision_file
from workshop.exercises._products import (
    cli,
    delete,
    require_product_tables,
    rerun,
    rows,
    run_again,
    snapshot,
    upgrade,
)
from workshop.orchestrator.versions import SCHEMA_HEAD

PRODUCT = "Username registration"
CREATE = "create_username_registration"
TERMINATE = "terminate_username_registration"
#: data0001's product, block and resource type (its workflow is checked with the others).
DATA0001 = [("Username registration", "UNPT", "UNR", "Username", "username")]


def product_workflows() -> list[str]:
    return [
        row[0]
        for row in rows(
            """
            SELECT w.name FROM products_workflows AS pw
            JOIN products AS p ON p.product_id = pw.product_id
            JOIN workflows AS w ON w.workflow_id = pw.workflow_id
            WHERE p.name = :product ORDER BY w.name
            """,
            product=PRODUCT,
        )
    ]


def workflow(name: str) -> list[tuple]:
    return rows("SELECT target FROM workflows WHERE name = :name", name=name)


def _data0001_intact(after: str) -> None:
    found = rows(
        """
        SELECT p.name, p.product_type, p.tag, b.name, r.resource_type
        FROM products AS p
        JOIN product_product_blocks AS pb ON pb.product_id = p.product_id
        JOIN product_blocks AS b ON b.product_block_id = pb.product_block_id
        JOIN product_block_resource_types AS br ON br.product_block_id = b.product_block_id
        JOIN resource_types AS r ON r.resource_type_id = br.resource_type_id
        ORDER BY 1, 4, 5
        """
    )
    if found != DATA0001 or CREATE not in product_workflows():
        raise NotYet(
            f"{after}, the product Username registration of data0001 is not complete any more "
            f"(its block, resource type or {CREATE} workflow is missing).",
            f"data0002 must only add (and its downgrade only remove) {TERMINATE} and its link. "
            "If data0001 was never applied, run the lesson's cells from its %%writefile on.",
        )


def _uses_helpers() -> None:
    script = checks.scripts().get_revision("data0002")
    if "migrations.helpers" not in checks.read_text(script.path):
        raise NotYet(
            "data0002 does not use the helpers of migrations.helpers.",
            "Import them (from migrations.helpers import create_workflow, delete_workflow) and "
            "call create_workflow instead of writing SQL.",
        )


def _inspect() -> None:
    """On the rehearsal's new database at data0001: upgrade, look, run again, down, look, up."""
    upgrade("data0002")
    _data0001_intact("after `upgrade data0002`")
    found = workflow(TERMINATE)
    if not found:
        raise NotYet(
            f"after `upgrade data0002` there is no workflow called {TERMINATE}.",
            f'In upgrade(): create_workflow(conn, {{"name": "{TERMINATE}", "target": '
            '"TERMINATE", "description": "...", "product_type": "UNPT"}).',
        )
    if found[0][0] != "TERMINATE":
        raise NotYet(
            f"{TERMINATE} has the target {found[0][0]!r}; it should be 'TERMINATE'.",
            'Give "target": "TERMINATE", then run this check again.',
        )
    if TERMINATE not in product_workflows():
        raise NotYet(
            f"{TERMINATE} is not linked to the product {PRODUCT}.",
            'create_workflow links it to every product of its "product_type": give "UNPT", the '
            f"product type of {PRODUCT} (with a typo it is linked to none).",
        )
    rerun("data0002", "data0001")
    migrate("downgrade", "data0001", what="downgrade() of revision data0002")
    if TERMINATE in product_workflows():
        raise NotYet(
            f"after `downgrade data0001` {TERMINATE} is still linked to {PRODUCT}.",
            f'In downgrade(): delete_workflow(conn, "{TERMINATE}"): its links go with it.',
        )
    if workflow(TERMINATE):
        raise NotYet(
            f"after `downgrade data0001` the workflow {TERMINATE} is still there: downgrade() "
            "must undo all of upgrade().",
            f'In downgrade(): delete_workflow(conn, "{TERMINATE}").',
        )
    _data0001_intact("after `downgrade data0001`")
    upgrade("data0002")


def _tidy() -> None:
    """What data0002 left in the participant's database at data0001: the workflow
    terminate_username_registration (its link to the product goes with it, ON DELETE CASCADE)."""
    delete("DELETE FROM workflows WHERE name = :name", name=TERMINATE)


@exercise("13.1")
def terminate_workflow() -> str:
    require_product_tables()
    no_strays({SCHEMA_HEAD, "data0000", "data0001", "data0002"}, then="Then run this check again.")
    revision_file(
        "data0002",
        parent="data0001",
        hint=f'Create it first: {cli("data0002")} revision --message "Add terminate workflow" '
        "--head=data@head",
    )
    _uses_helpers()
    plan = Rehearsal(
        start="data0001",
        revision="data0002",
        tidy=_tidy,
        facts=snapshot,
        repair=lambda: run_again("data0001"),
    )
    rehearse(plan, _inspect)
    return (
        f"{TERMINATE} (TERMINATE) is linked to {PRODUCT}, a second run changes nothing, "
        "downgrade() removes exactly it, and the database is back at data0002."
    )
