"""seed admin user

Revision ID: d001
Revises: 
Create Date: 2026-11-21 12:10:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = 'd001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('data',)
depends_on: str | Sequence[str] | None = '0001'


def upgrade() -> None:
    op.execute(
        "INSERT INTO users (email, username, role) "
        "VALUES ('admin@example.com', 'admin', 'admin')"
    )


def downgrade() -> None:
    op.execute("DELETE FROM users WHERE username = 'admin'")
