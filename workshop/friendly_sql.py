"""Explanations for statements the database refused, told apart by SQLSTATE.

PostgreSQL gives every error a five-character code (``pgcode`` on psycopg2's exception): 42P07
is a duplicate table, 23505 a unique violation, whatever language the server speaks and however
the message is worded. These matchers go by that code, by the structured fields of the error
(``diag``: table, column, constraint, DETAIL), and by what the database holds *now*, read after
the failure. A claim about the database (undone, still there, holds rows) is made only from
what was read; a destructive step (DROP) is advised only when the read shows it loses nothing.

SQLite has no SQLSTATEs; its few cases here are told by its exact messages. The matchers are
registered with :func:`workshop.friendly.matcher` and tried before the generic "the database
refused a statement" fallback.
"""

from __future__ import annotations

import ast
import difflib
import re
from pathlib import Path

import sqlalchemy as sa

from workshop.friendly import (
    Explanation,
    _clean,
    _current_revisions,
    _database_state,
    _driver_error,
    _relative,
    _revision_frame,
    _sqlite_cleanup,
    matcher,
)

DUPLICATE_TABLE = "42P07"
DUPLICATE_COLUMN = "42701"
DUPLICATE_OBJECT = "42710"  # a constraint, index (by name) or type
LOCK_NOT_AVAILABLE = "55P03"
NOT_NULL_VIOLATION = "23502"
UNIQUE_VIOLATION = "23505"
SYNTAX_ERROR = "42601"
UNDEFINED_TABLE = "42P01"
UNDEFINED_COLUMN = "42703"
UNDEFINED_OBJECT = "42704"
_NAMED = re.compile(r'"([^"]+)"')
_SQLITE_TABLE_EXISTS = re.compile(r"^table \"?([\w.]+)\"? already exists$")


def _sqlstate(orig: BaseException | None) -> str | None:
    return getattr(orig, "pgcode", None)


def _diag(orig: BaseException | None, field: str) -> str | None:
    """One structured field of a PostgreSQL error (``table_name``, ``message_detail``, ...)."""
    return getattr(getattr(orig, "diag", None), field, None)


def _primary(orig: BaseException) -> str:
    return _diag(orig, "message_primary") or str(orig).strip().splitlines()[0]


def _detail(orig: BaseException | None) -> str:
    """PostgreSQL's DETAIL line (e.g. "Key (email)=(a@x) is duplicated."), as a sentence."""
    detail = (_diag(orig, "message_detail") or "").strip()
    return f" {detail}" if detail else ""


def _engine() -> sa.Engine:
    from workshop import db

    return db.engine()


def _quote(name: str) -> str:
    return _engine().dialect.identifier_preparer.quote(name)


def _row_count(table: str) -> int | None:
    """How many rows ``table`` holds now; None when it is not there (or cannot be read)."""
    if table not in sa.inspect(_engine()).get_table_names():
        return None
    with _engine().connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {_quote(table)}")).scalar_one()


def _source_line(file: str, line: int) -> str:
    try:
        return Path(file).read_text(encoding="utf-8").splitlines()[line - 1].strip()
    except (OSError, IndexError, UnicodeDecodeError):
        return ""


# --- another session ----------------------------------------------------------------------


def _applied_revisions() -> set[str] | None:
    """Every revision alembic_version includes now (its heads and their ancestors)."""
    from workshop import commands

    current = _current_revisions()
    if current is None:
        return None
    script = commands.script_directory()
    return {s.revision for s in script.iterate_revisions(current, "base")} if current else set()


@matcher
def applied_meanwhile(error: BaseException) -> Explanation | None:
    """Two upgrades at once: the failing revision is applied, by the other command, by now.

    The second command waited for the first one's locks and then found its tables made. Told
    from alembic_version read after the failure, not from the message (which says "already
    exists" and would otherwise get the advice for a table made by hand).
    """
    frame = _revision_frame(error)
    if _driver_error(error) is None or frame is None or frame.name != "upgrade":
        return None
    from workshop.friendly import _read_revision_file

    file = _read_revision_file(Path(frame.filename))
    applied = _applied_revisions()
    if file is None or file.revision is None or applied is None:
        return None
    if file.revision not in applied:
        return None
    now = ", ".join(_current_revisions() or ())
    return Explanation(
        _relative(frame.filename),
        frame.lineno,
        f"Another command applied revision {file.revision} while this one was running (two "
        f"upgrades at once, e.g. a terminal and a notebook), so this one found its work done "
        f"and failed: {_primary(_driver_error(error))}. The database is at {now}, which "
        f"includes {file.revision}; this command changed nothing.",
        "Nothing to repair. Run the command again: it now has nothing (or only what is left) "
        "to do. Run one migration command at a time.",
    )


