"""longer phone numbers

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
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("phone_number", existing_type=sa.String(20), type_=sa.String(30))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("phone_number", existing_type=sa.String(30), type_=sa.String(20))
