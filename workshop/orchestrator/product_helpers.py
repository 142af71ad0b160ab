"""Helpers for product data migrations: create and delete rows in the product tables by name.

Use them inside a revision file of the ``data`` branch, with the connection Alembic gives you::

    from alembic import op

    from workshop.orchestrator.product_helpers import create_product, delete_product


    def upgrade() -> None:
        conn = op.get_bind()
        create_product(conn, "User Group", description="user group administration",
                       product_type="UserGroup", tag="GROUP")


    def downgrade() -> None:
        conn = op.get_bind()
        delete_product(conn, "User Group")

What they promise:

* **Names, not ids.** Products, blocks and workflows are found by their unique ``name``, resource
  types by ``resource_type``, fixed inputs by product name and fixed-input name. The ids are UUIDs
  that PostgreSQL makes (``gen_random_uuid()``); pass one (``product_id=...``) only to re-create a
  row with the id it had, as a downgrade that undoes a deletion does.
* **SQLAlchemy Core with bound parameters.** Values never become part of the SQL text, so a
  description with a quote in it is just a description. The statements are the ones
  ``migrate-domain-models --test`` prints.
* **Idempotent.** ``create_*`` inserts with ``ON CONFLICT DO NOTHING``: when the row is already
  there (same name, or same pair for a link) it is left as it is, not updated. ``delete_*`` deletes
  nothing when there is nothing to delete. ``update_*``/``rename_*`` change nothing the second
  time. So running a migration's ``upgrade()`` twice is harmless.
* **An inverse for each.** Every helper's docstring names the call that undoes it, for
  ``downgrade()``: ``create_x`` / ``delete_x``, ``rename_x(old, new)`` / ``rename_x(new, old)``,
  ``update_x(new value)`` / ``update_x(old value)``. Deleting a product, block or resource type also
  deletes its fixed inputs and link rows (the foreign keys cascade); re-creating it does not bring
  those back, so a full inverse deletes the links explicitly first and re-creates them after (the
  generator's migrations do exactly that).
* **Clear mistakes.** Linking to a product, block, resource type or workflow that does not exist
  raises :class:`~workshop.errors.WorkshopError` naming it, instead of a NULL-constraint error.

They work on PostgreSQL (the workshop's database) and on SQLite.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from workshop.errors import WorkshopError
from workshop.orchestrator import schema

__all__ = [
    "create_fixed_input",
    "create_product",
    "create_product_block",
    "create_product_block_relation",
    "create_product_block_resource_type",
    "create_product_product_block",
    "create_product_workflow",
    "create_resource_type",
    "create_workflow",
    "delete_fixed_input",
    "delete_product",
    "delete_product_block",
    "delete_product_block_relation",
    "delete_product_block_instances",
    "delete_product_block_resource_type",
    "delete_product_product_block",
    "delete_product_subscriptions",
    "delete_product_workflow",
    "delete_resource_type",
    "delete_resource_type_values",
    "delete_workflow",
    "get_fixed_input_id",
    "get_product_block_id",
    "get_product_id",
    "get_resource_type_id",
    "get_workflow_id",
    "rename_fixed_input",
    "rename_resource_type",
    "update_fixed_input",
    "update_product_block_relation",
]

# --- lookups -------------------------------------------------------------------------------

_NAMED = {
    "product": (schema.products, "product_id", "name", "create_product"),
    "product block": (schema.product_blocks, "product_block_id", "name", "create_product_block"),
    "resource type": (
        schema.resource_types,
        "resource_type_id",
        "resource_type",
        "create_resource_type",
    ),
    "workflow": (schema.workflows, "workflow_id", "name", "create_workflow"),
}


def _id_of(kind: str, name: str) -> sa.ScalarSelect[Any]:
    """``(SELECT <id> FROM <table> WHERE <name column> = :name)``, for use inside a statement."""
    table, id_column, name_column, _ = _NAMED[kind]
    return sa.select(table.c[id_column]).where(table.c[name_column] == name).scalar_subquery()


def _ids_of(kind: str, name: str) -> sa.Select[Any]:
    """``SELECT <id> FROM <table> WHERE <name column> = :name``, for ``IN (...)``."""
    table, id_column, name_column, _ = _NAMED[kind]
    return sa.select(table.c[id_column]).where(table.c[name_column] == name)


def _lookup(conn: sa.Connection, kind: str, name: str) -> uuid.UUID | None:
    table, id_column, name_column, _ = _NAMED[kind]
    return conn.execute(
        sa.select(table.c[id_column]).where(table.c[name_column] == name)
    ).scalar_one_or_none()


def _require(conn: sa.Connection, kind: str, name: str, helper: str) -> None:
    """Raise a clear error when ``name`` does not exist (before a link to it is inserted)."""
    if _lookup(conn, kind, name) is None:
        creator = _NAMED[kind][3]
        raise WorkshopError(
            f"{helper}: there is no {kind} named {name!r}.",
            fix=f"Create it first ({creator}), or check the spelling: names are case-sensitive.",
        )


def get_product_id(conn: sa.Connection, name: str) -> uuid.UUID | None:
    """The id of the product called ``name``, or None."""
    return _lookup(conn, "product", name)


def get_product_block_id(conn: sa.Connection, name: str) -> uuid.UUID | None:
    """The id of the product block called ``name``, or None."""
    return _lookup(conn, "product block", name)


def get_resource_type_id(conn: sa.Connection, resource_type: str) -> uuid.UUID | None:
    """The id of the resource type ``resource_type``, or None."""
    return _lookup(conn, "resource type", resource_type)


def get_workflow_id(conn: sa.Connection, name: str) -> uuid.UUID | None:
    """The id of the workflow called ``name``, or None."""
    return _lookup(conn, "workflow", name)


def get_fixed_input_id(conn: sa.Connection, product: str, name: str) -> uuid.UUID | None:
    """The id of the fixed input ``name`` of the product called ``product``, or None."""
    table = schema.fixed_inputs
    return conn.execute(
        sa.select(table.c.fixed_input_id).where(
            table.c.name == name, table.c.product_id == _id_of("product", product)
        )
    ).scalar_one_or_none()


# --- statements ----------------------------------------------------------------------------


def _insert_ignoring_conflicts(
    conn: sa.Connection,
    table: sa.Table,
    values: dict,
    *,
    named: tuple[sa.FromClause, ...] = (),
    where: Any = None,
) -> None:
    """``INSERT ... ON CONFLICT DO NOTHING``: keep the row that is there, if there is one.

    With ``named`` tables and a ``where`` that picks one row in each (by name), it is
    ``INSERT ... SELECT``: the values may then be columns of those rows (``products.product_id``),
    which is how a row that points at other rows is made from their names in one statement.
    """
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the kit supports only these two
        raise WorkshopError(f"The product helpers do not support {conn.dialect.name}.")
    if not named:
        statement = insert(table).values(values)
    else:
        columns = [
            (
                value
                if isinstance(value, sa.ColumnElement)
                else sa.literal(value, table.c[key].type)
            ).label(key)
            for key, value in values.items()
        ]
        # An explicit cross join (each side is one row), so SQLAlchemy sees no forgotten join.
        source = named[0]
        for other in named[1:]:
            source = source.join(other, sa.true())
        select = sa.select(*columns).select_from(source).where(where)
        statement = insert(table).from_select(list(values), select)
    conn.execute(statement.on_conflict_do_nothing())


def _with_id(conn: sa.Connection, values: dict, id_column: str, given: Any) -> dict:
    """Add the primary key: the given one, or (on SQLite, which has no UUID default) a new one."""
    if given is not None:
        values = {id_column: uuid.UUID(str(given)), **values}
    elif conn.dialect.name != "postgresql":
        values = {id_column: uuid.uuid4(), **values}
    return values


# --- products ------------------------------------------------------------------------------


def create_product(
    conn: sa.Connection,
    name: str,
    *,
    description: str,
    product_type: str,
    tag: str,
    status: str = "active",
    product_id: uuid.UUID | str | None = None,
) -> uuid.UUID:
    """Register a product; return its id (the existing one if it was there already).

    Inverse: ``delete_product(conn, name)``.
    """
    values = {
        "name": name,
        "description": description,
        "product_type": product_type,
        "tag": tag,
        "status": status,
    }
    _insert_ignoring_conflicts(
        conn, schema.products, _with_id(conn, values, "product_id", product_id)
    )
    return _lookup(conn, "product", name)  # type: ignore[return-value]


def delete_product(conn: sa.Connection, name: str) -> None:
    """Delete a product, with its fixed inputs and its links to blocks and workflows (cascade).

    Inverse: ``create_product(conn, name, description=..., product_type=..., tag=...)``, then
    its fixed inputs and links again.
    """
    conn.execute(sa.delete(schema.products).where(schema.products.c.name == name))


def delete_product_subscriptions(conn: sa.Connection, name: str) -> None:
    """Delete the subscriptions of a product, with their processes and instances.

    A product that is in use cannot be deleted (the foreign keys are NO ACTION, as in
    orchestrator-core), so orchestrator-core's generated migrations run these deletes first:
    the processes that touched the subscriptions, the links to them, the instances, and the
    subscriptions. Nothing brings them back: there is no inverse.
    """
    subscriptions = (
        sa.select(schema.subscriptions.c.subscription_id)
        .where(schema.subscriptions.c.product_id.in_(_ids_of("product", name)))
        .scalar_subquery()
    )
    links = schema.processes_subscriptions
    processes = sa.select(links.c.pid).where(links.c.subscription_id.in_(subscriptions))
    conn.execute(sa.delete(schema.processes).where(schema.processes.c.pid.in_(processes)))
    conn.execute(sa.delete(links).where(links.c.subscription_id.in_(subscriptions)))
    instances = schema.subscription_instances
    conn.execute(sa.delete(instances).where(instances.c.subscription_id.in_(subscriptions)))
    conn.execute(
        sa.delete(schema.subscriptions).where(
            schema.subscriptions.c.product_id.in_(_ids_of("product", name))
        )
    )


# --- product blocks ------------------------------------------------------------------------


def create_product_block(
    conn: sa.Connection,
    name: str,
    *,
    description: str,
    tag: str | None = None,
    status: str = "active",
    product_block_id: uuid.UUID | str | None = None,
) -> uuid.UUID:
    """Register a product block; return its id (the existing one if it was there already).

    Inverse: ``delete_product_block(conn, name)``.
    """
    values = {"name": name, "description": description, "tag": tag, "status": status}
    _insert_ignoring_conflicts(
        conn, schema.product_blocks, _with_id(conn, values, "product_block_id", product_block_id)
    )
    return _lookup(conn, "product block", name)  # type: ignore[return-value]


def delete_product_block(conn: sa.Connection, name: str) -> None:
    """Delete a product block, with its links to products, resource types and blocks (cascade).

    Inverse: ``create_product_block(conn, name, description=..., tag=...)``, then its links.
    """
    conn.execute(sa.delete(schema.product_blocks).where(schema.product_blocks.c.name == name))


def delete_product_block_instances(conn: sa.Connection, name: str) -> None:
    """Delete the subscription instances of a product block (before the block itself, which
    they would keep in use). As in orchestrator-core's generated migrations; no inverse."""
    instances = schema.subscription_instances
    conn.execute(
        sa.delete(instances).where(instances.c.product_block_id.in_(_ids_of("product block", name)))
    )


