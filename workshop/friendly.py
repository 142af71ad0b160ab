"""Plain-words explanations of the migration mistakes learners make most.

Alembic's and SQLAlchemy's errors are precise, but they are written for people who already know
how the machinery works: a ``KeyError: '0009'`` from deep inside Alembic does not say "the
``down_revision`` in this file points at a revision that does not exist". In a lesson, the kit
prints an :class:`Explanation` *above* the original error (see :func:`workshop.commands.run`):
which revision file and line, what went wrong, and the fix. The original error still follows, so
nothing is hidden and the explanation may be skipped by those who do not need it.

This is a thin layer on purpose. Each matcher below recognises one mistake from the exception's
type (from :mod:`alembic.util.exc`, :mod:`alembic.script.revision`, :mod:`sqlalchemy.exc`,
:mod:`psycopg2.errors`), from its message where the type says too little, and from a static look
(:mod:`ast`) at the revision files. A matcher that does not recognise its mistake returns ``None``,
and one that fails itself is skipped: an explanation must never hide the real error.

:func:`explain_output` does the same for the text of a terminal ``alembic`` command, so that a
``workshop doctor`` command can reuse it. :func:`downgrade_notes` warns after a downgrade that
did not fail but did nothing (``def downgrade(): pass``), the one common mistake without an error.

No output contains an absolute path: paths are shown relative to the project root.
"""

from __future__ import annotations

import ast
import os
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import sqlalchemy as sa
from alembic.script.revision import MultipleHeads, ResolutionError, RevisionError
from alembic.util.exc import CommandError

from workshop import paths
from workshop.errors import WorkshopError

VERSIONS = "migrations/versions"


@dataclass(frozen=True)
class Explanation:
    """One mistake in plain words: where (``file``, ``line``), ``what`` went wrong, and the ``fix``.

    ``error_follows`` is False for a warning about a command that succeeded (there is no original
    error printed below it then).
    """

    file: str | None
    line: int | None
    what: str
    fix: str
    error_follows: bool = True

    def __str__(self) -> str:
        where = self.file or ""
        if where and self.line:
            where += f", line {self.line}"
        icon = "🛑" if self.error_follows else "⚠️"
        lines = [f"{icon} {where}: {self.what}" if where else f"{icon} {self.what}"]
        lines.append(f"   Fix: {self.fix}")
        if self.error_follows:
            lines.append("   (The original error follows below.)")
        return "\n".join(lines)


# --- helpers: paths, tracebacks, revision files, the database ------------------------------


def _relative(path: str | os.PathLike[str]) -> str:
    """A path as the learner sees it from the project root, never absolute.

    ``paths.relative`` needs the project root, which is exactly what is missing in some of the
    errors explained here, so there is a fallback that keeps only the recognisable tail.
    """
    text = str(path)
    try:
        text = paths.relative(text)
    except WorkshopError:
        pass
    if os.path.isabs(text):
        name = Path(text).name
        text = f"{VERSIONS}/{name}" if _in_versions(text) else name
    return text


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/\"']+/)+")


def _clean(text: str) -> str:
    """First line of a driver message, with the project's paths relative and other folders cut.

    Drivers name socket folders and data files; those are noise to a learner and differ on every
    machine.
    """
    first = text.strip().splitlines()[0] if text.strip() else ""
    try:
        first = paths.relative(first)
    except WorkshopError:
        pass
    return _ABSOLUTE_PATH.sub("", first)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, then what caused it (``raise ... from``), then what it interrupted."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _in_versions(filename: str) -> bool:
    return Path(filename).parent.parts[-2:] == ("migrations", "versions")


def _revision_frame(error: BaseException) -> traceback.FrameSummary | None:
    """The innermost traceback frame inside a revision file: where the learner's code failed."""
    for link in _chain(error):
        frames = [f for f in traceback.extract_tb(link.__traceback__) if _in_versions(f.filename)]
        if frames:
            return frames[-1]
    return None


def _raised_in(error: BaseException, module_tail: str) -> bool:
    """Whether ``error`` was raised in a file whose path ends with ``module_tail``."""
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and frames[-1].filename.replace(os.sep, "/").endswith(module_tail)


