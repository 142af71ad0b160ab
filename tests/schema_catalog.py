"""Tables as PostgreSQL's catalog describes them, and their differences in plain words.

The products track promises orchestrator-core's product registry "column for column". This reads
what both databases really have, from ``pg_catalog``, as PostgreSQL prints it
(``format_type``, ``pg_get_expr``, ``pg_get_constraintdef``, ``pg_get_indexdef``). Both servers
are PostgreSQL 18, so equal definitions print equally and a difference in the text is a
difference in the schema:

* columns, in order: type with its length, NOT NULL, default;
* constraints by name: primary key, unique, check, and foreign keys with ON DELETE and ON UPDATE
  spelt out (PostgreSQL leaves NO ACTION out of its own text);
* indexes by name, including those behind a primary key or unique constraint;
* the rows, as seeded: every column but random UUIDs, with a timestamp read as set or not set.

Not compared: the names PostgreSQL 18 gives NOT NULL constraints (nullability is compared on the
columns), and triggers (listed by :func:`trigger_notes`). orchestrator-core's triggers keep its
``subscriptions_search`` view fresh, and the kit has no such view.

One difference is accepted on purpose, and said so each time. A UUID column's default is
``uuid_generate_v4()`` in orchestrator-core, which needs the ``uuid-ossp`` extension. The kit's
embedded server has no uuid-ossp, so the kit uses PostgreSQL's built-in ``gen_random_uuid()``.
Both make a random version 4 UUID. Only that exact pair, on a ``uuid`` column, counts as equal.
Any other default difference, including a default present on one side only, is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

#: The pair of UUID defaults treated as equal (orchestrator-core's, the kit's).
UUID_DEFAULTS = ("uuid_generate_v4()", "gen_random_uuid()")

_ACTIONS = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    not_null: bool
    default: str | None

    def words(self) -> str:
        text = f"{self.type} {'NOT NULL' if self.not_null else 'NULL'}"
        return text + (f" DEFAULT {self.default}" if self.default is not None else "")


@dataclass
class Table:
    """One table as the catalog has it."""

    columns: list[Column] = field(default_factory=list)
    #: constraint name -> its definition in words (foreign keys with both actions spelt out)
    constraints: dict[str, str] = field(default_factory=dict)
    #: index name -> its definition, as ``CREATE [UNIQUE] INDEX`` without the index's name
    indexes: dict[str, str] = field(default_factory=dict)
    triggers: list[str] = field(default_factory=list)
    #: column name -> value as text, for every column but the UUIDs
    rows: list[dict[str, str | None]] = field(default_factory=list)


def describe(conn: sa.Connection, tables: tuple[str, ...]) -> dict[str, Table]:
    """The tables of ``tables`` that exist in the ``public`` schema, read from the catalog."""
    found: dict[str, Table] = {}
    for name in tables:
        oid = conn.execute(
            sa.text("SELECT to_regclass(:name)::oid"), {"name": f"public.{name}"}
        ).scalar()
        if oid is None:
            continue
        table = found[name] = Table()
        for row in conn.execute(
            sa.text(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
                "pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
                "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                "WHERE a.attrelid = :oid AND a.attnum > 0 AND NOT a.attisdropped "
                "ORDER BY a.attnum"
            ),
            {"oid": oid},
        ):
            table.columns.append(Column(*row))
        for conname, contype, definition, on_delete, on_update in conn.execute(
            sa.text(
                "SELECT conname, contype, pg_get_constraintdef(oid), confdeltype, confupdtype "
                "FROM pg_constraint WHERE conrelid = :oid AND contype NOT IN ('n', 't')"
            ),
            {"oid": oid},
        ):
            if contype == "f":
                # PostgreSQL's text leaves NO ACTION out; say each action, whatever it is.
                target = definition.split(" ON DELETE ")[0].split(" ON UPDATE ")[0]
                definition = (
                    f"{target} ON DELETE {_ACTIONS[on_delete]} ON UPDATE {_ACTIONS[on_update]}"
                )
            table.constraints[conname] = definition
        for index_name, definition in conn.execute(
            sa.text(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = :oid"
            ),
            {"oid": oid},
        ):
            table.indexes[index_name] = definition.replace(f" INDEX {index_name} ON ", " INDEX ON ")
        table.triggers = sorted(
            conn.execute(
                sa.text("SELECT tgname FROM pg_trigger WHERE tgrelid = :oid AND NOT tgisinternal"),
                {"oid": oid},
            ).scalars()
        )
        table.rows = _rows(conn, name, table.columns)
    return found


def _rows(conn: sa.Connection, name: str, columns: list[Column]) -> list[dict[str, str | None]]:
    """The rows as text, without random UUIDs; a timestamp only as set or not."""
    picked = []
    for column in columns:
        quoted = f'"{column.name}"'
        if column.type == "uuid":
            continue
        if column.type.startswith("timestamp"):
            picked.append(f"CASE WHEN {quoted} IS NULL THEN NULL ELSE 'set' END AS {quoted}")
        else:
            picked.append(f"{quoted}::text AS {quoted}")
    select = ", ".join(picked) if picked else "1 AS one"
    return [dict(row._mapping) for row in conn.execute(sa.text(f'SELECT {select} FROM "{name}"'))]


def _same_default(type_: str, real: str | None, kit: str | None) -> bool:
    """Equal, or the one accepted pair of UUID defaults on a uuid column."""
    return real == kit or (type_ == "uuid" and (real, kit) == UUID_DEFAULTS)


def differences(
    real: dict[str, Table], kit: dict[str, Table], tables: tuple[str, ...]
) -> list[str]:
    """Every way the kit's ``tables`` differ from orchestrator-core's, one sentence each."""
    out: list[str] = []
    for name in tables:
        if name not in real or name not in kit:
            if name in real or name in kit:
                side = "real orchestrator-core" if name in real else "the kit"
                out.append(f"table {name}: only {side} has it")
            continue
        out += _table_differences(name, real[name], kit[name])
    return out


def _table_differences(name: str, real: Table, kit: Table) -> list[str]:
    out: list[str] = []
    real_columns = {c.name: c for c in real.columns}
    kit_columns = {c.name: c for c in kit.columns}
    for column in real.columns:
        theirs = kit_columns.get(column.name)
        where = f"{name}.{column.name}"
        if theirs is None:
            out.append(f"{where}: missing in the kit (real: {column.words()})")
            continue
        if column.type != theirs.type:
            out.append(f"{where}: type is {column.type} in real, {theirs.type} in the kit")
        if column.not_null != theirs.not_null:
            real_null = "NOT NULL" if column.not_null else "nullable"
            kit_null = "NOT NULL" if theirs.not_null else "nullable"
            out.append(f"{where}: {real_null} in real, {kit_null} in the kit")
        if not _same_default(column.type, column.default, theirs.default):
            out.append(
                f"{where}: default is {column.default or 'none'} in real, "
                f"{theirs.default or 'none'} in the kit"
            )
    for column in kit.columns:
        if column.name not in real_columns:
            out.append(f"{name}.{column.name}: only in the kit ({column.words()})")
    real_order = [c.name for c in real.columns if c.name in kit_columns]
    kit_order = [c.name for c in kit.columns if c.name in real_columns]
    if real_order != kit_order:
        out.append(
            f"{name}: the columns are in another order: real {', '.join(real_order)}; "
            f"the kit {', '.join(kit_order)}"
        )
    out += _named(name, "constraint", real.constraints, kit.constraints)
    out += _named(name, "index", real.indexes, kit.indexes)
    # Rows over the columns both have (a missing column is reported above, not in every row).
    common = [
        c.name
        for c in real.columns
        if c.type != "uuid" and c.name in kit_columns and kit_columns[c.name].type != "uuid"
    ]
    real_rows = _projected(real.rows, common)
    kit_rows = _projected(kit.rows, common)
    columns = ", ".join(common)
    for row in _multiset_minus(real_rows, kit_rows):
        out.append(f"{name}: row ({columns}) = {row} is seeded in real, not in the kit")
    for row in _multiset_minus(kit_rows, real_rows):
        out.append(f"{name}: row ({columns}) = {row} is in the kit, not in real")
    return out


def _projected(rows: list[dict[str, str | None]], columns: list[str]) -> list[tuple]:
    found = [tuple(row[c] for c in columns) for row in rows]
    return sorted(found, key=lambda row: tuple("" if v is None else v for v in row))


def _named(table: str, kind: str, real: dict[str, str], kit: dict[str, str]) -> list[str]:
    out = []
    for name, definition in real.items():
        if name not in kit:
            same = [other for other, theirs in kit.items() if theirs == definition]
            also = f"; the kit has it as {', '.join(same)}" if same else ""
            out.append(f"{table}: {kind} {name} missing in the kit (real: {definition}){also}")
        elif kit[name] != definition:
            out.append(f"{table}: {kind} {name} is {definition} in real, {kit[name]} in the kit")
    for name, definition in kit.items():
        if name not in real:
            out.append(f"{table}: {kind} {name} only in the kit ({definition})")
    return out


def _multiset_minus(these: list[tuple], those: list[tuple]) -> list[tuple]:
    left = list(those)
    out = []
    for row in these:
        if row in left:
            left.remove(row)
        else:
            out.append(row)
    return out


def accepted_notes(real: dict[str, Table], kit: dict[str, Table]) -> list[str]:
    """The differences accepted on purpose (see the module's docstring), one line each."""
    notes = []
    for name, table in real.items():
        theirs = {c.name: c for c in kit[name].columns} if name in kit else {}
        for column in table.columns:
            other = theirs.get(column.name)
            if other is not None and column.type == "uuid" and column.default != other.default:
                if (column.default, other.default) == UUID_DEFAULTS:
                    notes.append(
                        f"{name}.{column.name}: default {column.default} in real, "
                        f"{other.default} in the kit (accepted: the kit's server has no "
                        "uuid-ossp; both make a random version 4 UUID)"
                    )
    return notes


def trigger_notes(real: dict[str, Table], kit: dict[str, Table]) -> list[str]:
    """Triggers one side has and the other lacks: shown, not compared (see the docstring)."""
    notes = []
    for name, table in real.items():
        mine = set(kit[name].triggers) if name in kit else set()
        for trigger in table.triggers:
            if trigger not in mine:
                notes.append(f"{name}: trigger {trigger} only in real (not compared)")
    return notes
