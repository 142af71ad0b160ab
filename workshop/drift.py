"""Drift: does the database's schema still match what its revision files make?

``alembic_version`` records which revisions ran, not what they did. Two everyday mistakes make
the two part ways without any error: a revision file edited after it was applied (the database
keeps what the old version made), and an ``alembic stamp`` to a revision the tables are not at.
Everything then looks fine until the next downgrade or upgrade fails, with an error about the
symptom (a column that is not there) rather than the cause. So ``workshop doctor`` asks the
question directly:

1. Build what the files make: a scratch database on the same server (a temporary file for
   SQLite) is upgraded, through Alembic's own command API and the project's env.py, to the
   revision(s) in the participant's ``alembic_version``. env.py runs on the scratch connection
   handed over in ``config.attributes["connection"]``, so the participant's database is never
   migrated.
2. Compare with Alembic's autogenerate comparison (:func:`alembic.autogenerate.compare_metadata`,
   types compared): the participant's schema is *reflected* once into a MetaData, read only, and
   compared against the scratch connection. That way round nothing at all, not even a
   comparison query, runs in the participant's database.
3. Only when they differ: walk the revisions one at a time on a second scratch database, and
   compare each step's schema the same way. A step that matches exactly is the revision the
   tables are really at, which makes the fix a plain ``alembic stamp`` (it changes no table).

What is compared, and why: tables, columns (type, nullability, server default), indexes,
unique constraints and foreign keys, i.e. what makes a later revision fail or behave
differently; and the names of views. Server defaults are compared as the text the database
gives back for each side; both sides come from the same kind of database, so identical DDL
reads back identically, and no default is evaluated (Alembic would evaluate differing ones,
and a ``nextval(...)`` would then advance the participant's sequence). A serial column's
``nextval(...)`` counts as no default, as in Alembic's own reflection of PostgreSQL.
Check constraints, primary key names, view definitions and other schemas than the default one
are not compared. ``alembic_version`` itself is left out.

The scratch databases are always dropped, also when a migration fails (which is reported, not
raised). Rows are never compared: data migrations run on empty tables in the scratch database.
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
import traceback
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from workshop import commands, db, paths

VERSION_TABLE = "alembic_version"
DB = "in the database"
FILES = "in what the files make"


@dataclass(frozen=True)
class Difference:
    """One difference, in plain words, about one table (or view).

    ``extra`` marks a table or view that only the database has: made by hand, most likely,
    which Alembic ignores until a revision makes the same name.
    """

    table: str
    text: str
    extra: bool = False


@dataclass(frozen=True)
class Drift:
    """What :func:`check` found: a doctor finding's level, text and fix."""

    level: str  # ok | warn | fail
    text: str
    fix: str
    differences: tuple[Difference, ...] = ()
    matches: tuple[tuple[str, ...], ...] = ()  # the states (recorded revisions) the tables match


class MigrationFailed(Exception):
    """The revision files failed to run on the scratch database (``where`` says which line)."""

    def __init__(self, where: str, error: BaseException) -> None:
        super().__init__(where)
        self.where = where
        self.error = error


# --- the participant's schema --------------------------------------------------------------


@dataclass
class Schema:
    """The participant's schema, read once: tables as a MetaData, and the names of views."""

    metadata: sa.MetaData
    views: frozenset[str]
    dialect: sa.Dialect

    @property
    def tables(self) -> list[str]:
        return sorted(table.name for table in self.metadata.sorted_tables)


def _not_versions(name: str, _metadata: sa.MetaData | None = None) -> bool:
    return name != VERSION_TABLE


def read_schema(connection: sa.Connection) -> Schema:
    """Reflect the database's tables (except alembic_version) and list its views; read only."""
    metadata = sa.MetaData()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)  # e.g. a type SQLAlchemy cannot name
        metadata.reflect(connection, only=_not_versions)
    views = frozenset(sa.inspect(connection).get_view_names())
    return Schema(metadata, views, connection.dialect)


# --- what the files make -------------------------------------------------------------------


