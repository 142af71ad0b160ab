"""add user last login

Revision ID: 0003b
Revises: 0002
Create Date: 2026-11-21 12:05:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0003b'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("last_login", sa.DateTime))


def downgrade() -> None:
    op.drop_column("users", "last_login")
