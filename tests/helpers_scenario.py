"""One run of every migration helper, for the kit's helpers and orchestrator-core 5.5.0's alike.

``tests/test_orchestrator_real.py`` runs :func:`run` twice: in process with the kit's
``migrations.helpers`` on the kit's registry tables, and as a script (``python
helpers_scenario.py``) in the real orchestrator-core venv, with ``orchestrator.core.migrations.
helpers`` on a real app's database. It then compares what each step returned or whether it failed,
and every registry row after the last step, with the ids written as names. So this file imports
nothing of the kit's, or of orchestrator-core's: only SQLAlchemy, which both have.

The steps call each helper the way a migration would, including the calls that fail in 5.5.0 (a
second ``create`` of the same rows, a link that is already there, a row that does not exist), so
that the kit is shown to fail where real does, not only to work where it works. Each step runs in a
SAVEPOINT, so a failing one leaves the rows as they were, as a failed statement does.

Left out on purpose: the two ``convert_*`` helpers, which need the table
``subscription_instance_relations`` the kit does not have (the kit refuses them, and a test says
so).
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

import sqlalchemy as sa

#: Fixed ids the steps give, written the same way in both runs; any other UUID is random.
IDS = {
    "PRODUCT": "11111111-0000-4000-8000-000000000001",
    "OTHER_PRODUCT": "11111111-0000-4000-8000-000000000002",
    "BLOCK": "22222222-0000-4000-8000-000000000001",
    "GROUP_BLOCK": "22222222-0000-4000-8000-000000000002",
    "FIXED_INPUT": "33333333-0000-4000-8000-000000000001",
    "RESOURCE_TYPE": "44444444-0000-4000-8000-000000000001",
    "WORKFLOW": "55555555-0000-4000-8000-000000000001",
    "SUBSCRIPTION": "66666666-0000-4000-8000-000000000001",
    "INSTANCE": "77777777-0000-4000-8000-000000000001",
}

#: (what the step does, a Python expression over ``h`` (the helpers), ``conn``, ``sql``,
#: ``rows`` (every registry row, see :data:`DUMP`) and the ids above). Its value, made
#: comparable by :func:`comparable`, is what is compared.
STEPS: list[tuple[str, str]] = [
    ("has_table_column: a column", "h.has_table_column('workflows', 'is_task', conn)"),
    ("has_table_column: no such column", "h.has_table_column('workflows', 'nope', conn)"),
    ("has_table_column: no such table", "h.has_table_column('nope', 'name', conn)"),
    ("ensure_default_workflows before any product", "h.ensure_default_workflows(conn)"),
    (
        "create: a block with a resource, a product with a root block, a fixed input and a "
        "workflow",
        """h.create(conn, {
            "product_blocks": {"Username": {
                "product_block_id": BLOCK, "description": "Username block", "tag": "UNR",
                "status": "active", "resources": {"username": "Unique name of a user"}}},
            "products": {"Username registration": {
                "product_id": PRODUCT, "product_type": "UNPT",
                "description": "Username registration", "tag": "UNR", "status": "active",
                "root_product_block": "Username",
                "fixed_inputs": {"affiliation": ("internal", FIXED_INPUT)}}},
            "workflows": {"validate_username_registration": {
                "workflow_id": WORKFLOW, "target": "VALIDATE",
                "description": "Validate username registration", "tag": "UNR",
                "search_phrase": "Username%"}},
        })""",
    ),
    (
        "create again: the same rows",
        """h.create(conn, {
            "product_blocks": {"Username": {
                "product_block_id": BLOCK, "description": "Username block", "tag": "UNR",
                "status": "active", "resources": {"username": "Unique name of a user"}}},
        })""",
    ),
    ("get_product_id_by_name", "h.get_product_id_by_name(conn, 'Username registration')"),
    ("get_product_id_by_name: no such product", "h.get_product_id_by_name(conn, 'Nope')"),
    ("get_product_name_by_id", "h.get_product_name_by_id(conn, PRODUCT)"),
    ("get_product_by_id: its columns", "sorted(h.get_product_by_id(conn, PRODUCT))"),
    ("get_product_ids_by_product_type", "h.get_product_ids_by_product_type(conn, 'UNPT')"),
    ("get_product_block_id_by_name", "h.get_product_block_id_by_name(conn, 'Username')"),
    ("get_resource_type_id_by_name", "h.get_resource_type_id_by_name(conn, 'username')"),
    ("get_fixed_input_id_by_name", "h.get_fixed_input_id_by_name(conn, 'affiliation')"),
    (
        "create_fixed_inputs: with and without an id",
        "h.create_fixed_inputs(conn, PRODUCT, {'speed': '1G', 'colour': ('red', FIXED_INPUT)})",
    ),
    (
        "get_fixed_inputs_by_product_id",
        "sorted((r.name, r.value) for r in h.get_fixed_inputs_by_product_id(conn, PRODUCT))",
    ),
    ("get_all_active_products_and_ids", "h.get_all_active_products_and_ids(conn)"),
    ("insert_resource_type", "h.insert_resource_type(conn, 'display_name', 'Shown name')"),
    ("insert_resource_type again", "h.insert_resource_type(conn, 'display_name', 'Other')"),
    (
        "create_workflow: linked to the product type",
        """h.create_workflow(conn, {"name": "terminate_username_registration",
            "target": "TERMINATE", "description": "Terminate username registration",
            "product_type": "UNPT"})""",
    ),
    (
        "create_workflow: already there, with another product type",
        """h.create_workflow(conn, {"name": "terminate_username_registration",
            "target": "TERMINATE", "description": "Other", "product_type": "OTHER"})""",
    ),
    (
        "create_workflow: a tag that matches no product",
        """h.create_workflow(conn, {"name": "modify_username", "target": "MODIFY",
            "description": "Modify username", "product_type": "UNPT", "product_tag": "NOPE",
            "is_task": False})""",
    ),
    (
        "create_workflow: no product_type",
        """h.create_workflow(conn, {"name": "w", "target": "CREATE", "description": "d"})""",
    ),
    ("create_task", "h.create_task(conn, {'name': 'task_x', 'description': 'A task'})"),
    ("create_task again", "h.create_task(conn, {'name': 'task_x', 'description': 'Other'})"),
    (
        "add_products_to_workflow_by_product_tag",
        "h.add_products_to_workflow_by_product_tag(conn, 'modify_username', 'UNR')",
    ),
    (
        "add_products_to_workflow_by_product_tag again",
        "h.add_products_to_workflow_by_product_tag(conn, 'modify_username', 'UNR')",
    ),
    (
        "remove_products_from_workflow_by_product_tag: no name matches",
        "h.remove_products_from_workflow_by_product_tag(conn, 'modify_username', 'UNR', 'X%')",
    ),
    (
        "remove_products_from_workflow_by_product_tag",
        "h.remove_products_from_workflow_by_product_tag(conn, 'modify_username', 'UNR')",
    ),
    (
        "create_workflows: a workflow that is there",
        """h.create_workflows(conn, {"validate_username_registration": {
            "workflow_id": OTHER_PRODUCT, "target": "VALIDATE", "description": "d",
            "tag": "UNR", "search_phrase": "%"}})""",
    ),
    (
        "create_product_blocks: a block that uses another",
        """h.create_product_blocks(conn, {"Group": {
            "product_block_id": GROUP_BLOCK, "description": "Group block", "tag": "GRP",
            "status": "active", "in_use_by_block_relations": ["Username"],
            "resource_types": {"group_name": ("Name of the group", RESOURCE_TYPE)}}})""",
    ),
    (
        "add_product_block_relation_between_products_by_id: already there",
        "h.add_product_block_relation_between_products_by_id(conn, BLOCK, GROUP_BLOCK)",
    ),
    (
        "remove_product_block_relation_between_products_by_id",
        "h.remove_product_block_relation_between_products_by_id(conn, BLOCK, GROUP_BLOCK)",
    ),
    (
        "add_product_block_relation_between_products_by_id",
        "h.add_product_block_relation_between_products_by_id(conn, GROUP_BLOCK, BLOCK)",
    ),
    (
        "create_resource_types_for_product_blocks",
        """h.create_resource_types_for_product_blocks(conn, {"Username": {
            "display_name": "Again", "age": "Age of the user"}})""",
    ),
    (
        "create_resource_types_for_product_blocks: a link that is there",
        """h.create_resource_types_for_product_blocks(conn, {"Username": {"age": "Age"}})""",
    ),
    (
        "delete_resource_types_from_product_blocks",
        """h.delete_resource_types_from_product_blocks(conn, {"Username": {"age": "Age"}})""",
    ),
    ("delete_resource_types", "h.delete_resource_types(conn, ['age'])"),
    (
        "create_products: a product with a block",
        """h.create_products(conn, {"Other product": {
            "product_id": OTHER_PRODUCT, "product_type": "OTHER", "description": "Other",
            "tag": "OTH", "status": "active", "product_block_ids": [GROUP_BLOCK],
            "fixed_inputs": {"speed": "10G"}}})""",
    ),
    ("ensure_default_workflows", "h.ensure_default_workflows(conn)"),
    (
        "get_fixed_input_id_by_name: two products have one",
        "h.get_fixed_input_id_by_name(conn, 'speed')",
    ),
    ("every registry row, midway", "rows()"),
    (
        "a subscription of the product, with an instance of its block",
        """(sql('''INSERT INTO subscriptions (subscription_id, description, status, product_id,
                   customer_id, insync) VALUES (:s, 'Sub', 'active', :p, 'c1', true)''',
               s=SUBSCRIPTION, p=PRODUCT)
           or sql('''INSERT INTO subscription_instances (subscription_instance_id,
                   subscription_id, product_block_id) VALUES (:i, :s, :b)''',
               i=INSTANCE, s=SUBSCRIPTION, b=BLOCK))""",
    ),
    (
        "backfill_resource_type_with_default",
        "h.backfill_resource_type_with_default(conn, "
        "h.get_resource_type_id_by_name(conn, 'display_name'), 'Username', 'anonymous')",
    ),
    ("the value it gave", "rows()['subscription_instance_values']"),
    ("delete_product: one in use", "h.delete_product(conn, 'Username registration')"),
    ("delete_resource_type: one in use", "h.delete_resource_type(conn, 'display_name')"),
    (
        "remove_resource_type_from_subscription_instance",
        "h.remove_resource_type_from_subscription_instance(conn, 'display_name')",
    ),
    (
        "remove_resource_type_from_subscription_instance: no such type",
        "h.remove_resource_type_from_subscription_instance(conn, 'nope')",
    ),
    ("the subscription ends", "sql('DELETE FROM subscriptions')"),
    ("delete_resource_type_by_id", "h.delete_resource_type_by_id(conn, RESOURCE_TYPE)"),
    ("delete_products_by_tag (by name)", "h.delete_products_by_tag(conn, 'Other product')"),
    (
        "delete",
        """h.delete(conn, {"resource_types": ["username"], "product_blocks": ["Username"],
            "products": ["Username registration"],
            "workflows": ["validate_username_registration"]})""",
    ),
    ("delete_product_block", "h.delete_product_block(conn, 'Group')"),
    ("delete_resource_type", "h.delete_resource_type(conn, 'display_name')"),
    ("delete_workflow", "h.delete_workflow(conn, 'terminate_username_registration')"),
    ("delete_product: no such product", "h.delete_product(conn, 'Nope')"),
]

#: The registry's link tables, each row as the names it links.
LINKS = {
    "product_product_blocks": "SELECT p.name, b.name FROM product_product_blocks "
    "JOIN products p USING (product_id) JOIN product_blocks b USING (product_block_id)",
    "product_block_resource_types": "SELECT b.name, r.resource_type "
    "FROM product_block_resource_types JOIN product_blocks b USING (product_block_id) "
    "JOIN resource_types r USING (resource_type_id)",
    "product_block_relations": "SELECT u.name, d.name, r.min, r.max "
    "FROM product_block_relations r "
    "JOIN product_blocks u ON u.product_block_id = r.in_use_by_id "
    "JOIN product_blocks d ON d.product_block_id = r.depends_on_id",
}
LINKS_TO_WORKFLOWS = (
    "SELECT p.name, w.name FROM products_workflows "
    "JOIN products p USING (product_id) JOIN workflows w USING (workflow_id)"
)

#: Every registry row, with ids as names (or as the fixed id they were given).
DUMP = {
    "products": "SELECT product_id::text, name, description, product_type, tag, status, "
    "end_date IS NULL FROM products",
    "product_blocks": "SELECT product_block_id::text, name, description, tag, status, "
    "end_date IS NULL FROM product_blocks",
    "resource_types": "SELECT resource_type_id::text, resource_type, description "
    "FROM resource_types",
    "fixed_inputs": "SELECT f.fixed_input_id::text, p.name, f.name, f.value "
    "FROM fixed_inputs f JOIN products p USING (product_id)",
    **LINKS,
    "workflows": "SELECT workflow_id::text, name, target, description, is_task, "
    "deleted_at IS NULL FROM workflows",
    "products_workflows": LINKS_TO_WORKFLOWS,
    "subscription_instance_values": "SELECT i.subscription_instance_id::text, r.resource_type, "
    "v.value FROM subscription_instance_values v JOIN subscription_instances i "
    "USING (subscription_instance_id) JOIN resource_types r USING (resource_type_id)",
}

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def comparable(value: Any) -> Any:
    """``value`` as JSON data, each random UUID written as ``<uuid>`` (a fixed one stays)."""
    text = json.dumps(value, default=str, sort_keys=True)
    fixed = set(IDS.values())
    return json.loads(_UUID.sub(lambda m: m[0] if m[0] in fixed else "<uuid>", text))


def run(helpers: Any, conn: sa.Connection) -> dict[str, Any]:
    """Every step in order, each in a SAVEPOINT; then every registry row. Nothing is committed.

    Returns ``{"steps": [[what, "ok", value] or [what, "failed", exception class]], "rows":
    {table: sorted rows}}``. A failure's class is kept for the report; whether it failed is
    what is compared.
    """

    def sql(text: str, **params: Any) -> None:
        conn.execute(sa.text(text), params)

    def rows() -> dict[str, list]:
        return {
            table: sorted(comparable([list(row) for row in conn.execute(sa.text(query))]))
            for table, query in DUMP.items()
        }

    names = {"h": helpers, "conn": conn, "sql": sql, "rows": rows, **IDS}
    steps = []
    for what, expression in STEPS:
        savepoint = conn.begin_nested()
        try:
            value = eval(expression, names)  # noqa: S307 - this file's own expressions
        except Exception as error:  # noqa: BLE001 - a failure is a result to compare
            savepoint.rollback()
            steps.append([what, "failed", type(error).__name__])
        else:
            savepoint.commit()
            steps.append([what, "ok", comparable(value)])
    return {"steps": steps, "rows": rows()}


if __name__ == "__main__":
    # In the real app: its own helpers, on its own database (orchestrator's DATABASE_URI).
    from orchestrator.core.migrations import helpers as real_helpers

    engine = sa.create_engine(os.environ["DATABASE_URI"], poolclass=sa.NullPool)
    with engine.connect() as connection:
        result = run(real_helpers, connection)
        connection.rollback()
    sys.stdout.write("\nSCENARIO " + json.dumps(result) + "\n")
