"""Short explanations for ``%sql`` mistakes, above the database's own error.

ipython-sql 0.5.0, with ``short_errors = False`` (which the kit needs, so that a bad query fails
its cell and Run All stops there), prints the full Python traceback of a refused statement and
then raises the error, which IPython prints in full again: two screens of SQLAlchemy internals
for a double-quoted string. :func:`install` makes a refused ``%sql`` statement fail its cell
with an :class:`Explanation` (:mod:`workshop.friendly`'s format, as for migrations) and the
database's error below it, word for word, without the tracebacks.

The explanations go by what the database says, never by guesswork: PostgreSQL's SQLSTATE
(``pgcode``: 42703 is an undefined column, 23505 a unique violation), its structured fields
(``diag``: DETAIL, HINT) and, for SQLite, which has no SQLSTATEs, its exact messages. The one
mistake they single out is the beginner's ``WHERE name = "Alice"``: double quotes make a name,
so PostgreSQL looks for a column ``Alice``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from difflib import get_close_matches
from typing import Any

import sqlalchemy as sa

from workshop.friendly import Explanation, _clean

UNDEFINED_COLUMN = "42703"
UNDEFINED_TABLE = "42P01"
SYNTAX_ERROR = "42601"
UNIQUE_VIOLATION = "23505"
NOT_NULL_VIOLATION = "23502"
FOREIGN_KEY_VIOLATION = "23503"
INVALID_TEXT_REPRESENTATION = "22P02"
UNDEFINED_FUNCTION = "42883"  # also "operator does not exist: integer = text"
DUPLICATE_TABLE = "42P07"
DUPLICATE_COLUMN = "42701"
DUPLICATE_OBJECT = "42710"

RUN_AGAIN = "and run the cell again."


class ExplainedSqlError(Exception):
    """Mixed into the database's own error class, so ``except ProgrammingError`` still works.

    IPython shows what :meth:`_render_traceback_` returns instead of a traceback, so the cell
    fails (Run All stops) with a few lines: the explanation, then the error, word for word.
    """

    explanation: Explanation

    def _render_traceback_(self) -> list[str]:
        """What the notebook shows: the explanation, a blank line, the database's error."""
        error = f"{type(self).__name__}: {self}"
        return [*self.explanation.render().splitlines(), "", *error.splitlines()]


_EXPLAINED_CLASSES: dict[type, type] = {}


def explained(error: sa.exc.DBAPIError, explanation: Explanation) -> sa.exc.DBAPIError:
    """The same error (same class name, message and attributes), shown with ``explanation``."""
    kind = type(error)
    if kind not in _EXPLAINED_CLASSES:
        _EXPLAINED_CLASSES[kind] = type(kind.__name__, (ExplainedSqlError, kind), {})
    subclass = _EXPLAINED_CLASSES[kind]
    copy = subclass.__new__(subclass, *error.args)
    copy.__dict__.update(error.__dict__)
    copy.args = error.args
    copy.explanation = explanation
    return copy


class _Refused(Exception):  # noqa: N818 - a carrier, never shown
    """Carries an explained error through ipython-sql, which would print a database error's
    traceback before re-raising it."""

    def __init__(self, error: sa.exc.DBAPIError) -> None:
        super().__init__(str(error))
        self.error = error


def _orig(error: sa.exc.DBAPIError) -> BaseException | None:
    return getattr(error, "orig", None)


def _sqlstate(error: sa.exc.DBAPIError) -> str | None:
    return getattr(_orig(error), "pgcode", None)


def _diag(error: sa.exc.DBAPIError, field: str) -> str:
    return (getattr(getattr(_orig(error), "diag", None), field, None) or "").strip()


def _primary(error: sa.exc.DBAPIError) -> str:
    """The database's one-line message, without the driver's class name or the SQL."""
    return _diag(error, "message_primary") or _clean(str(_orig(error) or error))


def _names_in(primary: str) -> list[str]:
    return re.findall(r'"([^"]+)"', primary)


def _tables() -> list[str]:
    """The tables and views there now (the kit's database is the one ``%sql`` uses)."""
    from workshop import db

    inspector = sa.inspect(db.engine())
    return sorted({*inspector.get_table_names(), *inspector.get_view_names()})


def _similar(name: str, names: list[str]) -> str:
    close = get_close_matches(name, names, n=3, cutoff=0.6)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def _with_hint(error: sa.exc.DBAPIError, text: str) -> str:
    hint = _diag(error, "message_hint")
    return f"{text} PostgreSQL's hint: {hint}" if hint else text


# --- one function per mistake: the error -> what went wrong and the fix, or None -------------

Matcher = Callable[[sa.exc.DBAPIError], tuple[str, str] | None]


