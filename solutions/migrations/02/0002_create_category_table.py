"""create category table

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 10:05:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "category",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(30), nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id")),
    )


def downgrade() -> None:
    op.drop_table("category")
