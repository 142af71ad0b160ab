"""What a table really looks like in the database, on PostgreSQL and SQLite alike.

``information_schema`` is the standard way to ask, and the PostgreSQL lessons show it with
``%sql``; SQLite has no ``information_schema``. Lessons that also run on SQLite use
:func:`describe_table`, which asks through SQLAlchemy's inspector and prints the same facts.
"""

from __future__ import annotations

import sqlalchemy as sa

from workshop import db


def describe_table(table: str) -> None:
    """Print the table's columns (type, NULL allowed, default) and its constraints.

    A view is described too (``has_table`` is true for one), but called a view: its columns
    come from its query, and it has no keys or constraints of its own to list.
    """
    inspector = sa.inspect(db.engine())
    if not inspector.has_table(table):
        print(f"There is no table {table!r} in the database.")
        return
    is_view = table in inspector.get_view_names()
    primary = set(inspector.get_pk_constraint(table)["constrained_columns"])
    rows = [("column", "type", "null", "default")]
    for column in inspector.get_columns(table):
        name = column["name"] + (" (PK)" if column["name"] in primary else "")
        default = column.get("default")
        # A primary key is never NULL, though SQLite reports its INTEGER PRIMARY KEY as nullable.
        nullable = column["nullable"] and column["name"] not in primary
        rows.append((name, str(column["type"]), "yes" if nullable else "no", str(default or "")))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    if is_view:
        print(f"View {table} (a stored query: no keys or constraints of its own)")
    else:
        print(f"Table {table}")
    for row in rows:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    if is_view:
        return
    uniques = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}
    extra = {"include_auto_indexes": True} if inspector.dialect.name == "sqlite" else {}
    indexes = []
    for index in inspector.get_indexes(table, **extra):
        names = tuple(c for c in index["column_names"] if c)
        if (index["name"] or "").startswith("sqlite_autoindex"):
            # SQLite keeps an inline column UNIQUE only as an automatic index.
            uniques.add(names)
        elif index.get("unique") and not index.get("duplicates_constraint"):
            indexes.append(names)
    for names in sorted(uniques - {tuple(primary)}):
        print(f"  unique: {', '.join(names)}")
    for names in sorted(indexes):
        print(f"  unique index: {', '.join(names)}")
    for fk in inspector.get_foreign_keys(table):
        print(
            f"  foreign key: {', '.join(fk['constrained_columns'])} -> "
            f"{fk['referred_table']}({', '.join(fk['referred_columns'])})"
        )


def tables() -> list[str]:
    """The tables in the database, sorted (``alembic_version`` included)."""
    return sorted(sa.inspect(db.engine()).get_table_names())
