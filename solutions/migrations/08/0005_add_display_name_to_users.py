"""add display name to users

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 10:20:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # 1. Add the column, allowing NULL for now, so that the existing rows are fine.
    op.add_column("users", sa.Column("display_name", sa.String(100), nullable=True))
    # 2. Backfill: give every existing row a value.
    op.execute("UPDATE users SET display_name = COALESCE(first_name, username)")
    # 3. No row is NULL any more: forbid NULL from now on. On PostgreSQL this is a plain
    #    ALTER COLUMN; SQLite cannot change a column, so batch mode rebuilds the table there.
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("display_name", existing_type=sa.String(100), nullable=False)


def downgrade() -> None:
    op.drop_column("users", "display_name")
