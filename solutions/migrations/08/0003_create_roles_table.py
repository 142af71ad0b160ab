"""create roles table

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
    op.create_table(
        "roles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(45), nullable=False, unique=True),
        sa.Column("description", sa.String(200)),
    )
    # A lightweight table: only its name and the columns this revision writes.
    roles = sa.table("roles", sa.column("name", sa.String), sa.column("description", sa.String))
    op.bulk_insert(
        roles,
        [
            {"name": "admin", "description": "manages everyone's to-dos"},
            {"name": "user", "description": "manages their own to-dos"},
        ],
    )


def downgrade() -> None:
    op.drop_table("roles")
