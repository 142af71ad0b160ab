"""The product registry tables of orchestrator-core, as SQLAlchemy Core ``Table`` objects.

The products track teaches how a workflow orchestrator registers its products in the database.
These nine tables have the same table and column names as in orchestrator-core, so what
participants learn and write here works on a real orchestrator database:

* ``products``: what can be ordered (name, description, product type, tag, status);
* ``product_blocks``: the building blocks of products (e.g. ``UserBlock``);
* ``resource_types``: the scalar fields of blocks (e.g. ``username``);
* ``fixed_inputs``: per-product constants (e.g. ``affiliation = internal``);
* ``product_product_blocks``: which blocks a product is made of;
* ``product_block_resource_types``: which resource types a block holds;
* ``product_block_relations``: which block uses which other block (``in_use_by_id`` ->
  ``depends_on_id``, with ``min``/``max`` counts);
* ``workflows``: what can be done with a product (create, modify, terminate...);
* ``products_workflows``: which workflows apply to which product.

The tables are created by a hand-written migration in the ``schema`` branch (revision
``schema0001``, ``solutions/migrations/schema/schema0001_product_registry.py``), never from this
module: a migration must keep creating the same tables even after this module changes. This is the
*description* of that schema, used

* as ``target_metadata`` for ``main.py db revision --autogenerate`` (and ``alembic check``), and
* by :mod:`workshop.product_helpers` and :mod:`workshop.domain_models`, which read and write these
  tables with Core statements and bound parameters.

The server defaults here are PostgreSQL's (``gen_random_uuid()`` is built in since PostgreSQL 13,
so no ``uuid-ossp`` extension is needed). The migration leaves the UUID defaults out on SQLite,
where the helpers make the ids in Python instead.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# No implicit RETURNING: the helpers look ids up by name, and the SQL that
# `migrate-domain-models --test` prints reads like the SQL one would write by hand.
_TABLE_OPTIONS = {"implicit_returning": False}

_UUID_DEFAULT = sa.text("gen_random_uuid()")


def _uuid(name: str) -> sa.Column:
    """A UUID primary-key column that PostgreSQL fills in itself."""
    return sa.Column(name, sa.Uuid, server_default=_UUID_DEFAULT, nullable=False)


def _created_at() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def _cascade(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    """A foreign key that goes with its parent row, named as PostgreSQL would name it."""
    return sa.ForeignKeyConstraint(
        [column], [target], ondelete="CASCADE", name=f"{table}_{column}_fkey"
    )


# Constraints are named as PostgreSQL (and so orchestrator-core) names them, so that the names are
# the same whatever naming convention a project's models use.

products = sa.Table(
    "products",
    metadata,
    _uuid("product_id"),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("product_type", sa.String(255), nullable=False),
    sa.Column("tag", sa.String(20), nullable=False),
    sa.Column("status", sa.String(255), nullable=False),
    _created_at(),
    sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("product_id", name="products_pkey"),
    sa.UniqueConstraint("name", name="products_name_key"),
    **_TABLE_OPTIONS,
)

product_blocks = sa.Table(
    "product_blocks",
    metadata,
    _uuid("product_block_id"),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("tag", sa.String(20), nullable=True),
    sa.Column("status", sa.String(255), nullable=True),
    _created_at(),
    sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("product_block_id", name="product_blocks_pkey"),
    sa.UniqueConstraint("name", name="product_blocks_name_key"),
    **_TABLE_OPTIONS,
)

resource_types = sa.Table(
    "resource_types",
    metadata,
    _uuid("resource_type_id"),
    sa.Column("resource_type", sa.String(510), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.PrimaryKeyConstraint("resource_type_id", name="resource_types_pkey"),
    sa.UniqueConstraint("resource_type", name="resource_types_resource_type_key"),
    **_TABLE_OPTIONS,
)

fixed_inputs = sa.Table(
    "fixed_inputs",
    metadata,
    _uuid("fixed_input_id"),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("value", sa.String, nullable=False),
    _created_at(),
    sa.Column("product_id", sa.Uuid, nullable=False),
    sa.PrimaryKeyConstraint("fixed_input_id", name="fixed_inputs_pkey"),
    sa.UniqueConstraint("name", "product_id", name="fixed_inputs_name_product_id_key"),
    _cascade("fixed_inputs", "product_id", "products.product_id"),
    **_TABLE_OPTIONS,
)

product_product_blocks = sa.Table(
    "product_product_blocks",
    metadata,
    sa.Column("product_id", sa.Uuid, nullable=False),
    sa.Column("product_block_id", sa.Uuid, nullable=False),
    sa.PrimaryKeyConstraint("product_id", "product_block_id", name="product_product_blocks_pkey"),
    _cascade("product_product_blocks", "product_id", "products.product_id"),
    _cascade("product_product_blocks", "product_block_id", "product_blocks.product_block_id"),
    **_TABLE_OPTIONS,
)

product_block_resource_types = sa.Table(
    "product_block_resource_types",
    metadata,
    sa.Column("product_block_id", sa.Uuid, nullable=False),
    sa.Column("resource_type_id", sa.Uuid, nullable=False),
    sa.PrimaryKeyConstraint(
        "product_block_id", "resource_type_id", name="product_block_resource_types_pkey"
    ),
    _cascade("product_block_resource_types", "product_block_id", "product_blocks.product_block_id"),
    _cascade("product_block_resource_types", "resource_type_id", "resource_types.resource_type_id"),
    **_TABLE_OPTIONS,
)

product_block_relations = sa.Table(
    "product_block_relations",
    metadata,
    sa.Column("in_use_by_id", sa.Uuid, nullable=False),
    sa.Column("depends_on_id", sa.Uuid, nullable=False),
    sa.Column("min", sa.Integer, nullable=True),
    sa.Column("max", sa.Integer, nullable=True),
    sa.PrimaryKeyConstraint("in_use_by_id", "depends_on_id", name="product_block_relations_pkey"),
    _cascade("product_block_relations", "in_use_by_id", "product_blocks.product_block_id"),
    _cascade("product_block_relations", "depends_on_id", "product_blocks.product_block_id"),
    **_TABLE_OPTIONS,
)

workflows = sa.Table(
    "workflows",
    metadata,
    _uuid("workflow_id"),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("target", sa.String, nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    _created_at(),
    sa.PrimaryKeyConstraint("workflow_id", name="workflows_pkey"),
    sa.UniqueConstraint("name", name="workflows_name_key"),
    **_TABLE_OPTIONS,
)

products_workflows = sa.Table(
    "products_workflows",
    metadata,
    sa.Column("product_id", sa.Uuid, nullable=False),
    sa.Column("workflow_id", sa.Uuid, nullable=False),
    sa.PrimaryKeyConstraint("product_id", "workflow_id", name="products_workflows_pkey"),
    _cascade("products_workflows", "product_id", "products.product_id"),
    _cascade("products_workflows", "workflow_id", "workflows.workflow_id"),
    **_TABLE_OPTIONS,
)

#: Every product table, parents before children: delete rows in reverse order.
TABLES: tuple[sa.Table, ...] = (
    products,
    product_blocks,
    resource_types,
    fixed_inputs,
    product_product_blocks,
    product_block_resource_types,
    product_block_relations,
    workflows,
    products_workflows,
)

TABLE_NAMES: tuple[str, ...] = tuple(table.name for table in TABLES)


def missing_tables(conn: sa.Connection) -> list[str]:
    """The product tables that the database does not have (all nine before the schema migration)."""
    present = set(sa.inspect(conn).get_table_names())
    return [name for name in TABLE_NAMES if name not in present]
