"""Explanations for Python mistakes in revision files, and in how they point at each other.

Each matcher recognises one mistake from the exception's type and its structured fields
(``AttributeError.obj`` and ``.name``, ``ModuleNotFoundError.name``, Alembic's
``CycleDetected.revisions``), and from a static look at the revision files (:mod:`ast`): never
from words alone. Registered with :func:`workshop.friendly.matcher`.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import re
import sys
import traceback
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.script.revision import CycleDetected, DependencyCycleDetected
from alembic.util.exc import CommandError

from workshop.friendly import (
    VERSIONS,
    Explanation,
    _assignment_line,
    _chain,
    _database_state,
    _relative,
    _revision_files,
    _revision_frame,
    _sqlite_cleanup,
    _who,
    matcher,
)

#: Modules a revision file uses under a short name, and how it is usually imported.
_KNOWN_MODULES: dict[str, str] = {"op": "alembic.op", "sa": "sqlalchemy"}


def _where(frame: traceback.FrameSummary) -> tuple[str, int | None]:
    return _relative(frame.filename), frame.lineno


@matcher
def misspelt_attribute(error: BaseException) -> Explanation | None:
    """``op.create_tabel``, ``sa.Interger``: a name that ``op`` or ``sa`` does not have."""
    frame = _revision_frame(error)
    obj = getattr(error, "obj", None)
    if not isinstance(error, AttributeError) or frame is None or not isinstance(obj, ModuleType):
        return None
    short = next((s for s, full in _KNOWN_MODULES.items() if obj.__name__ == full), obj.__name__)
    wanted = error.name or ""
    public = [name for name in dir(obj) if not name.startswith("_")]
    close = difflib.get_close_matches(wanted, public, n=3, cutoff=0.6)
    guess = f" Did you mean {' or '.join(f'{short}.{c}' for c in close)}?" if close else ""
    return Explanation(
        *_where(frame),
        f"{short}.{wanted} does not exist: {short} has no {wanted!r}.{guess}"
        + _database_state(frame.filename),
        (f"Write {short}.{close[0]} instead" if close else f"Check the name against {short}'s")
        + ", save, and run the command again."
        + _sqlite_cleanup(),
    )


_TYPE_AS_TEXT = re.compile(r"expected, got '(\w+)'")


@matcher
def type_given_as_text(error: BaseException) -> Explanation | None:
    """``sa.Column("id", "Integer")``: the type as a string, which SQLAlchemy does not read."""
    frame = _revision_frame(error)
    if not isinstance(error, sa.exc.ArgumentError) or frame is None:
        return None
    found = _TYPE_AS_TEXT.search(str(error))
    if found is None or not hasattr(sa, found.group(1)):
        return None
    name = found.group(1)
    return Explanation(
        *_where(frame),
        f'The column type is given as the text "{name}". SQLAlchemy takes only the type itself '
        f"there, sa.{name}, and reads any other text after the name as something else."
        + _database_state(frame.filename),
        f'Write sa.Column("...", sa.{name}, ...) (no quotes around the type), save, and run '
        "the command again.",
    )


@matcher
def text_instead_of_column(error: BaseException) -> Explanation | None:
    """``op.add_column("users", "role")``: a column's name where a ``sa.Column`` is needed."""
    frame = _revision_frame(error)
    if (
        not isinstance(error, AttributeError)
        or frame is None
        or not isinstance(getattr(error, "obj", None), str)
    ):
        return None
    line = (frame.line or "").strip()
    call = re.match(r"op\.(\w+)\(", line)
    if call is None:
        return None
    return Explanation(
        *_where(frame),
        f"op.{call.group(1)}() was given a name (text) where it needs a column object: "
        "a column is written sa.Column(name, type, ...)." + _database_state(frame.filename),
        f'Write e.g. op.{call.group(1)}("users", sa.Column("role", sa.String(20))), save, and '
        "run the command again.",
    )


