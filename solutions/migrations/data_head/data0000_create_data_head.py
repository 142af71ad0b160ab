"""Create data head.

Revision ID: data0000
Revises: 
Create Date: 2026-11-22 12:00:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = 'data0000'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('data',)
depends_on: str | Sequence[str] | None = '544fd845554d'


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
