"""create users table

Revision ID: 0001
Revises:
Create Date: 2026-11-21 10:00:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(200), nullable=False, unique=True),
        sa.Column("username", sa.String(45), nullable=False, unique=True),
        sa.Column("first_name", sa.String(45)),
        sa.Column("last_name", sa.String(45)),
        sa.Column("hashed_password", sa.String(200)),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("role", sa.String(45)),
    )


def downgrade() -> None:
    op.drop_table("users")