@matcher
def lock_not_available(error: BaseException) -> Explanation | None:
    """55P03: the statement waited for a lock that another session holds, and gave up.

    The statement is not wrong; another session is in the way. It is named from
    ``pg_stat_activity`` and ``pg_blocking_pids`` (:func:`workshop.db.sessions_in_the_way`).
    """
    from workshop import db

    orig = _driver_error(error)
    if _sqlstate(orig) != LOCK_NOT_AVAILABLE:
        return None
    frame = _revision_frame(error)
    try:
        holders = db.sessions_in_the_way()
    except Exception:  # noqa: BLE001 - naming them is a bonus; the advice holds without it
        holders = []
    who = (
        "It is held by: " + "; ".join(holders) + "."
        if holders
        else "The session that held it has let go by now."
    )
    return Explanation(
        _relative(frame.filename) if frame else None,
        frame.lineno if frame else None,
        "This statement waited for a table that another session is using, and gave up "
        f"(lock timeout). The statement itself is not wrong. {who} A session holds such a lock "
        "until its transaction ends: an open %sql transaction in a notebook, a kernel stopped "
        "mid-cell, or an `alembic` that was killed while its statement still runs."
        + (_database_state(frame.filename) if frame else ""),
        "End that transaction where it runs (`%sql COMMIT` or ROLLBACK in that notebook, or "
        "restart its kernel), or run `workshop db unblock`, which ends only the sessions that "
        "hold this database up (their uncommitted changes are rolled back; nothing committed is "
        "lost). Then run the command again.",
    )


# --- already there -----------------------------------------------------------------------


_STATEMENT_KINDS = (
    (re.compile(r"^\s*CREATE\s+(?:UNLOGGED\s+|TEMP(?:ORARY)?\s+)?TABLE\b", re.I), "table"),
    (re.compile(r"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\b", re.I), "index"),
    (re.compile(r"^\s*ALTER\s+TABLE\b.*\bADD\s+CONSTRAINT\b", re.I | re.S), "constraint"),
    (re.compile(r"^\s*CREATE\s+SEQUENCE\b", re.I), "sequence"),
    (re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:MATERIALIZED\s+)?VIEW\b", re.I), "view"),
)


def _statement_kind(error: BaseException) -> str | None:
    """What the failed statement creates ("table", "index", ...), read from the statement
    SQLAlchemy sent; 42P07 ("relation already exists") is the same code for all of them."""
    statement = getattr(error, "statement", None) or ""
    return next((kind for pattern, kind in _STATEMENT_KINDS if pattern.search(statement)), None)


def _what_a_drop_loses(table: str) -> str | None:
    """Rows or references that ``DROP TABLE table`` would lose, read from the database; None
    when it holds nothing and nothing refers to it (or it cannot be read: then nothing is
    claimed and no drop is advised)."""
    from workshop import db

    engine = db.engine()
    inspector = sa.inspect(engine)
    if table not in inspector.get_table_names():
        return "it could not be read"
    quoted = engine.dialect.identifier_preparer.quote(table)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT count(*) FROM {quoted}")).scalar_one()
    referrers = sorted(
        other
        for other in inspector.get_table_names()
        if other != table
        and any(fk["referred_table"] == table for fk in inspector.get_foreign_keys(other))
    )
    losses = []
    if rows:
        losses.append(f"it holds {rows} row{'s' if rows != 1 else ''}")
    if referrers:
        losses.append(f"{', '.join(referrers)} refer{'s' if len(referrers) == 1 else ''} to it")
    return " and ".join(losses) or None


