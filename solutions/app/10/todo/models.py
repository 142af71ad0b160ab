"""The to-do app's models: what the application expects the database to look like.

``migrations/env.py`` reads ``Base.metadata`` from this file for ``alembic revision
--autogenerate`` and ``alembic check``. Lesson 10 starts with this copy (your earlier one is
backed up first): the app now has categories and to-dos, which no migration creates yet.
"""

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints let a migration drop exactly the constraint it created (see lesson 06).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


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


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(45), unique=True)


class Todo(Base):
    __tablename__ = "todos"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    complete: Mapped[bool] = mapped_column(server_default=sa.false())
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"))
