"""rename phone number to phone

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 10:15:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("users", "phone_number", new_column_name="phone")


def downgrade() -> None:
    op.alter_column("users", "phone", new_column_name="phone_number")
