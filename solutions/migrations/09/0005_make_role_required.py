"""make role required

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
    op.execute("UPDATE users SET role = 'member' WHERE role IS NULL")
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column(
            "role", existing_type=sa.String(45), nullable=False, server_default="member"
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column(
            "role", existing_type=sa.String(45), nullable=True, server_default=None
        )