@contextmanager
def _scratch_engine() -> Iterator[sa.Engine]:
    """An engine on a new, empty scratch database, dropped afterwards whatever happens.

    The engine is the kit's own kind (SQLite with foreign keys on) but not pooled, so that
    nothing holds the scratch database open when it is dropped.
    """
    with db.scratch_database("drift", folder=Path(tempfile.gettempdir())) as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", db._sqlite_foreign_keys)
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def _quietly() -> Iterator[None]:
    """Whatever the migrations print or log (``Running upgrade ...``) stays out of doctor's
    report: it is about a scratch database the participant never sees."""
    logger = logging.getLogger("alembic")
    level = logger.level
    logger.setLevel(logging.WARNING)
    sink = io.StringIO()
    try:
        with redirect_stdout(sink), redirect_stderr(sink), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _where(error: BaseException) -> str:
    """Which revision file and line failed, as the learner sees the path; '' if none did."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if Path(frame.filename).parent.parts[-2:] == ("migrations", "versions")
    ]
    if not frames:
        return ""
    return f"{paths.relative(frames[-1].filename)}, line {frames[-1].lineno}"


def _upgrade(connection: sa.Connection, revision: str) -> None:
    """``alembic upgrade revision`` on ``connection``, through the project's env.py.

    env.py's models are loaded as in a real upgrade: their naming convention names the
    constraints that ``op.create_table`` makes, so without them the names would differ.
    """
    cfg = commands.config()
    cfg.attributes["connection"] = connection
    try:
        with _quietly():
            command.upgrade(cfg, revision)
    except Exception as error:  # noqa: BLE001 - any failure of the files is reported, not raised
        raise MigrationFailed(_where(error), error) from error
    finally:
        if connection.in_transaction():
            connection.rollback()


def _heads(connection: sa.Connection) -> tuple[str, ...]:
    heads = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    connection.rollback()
    return heads


# --- comparing -----------------------------------------------------------------------------

_NEXTVAL = re.compile(r"^nextval\('[^']*'(::regclass)?\)$")


def _default_text(text: str | None) -> str | None:
    """A server default as compared and shown; a serial column's ``nextval(...)`` counts as none,
    as Alembic's own reflection of PostgreSQL treats it (it is how autoincrement is made)."""
    if text is None:
        return None
    text = " ".join(text.split())
    return None if _NEXTVAL.match(text) else text


def _compare_defaults(
    _context: MigrationContext,
    _files_column: sa.Column,
    _db_column: sa.Column,
    files_default: str | None,
    db_default: Any,
    _rendered: str | None,
) -> bool:
    """Server defaults differ when the text read back differs (see the module docstring)."""
    db_text = db_default.arg.text if db_default is not None else None
    return _default_text(files_default) != _default_text(db_text)


def _keep(name: str | None, type_: str, parent_names: Any) -> bool:
    return not (type_ == "table" and name == VERSION_TABLE)