@matcher
def operation_called_wrongly(error: BaseException) -> Explanation | None:
    """``op.drop_column("email")``: an Alembic operation called with missing or extra arguments."""
    frame = _revision_frame(error)
    if not isinstance(error, TypeError) or frame is None:
        return None
    found = re.match(r"(\w+)\(\) (missing|takes|got)", str(error))
    if found is None or not callable(getattr(Operations, found.group(1), None)):
        return None
    name = found.group(1)
    try:  # `op.*` are generated proxies with (*args, **kw); the real signature is Operations'
        signature = inspect.signature(getattr(Operations, name))
    except (TypeError, ValueError):
        return None
    needed = [
        p.name
        for p in signature.parameters.values()
        if p.name != "self"
        and p.default is p.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if not needed:
        return None
    return Explanation(
        *_where(frame),
        f"op.{name}() was called with the wrong arguments: {error}. It takes "
        f"({', '.join(needed)}, ...) first." + _database_state(frame.filename),
        f"Call it as op.{name}({', '.join(needed)}), save, and run the command again.",
    )


@matcher
def missing_bound_value(error: BaseException) -> Explanation | None:
    """``sa.text("... :email")`` run without a value for ``:email``."""
    frame = _revision_frame(error)
    if not isinstance(error, sa.exc.StatementError) or frame is None:
        return None
    found = re.search(r"A value is required for bind parameter '(\w+)'", str(error))
    if found is None:
        return None
    name = found.group(1)
    return Explanation(
        *_where(frame),
        f"The SQL has a placeholder :{name}, but no value was given for it."
        + _database_state(frame.filename),
        f'Give the value with the statement: op.execute(sa.text("... :{name} ...")'
        f".bindparams({name}=value)), or op.get_bind().execute(sa.text(...), "
        f'{{"{name}": value}}). Then run the command again.',
    )


@matcher
def module_not_installed(error: BaseException) -> Explanation | None:
    """``import sqlalchemy_utils`` in a revision, in an environment that does not have it."""
    frame = _revision_frame(error)
    if not isinstance(error, ModuleNotFoundError) or frame is None or not error.name:
        return None
    top = error.name.split(".")[0]
    return Explanation(
        *_where(frame),
        f"This revision imports {error.name!r}, which is not installed in the kit's Python "
        f"environment. Alembic runs the revision files with that Python, so every package they "
        f"import must be there." + _database_state(frame.filename),
        "If the revision does not need it (e.g. SQLAlchemy has the type: sa.JSON, sa.Uuid), "
        f"remove the import. If it does, install it into the kit's environment: "
        f"`{Path(sys.executable).name} -m pip install {top.replace('_', '-')}` in the kit's "
        "terminal, and add it to pyproject.toml so everyone gets it. Then run the command again.",
    )


@matcher
def asks_the_database_offline(error: BaseException) -> Explanation | None:
    """A data migration that reads rows, run with ``--sql``: there is no database to read from.

    ``migrations/env.py`` marks errors raised in offline mode (``workshop_offline``).
    """
    frame = _revision_frame(error)
    if frame is None or not getattr(error, "workshop_offline", False):
        return None
    if not _statement_calls(frame.filename, frame.lineno or 0, "get_bind"):
        return None  # another offline limit (batch mode, a nameless constraint): not this
    return Explanation(
        *_where(frame),
        f"{_who(frame)} reads rows through op.get_bind(), but with --sql Alembic only writes "
        "SQL, without connecting: there is no database to ask, so what op.get_bind() returns "
        "cannot run queries. No SQL script was finished.",
        "Run this revision without --sql. Or, for a SQL script, guard the reading step with "
        "`if not context.is_offline_mode():` (from alembic import context), as lesson 07 "
        'shows, or write it as SQL the database runs itself, e.g. op.execute("UPDATE ...").',
    )


def _statement_calls(file: str, line: int, name: str) -> bool:
    """Whether the statement at ``file:line`` (which may span lines) calls ``name``."""
    try:
        tree = ast.parse(Path(file).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return False
    for statement in ast.walk(tree):
        if not isinstance(statement, ast.stmt) or isinstance(
            statement, ast.FunctionDef | ast.If | ast.For | ast.With | ast.While | ast.Try
        ):
            continue
        if statement.lineno <= line <= (statement.end_lineno or statement.lineno) and any(
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == name
            for node in ast.walk(statement)
        ):
            return True
    return False


# --- how the revision files point at each other -------------------------------------------


def _non_text_ids() -> list[tuple[Path, int | None, str, object]]:
    """Revision files whose ``revision``/``down_revision`` is a number or another non-text."""
    from workshop import paths

    found = []
    for path in sorted(paths.versions_dir().glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError):
            continue
        for node in tree.body:
            target = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            if not isinstance(target, ast.Name) or target.id not in ("revision", "down_revision"):
                continue
            try:
                value = ast.literal_eval(node.value) if node.value is not None else None
            except ValueError:
                continue
            items = value if isinstance(value, list | tuple) else [value]
            if any(item is not None and not isinstance(item, str) for item in items):
                found.append((path, node.lineno, target.id, value))
    return found


@matcher
def revision_id_not_text(error: BaseException) -> Explanation | None:
    """``down_revision = 2``: ids are text; Alembic fails deep inside with a TypeError."""
    if not isinstance(error, TypeError | AttributeError) or _revision_frame(error) is not None:
        return None
    wrong = _non_text_ids()
    if not wrong:
        return None
    path, line, name, value = wrong[0]
    ids = [f.revision for f in _revision_files() if f.revision]
    meant = [i for i in ids if isinstance(value, int) and i.lstrip("0") == str(value)]
    suggestion = f'{name} = "{meant[0]}"' if meant else f'{name} = "{value}"'
    return Explanation(
        _relative(path),
        line,
        f"{name} = {value!r} is a number, but revision ids are text: Alembic compares them as "
        "strings, so it cannot link this revision to the others. Nothing was run.",
        f"Quote it: {suggestion} (copy the id exactly as the other file's `revision` has it), "
        "save, and run the command again.",
    )


@matcher
def not_a_revision_file(error: BaseException) -> Explanation | None:
    """A helper module in ``migrations/versions/``: Alembic reads every ``.py`` there."""
    if not isinstance(error, CommandError):
        return None
    found = re.search(r"Could not determine revision id from filename (\S+?)\.?\s", str(error))
    if found is None:
        return None
    name = found.group(1)
    target = Path(name)
    try:  # never advise a move onto a file that is there (migrations/helpers.py is the kit's)
        from workshop import paths

        while (paths.root() / "migrations" / target).exists():
            target = Path(f"my_{target.name}")
    except Exception:  # noqa: BLE001 - the advice stands with the plain name
        pass
    name_there = target.name
    return Explanation(
        f"{VERSIONS}/{name}",
        None,
        f"{name} is in {VERSIONS}/ but is not a revision (it has no `revision = ...`). Alembic "
        "reads every .py file in that folder as a revision, so it stops here. Nothing was run.",
        f"Move it out of versions/, e.g. to migrations/{name_there}, and import it in a revision "
        f"with `from migrations.{Path(name_there).stem} import ...` (the project root is on the "
        "path). Then run the command again.",
    )


@matcher
def revisions_in_a_cycle(error: BaseException) -> Explanation | None:
    """down_revisions that go round in a circle: no revision is the first one."""
    cycle = next(
        (link for link in _chain(error) if isinstance(link, CycleDetected)),
        None,
    )
    if cycle is None or isinstance(cycle, DependencyCycleDetected):
        return None
    members = set(cycle.revisions)
    files = [f for f in _revision_files() if f.revision in members]
    lines = "; ".join(
        f"{_relative(f.path)} line {_assignment_line(f.tree, 'down_revision')} says "
        f"down_revision = {', '.join(f.down_revisions) or None!r}"
        for f in files
    )
    first = files[0] if files else None
    return Explanation(
        _relative(first.path) if first else None,
        _assignment_line(first.tree, "down_revision") if first else None,
        f"The revisions {', '.join(sorted(members))} point at each other in a circle through "
        f"their down_revision, so none of them comes first: {lines}. Nothing was run.",
        "The first revision of all has down_revision = None, and every other one names the "
        "revision made just before it. Correct the down_revision that points forward, save, "
        "and run the command again.",
    )
