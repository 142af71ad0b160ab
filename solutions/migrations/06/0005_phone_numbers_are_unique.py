"""phone numbers are unique

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
    # On PostgreSQL this is a plain ALTER TABLE. SQLite cannot add a constraint to a table, so
    # batch mode rebuilds the table there (lesson 09).
    with op.batch_alter_table("users") as batch_op:
        batch_op.create_unique_constraint(batch_op.f("users_phone_key"), ["phone"])


def downgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint(batch_op.f("users_phone_key"), type_="unique")
