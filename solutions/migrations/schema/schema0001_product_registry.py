"""product registry tables

The nine tables of orchestrator-core's product registry, as orchestrator-core 5.5.0's own
migrations leave them (column for column: types, lengths, NOT NULL, defaults, constraints,
indexes): products, product_blocks, resource_types, fixed_inputs, workflows, and the link tables
product_product_blocks, product_block_resource_types, product_block_relations and
products_workflows. Then the four tables of orchestrator-core that refer to them without ON DELETE
(NO ACTION): subscriptions, subscription_instances, subscription_instance_values and processes.
So, as in a real app, a product, block, resource type or workflow that is in use cannot be
deleted. Last, the seven workflows orchestrator-core's migrations seed: modify_note and six tasks.

One difference on purpose: orchestrator-core's UUID defaults are uuid_generate_v4(), from the
uuid-ossp extension, which the kit's embedded server does not have. Here they are
gen_random_uuid(), built into PostgreSQL since 13: a random version 4 UUID all the same.

This is the root of the ``schema`` branch. Product data (rows in these tables) lives in the
``data`` branch, whose revisions depend on this one: run ``upgrade heads`` to apply both.

Revision ID: schema0001
Revises:
Create Date: 2026-11-22 10:00:00.000000

"""
import uuid
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = 'schema0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('schema',)
depends_on: str | Sequence[str] | None = None

# The workflows orchestrator-core 5.5.0's migrations seed: (name, target, description, is_task).
SEEDED_WORKFLOWS = [
    ("modify_note", "MODIFY", "Modify Note", False),
    ("task_clean_up_tasks", "SYSTEM", "Clean up old tasks", True),
    (
        "task_resume_workflows",
        "SYSTEM",
        "Resume all workflows that are stuck on tasks with the status 'waiting', 'created' or "
        "'resumed'",
        True,
    ),
    ("task_validate_products", "SYSTEM", "Validate products", True),
    ("task_validate_subscriptions", "SYSTEM", "Validate subscriptions", True),
    ("task_validate_product_type", "SYSTEM", "Validate all subscriptions of Product Type", True),
    (
        "task_validate_awaiting_callbacks",
        "SYSTEM",
        "Fail callback steps that exceeded their timeout",
        True,
    ),
]


