"""seed welcome todo

Revision ID: d002
Revises: d001
Create Date: 2026-11-21 12:15:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = 'd002'
down_revision: str | Sequence[str] | None = 'd001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = '0003a'


def upgrade() -> None:
    op.execute(
        "INSERT INTO todos (title, owner_id) "
        "SELECT 'Welcome! Tick me off.', id FROM users WHERE username = 'admin'"
    )


def downgrade() -> None:
    op.execute("DELETE FROM todos WHERE title = 'Welcome! Tick me off.'")