# --- resource types ------------------------------------------------------------------------


def create_resource_type(
    conn: sa.Connection,
    resource_type: str,
    description: str | None = None,
    *,
    resource_type_id: uuid.UUID | str | None = None,
) -> uuid.UUID:
    """Register a resource type; return its id (the existing one if it was there already).

    Inverse: ``delete_resource_type(conn, resource_type)``.
    """
    values = {"resource_type": resource_type, "description": description}
    _insert_ignoring_conflicts(
        conn, schema.resource_types, _with_id(conn, values, "resource_type_id", resource_type_id)
    )
    return _lookup(conn, "resource type", resource_type)  # type: ignore[return-value]


def delete_resource_type(conn: sa.Connection, resource_type: str) -> None:
    """Delete a resource type, with its links to product blocks (cascade).

    Inverse: ``create_resource_type(conn, resource_type, description)``, then its links.
    """
    table = schema.resource_types
    conn.execute(sa.delete(table).where(table.c.resource_type == resource_type))


def delete_resource_type_values(conn: sa.Connection, resource_type: str) -> None:
    """Delete the subscriptions' values of a resource type (before the resource type itself,
    which they would keep in use). As in orchestrator-core's generated migrations; no inverse."""
    values = schema.subscription_instance_values
    conn.execute(
        sa.delete(values).where(
            values.c.resource_type_id.in_(_ids_of("resource type", resource_type))
        )
    )


