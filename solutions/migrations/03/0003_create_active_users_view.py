"""create active users view

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 10:10:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE VIEW active_users AS
        SELECT id, username, email, phone_number
        FROM users
        WHERE is_active
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW active_users")