def _undefined_column(error: sa.exc.DBAPIError) -> tuple[str, str] | None:
    """42703, or SQLite's ``no such column``. A name written in double quotes is a quoting
    mistake: text in double quotes is a name to SQL."""
    primary = _primary(error)
    if _sqlstate(error) == UNDEFINED_COLUMN:
        found = re.search(r'column (?:"([^"]+)"|(\S+)) does not exist', primary)
        name = (found.group(1) or found.group(2)) if found else None
    else:
        found = re.fullmatch(r"no such column: (\S+)", primary)
        name = found.group(1) if found else None
    if name is None:
        return None
    bare = name.rsplit(".", 1)[-1]
    if f'"{bare}"' in (error.statement or ""):
        what = (
            f'"{bare}" is in double quotes, so the database reads it as the name of a column, '
            f'and there is no column "{bare}". In SQL, double quotes are for names (tables, '
            "columns); text goes in single quotes."
        )
        if not _diag(error, "message_hint"):
            return what, f"Write '{bare}' in single quotes, {RUN_AGAIN}"
        # PostgreSQL found a column of a similar name: it may be meant as a column after all.
        return (
            _with_hint(error, what),
            f"If {bare} is text, write '{bare}' in single quotes. If it is a column, use the "
            "name the hint gives (a name in double quotes must match its case exactly). Then "
            + RUN_AGAIN[4:],
        )
    return (
        _with_hint(error, f'There is no column "{name}" in the tables this statement reads.'),
        'Check the spelling: wk.describe_table("<table>") lists a table\'s columns. Then '
        f"correct the statement {RUN_AGAIN}",
    )


def _undefined_table(error: sa.exc.DBAPIError) -> tuple[str, str] | None:
    primary = _primary(error)
    if _sqlstate(error) == UNDEFINED_TABLE:
        names = _names_in(primary)
        name = names[0] if names else None
    else:
        found = re.fullmatch(r"no such table: (\S+)", primary)
        name = found.group(1) if found else None
    if name is None:
        return None
    tables = _tables()
    listing = (
        f" The tables there now: {', '.join(tables)}." if tables else " There are no tables yet."
    )
    return (
        f'There is no table "{name}".{_similar(name, tables)}{listing}',
        "Check the spelling. If a revision creates the table, apply it first "
        f'(wk.upgrade("head"), or !alembic upgrade head), {RUN_AGAIN}',
    )


def _syntax(error: sa.exc.DBAPIError) -> tuple[str, str] | None:
    primary = _primary(error)
    if _sqlstate(error) == SYNTAX_ERROR:
        found = re.search(r'at or near "(.*)"', primary)
        at_end = "at end of input" in primary
    else:
        found = re.fullmatch(r'near "(.*)": syntax error', primary)
        at_end = primary == "incomplete input"
    if found is None and not at_end:
        return None
    where = (
        "it ends too early (a closing parenthesis or quote may be missing)"
        if at_end
        else f'it stops making sense at "{found.group(1)}"'  # type: ignore[union-attr]
    )
    return (
        f"The database cannot read the statement: {where}. The ^ in the error below points "
        "at the spot.",
        "Look just before that spot for a missing comma, parenthesis or quote, or a misspelt "
        f"keyword. Text goes in single quotes. Correct it {RUN_AGAIN}",
    )


def _constraint(error: sa.exc.DBAPIError) -> tuple[str, str] | None:
    """Unique, NOT NULL and foreign key violations: the DETAIL says which row and value."""
    state, primary, detail = _sqlstate(error), _primary(error), _diag(error, "message_detail")
    # PostgreSQL's DETAIL names the row and value; SQLite's message names the column.
    said = f" {detail}" if detail else (f" ({primary}.)" if state is None else "")
    if state == UNIQUE_VIOLATION or primary.startswith("UNIQUE constraint failed"):
        return (
            f"A row with the same key is already there, and the key must be unique.{said} "
            "The statement changed nothing.",
            "Use another value, or change the row that is there (UPDATE), " + RUN_AGAIN,
        )
    if state == NOT_NULL_VIOLATION or primary.startswith("NOT NULL constraint failed"):
        column = _diag(error, "column_name") or primary.rsplit(" ", 1)[-1]
        return (
            f'Column "{column}" may not be empty (NOT NULL), and the statement gives it no '
            "value. The statement changed nothing.",
            f'Give "{column}" a value in the statement, {RUN_AGAIN}',
        )
    if state == FOREIGN_KEY_VIOLATION or primary == "FOREIGN KEY constraint failed":
        still = "still referenced" in detail
        return (
            "The statement would break a link between tables (a foreign key)."
            + said
            + " The statement changed nothing.",
            (
                "Delete or change the rows that refer to it first, "
                if still
                else "Insert the row it refers to first, or refer to a row that is there, "
            )
            + RUN_AGAIN,
        )
    return None