def rename_resource_type(conn: sa.Connection, old: str, new: str) -> None:
    """Rename a resource type in place: same id, so its links to blocks stay.

    Inverse: ``rename_resource_type(conn, new, old)``.
    """
    table = schema.resource_types
    conn.execute(sa.update(table).where(table.c.resource_type == old).values(resource_type=new))


# --- fixed inputs --------------------------------------------------------------------------


def create_fixed_input(
    conn: sa.Connection,
    product: str,
    name: str,
    value: str,
    *,
    fixed_input_id: uuid.UUID | str | None = None,
) -> uuid.UUID:
    """Give the product called ``product`` the fixed input ``name = value``; return its id.

    Inverse: ``delete_fixed_input(conn, product, name)``.
    """
    _require(conn, "product", product, "create_fixed_input")
    values = {"name": name, "value": str(value), "product_id": schema.products.c.product_id}
    _insert_ignoring_conflicts(
        conn,
        schema.fixed_inputs,
        _with_id(conn, values, "fixed_input_id", fixed_input_id),
        named=(schema.products,),
        where=schema.products.c.name == product,
    )
    return get_fixed_input_id(conn, product, name)  # type: ignore[return-value]


def delete_fixed_input(conn: sa.Connection, product: str, name: str) -> None:
    """Delete the fixed input ``name`` of the product called ``product``.

    Inverse: ``create_fixed_input(conn, product, name, value)``.
    """
    table = schema.fixed_inputs
    conn.execute(
        sa.delete(table).where(
            table.c.name == name, table.c.product_id == _id_of("product", product)
        )
    )