def _who(frame: traceback.FrameSummary) -> str:
    """``upgrade()``, ``downgrade()``, or "this file" for code at the top of the file."""
    return "This file" if frame.name == "<module>" else f"{frame.name}()"


def _driver_error(error: BaseException) -> BaseException | None:
    """The database driver's own exception (psycopg2 or sqlite3) behind a SQLAlchemy error."""
    for link in _chain(error):
        if isinstance(link, sa.exc.DBAPIError) and link.orig is not None:
            return link.orig
    return None


@dataclass(frozen=True)
class _RevisionFile:
    path: Path
    revision: str | None
    down_revisions: tuple[str, ...]
    depends_on: tuple[str, ...]
    tree: ast.Module


def _literal_ids(node: ast.expr | None) -> tuple[str, ...]:
    try:
        value = ast.literal_eval(node) if node is not None else None
    except ValueError:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def _read_revision_file(path: Path) -> _RevisionFile | None:
    """Read ``revision``, ``down_revision`` and ``depends_on`` without running the file.

    Reading statically works even when Alembic cannot load the files, which is when this is needed.
    """
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None
    found: dict[str, ast.expr | None] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found[node.target.id] = node.value
    if "revision" not in found:
        return None
    ids = _literal_ids(found["revision"])
    return _RevisionFile(
        path=path,
        revision=ids[0] if ids else None,
        down_revisions=_literal_ids(found.get("down_revision")),
        depends_on=_literal_ids(found.get("depends_on")),
        tree=tree,
    )


def _assignment_line(tree: ast.Module, name: str) -> int | None:
    """The line of the module-level ``name = ...`` (annotated or not)."""
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            return node.lineno
    return None


def _revision_files() -> list[_RevisionFile]:
    try:
        folder = paths.versions_dir()
    except WorkshopError:
        return []
    read = (_read_revision_file(path) for path in sorted(folder.glob("*.py")))
    return [file for file in read if file is not None]


def _file_of(revision: str) -> _RevisionFile | None:
    return next((f for f in _revision_files() if f.revision == revision), None)


def _current_revisions() -> tuple[str, ...] | None:
    """What alembic_version says now, or None when the database cannot be asked."""
    from workshop import commands

    try:
        return commands.current_revisions()
    except Exception:  # noqa: BLE001 - this only adds detail to an explanation
        return None


def _at(revisions: tuple[str, ...]) -> str:
    if not revisions:
        return "no revision (alembic_version is empty)"
    return "revision " + ", ".join(revisions)


def _database_state(revision_file: str | None = None) -> str:
    """One sentence: where the database is after a failed migration, asked from the database.

    On PostgreSQL, DDL is transactional, and env.py runs the whole command in one transaction,
    so the failed transaction is undone: unless the revision ran some of its work in an
    ``autocommit_block()``, which commits as it goes: then alembic_version is read and stated,
    and what ran there before the error is said to stay. SQLite cannot undo DDL.
    """
    from workshop import db

    now = _current_revisions()
    if now is None:
        return ""
    if db.backend() == "sqlite":
        return (
            f" SQLite cannot undo changes to tables, so the database may be half-changed: it is at "
            f"{_at(now)}, and what the failing revision did before this line is still there."
        )
    if revision_file is not None and _commits_as_it_goes(Path(revision_file)):
        return (
            f" This revision runs part of its work in autocommit_block(), which PostgreSQL "
            f"commits at once: what ran there before the error stays, while alembic_version "
            f"still says {_at(now)}."
        )
    return (
        f" PostgreSQL undid the whole command (the kit runs it in one transaction): the database "
        f"is at {_at(now)}."
    )


def _commits_as_it_goes(file: Path) -> bool:
    """Whether a revision file calls ``autocommit_block`` (read as text, never imported)."""
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return True  # unreadable: claim nothing about what was undone
    return any(
        isinstance(node, ast.Attribute) and node.attr == "autocommit_block"
        for node in ast.walk(tree)
    )


def _sqlite_cleanup() -> str:
    from workshop import db

    if db.backend() != "sqlite":
        return ""
    return " On SQLite, first remove by hand what the failed revision had already created."


# --- the matchers, one per mistake ---------------------------------------------------------

