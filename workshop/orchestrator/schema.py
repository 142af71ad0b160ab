"""The product registry tables of orchestrator-core, as SQLAlchemy Core ``Table`` objects.

The products track teaches how a workflow orchestrator registers its products in the database.
These nine tables are orchestrator-core 5.5.0's, column for column (types, lengths, NOT NULL,
defaults, constraints and indexes, checked against a real app by
``tests/test_orchestrator_real.py``), so what participants learn and write here works on a real
orchestrator database:

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

Four more tables of orchestrator-core refer to them with NO ACTION, so that a product, block,
resource type or workflow in use cannot be deleted: ``subscriptions`` (of a product),
``subscription_instances`` (of a block), ``subscription_instance_values`` (of a resource type) and
``processes`` (runs of a workflow). The kit creates them (:data:`SUBSCRIPTION_TABLES`) with the
registry, so that a downgrade that deletes something in use fails here as it does in a real app.
The schema migration also seeds the seven workflows orchestrator-core's own migrations seed
(``modify_note`` and six ``task_*``).

The tables are created by a hand-written migration in the ``schema`` branch (revision
``544fd845554d``, orchestrator-core 5.5.0's schema head id, kept in the kit's own version
location ``workshop/orchestrator/migrations/versions/schema/``: see
:mod:`workshop.orchestrator.versions`),
never from this module: a migration must keep creating the same tables even after this module
changes. This is the
*description* of that schema, used

* as ``target_metadata`` for ``main.py db revision --autogenerate`` (and ``alembic check``), and
* by :mod:`workshop.orchestrator.product_helpers` and :mod:`workshop.orchestrator.domain_models`,
  which read and write these tables with Core statements and bound parameters.

The server defaults here are PostgreSQL's. One differs from orchestrator-core on purpose: its UUID
defaults are ``uuid_generate_v4()``, from the ``uuid-ossp`` extension, which the kit's embedded
server lacks; here they are ``gen_random_uuid()``, built in since PostgreSQL 13, which makes the
same kind of id (a random version 4 UUID). The migration leaves the UUID defaults out on SQLite,
where the helpers make the ids in Python instead.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# No implicit RETURNING: the helpers look ids up by name, and the SQL that
# `migrate-domain-models --test` prints reads like the SQL one would write by hand.
_TABLE_OPTIONS = {"implicit_returning": False}

_UUID_DEFAULT = sa.text("gen_random_uuid()")
_NOW = sa.text("CURRENT_TIMESTAMP")


def _uuid(name: str) -> sa.Column:
    """A UUID primary-key column that PostgreSQL fills in itself."""
    return sa.Column(name, sa.Uuid, server_default=_UUID_DEFAULT, nullable=False)


def _timestamp(name: str, *, now: bool = False) -> sa.Column:
    """A ``timestamp with time zone``; with ``now``, NOT NULL and CURRENT_TIMESTAMP by default."""
    if now:
        return sa.Column(name, sa.DateTime(timezone=True), server_default=_NOW, nullable=False)
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def _created_at() -> sa.Column:
    return _timestamp("created_at", now=True)


def _cascade(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    """A foreign key that goes with its parent row, named as PostgreSQL would name it."""
    return sa.ForeignKeyConstraint(
        [column], [target], ondelete="CASCADE", name=f"{table}_{column}_fkey"
    )


def _in_use(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    """A foreign key with no ON DELETE (NO ACTION): the parent row cannot go while in use."""
    return sa.ForeignKeyConstraint([column], [target], name=f"{table}_{column}_fkey")


# Constraints are named as PostgreSQL (and so orchestrator-core) names them, so that the names are
# the same whatever naming convention a project's models use.

products = sa.Table(
    "products",
    metadata,
    _uuid("product_id"),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("description", sa.String(2000), nullable=False),
    sa.Column("product_type", sa.String(255), nullable=False),
    sa.Column("tag", sa.String(20), nullable=False),
    sa.Column("status", sa.String(255), nullable=False),
    _created_at(),
    sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("product_id", name="products_pkey"),
    sa.UniqueConstraint("name", name="products_name_key"),
    sa.Index("ix_products_tag", "tag"),
    **_TABLE_OPTIONS,
)

product_blocks = sa.Table(
    "product_blocks",
    metadata,
    _uuid("product_block_id"),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("description", sa.String(2000), nullable=False),
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
    sa.Column("description", sa.String(2000), nullable=True),
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
    # orchestrator-core has this unique index beside the primary key, on the same columns.
    sa.Index("product_block_relation_i_d_ix", "in_use_by_id", "depends_on_id", unique=True),
    **_TABLE_OPTIONS,
)

workflows = sa.Table(
    "workflows",
    metadata,
    _uuid("workflow_id"),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("target", sa.String, nullable=False),
    sa.Column("description", sa.String(2000), nullable=False),
    _created_at(),
    _timestamp("deleted_at"),
    sa.Column("is_task", sa.Boolean, server_default=sa.false(), nullable=False),
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

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    _uuid("subscription_id"),
    sa.Column("description", sa.String(2000), nullable=False),
    sa.Column("status", sa.String(255), nullable=False),
    sa.Column("product_id", sa.Uuid, nullable=False),
    sa.Column("customer_id", sa.String, nullable=False),
    sa.Column("insync", sa.Boolean, nullable=False),
    _timestamp("start_date"),
    _timestamp("end_date"),
    sa.Column("note", sa.String(5000), nullable=True),
    sa.Column("version", sa.Integer, server_default="1", nullable=False),
    sa.PrimaryKeyConstraint("subscription_id", name="subscriptions_pkey"),
    _in_use("subscriptions", "product_id", "products.product_id"),
    sa.Index("ix_subscriptions_customer_id", "customer_id"),
    sa.Index("ix_subscriptions_product_id", "product_id"),
    sa.Index("ix_subscriptions_status", "status"),
    sa.Index("subscription_customer_ix", "subscription_id", "customer_id"),
    sa.Index("subscription_product_ix", "subscription_id", "product_id"),
    **_TABLE_OPTIONS,
)

subscription_instances = sa.Table(
    "subscription_instances",
    metadata,
    _uuid("subscription_instance_id"),
    sa.Column("subscription_id", sa.Uuid, nullable=False),
    sa.Column("product_block_id", sa.Uuid, nullable=False),
    sa.Column("label", sa.String(255), nullable=True),
    sa.PrimaryKeyConstraint("subscription_instance_id", name="subscription_instances_pkey"),
    _in_use("subscription_instances", "product_block_id", "product_blocks.product_block_id"),
    _cascade("subscription_instances", "subscription_id", "subscriptions.subscription_id"),
    sa.Index("ix_subscription_instances_product_block_id", "product_block_id"),
    sa.Index("ix_subscription_instances_subscription_id", "subscription_id"),
    sa.Index(
        "subscription_instance_s_pb_ix",
        "subscription_instance_id",
        "subscription_id",
        "product_block_id",
    ),
    **_TABLE_OPTIONS,
)

subscription_instance_values = sa.Table(
    "subscription_instance_values",
    metadata,
    _uuid("subscription_instance_value_id"),
    sa.Column("subscription_instance_id", sa.Uuid, nullable=False),
    sa.Column("resource_type_id", sa.Uuid, nullable=False),
    sa.Column("value", sa.String(10000), nullable=False),
    sa.PrimaryKeyConstraint(
        "subscription_instance_value_id", name="subscription_instance_values_pkey"
    ),
    _in_use("subscription_instance_values", "resource_type_id", "resource_types.resource_type_id"),
    _cascade(
        "subscription_instance_values",
        "subscription_instance_id",
        "subscription_instances.subscription_instance_id",
    ),
    sa.Index("ix_subscription_instance_values_resource_type_id", "resource_type_id"),
    sa.Index(
        "ix_subscription_instance_values_subscription_instance_id", "subscription_instance_id"
    ),
    sa.Index(
        "siv_si_rt_ix",
        "subscription_instance_value_id",
        "subscription_instance_id",
        "resource_type_id",
    ),
    **_TABLE_OPTIONS,
)

processes = sa.Table(
    "processes",
    metadata,
    _uuid("pid"),
    sa.Column("assignee", sa.String(50), server_default="SYSTEM", nullable=False),
    sa.Column("last_status", sa.String(50), nullable=False),
    sa.Column("last_step", sa.String(255), nullable=True),
    _timestamp("started_at", now=True),
    _timestamp("last_modified_at", now=True),
    sa.Column("failed_reason", sa.String(10000), nullable=True),
    sa.Column("traceback", sa.String(50000), nullable=True),
    sa.Column("created_by", sa.String(255), nullable=True),
    sa.Column("is_task", sa.Boolean, server_default=sa.false(), nullable=False),
    sa.Column("workflow_id", sa.Uuid, nullable=False),
    sa.Column("note", sa.String(5000), nullable=True),
    sa.PrimaryKeyConstraint("pid", name="processes_pkey"),
    _in_use("processes", "workflow_id", "workflows.workflow_id"),
    sa.Index("ix_processes_is_task", "is_task"),
    sa.Index("ix_processes_pid", "pid"),
    **_TABLE_OPTIONS,
)

processes_subscriptions = sa.Table(
    "processes_subscriptions",
    metadata,
    _uuid("id"),
    sa.Column("pid", sa.Uuid, nullable=False),
    sa.Column("subscription_id", sa.Uuid, nullable=False),
    _created_at(),
    sa.Column("workflow_target", sa.String(255), server_default="CREATE", nullable=True),
    sa.PrimaryKeyConstraint("id", name="processes_subscriptions_pkey"),
    _cascade("processes_subscriptions", "pid", "processes.pid"),
    _in_use("processes_subscriptions", "subscription_id", "subscriptions.subscription_id"),
    sa.Index("ix_processes_subscriptions_pid", "pid"),
    sa.Index("ix_processes_subscriptions_subscription_id", "subscription_id"),
    sa.Index("processes_subscriptions_ix", "pid", "subscription_id"),
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

#: orchestrator-core's tables that use the registry's rows (NO ACTION), parents first.
SUBSCRIPTION_TABLES: tuple[sa.Table, ...] = (
    subscriptions,
    subscription_instances,
    subscription_instance_values,
    processes,
    processes_subscriptions,
)


def missing_tables(conn: sa.Connection) -> list[str]:
    """The product tables that the database does not have (all nine before the schema migration)."""
    present = set(sa.inspect(conn).get_table_names())
    return [name for name in TABLE_NAMES if name not in present]
