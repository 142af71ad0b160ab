"""phone numbers are unique

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 10:10:00.000000

"""
from collections.abc import Sequence

from alembic import context, op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if not context.is_offline_mode():
        # Online only: offline there is no data to read. The script then goes without this
        # check, and its CREATE UNIQUE INDEX fails by itself if there are duplicates.
        duplicates = op.get_bind().execute(
            sa.text(
                "SELECT phone_number FROM users WHERE phone_number IS NOT NULL "
                "GROUP BY phone_number HAVING count(*) > 1"
            )
        ).scalars().all()
        if duplicates:
            raise RuntimeError(f"Give these users different phone numbers first: {duplicates}")
    op.create_index("ix_users_phone_number", "users", ["phone_number"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_users_phone_number", table_name="users")
