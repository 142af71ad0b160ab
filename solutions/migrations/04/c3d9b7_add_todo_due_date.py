"""add todo due date

Revision ID: c3d9b7
Revises: ae52f1
Create Date: 2026-11-21 11:10:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = 'c3d9b7'
down_revision: str | Sequence[str] | None = 'ae52f1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("todos", sa.Column("due_date", sa.Date))


def downgrade() -> None:
    op.drop_column("todos", "due_date")
