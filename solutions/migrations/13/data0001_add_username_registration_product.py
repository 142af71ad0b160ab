"""Add username registration product

Revision ID: data0001
Revises:
Create Date: 2026-11-22 13:00:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

from workshop.product_helpers import (
    create_product,
    create_product_block,
    create_product_block_resource_type,
    create_product_product_block,
    create_product_workflow,
    create_resource_type,
    create_workflow,
    delete_product,
    delete_product_block,
    delete_resource_type,
    delete_workflow,
)

# revision identifiers, used by Alembic.
revision: str = 'data0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('data',)
depends_on: str | Sequence[str] | None = 'schema0001'

PRODUCT = "Username registration"
BLOCK = "Username"
RESOURCE_TYPE = "username"
WORKFLOW = "create_username_registration"


def upgrade() -> None:
    conn = op.get_bind()
    create_product(
        conn, PRODUCT, description="Username registration", product_type="UNPT", tag="UNR"
    )
    create_product_block(conn, BLOCK, description="Username block", tag="UNR")
    create_resource_type(conn, RESOURCE_TYPE, "Unique name of a user")
    create_workflow(conn, WORKFLOW, target="CREATE", description="Create username registration")
    create_product_product_block(conn, PRODUCT, BLOCK)
    create_product_block_resource_type(conn, BLOCK, RESOURCE_TYPE)
    create_product_workflow(conn, PRODUCT, WORKFLOW)


def downgrade() -> None:
    conn = op.get_bind()
    # The inverses, in reverse order. Deleting a row deletes its link rows (cascade).
    delete_workflow(conn, WORKFLOW)
    delete_resource_type(conn, RESOURCE_TYPE)
    delete_product_block(conn, BLOCK)
    delete_product(conn, PRODUCT)
