"""Add username registration product

Revision ID: data0001
Revises: data0000
Create Date: 2026-11-22 12:00:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = 'data0001'
down_revision: str | Sequence[str] | None = 'data0000'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRODUCT = "Username registration"
BLOCK = "Username"
RESOURCE_TYPE = "username"
WORKFLOW = "create_username_registration"
# orchestrator-core expects every active product to have this workflow (its schema seeds it).
MODIFY_NOTE = "modify_note"


def upgrade() -> None:
    conn = op.get_bind()

    # The rows. Each has a unique name, so a second run inserts nothing.
    conn.execute(
        sa.text("""
            INSERT INTO products (name, description, product_type, tag, status)
            VALUES (:name, :description, :product_type, :tag, :status)
            ON CONFLICT DO NOTHING
        """),
        {
            "name": PRODUCT,
            "description": "Username registration",
            "product_type": "UNPT",
            "tag": "UNR",
            "status": "active",
        },
    )
    conn.execute(
        sa.text("""
            INSERT INTO product_blocks (name, description, tag, status)
            VALUES (:name, :description, :tag, :status)
            ON CONFLICT DO NOTHING
        """),
        {"name": BLOCK, "description": "Username block", "tag": "UNR", "status": "active"},
    )
    conn.execute(
        sa.text("""
            INSERT INTO resource_types (resource_type, description)
            VALUES (:resource_type, :description)
            ON CONFLICT DO NOTHING
        """),
        {"resource_type": RESOURCE_TYPE, "description": "Unique name of a user"},
    )
    conn.execute(
        sa.text("""
            INSERT INTO workflows (name, target, description)
            VALUES (:name, :target, :description)
            ON CONFLICT DO NOTHING
        """),
        {"name": WORKFLOW, "target": "CREATE", "description": "Create username registration"},
    )

    # The link rows. Their ids are looked up by name, in the same statement.
    conn.execute(
        sa.text("""
            INSERT INTO product_product_blocks (product_id, product_block_id)
            SELECT p.product_id, b.product_block_id
            FROM products AS p, product_blocks AS b
            WHERE p.name = :product AND b.name = :block
            ON CONFLICT DO NOTHING
        """),
        {"product": PRODUCT, "block": BLOCK},
    )
    conn.execute(
        sa.text("""
            INSERT INTO product_block_resource_types (product_block_id, resource_type_id)
            SELECT b.product_block_id, r.resource_type_id
            FROM product_blocks AS b, resource_types AS r
            WHERE b.name = :block AND r.resource_type = :resource_type
            ON CONFLICT DO NOTHING
        """),
        {"block": BLOCK, "resource_type": RESOURCE_TYPE},
    )
    conn.execute(
        sa.text("""
            INSERT INTO products_workflows (product_id, workflow_id)
            SELECT p.product_id, w.workflow_id
            FROM products AS p, workflows AS w
            WHERE p.name = :product AND w.name = :workflow
            ON CONFLICT DO NOTHING
        """),
        {"product": PRODUCT, "workflow": WORKFLOW},
    )
    # Every product also gets modify_note, as orchestrator-core's validation expects (the
    # helper for it is ensure_default_workflows, lesson 13). Same statement, another workflow.
    conn.execute(
        sa.text("""
            INSERT INTO products_workflows (product_id, workflow_id)
            SELECT p.product_id, w.workflow_id
            FROM products AS p, workflows AS w
            WHERE p.name = :product AND w.name = :workflow
            ON CONFLICT DO NOTHING
        """),
        {"product": PRODUCT, "workflow": MODIFY_NOTE},
    )


def downgrade() -> None:
    conn = op.get_bind()
    # Deleting the product deletes its link rows too (ON DELETE CASCADE), modify_note's too;
    # modify_note itself stays: the schema seeded it.
    conn.execute(sa.text("DELETE FROM products WHERE name = :name"), {"name": PRODUCT})
    # Then what only this product used: what another product still uses stays.
    conn.execute(
        sa.text("""
            DELETE FROM product_blocks AS b
            WHERE b.name = :name AND NOT EXISTS (
                SELECT 1 FROM product_product_blocks AS pb
                WHERE pb.product_block_id = b.product_block_id)
        """),
        {"name": BLOCK},
    )
    conn.execute(
        sa.text("""
            DELETE FROM resource_types AS r
            WHERE r.resource_type = :resource_type AND NOT EXISTS (
                SELECT 1 FROM product_block_resource_types AS br
                WHERE br.resource_type_id = r.resource_type_id)
        """),
        {"resource_type": RESOURCE_TYPE},
    )
    conn.execute(
        sa.text("""
            DELETE FROM workflows AS w
            WHERE w.name = :name AND NOT EXISTS (
                SELECT 1 FROM products_workflows AS pw WHERE pw.workflow_id = w.workflow_id)
        """),
        {"name": WORKFLOW},
    )