def update_fixed_input(conn: sa.Connection, product: str, name: str, value: str) -> None:
    """Set a new value for the fixed input ``name`` of the product called ``product``.

    Inverse: ``update_fixed_input(conn, product, name, <the old value>)``.
    """
    table = schema.fixed_inputs
    conn.execute(
        sa.update(table)
        .where(table.c.name == name, table.c.product_id == _id_of("product", product))
        .values(value=str(value))
    )


def rename_fixed_input(conn: sa.Connection, product: str, old: str, new: str) -> None:
    """Rename a fixed input of the product called ``product``, keeping its value and id.

    Inverse: ``rename_fixed_input(conn, product, new, old)``.
    """
    table = schema.fixed_inputs
    conn.execute(
        sa.update(table)
        .where(table.c.name == old, table.c.product_id == _id_of("product", product))
        .values(name=new)
    )


# --- workflows -----------------------------------------------------------------------------


def create_workflow(
    conn: sa.Connection,
    name: str,
    *,
    target: str,
    description: str,
    is_task: bool = False,
    workflow_id: uuid.UUID | str | None = None,
) -> uuid.UUID:
    """Register a workflow (``target``: CREATE, MODIFY, TERMINATE or SYSTEM); return its id.

    ``description`` is required, as in orchestrator-core, where ``workflows.description`` is
    NOT NULL. ``is_task`` marks a task (a SYSTEM workflow run from the task list).
    Link it to products with :func:`create_product_workflow`.
    Inverse: ``delete_workflow(conn, name)`` (which also deletes its links to products).
    """
    values = {"name": name, "target": target, "description": description, "is_task": is_task}
    _insert_ignoring_conflicts(
        conn, schema.workflows, _with_id(conn, values, "workflow_id", workflow_id)
    )
    return _lookup(conn, "workflow", name)  # type: ignore[return-value]


def delete_workflow(conn: sa.Connection, name: str) -> None:
    """Delete a workflow, with its links to products (cascade).

    Inverse: ``create_workflow(conn, name, target=..., description=...)``, then its links.
    A workflow that a process has run cannot be deleted (``processes`` refers to it with NO
    ACTION), as in orchestrator-core.
    """
    conn.execute(sa.delete(schema.workflows).where(schema.workflows.c.name == name))


def create_product_workflow(conn: sa.Connection, product: str, workflow: str) -> None:
    """Link a workflow to a product (a row in ``products_workflows``).

    Inverse: ``delete_product_workflow(conn, product, workflow)``.
    """
    _require(conn, "product", product, "create_product_workflow")
    _require(conn, "workflow", workflow, "create_product_workflow")
    _insert_ignoring_conflicts(
        conn,
        schema.products_workflows,
        {"product_id": schema.products.c.product_id, "workflow_id": schema.workflows.c.workflow_id},
        named=(schema.products, schema.workflows),
        where=sa.and_(schema.products.c.name == product, schema.workflows.c.name == workflow),
    )


def delete_product_workflow(conn: sa.Connection, product: str, workflow: str) -> None:
    """Unlink a workflow from a product.

    Inverse: ``create_product_workflow(conn, product, workflow)``.
    """
    table = schema.products_workflows
    conn.execute(
        sa.delete(table).where(
            table.c.product_id == _id_of("product", product),
            table.c.workflow_id == _id_of("workflow", workflow),
        )
    )


# --- links between products, blocks and resource types -------------------------------------


