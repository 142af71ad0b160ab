"""Add username registration product

Revision ID: data0001
Revises: data0000
Create Date: 2026-11-22 13:00:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

from migrations.helpers import create, create_workflow, delete

# revision identifiers, used by Alembic.
revision: str = 'data0001'
down_revision: str | Sequence[str] | None = 'data0000'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRODUCT = "Username registration"
BLOCK = "Username"
WORKFLOW = "create_username_registration"


def upgrade() -> None:
    conn = op.get_bind()
    # The product and its block, with ids made once for this file (python -c "import uuid;
    # print(uuid.uuid4())"). create() also links every product to modify_note.
    create(
        conn,
        {
            "product_blocks": {
                BLOCK: {
                    "product_block_id": "4a77abe0-9074-473a-adcd-da9f2121d8f9",
                    "description": "Username block",
                    "tag": "UNR",
                    "status": "active",
                    "resources": {"username": "Unique name of a user"},
                },
            },
            "products": {
                PRODUCT: {
                    "product_id": "b20823c5-6447-445a-a6bb-0ef37333d766",
                    "product_type": "UNPT",
                    "description": "Username registration",
                    "tag": "UNR",
                    "status": "active",
                    "root_product_block": BLOCK,
                },
            },
        },
    )
    # The workflow, linked to every product of the product type UNPT.
    create_workflow(
        conn,
        {
            "name": WORKFLOW,
            "target": "CREATE",
            "description": "Create username registration",
            "product_type": "UNPT",
        },
    )


def downgrade() -> None:
    conn = op.get_bind()
    # By name, with their link rows: resource types, blocks, products, then workflows.
    delete(
        conn,
        {
            "resource_types": ["username"],
            "product_blocks": [BLOCK],
            "products": [PRODUCT],
            "workflows": [WORKFLOW],
        },
    )
