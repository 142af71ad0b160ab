"""orchestrator-core 5.5.0's migration helpers, for the kit: same names, same signatures, same rows.

In a real orchestrator-core app, ``python main.py db init`` writes ``migrations/helpers.py``, which
re-exports ``orchestrator.core.migrations.helpers`` and leaves room for the app's own helpers. Data
migrations import from it::

    from migrations.helpers import create_workflow, delete_workflow

The kit's ``migrations/helpers.py`` does the same with this module, so that the import line, the
calls and what they do are the same in both places, and a participant's migration moves to a real
app unchanged. It cannot re-export the real module: the kit does not depend on orchestrator-core
(its pins clash with the kit's). ``tests/test_orchestrator_real.py`` checks, against a real
orchestrator-core 5.5.0, that the public functions here have the same names and signatures and
change the same rows.

What "the same" means here, helper by helper:

* **The same rows.** Each function inserts, links and deletes the rows that 5.5.0's inserts, links
  and deletes, with the same ``ON CONFLICT DO NOTHING`` where 5.5.0 has one, and none where it has
  none. So what fails in a real app fails here too: 5.5.0's ``create_products`` inserts its link
  rows without ``ON CONFLICT``, so running it twice fails with a unique violation, here as there.
* **Where 5.5.0 itself always fails,** the kit raises :class:`HelperError` and says why, instead of
  pretending it works: ``delete_resource_types`` (psycopg 3 cannot pass its tuple as an array),
  ``ensure_default_workflows`` when there is nothing to link (it inserts an empty row), and the two
  ``convert_*`` helpers, whose ``subscription_instance_relations`` table the kit does not have.
* **Clearer mistakes.** A name that is not in the table raises :class:`MissingRow` (an
  :class:`IndexError`, as 5.5.0's ``[...][0]`` raises) naming it; a dict without a key the helper
  needs raises :class:`HelperError` naming the key, where 5.5.0 says "A value is required for bind
  parameter".
* **Portable statements.** 5.5.0 writes PostgreSQL's SQL by hand (``= ANY(:list)``, ``WITH ...
  RETURNING``). The kit builds the same statements with SQLAlchemy Core on
  :mod:`workshop.orchestrator.schema`, so that they also run on SQLite, where the kit makes the
  UUIDs in Python (SQLite has no ``gen_random_uuid()``).

The kit's own helpers, which find every row by name and are idempotent, stay in
:mod:`workshop.orchestrator.product_helpers`: they are kit-only, and a migration that imports
them does not run in a real app.

This module has no ``from __future__ import annotations`` on purpose: its signatures must print
exactly as 5.5.0's do (``inspect.signature``), which string annotations would not.
"""

import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from workshop.errors import WorkshopError
from workshop.orchestrator import schema

__all__ = [
    "add_product_block_relation_between_products_by_id",
    "add_products_to_workflow_by_product_tag",
    "backfill_resource_type_with_default",
    "convert_instance_relations_to_resource_type_relations_by_domain_model_attr",
    "convert_resource_type_relations_to_instance_relations",
    "create",
    "create_fixed_inputs",
    "create_product_blocks",
    "create_products",
    "create_resource_types_for_product_blocks",
    "create_task",
    "create_workflow",
    "create_workflows",
    "delete",
    "delete_product",
    "delete_product_block",
    "delete_products_by_tag",
    "delete_resource_type",
    "delete_resource_type_by_id",
    "delete_resource_types",
    "delete_resource_types_from_product_blocks",
    "delete_workflow",
    "ensure_default_workflows",
    "get_all_active_products_and_ids",
    "get_fixed_input_id_by_name",
    "get_fixed_inputs_by_product_id",
    "get_product_block_id_by_name",
    "get_product_by_id",
    "get_product_id_by_name",
    "get_product_ids_by_product_type",
    "get_product_name_by_id",
    "get_resource_type_id_by_name",
    "has_table_column",
    "insert_resource_type",
    "remove_product_block_relation_between_products_by_id",
    "remove_products_from_workflow_by_product_tag",
    "remove_resource_type_from_subscription_instance",
]

logger = logging.getLogger(__name__)

#: The workflows every product gets from :func:`ensure_default_workflows` (and so from
#: :func:`create`): orchestrator-core's setting ``DEFAULT_PRODUCT_WORKFLOWS``, whose default is
#: this. orchestrator-core expects every active product to have ``modify_note``: its task
#: ``task_validate_products`` fails on a product without it.
DEFAULT_PRODUCT_WORKFLOWS = ["modify_note"]


