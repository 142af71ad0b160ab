"""The to-do app's models: what the application expects the database to look like.

migrations/env.py reads ``Base.metadata`` from this file afresh for every
``alembic revision --autogenerate`` and ``alembic check``.
"""

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(200), unique=True)
    username: Mapped[str] = mapped_column(sa.String(45), unique=True)
    first_name: Mapped[str | None] = mapped_column(sa.String(45))
    last_name: Mapped[str | None] = mapped_column(sa.String(45))
    hashed_password: Mapped[str | None] = mapped_column(sa.String(200))
    is_active: Mapped[bool] = mapped_column(server_default=sa.true())
    role: Mapped[str | None] = mapped_column(sa.String(45))
    phone_number: Mapped[str | None] = mapped_column(sa.String(20))
