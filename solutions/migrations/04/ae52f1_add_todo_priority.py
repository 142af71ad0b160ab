"""add todo priority

Revision ID: ae52f1
Revises: ae10c4
Create Date: 2026-11-21 11:05:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = 'ae52f1'
down_revision: str | Sequence[str] | None = 'ae10c4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("todos", sa.Column("priority", sa.Integer, nullable=False, server_default="3"))


def downgrade() -> None:
    op.drop_column("todos", "priority")