Matcher = Callable[[BaseException], Explanation | None]
MATCHERS: list[Matcher] = []


def matcher(function: Matcher) -> Matcher:
    """Register a matcher. They are tried in the order of this file; the first answer wins."""
    MATCHERS.append(function)
    return function


def _alembic_trouble(error: BaseException) -> bool:
    """Errors Alembic raises while reading the revision files or resolving revision ids."""
    return isinstance(error, CommandError | RevisionError) or (
        isinstance(error, KeyError) and _raised_in(error, "alembic/script/revision.py")
    )


@matcher
def syntax_error(error: BaseException) -> Explanation | None:
    """Case 1: Python cannot read a revision file. Alembic loads every file before it runs any."""
    if not isinstance(error, SyntaxError) or not error.filename:
        return None
    return Explanation(
        _relative(error.filename),
        error.lineno,
        f"Python cannot read this file: {error.msg}. Alembic reads every revision file before it "
        "runs any, so nothing was changed in the database.",
        "Correct that line (a missing bracket, quote or colon is often reported on the line "
        "after it), save the file, and run the command again.",
    )


@matcher
def duplicate_revision_ids(error: BaseException) -> Explanation | None:
    """Case 3: two files claim one id. Alembic only warns and then fails in confusing ways."""
    if not _alembic_trouble(error):
        return None
    by_id: dict[str, list[_RevisionFile]] = {}
    for file in _revision_files():
        if file.revision is not None:
            by_id.setdefault(file.revision, []).append(file)
    for revision, files in by_id.items():
        if len(files) > 1:
            others = " and ".join(_relative(file.path) for file in files[:-1])
            return Explanation(
                _relative(files[-1].path),
                None,
                f"This file and {others} both say revision = {revision!r}. Every revision needs an "
                "id of its own, so Alembic cannot tell them apart (and may call them 'multiple "
                "heads'). Nothing was changed in the database.",
                "Keep one of them. If both are needed, give the newer one another id (change "
                "`revision` and the 'Revision ID' line, and rename the file), and set its "
                "down_revision to the revision it should follow.",
            )
    return None


@matcher
def missing_down_revision(error: BaseException) -> Explanation | None:
    """Case 2: ``down_revision`` names a revision no file has; Alembic says only KeyError."""
    if not (isinstance(error, KeyError) and _raised_in(error, "alembic/script/revision.py")):
        return None
    missing = str(error.args[0]) if error.args else ""
    for file in _revision_files():
        if missing in file.down_revisions or missing in file.depends_on:
            field = "down_revision" if missing in file.down_revisions else "depends_on"
            line = _assignment_line(file.tree, field)
            known = sorted(f.revision for f in _revision_files() if f.revision)
            return Explanation(
                _relative(file.path),
                line,
                f"{field} = {missing!r}, but no file in {VERSIONS}/ has revision = {missing!r}. "
                "Each revision must point at one that exists (or None for the first one).",
                f"Set {field} to the id of the revision this one builds on (the revisions there "
                f"are: {', '.join(known) or 'none'}), or restore the missing file.",
            )
    return None


def branch_names(heads: list[str] | tuple[str, ...]) -> list[str]:
    """The heads' branch labels when every head is on a branch of its own name, else ``[]``.

    Named branches such as orchestrator-core's ``schema`` and ``data`` are kept apart on purpose,
    so the advice for them is not the advice for an accidental split: never "merge them".
    """
    from workshop import commands

    try:
        scripts = commands.script_directory()
        labels = [scripts.get_revision(head).branch_labels for head in heads]
    except Exception:  # noqa: BLE001 - this only chooses the advice
        return []
    if not all(labels) or any(a & b for a, b in combinations(labels, 2)):
        return []
    return sorted(", ".join(sorted(names)) for names in labels)


def heads_advice(names: list[str]) -> str:
    """What to do about more than one head, given their :func:`branch_names`."""
    if names:
        return (
            f"These are named branches ({', '.join(names)}), kept apart on purpose: do not "
            'merge them. `alembic upgrade heads` (wk.upgrade("heads")) applies every branch; '
            f"`alembic upgrade {names[0]}@head` applies one."
        )
    return (
        'To apply every branch, run `alembic upgrade heads` (wk.upgrade("heads")). To join '
        'them again, `alembic merge -m "merge" heads` (wk.merge("heads", "merge")) creates '
        "a revision that builds on both. If one of them was a mistake, set its down_revision to "
        "the other one instead."
    )


