"""deactivate test accounts

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


TEST_ACCOUNTS = "%@example.com"


def upgrade() -> None:
    # op.execute with the values bound to the statement: works online and offline (--sql).
    op.execute(
        sa.text("UPDATE users SET is_active = :active WHERE email LIKE :pattern").bindparams(
            active=False, pattern=TEST_ACCOUNTS
        )
    )


def downgrade() -> None:
    # The connection's execute, with one dict of values: online only.
    op.get_bind().execute(
        sa.text("UPDATE users SET is_active = :active WHERE email LIKE :pattern"),
        {"active": True, "pattern": TEST_ACCOUNTS},
    )
