"""Create phone number for user column

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
    op.execute("ALTER TABLE users ADD COLUMN phone_number VARCHAR(20)")


def downgrade() -> None:
    op.execute("ALTER TABLE users DROP COLUMN phone_number")