@matcher
def multiple_heads(error: BaseException) -> Explanation | None:
    """Case 4: two revisions build on the same parent, so "head" is ambiguous."""
    cause = next((link for link in _chain(error) if isinstance(link, MultipleHeads)), None)
    if cause is None:
        return None
    heads = sorted(cause.heads)
    names = branch_names(heads)
    if names:
        what = f"{', '.join(heads)} are the newest revisions of separate branches"
    else:
        what = (
            f"The revisions have split into branches: {', '.join(heads)} are each newest "
            '("heads"), because they build on the same revision'
        )
    return Explanation(
        None,
        None,
        f"{what}. So 'head' (just one) is ambiguous. Nothing was changed in the database.",
        heads_advice(names),
    )


@matcher
def unknown_revision(error: BaseException) -> Explanation | None:
    """Case 5 (and typos): Alembic cannot find a revision id, in the database or in an argument.

    The database is asked, because the fix differs: a revision in alembic_version that has no
    file means the file was deleted after it was applied.
    """
    cause = next((link for link in _chain(error) if isinstance(link, ResolutionError)), None)
    if cause is None or not cause.argument:
        return None
    missing = str(cause.argument)
    if str(cause).startswith("Multiple revisions start with"):
        # Alembic's own message then says "Can't locate revision", as for an id that does not
        # exist; the real reason is one level down.
        candidates = ", ".join(re.findall(r"'([^']+)'", str(cause).split(":", 1)[-1]))
        return Explanation(
            None,
            None,
            f"{missing!r} is ambiguous: more than one revision id starts with it (such as "
            f"{candidates}). A partial id must match exactly one revision.",
            "Type more characters of the id, enough to make it unique. `alembic history` "
            "(wk.history()) lists the ids.",
        )
    if _file_of(missing) is not None:
        return None
    if missing in (_current_revisions() or ()):
        return Explanation(
            None,
            None,
            f"The database says it is at revision {missing!r} (in its alembic_version table), but "
            f"no file in {VERSIONS}/ has revision = {missing!r}. The file was probably deleted "
            "or renamed after it was applied, so Alembic cannot work out where the database is.",
            "Restore the file (from git, your editor, or .workshop/backups/). Only if you are "
            "sure its changes are gone from the database: `alembic stamp <the revision before it>` "
            "rewrites alembic_version without touching any table, so use it with care.",
        )
    return Explanation(
        None,
        None,
        f"There is no revision {missing!r}: no file in {VERSIONS}/ has that id.",
        "Check the id with `alembic history` (wk.history()), or use head, base, +1 or -1.",
    )


@matcher
def name_error(error: BaseException) -> Explanation | None:
    """Case 9: a forgotten import (``sa``, ``op``) or a misspelt name in a revision file."""
    frame = _revision_frame(error)
    if not isinstance(error, NameError) or frame is None:
        return None
    imports = {
        "sa": "import sqlalchemy as sa",
        "op": "from alembic import op",
        "Sequence": "from collections.abc import Sequence",
        "postgresql": "from sqlalchemy.dialects import postgresql",
    }
    name = error.name or ""
    if name in imports:
        fix = (
            f"Add `{imports[name]}` to the imports at the top of the file, then run the command "
            "again."
        )
    else:
        fix = "Check the spelling of that name, or import it at the top of the file."
    return Explanation(
        _relative(frame.filename),
        frame.lineno,
        f"{_who(frame)} uses the name {name!r}, which this file never defines or imports."
        + _database_state(frame.filename),
        fix + _sqlite_cleanup(),
    )


