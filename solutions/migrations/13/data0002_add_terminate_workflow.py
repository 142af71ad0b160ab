"""Add terminate workflow

Revision ID: data0002
Revises: data0001
Create Date: 2026-11-22 13:10:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

from migrations.helpers import create_workflow, delete_workflow

# revision identifiers, used by Alembic.
revision: str = 'data0002'
down_revision: str | Sequence[str] | None = 'data0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    conn = op.get_bind()
    create_workflow(
        conn,
        {
            "name": "terminate_username_registration",
            "target": "TERMINATE",
            "description": "Terminate username registration",
            "product_type": "UNPT",
        },
    )


def downgrade() -> None:
    conn = op.get_bind()
    # Its links to products go with it (ON DELETE CASCADE).
    delete_workflow(conn, "terminate_username_registration")
