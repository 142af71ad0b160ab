"""Add display name resource type

Revision ID: data0002
Revises: data0001
Create Date: 2026-11-22 12:10:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = 'data0002'
down_revision: str | Sequence[str] | None = 'data0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    conn = op.get_bind()
    conn.execute(
        sa.text("""
            INSERT INTO resource_types (resource_type, description)
            VALUES (:resource_type, :description)
            ON CONFLICT DO NOTHING
        """),
        {"resource_type": "display_name", "description": "Name shown to other users"},
    )
    conn.execute(
        sa.text("""
            INSERT INTO product_block_resource_types (product_block_id, resource_type_id)
            SELECT b.product_block_id, r.resource_type_id
            FROM product_blocks AS b, resource_types AS r
            WHERE b.name = :block AND r.resource_type = :resource_type
            ON CONFLICT DO NOTHING
        """),
        {"block": "Username", "resource_type": "display_name"},
    )


def downgrade() -> None:
    conn = op.get_bind()
    # Deleting the resource type deletes its link to the block too (ON DELETE CASCADE).
    conn.execute(
        sa.text("DELETE FROM resource_types WHERE resource_type = :resource_type"),
        {"resource_type": "display_name"},
    )
