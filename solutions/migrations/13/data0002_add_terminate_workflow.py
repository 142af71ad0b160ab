"""Add terminate workflow

Revision ID: data0002
Revises: data0001
Create Date: 2026-11-22 13:10:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

from workshop.product_helpers import (
    create_product_workflow,
    create_workflow,
    delete_product_workflow,
    delete_workflow,
)

# revision identifiers, used by Alembic.
revision: str = 'data0002'
down_revision: str | Sequence[str] | None = 'data0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    conn = op.get_bind()
    create_workflow(
        conn,
        "terminate_username_registration",
        target="TERMINATE",
        description="Terminate username registration",
    )
    create_product_workflow(conn, "Username registration", "terminate_username_registration")


def downgrade() -> None:
    conn = op.get_bind()
    delete_product_workflow(conn, "Username registration", "terminate_username_registration")
    delete_workflow(conn, "terminate_username_registration")