def upgrade() -> None:
    # PostgreSQL makes the UUID primary keys itself (gen_random_uuid() is built in since 13).
    # SQLite has no such function: there the kit's helpers supply the ids.
    on_postgresql = op.get_bind().dialect.name == "postgresql"
    new_uuid = sa.text("gen_random_uuid()") if on_postgresql else None
    now = sa.text("CURRENT_TIMESTAMP")
    # Constraints carry the names PostgreSQL would give them (and orchestrator-core has), so
    # they are the same whatever naming convention env.py's models use.

    op.create_table(
        "products",
        sa.Column("product_id", sa.Uuid, server_default=new_uuid, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("product_type", sa.String(255), nullable=False),
        sa.Column("tag", sa.String(20), nullable=False),
        sa.Column("status", sa.String(255), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=now, nullable=False
        ),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("product_id", name="products_pkey"),
        sa.UniqueConstraint("name", name="products_name_key"),
    )
    op.create_index("ix_products_tag", "products", ["tag"])
    op.create_table(
        "product_blocks",
        sa.Column("product_block_id", sa.Uuid, server_default=new_uuid, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("tag", sa.String(20), nullable=True),
        sa.Column("status", sa.String(255), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=now, nullable=False
        ),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("product_block_id", name="product_blocks_pkey"),
        sa.UniqueConstraint("name", name="product_blocks_name_key"),
    )
    op.create_table(
        "resource_types",
        sa.Column("resource_type_id", sa.Uuid, server_default=new_uuid, nullable=False),
        sa.Column("resource_type", sa.String(510), nullable=False),
        sa.Column("description", sa.String(2000), nullable=True),
        sa.PrimaryKeyConstraint("resource_type_id", name="resource_types_pkey"),
        sa.UniqueConstraint("resource_type", name="resource_types_resource_type_key"),
    )
    op.create_table(
        "fixed_inputs",
        sa.Column("fixed_input_id", sa.Uuid, server_default=new_uuid, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("value", sa.String, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=now, nullable=False
        ),
        sa.Column("product_id", sa.Uuid, nullable=False),
        sa.PrimaryKeyConstraint("fixed_input_id", name="fixed_inputs_pkey"),
        sa.UniqueConstraint("name", "product_id", name="fixed_inputs_name_product_id_key"),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.product_id"],
            ondelete="CASCADE",
            name="fixed_inputs_product_id_fkey",
        ),
    )
    op.create_table(
        "product_product_blocks",
        sa.Column("product_id", sa.Uuid, nullable=False),
        sa.Column("product_block_id", sa.Uuid, nullable=False),
        sa.PrimaryKeyConstraint(
            "product_id", "product_block_id", name="product_product_blocks_pkey"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.product_id"],
            ondelete="CASCADE",
            name="product_product_blocks_product_id_fkey",
        ),
        sa.ForeignKeyConstraint(
            ["product_block_id"],
            ["product_blocks.product_block_id"],
            ondelete="CASCADE",
            name="product_product_blocks_product_block_id_fkey",
        ),
    )
    op.create_table(
        "product_block_resource_types",
        sa.Column("product_block_id", sa.Uuid, nullable=False),
        sa.Column("resource_type_id", sa.Uuid, nullable=False),
        sa.PrimaryKeyConstraint(
            "product_block_id", "resource_type_id", name="product_block_resource_types_pkey"
        ),
        sa.ForeignKeyConstraint(
            ["product_block_id"],
            ["product_blocks.product_block_id"],
            ondelete="CASCADE",
            name="product_block_resource_types_product_block_id_fkey",
        ),
        sa.ForeignKeyConstraint(
            ["resource_type_id"],
            ["resource_types.resource_type_id"],
            ondelete="CASCADE",
            name="product_block_resource_types_resource_type_id_fkey",
        ),
    )
    op.create_table(
        "product_block_relations",
        sa.Column("in_use_by_id", sa.Uuid, nullable=False),
        sa.Column("depends_on_id", sa.Uuid, nullable=False),
        sa.Column("min", sa.Integer, nullable=True),
        sa.Column("max", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint(
            "in_use_by_id", "depends_on_id", name="product_block_relations_pkey"
        ),
        sa.ForeignKeyConstraint(
            ["in_use_by_id"],
            ["product_blocks.product_block_id"],
            ondelete="CASCADE",
            name="product_block_relations_in_use_by_id_fkey",
        ),
        sa.ForeignKeyConstraint(
            ["depends_on_id"],
            ["product_blocks.product_block_id"],
            ondelete="CASCADE",
            name="product_block_relations_depends_on_id_fkey",
        ),
    )
    # orchestrator-core has this unique index beside the primary key, on the same columns.
    op.create_index(
        "product_block_relation_i_d_ix",
        "product_block_relations",
        ["in_use_by_id", "depends_on_id"],
        unique=True,
    )
    op.create_table(
        "workflows",
        sa.Column("workflow_id", sa.Uuid, server_default=new_uuid, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("target", sa.String, nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=now, nullable=False
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_task", sa.Boolean, server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("workflow_id", name="workflows_pkey"),
        sa.UniqueConstraint("name", name="workflows_name_key"),
    )
    op.create_table(
        "products_workflows",
        sa.Column("product_id", sa.Uuid, nullable=False),
        sa.Column("workflow_id", sa.Uuid, nullable=False),
        sa.PrimaryKeyConstraint("product_id", "workflow_id", name="products_workflows_pkey"),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.product_id"],
            ondelete="CASCADE",
            name="products_workflows_product_id_fkey",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.workflow_id"],
            ondelete="CASCADE",
            name="products_workflows_workflow_id_fkey",
        ),
    )

    # orchestrator-core's tables that refer to the registry with NO ACTION: a product, block,
    # resource type or workflow in use by a subscription or a process cannot be deleted.
    op.create_table(
        "subscriptions",
        sa.Column("subscription_id", sa.Uuid, server_default=new_uuid, nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("status", sa.String(255), nullable=False),
        sa.Column("product_id", sa.Uuid, nullable=False),
        sa.Column("customer_id", sa.String, nullable=False),
        sa.Column("insync", sa.Boolean, nullable=False),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(5000), nullable=True),
        sa.Column("version", sa.Integer, server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("subscription_id", name="subscriptions_pkey"),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.product_id"], name="subscriptions_product_id_fkey"
        ),
    )
    op.create_index("ix_subscriptions_customer_id", "subscriptions", ["customer_id"])
    op.create_index("ix_subscriptions_product_id", "subscriptions", ["product_id"])
    op.create_index("ix_subscriptions_status", "subscriptions", ["status"])
    op.create_index(
        "subscription_customer_ix", "subscriptions", ["subscription_id", "customer_id"]
    )
    op.create_index("subscription_product_ix", "subscriptions", ["subscription_id", "product_id"])
    op.create_table(
        "subscription_instances",
        sa.Column("subscription_instance_id", sa.Uuid, server_default=new_uuid, nullable=False),
        sa.Column("subscription_id", sa.Uuid, nullable=False),
        sa.Column("product_block_id", sa.Uuid, nullable=False),
        sa.Column("label", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("subscription_instance_id", name="subscription_instances_pkey"),
        sa.ForeignKeyConstraint(
            ["product_block_id"],
            ["product_blocks.product_block_id"],
            name="subscription_instances_product_block_id_fkey",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.subscription_id"],
            ondelete="CASCADE",
            name="subscription_instances_subscription_id_fkey",
        ),
    )
    op.create_index(
        "ix_subscription_instances_product_block_id",
        "subscription_instances",
        ["product_block_id"],
    )
    op.create_index(
        "ix_subscription_instances_subscription_id", "subscription_instances", ["subscription_id"]
    )
    op.create_index(
        "subscription_instance_s_pb_ix",
        "subscription_instances",
        ["subscription_instance_id", "subscription_id", "product_block_id"],
    )
    op.create_table(
        "subscription_instance_values",
        sa.Column(
            "subscription_instance_value_id", sa.Uuid, server_default=new_uuid, nullable=False
        ),
        sa.Column("subscription_instance_id", sa.Uuid, nullable=False),
        sa.Column("resource_type_id", sa.Uuid, nullable=False),
        sa.Column("value", sa.String(10000), nullable=False),
        sa.PrimaryKeyConstraint(
            "subscription_instance_value_id", name="subscription_instance_values_pkey"
        ),
        sa.ForeignKeyConstraint(
            ["resource_type_id"],
            ["resource_types.resource_type_id"],
            name="subscription_instance_values_resource_type_id_fkey",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_instance_id"],
            ["subscription_instances.subscription_instance_id"],
            ondelete="CASCADE",
            name="subscription_instance_values_subscription_instance_id_fkey",
        ),
    )
    op.create_index(
        "ix_subscription_instance_values_resource_type_id",
        "subscription_instance_values",
        ["resource_type_id"],
    )
    op.create_index(
        "ix_subscription_instance_values_subscription_instance_id",
        "subscription_instance_values",
        ["subscription_instance_id"],
    )
    op.create_index(
        "siv_si_rt_ix",
        "subscription_instance_values",
        ["subscription_instance_value_id", "subscription_instance_id", "resource_type_id"],
    )
    op.create_table(
        "processes",
        sa.Column("pid", sa.Uuid, server_default=new_uuid, nullable=False),
        sa.Column("assignee", sa.String(50), server_default="SYSTEM", nullable=False),
        sa.Column("last_status", sa.String(50), nullable=False),
        sa.Column("last_step", sa.String(255), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column(
            "last_modified_at", sa.DateTime(timezone=True), server_default=now, nullable=False
        ),
        sa.Column("failed_reason", sa.String(10000), nullable=True),
        sa.Column("traceback", sa.String(50000), nullable=True),
        sa.Column("created_by", sa.String(255), nullable=True),
        sa.Column("is_task", sa.Boolean, server_default=sa.false(), nullable=False),
        sa.Column("workflow_id", sa.Uuid, nullable=False),
        sa.Column("note", sa.String(5000), nullable=True),
        sa.PrimaryKeyConstraint("pid", name="processes_pkey"),
        sa.ForeignKeyConstraint(
            ["workflow_id"], ["workflows.workflow_id"], name="processes_workflow_id_fkey"
        ),
    )
    op.create_index("ix_processes_is_task", "processes", ["is_task"])
    op.create_index("ix_processes_pid", "processes", ["pid"])

    # The workflows a real app has from its first `db upgrade heads`. PostgreSQL makes their ids;
    # SQLite has no UUID default, so there they are made here.
    workflows = sa.table(
        "workflows",
        sa.column("workflow_id", sa.Uuid),
        sa.column("name", sa.String),
        sa.column("target", sa.String),
        sa.column("description", sa.String),
        sa.column("is_task", sa.Boolean),
    )
    op.bulk_insert(
        workflows,
        [
            {
                **({} if on_postgresql else {"workflow_id": uuid.uuid4()}),
                "name": name,
                "target": target,
                "description": description,
                "is_task": is_task,
            }
            for name, target, description, is_task in SEEDED_WORKFLOWS
        ],
    )


def downgrade() -> None:
    # Children before parents, so that no foreign key points at a dropped table. Dropping
    # workflows drops the seeded rows with it.
    op.drop_table("processes")
    op.drop_table("subscription_instance_values")
    op.drop_table("subscription_instances")
    op.drop_table("subscriptions")
    op.drop_table("products_workflows")
    op.drop_table("workflows")
    op.drop_table("product_block_relations")
    op.drop_table("product_block_resource_types")
    op.drop_table("product_product_blocks")
    op.drop_table("fixed_inputs")
    op.drop_table("resource_types")
    op.drop_table("product_blocks")
    op.drop_table("products")