class HelperError(WorkshopError):
    """A helper cannot do what was asked; the message says why and what to do instead."""


class MissingRow(HelperError, IndexError):
    """A name or id that is not in its table.

    Also an :class:`IndexError`, which is what orchestrator-core's helpers raise for it
    (``[...][0]`` of an empty result), so code written against them catches it the same way.
    """


# --- building blocks -----------------------------------------------------------------------


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    """The dialect's ``INSERT`` (PostgreSQL's or SQLite's), which has ``on_conflict_do_nothing``."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the kit supports only these two
        raise HelperError(f"The migration helpers do not support {conn.dialect.name}.")
    return insert(table)


def _with_new_id(conn: sa.Connection, values: dict, id_column: str) -> dict:
    """On SQLite, which has no UUID default, a new id; PostgreSQL makes its own."""
    if conn.dialect.name != "postgresql" and values.get(id_column) is None:
        return {id_column: uuid.uuid4(), **values}
    return values


def _as_uuid(value: UUID | str) -> UUID:
    """A UUID from a UUID or its text (orchestrator-core's ``UUIDstr``)."""
    return value if isinstance(value, UUID) else UUID(str(value))


def _needs(helper: str, given: dict, *keys: str) -> None:
    """Say which key of a dict argument is missing, before any statement runs."""
    missing = [key for key in keys if key not in given]
    if missing:
        raise HelperError(
            f"{helper}: the dict has no {', '.join(repr(key) for key in missing)}.",
            fix=f"Give it {', '.join(repr(key) for key in keys)} (see help({helper})).",
        )


def _only(conn: sa.Connection, statement: sa.Select, what: str) -> Any:
    """The first value of ``statement``; :class:`MissingRow` naming ``what`` when there is none."""
    found = conn.execute(statement).scalars().first()
    if found is None:
        raise MissingRow(
            f"There is no {what}.",
            fix="Create it first, or check the spelling: names are case-sensitive.",
        )
    return found


def _product_block_ids(names: Iterable[str]) -> sa.Select:
    return sa.select(schema.product_blocks.c.product_block_id).where(
        schema.product_blocks.c.name.in_(list(names))
    )


# --- looking rows up -----------------------------------------------------------------------


def has_table_column(table_name: str, column_name: str, conn: sa.engine.Connection) -> bool:
    """Whether ``table_name`` has a column ``column_name`` (False when there is no such table)."""
    inspector = sa.inspect(conn)
    if not inspector.has_table(table_name):
        return False
    return any(column["name"] == column_name for column in inspector.get_columns(table_name))


def get_resource_type_id_by_name(conn: sa.engine.Connection, name: str) -> UUID:
    """The id of the resource type ``name``; :class:`MissingRow` when there is none."""
    table = schema.resource_types
    statement = sa.select(table.c.resource_type_id).where(table.c.resource_type == name)
    return _only(conn, statement, f"resource type {name!r}")


def get_fixed_input_id_by_name(conn: sa.engine.Connection, name: str) -> UUID:
    """The id of a fixed input called ``name``, of whichever product has one (as in 5.5.0)."""
    table = schema.fixed_inputs
    statement = sa.select(table.c.fixed_input_id).where(table.c.name == name)
    return _only(conn, statement, f"fixed input {name!r}")


def get_product_block_id_by_name(conn: sa.engine.Connection, name: str) -> UUID:
    """The id of the product block ``name``; :class:`MissingRow` when there is none."""
    table = schema.product_blocks
    statement = sa.select(table.c.product_block_id).where(table.c.name == name)
    return _only(conn, statement, f"product block {name!r}")


def get_product_id_by_name(conn: sa.engine.Connection, name: str) -> UUID:
    """The id of the product ``name``; :class:`MissingRow` when there is none."""
    table = schema.products
    statement = sa.select(table.c.product_id).where(table.c.name == name)
    return _only(conn, statement, f"product {name!r}")


def get_product_name_by_id(conn: sa.engine.Connection, id: UUID | str) -> str:
    """The name of the product with id ``id``; :class:`MissingRow` when there is none."""
    table = schema.products
    statement = sa.select(table.c.name).where(table.c.product_id == _as_uuid(id))
    return _only(conn, statement, f"product with id {id}")


def get_product_by_id(conn: sa.engine.Connection, id: UUID | str) -> dict:
    """Every column of the product with id ``id``, as a dict (exactly one must exist)."""
    table = schema.products
    statement = sa.select(table).where(table.c.product_id == _as_uuid(id))
    return dict(conn.execute(statement).mappings().one())


def get_product_ids_by_product_type(conn: sa.engine.Connection, product_type: str) -> list[UUID]:
    """The ids of every product of ``product_type``."""
    table = schema.products
    statement = sa.select(table.c.product_id).where(table.c.product_type == product_type)
    return list(conn.execute(statement).scalars())


def get_fixed_inputs_by_product_id(conn: sa.engine.Connection, id: UUID | str) -> Sequence:
    """The fixed-input rows (every column) of the product with id ``id``."""
    table = schema.fixed_inputs
    return conn.execute(sa.select(table).where(table.c.product_id == _as_uuid(id))).fetchall()


def get_all_active_products_and_ids(conn: sa.engine.Connection) -> list[dict[str, UUID | str]]:
    """``[{"product_id": ..., "name": ...}, ...]`` of the products whose status is active."""
    table = schema.products
    rows = conn.execute(
        sa.select(table.c.product_id, table.c.name).where(table.c.status == "active")
    )
    return [{"product_id": product_id, "name": name} for product_id, name in rows]


# --- resource types ------------------------------------------------------------------------


def insert_resource_type(conn: sa.engine.Connection, resource_type: str, description: str) -> None:
    """Register a resource type, unless one of that name is there (then nothing changes)."""
    values = _with_new_id(
        conn, {"resource_type": resource_type, "description": description}, "resource_type_id"
    )
    conn.execute(_insert(conn, schema.resource_types).values(values).on_conflict_do_nothing())


# --- workflows -----------------------------------------------------------------------------


def ensure_default_workflows(conn: sa.engine.Connection) -> None:
    """Link every product to each workflow of :data:`DEFAULT_PRODUCT_WORKFLOWS` (``modify_note``).

    orchestrator-core 5.5.0's successor of ``create_missing_modify_note_workflows(conn)``: call it
    after creating products, because orchestrator-core's validation task fails on an active
    product without ``modify_note``. Links already there are kept (``ON CONFLICT DO NOTHING``).
    Every product, whatever its status, as in 5.5.0 (its docstring says "active").

    With no product (or no such workflow) 5.5.0 fails, inserting one empty row: so does this.
    """
    products = conn.execute(sa.select(schema.products.c.product_id)).scalars().all()
    workflows = (
        conn.execute(
            sa.select(schema.workflows.c.workflow_id).where(
                schema.workflows.c.name.in_(DEFAULT_PRODUCT_WORKFLOWS)
            )
        )
        .scalars()
        .all()
    )
    if not products or not workflows:
        raise HelperError(
            "ensure_default_workflows: there is "
            + ("no product" if not products else f"no workflow named {DEFAULT_PRODUCT_WORKFLOWS}")
            + " to link, and orchestrator-core 5.5.0's ensure_default_workflows then fails (it "
            "inserts an empty row: NOT NULL violation on products_workflows.product_id).",
            fix="Call it after the products are created, in the same upgrade().",
        )
    rows = [
        {"product_id": product_id, "workflow_id": workflow_id}
        for product_id in products
        for workflow_id in workflows
    ]
    conn.execute(_insert(conn, schema.products_workflows).values(rows).on_conflict_do_nothing())


def _link_new_workflow(conn: sa.Connection, workflow_id: UUID, where: Any) -> None:
    """``INSERT INTO products_workflows SELECT <products WHERE where>, workflow_id``."""
    products = schema.products
    select = sa.select(
        products.c.product_id, sa.literal(workflow_id, sa.Uuid).label("workflow_id")
    ).where(where)
    insert = _insert(conn, schema.products_workflows).from_select(
        ["product_id", "workflow_id"], select
    )
    conn.execute(insert.on_conflict_do_nothing())


def create_workflow(conn: sa.engine.Connection, workflow: dict) -> None:
    """Register a workflow and link it to every product of a product type.

    ``workflow``: ``name``, ``target`` (CREATE, MODIFY, TERMINATE, VALIDATE, RECONCILE or
    SYSTEM), ``description`` and ``product_type`` are needed; ``is_task`` (default False) and
    ``product_tag`` (link only the products of that type with this tag) may be given::

        create_workflow(conn, {
            "name": "terminate_username_registration",
            "target": "TERMINATE",
            "description": "Terminate username registration",
            "product_type": "UNPT",
        })

    When a workflow of that name is already there, nothing happens at all: it is not linked
    either (5.5.0 links only the workflow its ``INSERT`` made). Inverse: ``delete_workflow(conn,
    name)``, which also deletes its links.
    """
    _needs("create_workflow", workflow, "name", "target", "description", "product_type")
    params = workflow.copy()
    params.setdefault("is_task", False)
    params.setdefault("product_tag", None)
    columns = {key: params[key] for key in ("name", "target", "is_task", "description")}
    if not has_table_column("workflows", "is_task", conn):
        del columns["is_task"]
    values = _with_new_id(conn, columns, "workflow_id")
    inserted = conn.execute(
        _insert(conn, schema.workflows)
        .values(values)
        .on_conflict_do_nothing()
        .returning(schema.workflows.c.workflow_id)
    ).scalar_one_or_none()
    if inserted is None:
        return
    where = schema.products.c.product_type == params["product_type"]
    if params["product_tag"] is not None:
        where = sa.and_(where, schema.products.c.tag == params["product_tag"])
    _link_new_workflow(conn, inserted, where)


def create_task(conn: sa.engine.Connection, task: dict) -> None:
    """Register a task: a SYSTEM workflow with ``is_task`` true (``task``: name, description).

    Kept when one of that name is there. Inverse: ``delete_workflow(conn, name)``.
    """
    _needs("create_task", task, "name", "description")
    values = {"name": task["name"], "target": "SYSTEM", "description": task["description"]}
    if has_table_column("workflows", "is_task", conn):
        values["is_task"] = True
    values = _with_new_id(conn, values, "workflow_id")
    conn.execute(_insert(conn, schema.workflows).values(values).on_conflict_do_nothing())


def create_workflows(conn: sa.engine.Connection, new: dict) -> None:
    """Register workflows with fixed ids, each linked to the products of a tag and a name pattern.

    ``new``: ``{name: {"workflow_id", "target", "description", "tag", "search_phrase",
    "is_task" (optional)}}``. Each is linked to the products with that ``tag`` whose name is
    ``LIKE search_phrase``. No ``ON CONFLICT``: a workflow that is already there fails (unique
    violation), as in 5.5.0. Like 5.5.0, it adds ``name`` (and ``is_task``) to each dict.
    """
    for name, workflow in new.items():
        workflow["name"] = name
        if not workflow.get("is_task", False):
            workflow["is_task"] = False
        _needs(
            "create_workflows", workflow, "workflow_id", "target", "description", "tag",
            "search_phrase",
        )  # fmt: skip
        columns = {
            "workflow_id": _as_uuid(workflow["workflow_id"]),
            "name": name,
            "target": workflow["target"],
            "description": workflow["description"],
        }
        if has_table_column("workflows", "is_task", conn):
            columns["is_task"] = workflow["is_task"]
        conn.execute(sa.insert(schema.workflows).values(columns))
        products = schema.products
        select = sa.select(
            products.c.product_id, sa.literal(columns["workflow_id"], sa.Uuid)
        ).where(products.c.tag == workflow["tag"], products.c.name.like(workflow["search_phrase"]))
        conn.execute(
            sa.insert(schema.products_workflows).from_select(["product_id", "workflow_id"], select)
        )


def add_products_to_workflow_by_product_tag(
    conn: sa.engine.Connection, workflow_name: str, product_tag: str, product_name_like: str = "%%"
) -> None:
    """Link the workflow ``workflow_name`` to every product with ``product_tag`` (and a name
    ``LIKE product_name_like``). No ``ON CONFLICT``: a link already there fails, as in 5.5.0.

    Inverse: ``remove_products_from_workflow_by_product_tag`` with the same arguments.
    """
    products, workflows = schema.products, schema.workflows
    select = (
        sa.select(products.c.product_id, workflows.c.workflow_id)
        .select_from(products.join(workflows, sa.true()))
        .where(
            workflows.c.name == workflow_name,
            products.c.tag == product_tag,
            products.c.name.like(product_name_like),
        )
    )
    conn.execute(
        sa.insert(schema.products_workflows).from_select(["product_id", "workflow_id"], select)
    )


def remove_products_from_workflow_by_product_tag(
    conn: sa.engine.Connection, workflow_name: str, product_tag: str, product_name_like: str = "%%"
) -> None:
    """Unlink the workflow ``workflow_name`` from the products with ``product_tag`` (and a name
    ``LIKE product_name_like``). The workflow and the products stay."""
    products, workflows, links = schema.products, schema.workflows, schema.products_workflows
    conn.execute(
        sa.delete(links).where(
            links.c.workflow_id
            == sa.select(workflows.c.workflow_id)
            .where(workflows.c.name == workflow_name)
            .scalar_subquery(),
            links.c.product_id.in_(
                sa.select(products.c.product_id).where(
                    products.c.tag == product_tag, products.c.name.like(product_name_like)
                )
            ),
        )
    )


# --- products, blocks, resource types and fixed inputs -------------------------------------


def create_fixed_inputs(
    conn: sa.engine.Connection, product_id: UUID | str, new: dict
) -> dict[str, str]:
    """Give the product ``product_id`` fixed inputs: ``{name: value}`` or ``{name: (value, id)}``.

    Each is kept when the product already has one of that name (``ON CONFLICT DO NOTHING``).
    Returns ``{name: id}``; for a fixed input given without an id, the id of *a* fixed input of
    that name, of whichever product (5.5.0 looks it up by name alone).
    """
    ids: dict[str, str] = {}
    for name, given in new.items():
        values: dict[str, Any] = {"name": name, "product_id": _as_uuid(product_id)}
        if isinstance(given, tuple):
            value, fixed_input_id = given
            values.update(value=value, fixed_input_id=_as_uuid(fixed_input_id))
            ids[name] = fixed_input_id
        else:
            values.update(value=given)
        values = _with_new_id(conn, values, "fixed_input_id")
        conn.execute(_insert(conn, schema.fixed_inputs).values(values).on_conflict_do_nothing())
        if not isinstance(given, tuple):
            ids[name] = get_fixed_input_id_by_name(conn, name)
    return ids


def create_products(conn: sa.engine.Connection, new: dict) -> dict[str, str]:
    """Register products with fixed ids: ``{name: {"product_id", "product_type", "description",
    "tag", "status", "product_block_ids" (optional), "fixed_inputs" (optional)}}``.

    A product already there (by name) is kept; its blocks are then linked with the id given here.
    The links to ``product_block_ids`` have no ``ON CONFLICT``, as in 5.5.0: running it twice
    fails with a unique violation on ``product_product_blocks``. Returns ``{name: product_id}``.
    Like 5.5.0, it adds ``name`` to each dict.
    """
    ids: dict[str, str] = {}
    for name, product in new.items():
        product["name"] = name
        _needs(
            "create_products", product, "product_id", "description", "product_type", "tag",
            "status",
        )  # fmt: skip
        product_id = product["product_id"]
        ids[name] = product_id
        values = {
            "product_id": _as_uuid(product_id),
            **{key: product[key] for key in ("name", "description", "product_type", "tag")},
            "status": product["status"],
        }
        conn.execute(_insert(conn, schema.products).values(values).on_conflict_do_nothing())
        for product_block_id in product.get("product_block_ids", []):
            conn.execute(
                sa.insert(schema.product_product_blocks).values(
                    product_id=_as_uuid(product_id), product_block_id=_as_uuid(product_block_id)
                )
            )
        if "fixed_inputs" in product:
            create_fixed_inputs(conn, product_id, product["fixed_inputs"])
    return ids


def create_product_blocks(conn: sa.engine.Connection, new: dict) -> dict[str, str]:
    """Register product blocks with fixed ids: ``{name: {"product_block_id", "description",
    "tag", "status", "resource_types" (optional), "in_use_by_block_relations" (optional),
    "depends_on_block_relations" (optional)}}``.

    A block already there (by name) is kept. ``resource_types`` (``{resource_type: description}``)
    are made and linked by :func:`create_resource_types_for_product_blocks`; the two relation
    lists name other blocks that use this one, or that this one uses. Returns ``{name: id}``.
    Like 5.5.0, it adds ``name`` to each dict.
    """
    ids: dict[str, str] = {}
    for name, block in new.items():
        block["name"] = name
        _needs("create_product_blocks", block, "product_block_id", "description", "tag", "status")
        ids[name] = block["product_block_id"]
        values = {
            "product_block_id": _as_uuid(block["product_block_id"]),
            **{key: block[key] for key in ("name", "description", "tag", "status")},
        }
        conn.execute(_insert(conn, schema.product_blocks).values(values).on_conflict_do_nothing())
        if "resource_types" in block:
            create_resource_types_for_product_blocks(conn, {name: block["resource_types"]})
        for user in block.get("in_use_by_block_relations", []):
            add_product_block_relation_between_products_by_id(
                conn, str(get_product_block_id_by_name(conn, user)), str(block["product_block_id"])
            )
        for used in block.get("depends_on_block_relations", []):
            add_product_block_relation_between_products_by_id(
                conn, str(block["product_block_id"]), str(get_product_block_id_by_name(conn, used))
            )
    return ids


def create_resource_types_for_product_blocks(conn: sa.engine.Connection, new: dict) -> list[UUID]:
    """Register resource types and link them to blocks by name: ``{block: {resource_type:
    description}}`` or ``{block: {resource_type: (description, id)}}``.

    A resource type already there is kept, and still linked. The links have no ``ON CONFLICT``,
    as in 5.5.0: a link already there fails (unique violation). Returns the resource types' ids,
    in the order given.
    """
    ids: list[UUID] = []
    for resource_types in new.values():
        for resource_type, given in resource_types.items():
            values: dict[str, Any] = {"resource_type": resource_type}
            if isinstance(given, tuple):
                description, resource_type_id = given
                values.update(description=description, resource_type_id=_as_uuid(resource_type_id))
            else:
                values.update(description=given)
            values = _with_new_id(conn, values, "resource_type_id")
            conn.execute(
                _insert(conn, schema.resource_types).values(values).on_conflict_do_nothing()
            )
            ids.append(get_resource_type_id_by_name(conn, resource_type))
    blocks, types = schema.product_blocks, schema.resource_types
    for block, resource_types in new.items():
        select = (
            sa.select(blocks.c.product_block_id, types.c.resource_type_id)
            .select_from(blocks.join(types, sa.true()))
            .where(blocks.c.name == block, types.c.resource_type.in_(list(resource_types)))
        )
        conn.execute(
            sa.insert(schema.product_block_resource_types).from_select(
                ["product_block_id", "resource_type_id"], select
            )
        )
    return ids


def create(conn: sa.engine.Connection, new: dict) -> None:  # noqa: C901 - as 5.5.0's
    """Register products, product blocks, resource types and workflows from one dict, then link
    every product to the default workflows (:func:`ensure_default_workflows`: ``modify_note``).

    ``new`` may hold, each optional:

    * ``"product_blocks"``: as :func:`create_product_blocks`; a block's ``"resources"``
      (``{resource_type: description}``) are made and linked to it;
    * ``"products"``: as :func:`create_products`; a product names its blocks with
      ``"root_product_block"`` (one name) or ``"product_blocks"`` (a list of names);
    * ``"resources"``: ``{existing block: {resource_type: description}}``;
    * ``"workflows"``: as :func:`create_workflows`.

    Products and blocks need their ids (``"product_id"``, ``"product_block_id"``): write a UUID
    into the migration once (``python -c "import uuid; print(uuid.uuid4())"``). Not repeatable:
    the link rows have no ``ON CONFLICT``, so a second run fails, as in 5.5.0. Inverse:
    :func:`delete` with the same names.
    """
    resources = new.get("resources", {})
    block_ids: dict[str, str] = {}

    if "product_blocks" in new:
        for block_name, block in new["product_blocks"].items():
            if "resources" in block:
                resources.update({block_name: block["resources"]})
                del block["resources"]
        block_ids = create_product_blocks(conn, new["product_blocks"])

    def block_id(name: str) -> str:
        if found := block_ids.get(name):
            return found
        try:
            return str(get_product_block_id_by_name(conn, name))
        except Exception as error:
            raise ValueError(f"{name} is not a valid product block.") from error

    if "products" in new:
        for product in new["products"].values():
            given = product.get("product_block_ids", [])
            if root := product.get("root_product_block"):
                root_id = block_id(root)
                if given and given != [root_id]:
                    logger.warning(
                        "Overriding hardcoded product_block_ids with root product block id"
                    )
                product["product_block_ids"] = [root_id]
                continue
            if "product_blocks" in product:
                product.setdefault("product_block_ids", [])
                for name in product["product_blocks"]:
                    product["product_block_ids"].append(block_id(name))
                del product["product_blocks"]
        create_products(conn, new["products"])

    if resources:
        create_resource_types_for_product_blocks(conn, resources)

    if "workflows" in new:
        create_workflows(conn, new["workflows"])

    ensure_default_workflows(conn)


# --- block relations -----------------------------------------------------------------------


def add_product_block_relation_between_products_by_id(
    conn: sa.engine.Connection, in_use_by_id: UUID | str, depends_on_id: UUID | str
) -> None:
    """Record that block ``in_use_by_id`` uses block ``depends_on_id`` (``min``/``max`` NULL).

    No ``ON CONFLICT``: a relation already there fails, as in 5.5.0. Inverse:
    ``remove_product_block_relation_between_products_by_id`` with the same ids.
    """
    conn.execute(
        sa.insert(schema.product_block_relations).values(
            in_use_by_id=_as_uuid(in_use_by_id), depends_on_id=_as_uuid(depends_on_id)
        )
    )


def remove_product_block_relation_between_products_by_id(
    conn: sa.engine.Connection, in_use_by_id: UUID | str, depends_on_id: UUID | str
) -> None:
    """Forget that block ``in_use_by_id`` uses block ``depends_on_id``."""
    table = schema.product_block_relations
    conn.execute(
        sa.delete(table).where(
            table.c.in_use_by_id == _as_uuid(in_use_by_id),
            table.c.depends_on_id == _as_uuid(depends_on_id),
        )
    )


# --- deleting ------------------------------------------------------------------------------


def delete_resource_type_by_id(conn: sa.engine.Connection, id: UUID | str) -> None:
    """Delete the resource type with id ``id`` (its links to blocks go with it: cascade)."""
    table = schema.resource_types
    conn.execute(sa.delete(table).where(table.c.resource_type_id == _as_uuid(id)))


def delete_resource_types_from_product_blocks(conn: sa.engine.Connection, delete: dict) -> None:
    """Unlink resource types from blocks: ``{block: {resource_type: description, ...}}`` (only
    the names count). The resource types themselves stay."""
    links, types = schema.product_block_resource_types, schema.resource_types
    for block, resource_types in delete.items():
        conn.execute(
            sa.delete(links).where(
                links.c.product_block_id
                == sa.select(schema.product_blocks.c.product_block_id)
                .where(schema.product_blocks.c.name == block)
                .scalar_subquery(),
                links.c.resource_type_id.in_(
                    sa.select(types.c.resource_type_id).where(
                        types.c.resource_type.in_(list(resource_types))
                    )
                ),
            )
        )


def delete_resource_types(conn: sa.engine.Connection, delete: Iterable) -> None:
    """Would delete resource types and their links, but 5.5.0's fails on every call.

    orchestrator-core 5.5.0 passes the names as a tuple, which psycopg 3 cannot turn into the
    array its ``= ANY(:obsolete)`` needs ("malformed array literal"). So the kit refuses it too,
    saying what does work, rather than letting a migration pass here that fails in a real app.
    """
    names = list(delete)
    raise HelperError(
        f"delete_resource_types({names!r}) fails in orchestrator-core 5.5.0 (DataError: "
        "malformed array literal): it passes the names as a tuple, which psycopg 3 cannot send "
        "as an array.",
        fix="Call delete_resource_type(conn, name) for each name: it deletes the resource type "
        "and its links to blocks.",
    )


def delete_products_by_tag(conn: sa.engine.Connection, name: str) -> None:
    """Delete the product called ``name``: despite its name, 5.5.0's matches the product's name,
    not its tag. Its fixed inputs and links go with it (cascade)."""
    conn.execute(sa.delete(schema.products).where(schema.products.c.name == name))


def delete_product(conn: sa.engine.Connection, name: str) -> None:
    """Delete the product ``name`` with its links to blocks and workflows and its fixed inputs.

    Inverse of creating it, for a ``downgrade()``; a product that a subscription uses cannot be
    deleted (``subscriptions`` refers to it with NO ACTION).
    """
    products = schema.products
    ids = sa.select(products.c.product_id).where(products.c.name == name).scalar_subquery()
    for links in (schema.product_product_blocks, schema.products_workflows):
        conn.execute(sa.delete(links).where(links.c.product_id == ids))
    conn.execute(sa.delete(products).where(products.c.name == name))


def delete_product_block(conn: sa.engine.Connection, name: str) -> None:
    """Delete the product block ``name`` with its links to products, resource types and blocks.

    A block that a subscription instance uses cannot be deleted (NO ACTION).
    """
    blocks = schema.product_blocks
    ids = sa.select(blocks.c.product_block_id).where(blocks.c.name == name).scalar_subquery()
    for links in (schema.product_product_blocks, schema.product_block_resource_types):
        conn.execute(sa.delete(links).where(links.c.product_block_id == ids))
    conn.execute(sa.delete(blocks).where(blocks.c.name == name))


def delete_workflow(conn: sa.engine.Connection, name: str) -> None:
    """Delete the workflow ``name``; its links to products go with it (cascade).

    A workflow that a process has run cannot be deleted (``processes`` refers to it with NO
    ACTION), as in a real app.
    """
    conn.execute(sa.delete(schema.workflows).where(schema.workflows.c.name == name))


def delete_resource_type(conn: sa.engine.Connection, resource_type: str) -> None:
    """Delete the resource type ``resource_type`` with its links to blocks.

    One that a subscription instance value uses cannot be deleted (NO ACTION).
    """
    types, links = schema.resource_types, schema.product_block_resource_types
    ids = (
        sa.select(types.c.resource_type_id)
        .where(types.c.resource_type == resource_type)
        .scalar_subquery()
    )
    conn.execute(sa.delete(links).where(links.c.resource_type_id == ids))
    conn.execute(sa.delete(types).where(types.c.resource_type == resource_type))


def delete(conn: sa.engine.Connection, obsolete: dict) -> None:
    """Delete by name, in this order: ``"resource_types"``, ``"product_blocks"``, ``"products"``,
    ``"workflows"`` (each a list of names, each optional), with their links.

    The inverse of :func:`create` for a ``downgrade()``. (5.5.0's docstring calls the first key
    ``"resources"``; its code reads ``"resource_types"``, and so does this.)
    """
    for name in obsolete.get("resource_types", []):
        delete_resource_type(conn, name)
    for name in obsolete.get("product_blocks", []):
        delete_product_block(conn, name)
    for name in obsolete.get("products", []):
        delete_product(conn, name)
    for name in obsolete.get("workflows", []):
        delete_workflow(conn, name)


# --- subscriptions -------------------------------------------------------------------------


def _no_instance_relations(helper: str) -> HelperError:
    return HelperError(
        f"{helper} moves subscriptions' data to or from subscription_instance_relations, a table "
        "of orchestrator-core that the kit does not have (it models the product registry and the "
        "tables that refer to it, not relations between subscription instances).",
        fix="Use it in a real orchestrator-core app only.",
    )


def convert_resource_type_relations_to_instance_relations(
    conn: sa.engine.Connection,
    resource_type_id: UUID | str,
    domain_model_attr: str,
    cleanup: bool = True,
) -> None:
    """orchestrator-core 0.3.3's move from resource-type relations to instance relations.

    Not in the kit: see :class:`HelperError`'s message.
    """
    raise _no_instance_relations("convert_resource_type_relations_to_instance_relations")


def convert_instance_relations_to_resource_type_relations_by_domain_model_attr(
    conn: sa.engine.Connection,
    domain_model_attr: str,
    resource_type_id: UUID | str,
    cleanup: bool = True,
) -> None:
    """The way back of :func:`convert_resource_type_relations_to_instance_relations`.

    Not in the kit: see :class:`HelperError`'s message.
    """
    raise _no_instance_relations(
        "convert_instance_relations_to_resource_type_relations_by_domain_model_attr"
    )


def backfill_resource_type_with_default(
    conn: sa.engine.Connection, resource_type_id: UUID, product_block_name: str, value: Any
) -> None:
    """Give every subscription instance of the block ``product_block_name`` the value ``value``
    for the resource type ``resource_type_id`` (after adding a resource type to a block)."""
    instances, blocks = schema.subscription_instances, schema.product_blocks
    columns = [
        instances.c.subscription_instance_id,
        sa.literal(_as_uuid(resource_type_id), sa.Uuid).label("resource_type_id"),
        sa.literal(str(value), sa.String).label("value"),
    ]
    target = ["subscription_instance_id", "resource_type_id", "value"]
    if conn.dialect.name != "postgresql":  # no UUID default on SQLite: one id per row
        columns.append(sa.func.lower(sa.func.hex(sa.func.randomblob(16))))
        target.append("subscription_instance_value_id")
    select = (
        sa.select(*columns)
        .select_from(
            instances.join(blocks, instances.c.product_block_id == blocks.c.product_block_id)
        )
        .where(blocks.c.name == product_block_name)
    )
    conn.execute(sa.insert(schema.subscription_instance_values).from_select(target, select))


def remove_resource_type_from_subscription_instance(
    conn: sa.engine.Connection, resource_type_name: str
) -> None:
    """Delete every subscription instance's value of the resource type ``resource_type_name``
    (before taking it out of a block); :class:`MissingRow` when there is no such type."""
    resource_type_id = get_resource_type_id_by_name(conn, resource_type_name)
    values = schema.subscription_instance_values
    conn.execute(sa.delete(values).where(values.c.resource_type_id == resource_type_id))