@matcher
def table_already_exists(error: BaseException) -> Explanation | None:
    """Case 8: ``op.create_table`` for a table that is already there.

    Known by SQLSTATE 42P07 (SQLite: its own exact message), never by words found anywhere in
    the message: "column ... of relation "users" already exists" is another mistake. Dropping
    the table is advised only when the database shows that nothing would be lost.
    """
    orig = _driver_error(error)
    frame = _revision_frame(error)
    if orig is None or frame is None:
        return None
    if _sqlstate(orig) == DUPLICATE_TABLE:
        if _statement_kind(error) != "table":
            return None  # 42P07 is any relation: an index or a constraint's index is another case
        found = _NAMED.search(getattr(orig.diag, "message_primary", None) or str(orig))
    elif _sqlstate(orig) is None:
        found = _SQLITE_TABLE_EXISTS.match(str(orig).strip())
    else:
        return None
    if found is None:
        return None
    table = found.group(1)
    keep = (
        f"If an earlier revision already creates {table}, remove this op.create_table (or pick "
        "another name)."
    )
    loses = _what_a_drop_loses(table)
    if loses is None:
        fix = (
            f"{keep} If it was made by hand (e.g. with %sql): it is empty and no table refers "
            f"to it, so dropping it loses nothing: DROP TABLE {table}, then run the command again."
        )
    else:
        fix = (
            f"{keep} If it was made by hand (e.g. with %sql), do not drop it: {loses}. Rename it "
            f"(ALTER TABLE {table} RENAME TO {table}_old), run the command again, then copy "
            "what you need across."
        )
    return Explanation(
        _relative(frame.filename),
        frame.lineno,
        f'The table "{table}" already exists, so {frame.name}() cannot create it again.'
        + _database_state(frame.filename),
        fix,
    )


@matcher
def already_there(error: BaseException) -> Explanation | None:
    """A column (42701), or a constraint, index or type (42710), that is already there.

    Usually the database is ahead of ``alembic_version`` (a ``stamp`` to an older revision, or
    a change made by hand), or two revisions make the same thing. Nothing is dropped.
    """
    orig = _driver_error(error)
    frame = _revision_frame(error)
    state = _sqlstate(orig)
    relation = state == DUPLICATE_TABLE and _statement_kind(error) not in ("table", None)
    if frame is None or not (state in (DUPLICATE_COLUMN, DUPLICATE_OBJECT) or relation):
        return None
    primary = getattr(orig.diag, "message_primary", None) or str(orig)
    names = _NAMED.findall(primary)
    what = f'"{names[0]}"' if names else "it"
    where = f' in table "{names[1]}"' if state == DUPLICATE_COLUMN and len(names) > 1 else ""
    kind = "column" if state == DUPLICATE_COLUMN else "object"
    if state == DUPLICATE_OBJECT:
        kind = next((k for k in ("constraint", "index", "type") if primary.startswith(k)), kind)
    if relation:
        kind = _statement_kind(error) or kind
    return Explanation(
        _relative(frame.filename),
        frame.lineno,
        f"The {kind} {what} is already there{where}, so {frame.name}() cannot make it again: "
        f"{_clean(primary)}." + _database_state(frame.filename),
        _where_the_tables_are()
        or "The database is probably ahead of alembic_version: it already has what this "
        "revision makes (after an `alembic stamp` to an older revision, or a change made by "
        "hand). Look at the schema (wk.describe_table) and `alembic stamp` the revision it "
        "really matches, or remove the duplicate from this revision if an earlier one makes "
        "it. Nothing needs to be dropped.",
    )


def _where_the_tables_are() -> str:
    """The stamp that puts alembic_version where the tables really are, when the drift check
    finds exactly one revision whose schema they match ("" when it finds none, or fails)."""
    from workshop import drift

    try:
        found = drift.check(_current_revisions() or ())
    except Exception:  # noqa: BLE001 - the general advice stands without it
        return ""
    if found is None or not found.matches:
        return ""
    return f"{found.fix} Nothing needs to be dropped."


# --- the data is in the way ---------------------------------------------------------------


