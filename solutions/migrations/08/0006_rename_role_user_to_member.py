"""rename role user to member

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 10:25:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


RENAME = sa.text("UPDATE users SET role = :new WHERE role = :old")
RENAME_ROLE = sa.text("UPDATE roles SET name = :new WHERE name = :old")


def upgrade() -> None:
    op.execute(RENAME_ROLE.bindparams(old="user", new="member"))
    op.execute(RENAME.bindparams(old="user", new="member"))


def downgrade() -> None:
    op.execute(RENAME_ROLE.bindparams(old="member", new="user"))
    op.execute(RENAME.bindparams(old="member", new="user"))