@matcher
def execute_with_keywords(error: BaseException) -> Explanation | None:
    """Case 10: ``conn.execute(text, name=value)``, the SQLAlchemy 1.x style that 2.x refuses."""
    frame = _revision_frame(error)
    if (
        not isinstance(error, TypeError)
        or frame is None
        or "execute() got an unexpected keyword argument" not in str(error)
    ):
        return None
    found = re.search(r"keyword argument '(\w+)'", str(error))
    name = found.group(1) if found else "name"
    return Explanation(
        _relative(frame.filename),
        frame.lineno,
        f"execute(..., {name}=...) is how SQLAlchemy 1.x took values for the query. SQLAlchemy 2 "
        "takes them as one dictionary instead." + _database_state(frame.filename),
        f'Pass a dict: op.get_bind().execute(sa.text("... :{name} ..."), {{"{name}": value}}).'
        + _sqlite_cleanup(),
    )


@matcher
def execute_a_string(error: BaseException) -> Explanation | None:
    """``conn.execute("SELECT ...")``: SQLAlchemy 2 wants ``sa.text`` around raw SQL."""
    frame = _revision_frame(error)
    if not isinstance(error, sa.exc.ObjectNotExecutableError) or frame is None:
        return None
    return Explanation(
        _relative(frame.filename),
        frame.lineno,
        "execute() was given a plain string. SQLAlchemy 2 runs raw SQL only when it is wrapped "
        "in sa.text()." + _database_state(frame.filename),
        'Write op.get_bind().execute(sa.text("...")), or simply op.execute("...").'
        + _sqlite_cleanup(),
    )


@matcher
def sqlite_cannot_alter(error: BaseException) -> Explanation | None:
    """``op.alter_column`` or a constraint operation on SQLite, outside batch mode (lesson 09)."""
    frame = _revision_frame(error)
    orig = _driver_error(error)
    refused = isinstance(error, NotImplementedError) and "SQLite dialect" in str(error)
    syntax = orig is not None and 'near "ALTER": syntax error' in str(orig)
    if frame is None or not (refused or syntax):
        return None
    return Explanation(
        _relative(frame.filename),
        frame.lineno,
        "SQLite cannot change a column or a constraint in place: its ALTER TABLE can only "
        "rename a table, and add, rename or drop a column." + _database_state(frame.filename),
        'Use batch mode: `with op.batch_alter_table("<table>") as batch_op:`, then '
        "`batch_op.alter_column(...)` or `batch_op.drop_constraint(...)`. Alembic then copies "
        "the table into a new one with the change (lesson 09).",
    )


@matcher
def not_implemented(error: BaseException) -> Explanation | None:
    """A lesson stub, ``raise NotImplementedError()``, that has not been replaced yet."""
    frame = _revision_frame(error)
    if not isinstance(error, NotImplementedError) or frame is None:
        return None
    if traceback.extract_tb(error.__traceback__)[-1].filename != frame.filename:
        return None  # raised by Alembic or SQLAlchemy (an operation it cannot do), not a stub
    return Explanation(
        _relative(frame.filename),
        frame.lineno,
        f"{frame.name}() still raises NotImplementedError: it has not been written yet."
        + _database_state(frame.filename),
        "Replace `raise NotImplementedError()` with your code, save, and run the command again.",
    )


# SQLSTATEs (PostgreSQL's error codes): what the database says happened, not how it words it.
DUPLICATE_TABLE = "42P07"
DUPLICATE_COLUMN = "42701"
DUPLICATE_OBJECT = "42710"  # a constraint, index (by name) or type
_NAMED = re.compile(r'"([^"]+)"')
_SQLITE_TABLE_EXISTS = re.compile(r"^table \"?([\w.]+)\"? already exists$")


def _sqlstate(orig: BaseException | None) -> str | None:
    return getattr(orig, "pgcode", None)


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
    if frame is None or state not in (DUPLICATE_COLUMN, DUPLICATE_OBJECT):
        return None
    primary = getattr(orig.diag, "message_primary", None) or str(orig)
    names = _NAMED.findall(primary)
    what = f'"{names[0]}"' if names else "it"
    where = f' in table "{names[1]}"' if state == DUPLICATE_COLUMN and len(names) > 1 else ""
    kind = "column" if state == DUPLICATE_COLUMN else "object"
    if state == DUPLICATE_OBJECT:
        kind = next((k for k in ("constraint", "index", "type") if primary.startswith(k)), kind)
    return Explanation(
        _relative(frame.filename),
        frame.lineno,
        f"The {kind} {what} is already there{where}, so {frame.name}() cannot make it again: "
        f"{_clean(primary)}." + _database_state(frame.filename),
        "The database is probably ahead of alembic_version: it already has what this revision "
        "makes (after an `alembic stamp` to an older revision, or a change made by hand). Look "
        "at the schema (wk.describe_table) and `alembic stamp` the revision it really matches, "
        "or remove the duplicate from this revision if an earlier one makes it. Nothing needs "
        "to be dropped.",
    )