def _types(error: sa.exc.DBAPIError) -> tuple[str, str] | None:
    state, primary = _sqlstate(error), _primary(error)
    if state == INVALID_TEXT_REPRESENTATION:
        found = re.fullmatch(r'invalid input syntax for type ([\w ]+): "(.*)"', primary)
        value = f'"{found.group(2)}" is not a valid {found.group(1)}' if found else primary
        return (
            f"{value}: the value cannot be read as the type it is compared with or stored in.",
            f"Give a value of that type (numbers without quotes), {RUN_AGAIN}",
        )
    if state == UNDEFINED_FUNCTION and primary.startswith("operator does not exist"):
        return (
            f"The database cannot compare or combine these two types: {primary.split(': ', 1)[-1]}."
            " A value in quotes is text; one without quotes is a number (or a name).",
            f"Compare values of the same type: numbers without quotes, text in single quotes, "
            f"{RUN_AGAIN}",
        )
    return None


def _already_there(error: sa.exc.DBAPIError) -> tuple[str, str] | None:
    state, primary = _sqlstate(error), _primary(error)
    if state not in (DUPLICATE_TABLE, DUPLICATE_COLUMN, DUPLICATE_OBJECT) and not re.fullmatch(
        r"(table|index|view) \S+ already exists|duplicate column name: \S+", primary
    ):
        return None
    kind, *_ = primary.split(" ", 1)
    names = _names_in(primary) or re.findall(r"(?:table|index|view|column name:) (\S+)", primary)
    thing = {"relation": "table (or view, index)", "duplicate": "column"}.get(kind, kind)
    return (
        f'There is already a {thing} "{names[0]}" ({primary}): it was made before (perhaps by '
        "this cell, run earlier). The statement changed nothing.",
        "If it is what you want, there is nothing to do. To change it, use ALTER TABLE; "
        "CREATE ... IF NOT EXISTS skips what is there.",
    )


MATCHERS: tuple[Matcher, ...] = (
    _undefined_column,
    _undefined_table,
    _syntax,
    _constraint,
    _types,
    _already_there,
)


def explain(error: sa.exc.DBAPIError) -> Explanation:
    """The explanation of a refused ``%sql`` statement: a known mistake's, else the kit's general
    one (:func:`workshop.friendly.explain`, e.g. a database that does not answer), else "the
    database refused this statement". A matcher that fails is skipped."""
    from workshop import friendly

    for function in MATCHERS:
        try:
            found = function(error)
        except Exception:  # noqa: BLE001 - an explanation is a bonus, the error is what matters
            continue
        if found is not None:
            return Explanation(None, None, *found)
    try:
        general = friendly.explain(error)
    except Exception:  # noqa: BLE001
        general = None
    if general is not None:
        return general
    return Explanation(
        None,
        None,
        f"The database refused this statement: {_primary(error)}.",
        f"Correct the statement {RUN_AGAIN}",
    )


def _earlier_statements_ran(sql_text: str, error: sa.exc.DBAPIError) -> bool:
    """Whether statements before the failed one in the cell ran (ipython-sql commits each)."""
    import sqlparse

    statements = [s.strip().rstrip(";").strip() for s in sqlparse.split(sql_text) if s.strip()]
    failed = (error.statement or "").strip().rstrip(";").strip()
    return failed in statements and statements.index(failed) > 0


def _explained_run(run: Callable[..., Any]) -> Callable[..., Any]:
    """``sql.run.run``, with a refused statement's error explained and carried out."""

    def run_explained(conn: Any, sql_text: str, config: Any, user_namespace: Any) -> Any:
        try:
            return run(conn, sql_text, config, user_namespace)
        except sa.exc.DBAPIError as error:
            explanation = explain(error)
            if _earlier_statements_ran(sql_text, error):
                explanation = Explanation(
                    explanation.file,
                    explanation.line,
                    explanation.what + " The statements before it in this cell did run (each "
                    "is committed as it runs).",
                    explanation.fix,
                )
            raise _Refused(explained(error, explanation)) from error

    run_explained.workshop_explained = True  # type: ignore[attr-defined]
    return run_explained


def _explained_magic(magic: Callable[..., Any]) -> Callable[..., Any]:
    """The ``%sql``/``%%sql`` magic, raising the explained error that :class:`_Refused` carries."""

    def sql(line: str = "", cell: str = "", local_ns: dict | None = None) -> Any:
        try:
            return magic(line, cell, local_ns=local_ns)
        except _Refused as refused:
            raise refused.error from refused.__cause__

    sql.__doc__ = magic.__doc__
    sql.needs_local_scope = True  # type: ignore[attr-defined]  # IPython passes local_ns
    sql.workshop_explained = True  # type: ignore[attr-defined]
    return sql


def install(shell: Any) -> None:
    """Explain refused ``%sql`` statements in this kernel (once; safe to call again).

    ipython-sql's magic calls ``sql.run.run`` for the statements: wrapping it catches the
    database's error before the magic prints its traceback. The magic itself is wrapped to raise
    that error again, explained, as the class it was (``ProgrammingError``, ``IntegrityError``).
    """
    import sql.run

    if not getattr(sql.run.run, "workshop_explained", False):
        sql.run.run = _explained_run(sql.run.run)
    magics = shell.magics_manager.magics
    magic = magics["line"].get("sql")
    if magic is not None and not getattr(magic, "workshop_explained", False):
        shell.register_magic_function(_explained_magic(magic), "line_cell", "sql")
