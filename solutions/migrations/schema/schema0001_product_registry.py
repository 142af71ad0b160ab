"""product registry tables

The nine tables of orchestrator-core's product registry, with its table, column and constraint
names: products, product_blocks, resource_types, fixed_inputs, workflows, and the link tables
product_product_blocks, product_block_resource_types, product_block_relations and
products_workflows.

This is the root of the ``schema`` branch. Product data (rows in these tables) lives in the
``data`` branch, whose revisions depend on this one: run ``upgrade heads`` to apply both.

Revision ID: schema0001
Revises:
Create Date: 2026-11-22 10:00:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = 'schema0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('schema',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # PostgreSQL makes the UUID primary keys itself (gen_random_uuid() is built in since 13).
    # SQLite has no such function: there the kit's helpers supply the ids.
    on_postgresql = op.get_bind().dialect.name == "postgresql"
    new_uuid = sa.text("gen_random_uuid()") if on_postgresql else None
    # Constraints carry the names PostgreSQL would give them (and orchestrator-core has), so
    # they are the same whatever naming convention env.py's models use.

    op.create_table(
        "products",
        sa.Column("product_id", sa.Uuid, server_default=new_uuid, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("product_type", sa.String(255), nullable=False),
        sa.Column("tag", sa.String(20), nullable=False),
        sa.Column("status", sa.String(255), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("product_id", name="products_pkey"),
        sa.UniqueConstraint("name", name="products_name_key"),
    )
    op.create_table(
        "product_blocks",
        sa.Column("product_block_id", sa.Uuid, server_default=new_uuid, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("tag", sa.String(20), nullable=True),
        sa.Column("status", sa.String(255), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("product_block_id", name="product_blocks_pkey"),
        sa.UniqueConstraint("name", name="product_blocks_name_key"),
    )
    op.create_table(
        "resource_types",
        sa.Column("resource_type_id", sa.Uuid, server_default=new_uuid, nullable=False),
        sa.Column("resource_type", sa.String(510), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("resource_type_id", name="resource_types_pkey"),
        sa.UniqueConstraint("resource_type", name="resource_types_resource_type_key"),
    )
    op.create_table(
        "fixed_inputs",
        sa.Column("fixed_input_id", sa.Uuid, server_default=new_uuid, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("value", sa.String, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
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
    op.create_table(
        "workflows",
        sa.Column("workflow_id", sa.Uuid, server_default=new_uuid, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("target", sa.String, nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
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


def downgrade() -> None:
    # Children before parents, so that no foreign key points at a dropped table.
    op.drop_table("products_workflows")
    op.drop_table("workflows")
    op.drop_table("product_block_relations")
    op.drop_table("product_block_resource_types")
    op.drop_table("product_product_blocks")
    op.drop_table("fixed_inputs")
    op.drop_table("resource_types")
    op.drop_table("product_blocks")
    op.drop_table("products")