@matcher
def not_null_with_rows(error: BaseException) -> Explanation | None:
    """23502 while adding a NOT NULL column (or making one NOT NULL): the rows have no value.

    The statement is fine for an empty table; the rows already there are what it cannot fill.
    """
    orig = _driver_error(error)
    frame = _revision_frame(error)
    if _sqlstate(orig) != NOT_NULL_VIOLATION or frame is None:
        return None
    table, column = _diag(orig, "table_name"), _diag(orig, "column_name")
    if not table or not column or "contains null values" not in _primary(orig):
        return None  # an INSERT without the value: the generic explanation fits that
    rows = _row_count(table)
    held = f" ({rows} of them)" if rows else ""
    return Explanation(
        _relative(frame.filename),
        frame.lineno,
        f'The column "{column}" is NOT NULL, but table "{table}" already has rows{held} and '
        "they have no value for it, so PostgreSQL refused. The statement would work on an "
        "empty table." + _database_state(frame.filename),
        f"Give the existing rows a value: add server_default to the column, e.g. "
        f'sa.Column("{column}", ..., nullable=False, server_default="...") (a text value '
        'is quoted, a number is too: server_default="0"; in raw SQL: ... NOT NULL DEFAULT '
        "'...'). Or, as in lesson 08, in three steps: "
        'add the column with nullable=True, fill it with op.execute("UPDATE ..."), then '
        f'op.alter_column("{table}", "{column}", nullable=False).',
    )


@matcher
def unique_broken_by_data(error: BaseException) -> Explanation | None:
    """23505 while building a unique constraint or index: the rows already hold duplicates.

    PostgreSQL's DETAIL line names the duplicated key; that line is the useful part, and it is
    the data, not the statement, that has to change.
    """
    orig = _driver_error(error)
    frame = _revision_frame(error)
    if _sqlstate(orig) != UNIQUE_VIOLATION or frame is None:
        return None
    primary = _primary(orig)
    detail = _detail(orig)
    if primary.startswith("could not create unique index"):
        table = _diag(orig, "table_name") or "the table"
        key = re.search(r"Key \(([^)]*)\)=", detail)
        columns = key.group(1) if key else "<columns>"
        return Explanation(
            _relative(frame.filename),
            frame.lineno,
            f"The rows already in {table} break the uniqueness this statement asks for: "
            f"{primary}.{detail} The statement is right; the data is in the way."
            + _database_state(frame.filename),
            f"Look at the duplicates: SELECT {columns}, count(*) FROM {table} GROUP BY "
            f"{columns} HAVING count(*) > 1. Decide which rows to change or merge; do it in a "
            'data step before this line (op.execute("UPDATE ...")) or by hand, then run the '
            "command again. Delete a row only if you know it is unwanted.",
        )
    return Explanation(
        _relative(frame.filename),
        frame.lineno,
        f"A row with the same unique key is already there: {primary}.{detail}"
        + _database_state(frame.filename),
        "Insert only rows that are not there yet (check first, or INSERT ... ON CONFLICT DO "
        "NOTHING), or change the value, then run the command again." + _sqlite_cleanup(),
    )


def _formatted_sql(file: str, line: int) -> bool:
    """Whether the statement at ``file:line`` builds SQL with an f-string, % or .format()."""
    try:
        tree = ast.parse(Path(file).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return False
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) is None or not (
            node.lineno <= line <= (node.end_lineno or node.lineno)
        ):
            continue
        if isinstance(node, ast.JoinedStr) and any(
            isinstance(part, ast.FormattedValue) for part in node.values
        ):
            return True
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant)
        ):
            return True
    return False


@matcher
def values_pasted_into_sql(error: BaseException) -> Explanation | None:
    """42601 on SQL built with an f-string: a value with a quote in it broke the statement."""
    orig = _driver_error(error)
    frame = _revision_frame(error)
    if _sqlstate(orig) != SYNTAX_ERROR or frame is None:
        return None
    if not _formatted_sql(frame.filename, frame.lineno or 0):
        return None
    statement = getattr(error, "statement", None) or ""
    shown = f" The statement sent was: {statement.strip()[:200]}." if statement else ""
    return Explanation(
        _relative(frame.filename),
        frame.lineno,
        f"The SQL is built by pasting values into it (an f-string), and a value broke it: "
        f"{_primary(orig)}. A quote (') in a value ends the SQL string early.{shown}"
        + _database_state(frame.filename),
        "Pass values as bound parameters, never inside the SQL text: "
        'op.execute(sa.text("INSERT INTO t (name) VALUES (:name)").bindparams(name=name)). '
        "The database then takes any value as data, quotes included.",
    )


