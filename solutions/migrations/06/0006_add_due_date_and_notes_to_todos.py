"""add due date and notes to todos

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 10:25:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("todos", sa.Column("due_date", sa.Date(), nullable=True))
    op.alter_column("todos", "description", new_column_name="notes")


def downgrade() -> None:
    op.alter_column("todos", "notes", new_column_name="description")
    op.drop_column("todos", "due_date")