@matcher
def sql_error_in_revision(error: BaseException) -> Explanation | None:
    """Case 6: the database rejected a statement that a revision sent.

    The database is asked where it is now, because that is what the learner must know next, and
    it differs between PostgreSQL (transactional DDL) and SQLite (not).
    """
    frame = _revision_frame(error)
    if not isinstance(error, sa.exc.DBAPIError) or frame is None:
        return None
    reason = _clean(str(error.orig)) if error.orig is not None else type(error).__name__
    return Explanation(
        _relative(frame.filename),
        frame.lineno,
        f"The database refused a statement in {frame.name}(): {reason}."
        + _database_state(frame.filename),
        "Correct the statement at that line, save, and run the command again." + _sqlite_cleanup(),
    )


@matcher
def workshop_error(error: BaseException) -> Explanation | None:
    """Cases 11 and 12: the kit's own errors, which already say what and how, in this format.

    It comes before :func:`database_unreachable` because its message says more (e.g. which
    database the kit wanted to create).

    Its message may hold a folder the learner typed (``WORKSHOP_ROOT=/home/...``), so the text
    is rebuilt without absolute paths.
    """
    if not isinstance(error, WorkshopError):
        return None
    if _raised_in(error, "workshop/paths.py"):
        where = (
            f"{paths.ROOT_ENV} points at a folder without them"
            if os.environ.get(paths.ROOT_ENV)
            else "this folder is not inside the workshop folder"
        )
        return Explanation(
            None,
            None,
            f"Alembic needs alembic.ini and migrations/ to know where the revisions are, and the "
            f"kit cannot find them: {where}. Nothing was run.",
            error.fix or "Run this from the workshop folder (the one with alembic.ini).",
        )
    return Explanation(None, None, _ABSOLUTE_PATH.sub("", error.message), error.fix)


_CANNOT_CONNECT = (
    "connection to server",
    "could not connect",
    "could not translate host name",
    "connection refused",
    "password authentication failed",
    "unable to open database file",
    "server closed the connection",
)


@matcher
def database_unreachable(error: BaseException) -> Explanation | None:
    """Case 11: the database is not running, or the URL points at the wrong place."""
    from workshop import db

    for link in _chain(error):
        if isinstance(link, sa.exc.OperationalError) and any(
            words in str(link.orig).lower() for words in _CANNOT_CONNECT
        ):
            return Explanation(
                None,
                None,
                f"The kit cannot connect to the database: {_clean(str(link.orig))}. Nothing was "
                "run.",
                f"Check that the database server is running and that {db.URL_ENV} (if you set it) "
                "has the right host, port, user and password. Unset it to use the embedded "
                "PostgreSQL; `workshop db status` shows whether that one runs.",
            )
    return None


# --- the entry points ----------------------------------------------------------------------


def explain(error: BaseException) -> Explanation | None:
    """What a learner should know about ``error``, or None when it is not a mistake we know.

    A matcher that fails is skipped, so explaining can never replace the original error.
    """
    for function in MATCHERS:
        try:
            explanation = function(error)
        except Exception:  # noqa: BLE001 - an explanation is a bonus, the error is what matters
            continue
        if explanation is not None:
            return explanation
    return explain_output(f"{type(error).__name__}: {error}")