def create_product_product_block(conn: sa.Connection, product: str, product_block: str) -> None:
    """Make a block part of a product (a row in ``product_product_blocks``).

    Inverse: ``delete_product_product_block(conn, product, product_block)``.
    """
    _require(conn, "product", product, "create_product_product_block")
    _require(conn, "product block", product_block, "create_product_product_block")
    _insert_ignoring_conflicts(
        conn,
        schema.product_product_blocks,
        {
            "product_id": schema.products.c.product_id,
            "product_block_id": schema.product_blocks.c.product_block_id,
        },
        named=(schema.products, schema.product_blocks),
        where=sa.and_(
            schema.products.c.name == product, schema.product_blocks.c.name == product_block
        ),
    )


def delete_product_product_block(conn: sa.Connection, product: str, product_block: str) -> None:
    """Take a block out of a product.

    Inverse: ``create_product_product_block(conn, product, product_block)``.
    """
    table = schema.product_product_blocks
    conn.execute(
        sa.delete(table).where(
            table.c.product_id == _id_of("product", product),
            table.c.product_block_id == _id_of("product block", product_block),
        )
    )


def create_product_block_resource_type(
    conn: sa.Connection, product_block: str, resource_type: str
) -> None:
    """Give a block a resource type (a row in ``product_block_resource_types``).

    Inverse: ``delete_product_block_resource_type(conn, product_block, resource_type)``.
    """
    _require(conn, "product block", product_block, "create_product_block_resource_type")
    _require(conn, "resource type", resource_type, "create_product_block_resource_type")
    _insert_ignoring_conflicts(
        conn,
        schema.product_block_resource_types,
        {
            "product_block_id": schema.product_blocks.c.product_block_id,
            "resource_type_id": schema.resource_types.c.resource_type_id,
        },
        named=(schema.product_blocks, schema.resource_types),
        where=sa.and_(
            schema.product_blocks.c.name == product_block,
            schema.resource_types.c.resource_type == resource_type,
        ),
    )


def delete_product_block_resource_type(
    conn: sa.Connection, product_block: str, resource_type: str
) -> None:
    """Take a resource type out of a block (the resource type itself stays).

    Inverse: ``create_product_block_resource_type(conn, product_block, resource_type)``.
    """
    table = schema.product_block_resource_types
    conn.execute(
        sa.delete(table).where(
            table.c.product_block_id == _id_of("product block", product_block),
            table.c.resource_type_id == _id_of("resource type", resource_type),
        )
    )


def create_product_block_relation(
    conn: sa.Connection,
    in_use_by: str,
    depends_on: str,
    *,
    min: int | None = None,  # named after its column
    max: int | None = None,  # named after its column
) -> None:
    """Record that block ``in_use_by`` uses block ``depends_on`` (``product_block_relations``).

    ``min``/``max``: how many ``depends_on`` blocks one ``in_use_by`` block holds (``None``: no
    limit). Inverse: ``delete_product_block_relation(conn, in_use_by, depends_on)``.
    """
    _require(conn, "product block", in_use_by, "create_product_block_relation")
    _require(conn, "product block", depends_on, "create_product_block_relation")
    # The same table twice, once per role: in_use_by and depends_on.
    user = schema.product_blocks.alias("in_use_by")
    used = schema.product_blocks.alias("depends_on")
    _insert_ignoring_conflicts(
        conn,
        schema.product_block_relations,
        {
            "in_use_by_id": user.c.product_block_id,
            "depends_on_id": used.c.product_block_id,
            "min": min,
            "max": max,
        },
        named=(user, used),
        where=sa.and_(user.c.name == in_use_by, used.c.name == depends_on),
    )


def delete_product_block_relation(conn: sa.Connection, in_use_by: str, depends_on: str) -> None:
    """Forget that block ``in_use_by`` uses block ``depends_on``.

    Inverse: ``create_product_block_relation(conn, in_use_by, depends_on, min=..., max=...)``.
    """
    table = schema.product_block_relations
    conn.execute(
        sa.delete(table).where(
            table.c.in_use_by_id == _id_of("product block", in_use_by),
            table.c.depends_on_id == _id_of("product block", depends_on),
        )
    )


def update_product_block_relation(
    conn: sa.Connection,
    in_use_by: str,
    depends_on: str,
    *,
    min: int | None,  # named after its column
    max: int | None,  # named after its column
) -> None:
    """Change how many ``depends_on`` blocks one ``in_use_by`` block holds.

    Inverse: ``update_product_block_relation(conn, in_use_by, depends_on, min=<old>,
    max=<old>)``.
    """
    table = schema.product_block_relations
    conn.execute(
        sa.update(table)
        .where(
            table.c.in_use_by_id == _id_of("product block", in_use_by),
            table.c.depends_on_id == _id_of("product block", depends_on),
        )
        .values(min=min, max=max)
    )