def raw_differences(schema: Schema, files: sa.Connection) -> list[Any]:
    """Alembic's differences between the participant's schema (as the "model") and the scratch
    database ``files`` (as the "database"), plus views; in a read-only transaction on ``files``.
    """
    context = MigrationContext.configure(
        files,
        opts={
            "compare_type": True,
            "compare_server_default": _compare_defaults,
            "include_name": _keep,
        },
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found: list[Any] = list(compare_metadata(context, schema.metadata))
    files_views = frozenset(sa.inspect(files).get_view_names())
    files.rollback()
    found += [("add_view", name) for name in sorted(schema.views - files_views)]
    found += [("remove_view", name) for name in sorted(files_views - schema.views)]
    return found


def _type(type_: Any, dialect: sa.Dialect) -> str:
    try:
        return type_.compile(dialect=dialect)
    except Exception:  # noqa: BLE001 - a type this dialect cannot render
        return str(type_)


def _columns(constraint: Any) -> str:
    names = [getattr(column, "name", str(column)) for column in constraint.columns]
    if not names and isinstance(constraint, sa.Index):  # an index on expressions
        names = [str(expression) for expression in constraint.expressions]
    return ", ".join(names)


def _nullable(value: bool | None) -> str:
    return "nullable" if value else "NOT NULL"


def _default(value: Any) -> str:
    text = _default_text(value.arg.text if value is not None else None)
    return f"defaults to {text}" if text is not None else "has no default"


def describe(diff: Any, dialect: sa.Dialect) -> list[Difference]:
    """One of Alembic's differences in plain words.

    Alembic names them from the model's side: ``add_*`` is in the model (here the participant's
    database) and missing from the scratch database (what the files make), ``remove_*`` the
    other way round, and ``modify_*`` carries the scratch value, then the model's.
    """
    if isinstance(diff, list):  # the modify_* of one column come as a list
        return [item for each in diff for item in describe(each, dialect)]
    kind = diff[0]
    side = DB if kind.startswith("add_") else FILES
    other = FILES if side == DB else DB
    if kind in ("add_table", "remove_table", "add_view", "remove_view"):
        name = diff[1] if isinstance(diff[1], str) else diff[1].name
        what = kind.split("_")[1]
        return [Difference(name, f"{what} {name} is {side}, not {other}", kind.startswith("add_"))]
    if kind in ("add_column", "remove_column"):
        table, column = diff[2], diff[3]
        return [
            Difference(
                table,
                f"table {table}: column {column.name} ({_type(column.type, dialect)}) is {side}, "
                f"not {other}",
            )
        ]
    if kind.startswith("modify_"):
        table, column, files_value, db_value = diff[2], diff[3], diff[5], diff[6]
        if kind == "modify_type":
            words = f"is {_type(db_value, dialect)} {DB}, {_type(files_value, dialect)} {FILES}"
        elif kind == "modify_nullable":
            words = f"is {_nullable(db_value)} {DB}, {_nullable(files_value)} {FILES}"
        elif kind == "modify_default":
            words = f"{_default(db_value)} {DB}, {_default(files_value)} {FILES}"
        elif kind == "modify_comment":
            words = f"has the comment {db_value!r} {DB}, {files_value!r} {FILES}"
        else:
            words = f"differs ({kind})"
        return [Difference(table, f"table {table}: column {column} {words}")]
    if kind in ("add_index", "remove_index"):
        index = diff[1]
        unique = "unique " if index.unique else ""
        return [
            Difference(
                index.table.name,
                f"table {index.table.name}: {unique}index {index.name} ({_columns(index)}) is "
                f"{side}, not {other}",
            )
        ]
    if kind in ("add_constraint", "remove_constraint"):
        constraint = diff[1]
        what = "unique constraint" if isinstance(constraint, sa.UniqueConstraint) else "constraint"
        name = f" {constraint.name}" if constraint.name else ""
        return [
            Difference(
                constraint.table.name,
                f"table {constraint.table.name}: {what}{name} ({_columns(constraint)}) is "
                f"{side}, not {other}",
            )
        ]
    if kind in ("add_fk", "remove_fk"):
        fk = diff[1]
        target = fk.elements[0].target_fullname.split(".")[-2] if fk.elements else "?"
        referred = ", ".join(element.target_fullname.split(".")[-1] for element in fk.elements)
        rules = "".join(
            f" ON {event} {rule.upper()}"
            for event, rule in (("DELETE", fk.ondelete), ("UPDATE", fk.onupdate))
            if rule
        )
        return [
            Difference(
                fk.table.name,
                f"table {fk.table.name}: foreign key ({_columns(fk)}) → {target} ({referred})"
                f"{rules} is {side}, not {other}",
            )
        ]
    if kind in ("add_table_comment", "remove_table_comment"):
        table = diff[1]
        return [Difference(table.name, f"table {table.name}: its comment differs")]
    table = next((getattr(part, "name", part) for part in diff[1:3] if part), "?")
    return [Difference(str(table), f"{kind.replace('_', ' ')}: {table}")]


def differences(schema: Schema, files: sa.Connection) -> list[Difference]:
    """The differences in plain words, in a stable order (by table, then text)."""
    described = [
        item for diff in raw_differences(schema, files) for item in describe(diff, schema.dialect)
    ]
    return sorted(set(described), key=lambda item: (item.table, item.text))


# --- the check -----------------------------------------------------------------------------


def _states_matching(
    schema: Schema, script: ScriptDirectory, skip: tuple[str, ...]
) -> list[tuple[str, ...]]:
    """The states (alembic_version contents) in which the files make exactly ``schema``.

    One scratch database, upgraded one revision at a time in the order Alembic would apply them
    (every revision after the revisions it builds on); empty (base) first. For a history without
    branches this is every revision; with branches, the states a full upgrade passes through.
    """
    order = [script.revision for script in reversed(list(script.walk_revisions()))]
    matching: list[tuple[str, ...]] = []
    with _scratch_engine() as engine, engine.connect() as files:
        seen: set[tuple[str, ...]] = set()
        for step in [None, *order]:
            if step is not None:
                try:
                    _upgrade(files, step)
                except MigrationFailed:
                    break  # e.g. a new revision being written: the states before it still count
            state = _heads(files)
            if state in seen:
                continue
            seen.add(state)
            if state != skip and not differences(schema, files):
                matching.append(state)
    return matching


def _all_files(script: ScriptDirectory) -> list[tuple[str, Path]]:
    return [(rev.revision, Path(rev.path)) for rev in script.walk_revisions() if rev.path]


def _applied_files(script: ScriptDirectory, current: Sequence[str]) -> list[tuple[str, Path]]:
    """The applied revisions (those in alembic_version and all they build on), base first."""
    found = list(script.revision_map.iterate_revisions(tuple(current), "base"))
    return [(rev.revision, Path(rev.path)) for rev in reversed(found) if rev.path]


def mentions(file: Path, table: str) -> bool:
    """Whether a revision file names ``table`` (as a whole word), read as text, never run."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError:
        return False
    return re.search(rf"(?<![\w.]){re.escape(table)}(?!\w)", text) is not None


def _rows(table: str) -> int | None:
    """How many rows ``table`` holds in the participant's database; None if it cannot be read."""
    engine = db.engine()
    quoted = engine.dialect.identifier_preparer.quote(table)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                # Another session's open DDL on it would hold the count up: doctor must answer.
                conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {quoted}")).scalar_one())
    except sa.exc.DBAPIError:
        return None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _stamp(state: tuple[str, ...], current: Sequence[str]) -> str:
    """The stamp command that records ``state``; ``--purge`` when heads are added or dropped,
    so that exactly ``state`` is recorded."""
    purge = "--purge " if len(state) > 1 or len(current) > 1 else ""
    return f"`alembic stamp {purge}{' '.join(state) or 'base'}`"


def _stamp_advice(
    matches: list[tuple[str, ...]], current: Sequence[str], script: ScriptDirectory
) -> str:
    """Cause (b): alembic_version is not where the tables are, and the tables are exactly what
    the files make at another revision. A stamp fixes that and touches no table. (What is left
    to apply afterwards is Alembic's notion, depends_on included: see commands.pending.)"""
    recorded = ", ".join(current) or "nothing (it is empty)"
    if len(matches) == 1:
        state = matches[0]
        upgrade = commands.upgrade_command(script.get_heads())
        then = f" Then {upgrade} for the rest." if commands.pending(state, script) else ""
        return (
            f"The tables match revision {', '.join(state) or 'base (none applied)'}, but "
            f"alembic_version says {recorded}: after an `alembic stamp` to a revision the tables "
            f"were not at, or tables made without Alembic. {_stamp(state, current)} records "
            f"where they really are; it changes no table and loses no row.{then}"
        )
    listed = " and ".join(", ".join(state) or "base" for state in matches)
    commands_ = " or ".join(_stamp(state, current) for state in matches)
    return (
        f"The tables match revisions {listed} alike (those differ in rows only, which this check "
        f"does not compare), but alembic_version says {recorded}. Stamp the last of them whose "
        f"rows are in the database: {commands_}. A stamp changes no table and loses no row."
    )


def _edited_advice(
    found: list[Difference],
    applied: list[tuple[str, Path]],
    script: ScriptDirectory,
    schema: Schema,
) -> str:
    """Cause (a): an applied revision edited since. Names the applied files that mention the
    differing tables (read as text), and says, from row counts, whether a downgrade below them
    would lose rows; it is offered only when it would not."""
    tables = sorted({item.table for item in found if not item.extra})
    if not tables:
        return ""
    suspects = [(rev, file) for rev, file in applied if any(mentions(file, t) for t in tables)]
    if not suspects:
        return (
            "If you edited an applied revision after applying it, the database still has what "
            "the earlier version made: put the file back as it was (your editor's undo, git, "
            "or .workshop/backups/) and write a new revision for the change."
        )
    names = ", ".join(paths.relative(str(file)) for _, file in suspects)
    one = len(suspects) == 1
    advice = (
        f"The applied revision{'' if one else 's'} that mention{'s' if one else ''} "
        f"{', '.join(tables)}: {names}. If you edited {'it' if one else 'one'} after applying "
        "it, the database still has what the earlier version made. To keep every row: put the "
        "file back as it was when applied (your editor's undo, git, or .workshop/backups/) and "
        'write a new revision for the change (`alembic revision -m "..."`).'
    )
    # A downgrade below the first suspect undoes it and every applied revision built on it.
    first = suspects[0][0]
    undone = [
        file
        for rev, file in applied
        if first in {r.revision for r in script.revision_map.iterate_revisions(rev, "base")}
    ]
    at_risk = [t for t in schema.tables if any(mentions(file, t) for file in undone)]
    counts = {table: _rows(table) for table in at_risk}
    held = {table: count for table, count in counts.items() if count}
    below = script.get_revision(first).down_revision
    target = below if isinstance(below, str) else "base" if below is None else None
    if target and counts and not held and None not in counts.values():
        advice += (
            f" Or, as {', '.join(at_risk)} {'holds' if len(at_risk) == 1 else 'hold'} no rows "
            f"(read from the database): with the old version back, `alembic downgrade {target}`, "
            f"then your edit back, and {commands.upgrade_command(script.get_heads())}."
        )
    elif held:
        rows = ", ".join(f"{t}: {_plural(n, 'row')}" for t, n in held.items())
        advice += (
            f" Do not downgrade below {first} to fix it: the revisions it would undo work on "
            f"tables that hold rows ({rows}), and undoing them can drop those."
        )
    return advice


def _what_a_drop_loses(table: str, schema: Schema) -> str | None:
    """Rows or references that ``DROP TABLE table`` would lose, read from the database; None
    when it holds nothing and no table refers to it. Unreadable counts as something to lose."""
    rows = _rows(table)
    referrers = sorted(
        other.name
        for other in schema.metadata.sorted_tables
        if other.name != table
        and any(fk.referred_table.name == table for fk in other.foreign_key_constraints)
    )
    losses = []
    if rows is None:
        losses.append("its rows could not be counted")
    elif rows:
        losses.append(f"it holds {_plural(rows, 'row')}")
    if referrers:
        losses.append(f"{', '.join(referrers)} refer{'s' if len(referrers) == 1 else ''} to it")
    return " and ".join(losses) or None


def _extra_advice(found: list[Difference], schema: Schema, files: list[Path]) -> str:
    """Tables and views only the database has, made by hand most likely (said so when no
    revision file mentions them). No drop is advised unless the table is empty and nothing
    refers to it, read from the database."""
    extras = [item for item in found if item.extra]
    if not extras:
        return ""
    unmentioned = [i.table for i in extras if not any(mentions(f, i.table) for f in files)]
    parts = []
    if unmentioned:
        parts.append(
            f"No revision file mentions {', '.join(unmentioned)}: made by hand (e.g. with %sql)?"
        )
    for item in extras:
        if not item.text.startswith("table "):
            continue
        loses = _what_a_drop_loses(item.table, schema)
        if loses is None:
            parts.append(
                f"{item.table} is empty and no table refers to it: if you do not need it, "
                f"DROP TABLE {item.table} loses nothing."
            )
        else:
            parts.append(f"Keep {item.table} ({loses}).")
    parts.append(
        "Alembic ignores what no revision makes, so nothing needs dropping. To make it part of "
        "the migrations, write a revision that creates it, then `alembic stamp` that revision "
        "(it is already there) and run `workshop doctor` again."
    )
    return " ".join(parts)


def check(current: Sequence[str]) -> Drift | None:
    """Compare the participant's schema with what the files make at ``current``.

    Level ``ok`` when they match; None when there is nothing to compare.

    ``current`` is what alembic_version holds (doctor has already checked that every revision
    in it has a file). An empty database at base has nothing to compare and costs nothing.
    """
    current = tuple(sorted(current))
    at = ", ".join(current) or "base"
    with db.engine().connect() as conn:
        schema = read_schema(conn)
    if not current and not schema.tables and not schema.views:
        return None
    script = commands.script_directory()
    try:
        with _scratch_engine() as engine, engine.connect() as files:
            for revision in current:
                _upgrade(files, revision)
            found = differences(schema, files)
        if not found:
            return Drift("ok", f"the tables match what the revision files make at {at}", "")
        matches = _states_matching(schema, script, current)
    except MigrationFailed as failed:
        where = f" ({failed.where})" if failed.where else ""
        reason = f"{type(failed.error).__name__}: {failed.error}".strip().splitlines()[0]
        return Drift(
            "warn",
            "could not check that the tables match the revision files: they fail on an empty "
            f"scratch database{where}: {reason}",
            "A new database (a colleague's, CI's) would fail the same way. If you edited an "
            "applied revision, fix it so that `alembic upgrade` works from base; your own "
            "database was not touched by this check.",
        )
    listing = "".join(f"\n   - {item.text}" for item in found)
    text = f"the tables differ from what the revision files make at {at}:{listing}"
    if matches:
        return Drift(
            "fail",
            text,
            _stamp_advice(matches, current, script),
            tuple(found),
            tuple(matches),
        )
    applied = _applied_files(script, current)
    advice = [
        _edited_advice(found, applied, script, schema),
        _extra_advice(found, schema, [f for _, f in _all_files(script)]),
    ]
    if any(not item.extra for item in found):
        advice.append(
            "If you ran `alembic stamp`: the tables match no revision exactly, so look at them "
            "(wk.describe_table) and the files (`alembic history`). Or run the lesson's first "
            "cell to reset: it backs up your files and database first."
        )
    level = "warn" if all(item.extra for item in found) else "fail"
    return Drift(level, text, " ".join(part for part in advice if part), tuple(found))