#: What the terminal ``alembic`` prints for common mistakes, and what to do about it:
#: (pattern, what went wrong, fix). Used for text, e.g. by a ``workshop doctor`` command.
OUTPUT_TABLE: tuple[tuple[str, str, str], ...] = (
    (
        r"No 'script_location' key found in configuration",
        "`alembic` found no alembic.ini here. It looks only in the folder you are in (or the "
        "file given with -c), so it does not know where the migrations are.",
        "Go to the project root first (the folder with alembic.ini): `cd` there, or in "
        "JupyterLab open the terminal from the file browser's top folder. Or run "
        "`alembic -c path/to/alembic.ini ...`.",
    ),
    (
        r"No config file '(?P<file>[^']+)' found",
        "`alembic` cannot find its configuration file {file}.",
        "Run `alembic` from the project root, where alembic.ini is, or pass the right file "
        "with -c.",
    ),
    (
        r"Multiple head(?: revision)?s are present",
        "The revisions have split into branches, so 'head' (just one) is ambiguous.",
        'Run `alembic upgrade heads` to apply both, or `alembic merge -m "merge" heads` to join '
        "them with a new revision.",
    ),
    (
        r"Can't locate revision identified by '(?P<rev>[^']+)'",
        "No revision file has the id {rev!r}. If the database is at that revision, its file was "
        "deleted after it was applied.",
        "Restore the file, or check the id with `alembic history`. `alembic stamp` rewrites "
        "alembic_version without touching tables: use it only with care.",
    ),
    (
        r"Target database is not up to date",
        "Autogenerate compares your models with the database, which must be at the newest "
        "revision first.",
        "Run `alembic upgrade head`, then the `alembic revision --autogenerate` command again.",
    ),
    (
        r"connection to server .* failed|could not connect to server|Connection refused",
        "`alembic` cannot connect to the database.",
        "Check that the database runs (`workshop db status`) and that WORKSHOP_DATABASE_URL, if "
        "set, is right.",
    ),
)


def explain_output(text: str) -> Explanation | None:
    """Explain the output of an ``alembic`` command (terminal or captured), or None."""
    for pattern, what, fix in OUTPUT_TABLE:
        found = re.search(pattern, text)
        if found:
            values = found.groupdict()
            return Explanation(None, None, what.format(**values), fix.format(**values))
    return None


def _only_pass(function: ast.FunctionDef) -> bool:
    """A body of nothing but ``pass``, ``...`` and docstrings: it does nothing."""
    return all(
        isinstance(statement, ast.Pass)
        or (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
        for statement in function.body
    )


def empty_downgrade(file: Path) -> Explanation | None:
    """Case 7, statically: ``downgrade()`` is only ``pass`` while ``upgrade()`` does something.

    Alembic runs such a downgrade without complaint and moves alembic_version back, but the
    schema stays as the upgrade left it, so the two disagree from then on. A revision whose
    ``upgrade()`` is empty too (fresh from ``alembic revision``) is fine: there is nothing to undo.
    """
    read = _read_revision_file(file)
    if read is None:
        return None
    functions = {node.name: node for node in read.tree.body if isinstance(node, ast.FunctionDef)}
    upgrade, downgrade = functions.get("upgrade"), functions.get("downgrade")
    if upgrade is None or downgrade is None or _only_pass(upgrade) or not _only_pass(downgrade):
        return None
    parent = ", ".join(read.down_revisions) or "base"
    return Explanation(
        _relative(file),
        downgrade.body[0].lineno,
        f"downgrade() of revision {read.revision} is only `pass`. Running it changed nothing in "
        f"the tables (what upgrade() made is still there), yet alembic_version moved back to "
        f"{parent}: the database now claims to be at a revision its tables are not.",
        f"Write downgrade() to undo exactly what upgrade() does (e.g. op.drop_table for "
        f"op.create_table). Then `alembic stamp {read.revision}` (the tables really are still "
        f"at it) and run the downgrade again.",
        error_follows=False,
    )


def downgrade_notes(output: str) -> list[Explanation]:
    """Warnings for the revisions a successful downgrade ran, from its log lines.

    ``output`` is what the command logged, e.g. ``Running downgrade 0002 -> 0001, add x``.
    """
    notes: list[Explanation] = []
    for found in re.finditer(r"^Running downgrade (.+?) -> ", output, re.MULTILINE):
        for revision in found.group(1).split(", "):
            file = _file_of(revision.strip())
            note = empty_downgrade(file.path) if file is not None else None
            if note is not None:
                notes.append(note)
    return notes