# --- a name that is not there -------------------------------------------------------------


def _similar(name: str, names: list[str]) -> str:
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def _listing(kind: str, names: list[str]) -> str:
    shown = ", ".join(sorted(names)[:12]) + (" ..." if len(names) > 12 else "")
    return f" The {kind} there now: {shown}." if names else f" There are no {kind} there now."


def _naming_convention_name(wanted: str, table: str, real: list[str]) -> str | None:
    """The constraint that ``todo/models.py``'s naming convention made out of ``wanted``."""
    for name in real:
        if name != wanted and name.endswith(f"_{wanted}") and table in name:
            return name
    return None


@matcher
def name_not_there(error: BaseException) -> Explanation | None:
    """42P01, 42703 and 42704: a table, column or constraint that is not in the database.

    Usually a typo, or a constraint whose real name differs from the one in the revision
    because the naming convention (``todo/models.py``, used by env.py) renamed it when it was
    created. The names that really are there are read from the database and listed.
    """
    orig = _driver_error(error)
    frame = _revision_frame(error)
    state = _sqlstate(orig)
    if frame is None or state not in (UNDEFINED_TABLE, UNDEFINED_COLUMN, UNDEFINED_OBJECT):
        return None
    primary = _primary(orig)
    names = _NAMED.findall(primary)
    if not names:
        return None
    missing = names[0]
    inspector = sa.inspect(_engine())
    tables = [t for t in inspector.get_table_names() if t != "alembic_version"]
    state_text = _database_state(frame.filename)
    where = (_relative(frame.filename), frame.lineno)
    stamp = _where_the_tables_are()
    if stamp:  # not a typo: alembic_version is not where the tables are (a stamp)
        return Explanation(
            *where,
            f"{primary}, yet alembic_version says it should be there: the tables are not at "
            f"the revision alembic_version records.{state_text}",
            stamp,
        )
    if state == UNDEFINED_TABLE:
        return Explanation(
            *where,
            f'There is no table "{missing}": {primary}.{_similar(missing, tables)}'
            f"{_listing('tables', tables)}{state_text}",
            "Use the name of a table that exists (check the spelling), or make sure the "
            "revision that creates it comes earlier (its down_revision chain). Then run the "
            "command again.",
        )
    table = names[1] if len(names) > 1 else None
    if state == UNDEFINED_COLUMN and table:
        columns = [c["name"] for c in inspector.get_columns(table)] if table in tables else []
        return Explanation(
            *where,
            f'Table "{table}" has no column "{missing}".{_similar(missing, columns)}'
            f"{_listing('columns', columns) if table in tables else ''}{state_text}",
            "Use the column's real name (check the spelling), then run the command again.",
        )
    if state == UNDEFINED_OBJECT and table in tables and primary.startswith("constraint"):
        real = sorted(
            {c["name"] for c in inspector.get_unique_constraints(table) if c["name"]}
            | {c["name"] for c in inspector.get_check_constraints(table) if c["name"]}
            | {c["name"] for c in inspector.get_foreign_keys(table) if c["name"]}
            | {inspector.get_pk_constraint(table).get("name") or ""}
        )
        real = [name for name in real if name]
        renamed = _naming_convention_name(missing, table, real)
        if renamed:
            what = (
                f'Table "{table}" has no constraint "{missing}": it was created as "{renamed}". '
                "The naming convention in todo/models.py, which env.py gives to Alembic, "
                f'turned the name "{missing}" into "{renamed}" when the constraint was made.'
            )
            fix = (
                f"Drop it by its real name, marked final with op.f() so that the convention "
                f'leaves it alone: op.drop_constraint(op.f("{renamed}"), "{table}"). Then run '
                "the command again."
            )
        else:
            what = (
                f'Table "{table}" has no constraint "{missing}".{_similar(missing, real)}'
                f"{_listing('constraints', real)}"
            )
            fix = "Use the constraint's real name, then run the command again."
        return Explanation(*where, what + state_text, fix)
    return None
