"""Auto-checks for the exercises: a friendly verdict, and a hint when it is not right yet.

``check_exercise("02.1")`` in a lesson prints one of::

    ✅ Exercise 02.1 passed: ...
    ❌ Exercise 02.1 is not done yet: <what is wrong, in plain words>
    💡 Hint: <what to try>

A check never raises: a participant's broken migration is the normal case here, and the verdict
explains it. Checks look at the real files and the real database, and they also run the
participant's downgrade, because a migration that cannot be undone is not finished.
Instructors grade with nbval by comparing these verdicts with the answer key's.

Every run of a check tests the participant's files as they are now, whatever an earlier attempt
left behind. So a check that runs the participant's revision first *rehearses* it on a new, empty
database (:func:`rehearse`): upgrade to where the exercise starts, then the revision, look,
downgrade, look, upgrade again. Only a revision that passes is applied to the participant's own
database, which is first brought back to where the exercise starts, from facts (what the files
make there, compared with :mod:`workshop.drift`), never by guessing. A wrong attempt therefore
leaves nothing behind, and a right one is not judged by what a wrong one left.
"""

from __future__ import annotations

import importlib
import os
import stat
from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from alembic import command
from alembic.runtime.migration import MigrationContext

from workshop import commands, db, drift, paths


@dataclass(frozen=True)
class Verdict:
    exercise: str
    passed: bool
    message: str
    hint: str = ""

    def __str__(self) -> str:
        if self.passed:
            return f"✅ Exercise {self.exercise} passed: {self.message}"
        text = f"❌ Exercise {self.exercise} is not done yet: {self.message}"
        return f"{text}\n💡 Hint: {self.hint}" if self.hint else text


class NotYet(Exception):
    """Raised inside a check to stop at the first problem found."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotYetInYours(NotYet):
    """The revision passed its rehearsal, but the participant's database stands in the way."""


CHECKS: dict[str, Callable[[], str]] = {}


def exercise(exercise_id: str) -> Callable[[Callable[[], str]], Callable[[], str]]:
    """Register a check. It returns the success message or raises :class:`NotYet`."""

    def register(function: Callable[[], str]) -> Callable[[], str]:
        CHECKS[exercise_id] = function
        return function

    return register


def run_check(exercise_id: str) -> Verdict:
    """Run one check and turn whatever happens into a verdict."""
    function = CHECKS.get(exercise_id)
    if function is None:
        known = ", ".join(sorted(CHECKS))
        return Verdict(exercise_id, False, "there is no such exercise.", f"Known ones: {known}.")
    try:
        return Verdict(exercise_id, True, function())
    except NotYet as problem:
        return Verdict(exercise_id, False, problem.message, problem.hint)


def check_exercise(exercise_id: str) -> None:
    """Print the verdict for one exercise (the auto-check cell of a lesson)."""
    print(run_check(exercise_id))


# --- where the participant's migrations run -------------------------------------------------


class Runtime(Protocol):
    """How a check runs the participant's migrations and reads their revision files.

    In a lesson the check runs in the participant's own kernel (:class:`InProcess`). When an
    instructor grades, the same check runs in trusted code outside the participant's sandbox
    (``workshop.grading.verdicts``): revision files are parsed as text, never imported, and every
    ``upgrade()`` or ``downgrade()`` runs in a fresh sandboxed process. Checks therefore never
    call Alembic directly, only :func:`step`, :func:`scripts` and :func:`heads`.
    """

    def step(self, verb: str, target: str, *, database: sa.URL | None = None) -> None:
        """``alembic <verb> <target>`` (upgrade, downgrade or stamp); raises when it fails."""

    def scripts(self) -> Any:
        """The revision files: ``walk_revisions()``, ``get_revision(id)``, ``get_heads()``."""

    def scratch_database(self) -> AbstractContextManager[sa.URL]:
        """A throwaway database the participant's migrations may run on, removed afterwards."""

    def app_file(self, relative: str) -> Path:
        """The application file (e.g. ``todo/models.py``) the check may import as the model."""

    def call(self, target: str) -> Any:
        """``module:function`` of the kit, which imports participant code; its JSON-able result."""


class InProcess:
    """The participant's kernel: Alembic in this process, for instant feedback."""

    def step(self, verb: str, target: str, *, database: sa.URL | None = None) -> None:
        action = {
            "upgrade": command.upgrade,
            "downgrade": command.downgrade,
            "stamp": command.stamp,
        }[verb]
        if database is None:
            commands.run(action, target, quiet=True)
            return
        config = commands.config()
        config.attributes["connection"] = db.engine(database)  # env.py connects with it
        with commands._captured():  # a rehearsal's "Running upgrade" lines are not for the cell
            action(config, target)

    def scripts(self) -> Any:
        return commands.script_directory()

    def scratch_database(self) -> AbstractContextManager[sa.URL]:
        return rehearsal_database()

    def app_file(self, relative: str) -> Path:
        return paths.root() / relative

    def call(self, target: str) -> Any:
        module, _, function = target.partition(":")
        return getattr(importlib.import_module(module), function)()


REHEARSALS = "workshop_rehearsal"
_SYSTEM_SCHEMAS = "nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%'"


@contextmanager
def rehearsal_database() -> Iterator[sa.URL]:
    """An empty database for a check's rehearsal, quickly: one of a few kept for the purpose.

    Creating a PostgreSQL database takes half a second and dropping a used one a second more (a
    checkpoint), on every check run. So a rehearsal borrows ``workshop_rehearsal_<n>`` on the
    same server, made once, and empties it first (every schema dropped, ``public`` made again).
    An advisory lock held for the whole rehearsal keeps two kernels out of each other's; when
    all are busy, or on SQLite (a new file is instant), a new scratch database it is.
    """
    if db.backend() != "postgresql":
        with db.scratch_database("check") as url:
            yield url
        return
    server = db.server_url()
    for slot in range(4):
        target = server.set(database=f"{REHEARSALS}_{slot}")
        try:
            db.ensure_database(target)
            holder = sa.create_engine(target, poolclass=sa.pool.NullPool)
            lock = holder.connect()
        except Exception as error:  # noqa: BLE001 - the server refuses: say so as a verdict
            raise NotYet(
                f"the check could not make a database to try your revision on: {first_line(error)}",
                "Run `workshop doctor` in a terminal: it says what is wrong with the database.",
            ) from error
        try:
            taken = lock.execute(sa.text("SELECT pg_try_advisory_lock(7141)")).scalar()
            lock.commit()
            if not taken:
                continue
            schemas = lock.execute(
                sa.text(f"SELECT nspname FROM pg_namespace WHERE {_SYSTEM_SCHEMAS}")
            ).scalars()
            quote = holder.dialect.identifier_preparer.quote
            for schema in list(schemas):
                lock.execute(sa.text(f"DROP SCHEMA {quote(schema)} CASCADE"))
            lock.execute(sa.text("CREATE SCHEMA public"))
            lock.commit()
            yield target
            return
        finally:
            lock.close()
            holder.dispose()
    with db.scratch_database("check") as url:
        yield url


_runtime: list[Runtime] = [InProcess()]


@contextmanager
def using(runtime: Runtime) -> Iterator[None]:
    """Run the checks inside this block with ``runtime`` (grading uses the trusted one)."""
    _runtime.append(runtime)
    try:
        yield
    finally:
        _runtime.pop()


def step(verb: str, target: str, *, database: sa.URL | None = None) -> None:
    """Run the participant's ``upgrade``/``downgrade`` (or a ``stamp``), wherever they must run."""
    _runtime[-1].step(verb, target, database=database)


def scripts() -> Any:
    """The participant's revision files, as Alembic's ScriptDirectory or a parsed equivalent."""
    return _runtime[-1].scripts()


def scratch_database() -> AbstractContextManager[sa.URL]:
    """A throwaway database for a check to run the participant's migrations on."""
    return _runtime[-1].scratch_database()


def app_file(relative: str) -> Path:
    """The lesson's application file a check imports: the participant's, or when grading the key's.

    A lesson's teaching cells write ``todo/models.py``; when grading, what the sandbox left there
    is participant code, so the trusted check loads the answer key's version instead.
    """
    return _runtime[-1].app_file(relative)


def participant_call(target: str) -> Any:
    """Run the kit's ``module:function``, which imports the participant's code, and return its data.

    In a lesson it runs here; when grading, in a fresh sandbox, and what comes back is data that
    participant code produced: a check must check its shape before using it.
    """
    return _runtime[-1].call(target)


MAX_READ = 1024 * 1024


def read_text(path: str | Path) -> str:
    """A participant's file as text, never following a symlink and never more than 1 MiB.

    Grading reads these files in trusted code, after sandboxed code had the chance to replace
    them, so a link to a file of the instructor's must not be followed. Missing: "".
    """
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return ""
    except OSError as error:
        raise NotYet(
            f"{Path(path).name} cannot be read: it is a link or not a file ({error.strerror}).",
            "Write it as a plain file.",
        ) from error
    with os.fdopen(handle, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise NotYet(f"{Path(path).name} is not a plain file.", "Write it as a plain file.")
        data = file.read(MAX_READ + 1)
    if len(data) > MAX_READ:
        raise NotYet(f"{Path(path).name} is larger than 1 MiB.", "Keep the file small.")
    return data.decode("utf-8", errors="replace")


def heads() -> tuple[str, ...]:
    """The ids of the head revisions among the participant's files, sorted."""
    return tuple(sorted(scripts().get_heads()))


# --- which database a check looks at --------------------------------------------------------

#: The database that :func:`engine`, :func:`columns` and :func:`migrate` use: a rehearsal's new
#: database while one runs (:func:`rehearse`), else (None) the participant's own.
_looking_at: list[sa.URL | None] = [None]


def engine() -> sa.Engine:
    """The database the check reads now: the rehearsal's new one, or the participant's."""
    url = _looking_at[-1]
    return db.engine() if url is None else db.engine(url)


def target() -> sa.URL | None:
    """The database the check migrates now: the rehearsal's new one, or None (the participant's)."""
    return _looking_at[-1]


@contextmanager
def looking_at(url: sa.URL | None) -> Iterator[None]:
    """Read and migrate ``url`` (None: the participant's database) inside this block."""
    _looking_at.append(url)
    try:
        yield
    finally:
        _looking_at.pop()


# --- helpers the checks share --------------------------------------------------------------


def first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def migrate(verb: str, target: str, *, what: str) -> None:
    """Run the participant's upgrade or downgrade quietly; explain a failure as NotYet.

    It runs on the database the check looks at (:func:`looking_at`): during a rehearsal that is
    the new one, so a wrong attempt leaves nothing behind in the participant's.
    """
    try:
        step(verb, target, database=_looking_at[-1])
    except NotImplementedError as error:
        if str(error):  # Alembic's own, e.g. "No support for ALTER of constraints in SQLite"
            raise NotYet(
                f"`alembic {verb} {target}` failed: NotImplementedError: {first_line(error)}",
                BATCH_HINT if "SQLite" in str(error) else FIX_THE_FILE,
            ) from error
        raise NotYet(
            f"{what} still raises NotImplementedError.",
            "Replace `raise NotImplementedError()` with your code, run that cell again, "
            "then run this check.",
        ) from error
    except Exception as error:  # noqa: BLE001 - any failure of the participant's code is a verdict
        raise NotYet(
            f"`alembic {verb} {target}` failed: {type(error).__name__}: {first_line(error)}",
            FIX_THE_FILE,
        ) from error


FIX_THE_FILE = "Read the error, fix the revision file, run its cell again, then this check."
BATCH_HINT = (
    "SQLite cannot change a column or a constraint in place: do it inside "
    '`with op.batch_alter_table("<table>") as batch_op:`, with batch_op.<operation>(...).'
)


def revision_file(rev: str, *, parent: str | None, hint: str) -> None:
    """The revision exists and sits on ``parent``."""
    try:
        found = {script.revision: script for script in scripts().walk_revisions()}
    except Exception as error:  # noqa: BLE001 - a broken file is a verdict too
        raise NotYet(
            f"Alembic cannot read the revision files: {first_line(error)}", hint
        ) from error
    script = found.get(rev)
    if script is None:
        raise NotYet(f"there is no revision {rev} in migrations/versions/.", hint)
    if script.down_revision != parent:
        raise NotYet(
            f"revision {rev} has down_revision = {script.down_revision!r}; "
            f"it should build on {parent!r}.",
            f"Set down_revision = {parent!r} in the file, or create it again with the right head.",
        )


def columns(table: str) -> dict[str, dict]:
    """The table's columns as the database reports them, by name ({} when it does not exist)."""
    inspector = sa.inspect(engine())
    if not inspector.has_table(table):
        return {}
    return {column["name"]: column for column in inspector.get_columns(table)}


def expect_type(table: str, column: dict, kind: type, length: int | None = None) -> None:
    actual = column["type"]
    label = f"{kind.__name__}({length})" if length else kind.__name__
    if not isinstance(actual, kind) or (length is not None and actual.length != length):
        raise NotYet(
            f"{table}.{column['name']} is {actual}; expected {label}.",
            f"Declare it as sa.Column({column['name']!r}, sa.{label}, ...).",
        )


def applied(current: Collection[str]) -> set[str] | None:
    """The revisions a database at ``current`` has applied: those, and all they build on or
    depend on (Alembic's own walk, so ``depends_on`` counts). None when a revision in
    ``current`` has no file."""
    if not current:
        return set()
    try:
        found = scripts().revision_map.iterate_revisions(tuple(current), "base")
        return {script.revision for script in found}
    except Exception:  # noqa: BLE001 - a revision no file has, or unreadable files
        return None


# --- revision files the exercise does not make ------------------------------------------------


def stray_revisions(expected: Collection[str]) -> list[Any]:
    """The revision files that are not among ``expected``, oldest first."""
    return [
        script
        for script in reversed(list(scripts().walk_revisions()))
        if script.revision not in expected
    ]


def alembic_command(args: str) -> str:
    """``!alembic ARGS`` as a lesson cell runs it; in the products track the command that works
    there. Plain ``alembic`` reads alembic.ini, which (as a real orchestrator-core app's) does not
    name the kit's schema location, so there it cannot find 544fd845554d: the track's
    ``main.py db`` does (see workshop.orchestrator.versions), and ``wk.stamp`` for a stamp,
    which ``main.py db`` does not have (nor has orchestrator-core's)."""
    from workshop.orchestrator import versions as orchestrator_versions

    if not orchestrator_versions.wanted():
        return f"!alembic {args}"
    verb, _, rest = args.partition(" ")
    if verb == "stamp":
        purge = rest.startswith("--purge ")
        target = rest.removeprefix("--purge ")
        return f"wk.stamp({target!r}{', purge=True' if purge else ''})"
    return f"!PYTHONPATH=. python main.py db {args}"


def _as_tuple(value: str | Collection[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _file(script: Any) -> str:
    return f"migrations/versions/{Path(script.path).name}"


def no_strays(expected: Collection[str], *, then: str) -> None:
    """Every revision file is one the lesson has made by this exercise; else name the others.

    A stray file is most often a revision made without ``--rev-id`` (or made twice): Alembic puts
    it on top of the head, so it becomes a second head, or the parent of the next revision, and
    every hint about heads or down_revision would then mislead (it says "on top of 0002" while
    the head is the stray). The way out is to delete it. When the database has applied it, the
    downgrade below it comes first, or the database would be left at a revision no file has.
    ``then`` says what to do afterwards.
    """
    try:
        found = stray_revisions(expected)
    except Exception:  # noqa: BLE001 - unreadable files are the revision checks' verdict
        return
    if not found:
        return
    stray_ids = {script.revision for script in found}
    listed = "; ".join(
        f"{_file(script)} (revision {script.revision}, {(script.doc or '').strip()!r}, on top of "
        f"{', '.join(_as_tuple(script.down_revision)) or 'base'})"
        for script in found
    )
    one = len(found) == 1
    message = (
        f"migrations/versions/ has {'a revision file' if one else 'revision files'} that this "
        f"exercise does not make: {listed}."
    )
    steps = []
    current = commands.current_revisions()
    reached = sorted(stray_ids & (applied(current) or set()))
    if reached:
        oldest = next(script for script in found if script.revision in reached)
        below = _as_tuple(oldest.down_revision)
        if not below:
            target = f"{oldest.revision}@base"  # a root of its own: only its branch goes
        elif len(current) > 1 and oldest.revision in current:
            target = f"{oldest.revision}@-1"  # one head of several: only it goes
        else:
            target = below[0]  # one line: down to where the stray starts
        steps.append(
            f"First `{alembic_command(f'downgrade {target}')}`: your database has applied "
            f"{', '.join(reached)}, and a database at a revision whose file is gone is stuck."
        )
    steps.append(f"Delete {', '.join(_file(s) for s in found)}.")
    children = [
        script
        for script in scripts().walk_revisions()
        if script.revision in expected and set(_as_tuple(script.down_revision)) & stray_ids
    ]
    for child in children:
        parents = [
            parent
            for stray in found
            if stray.revision in _as_tuple(child.down_revision)
            for parent in _as_tuple(stray.down_revision)
        ]
        parent = parents[0] if len(parents) == 1 else None
        steps.append(
            f"In {_file(child)}, set down_revision = {parent!r} (the revision the deleted file "
            "built on)."
        )
    why = "a revision made without --rev-id, or made twice?"
    hint = f"{'It is' if one else 'They are'} not part of the exercise ({why}). "
    hint += " ".join([*steps, then])
    raise NotYet(message, hint)


# --- a rehearsal on a new database, then the participant's own ---------------------------------

RESTART = (
    "Run the lesson's cells again from its first one down to this check (select this cell, then "
    "Run > Run All Above Selected Cell): the first cell saves your files and database in "
    ".workshop/backups/ and starts the lesson afresh, and your own cells write your files again."
)


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Rehearsal:
    """An exercise that writes one revision: where it starts, and how to get back there.

    ``tidy`` removes from the participant's database, when it is at ``start``, what only
    ``revision`` makes and the columns or rows the tables and views of :func:`rehearse` do not
    cover (a renamed column, a row); it must never remove anything else. ``facts`` are the rows
    that matter at ``start``, read from :func:`engine`, compared between the participant's
    database and the new one. ``repair`` makes missing rows of ``start`` again (only for data
    revisions that may run twice).
    """

    start: str
    revision: str
    tidy: Callable[[], None] = _nothing
    facts: Callable[[], object] = _nothing
    repair: Callable[[], None] | None = None


def rehearse(plan: Rehearsal, inspect: Callable[[], None]) -> None:
    """Test the participant's revision as it is now, on a new database; then apply it to theirs.

    The new database is upgraded to ``plan.start`` with the participant's own files, then
    ``inspect`` upgrades to the revision, looks, downgrades, looks and upgrades again there, and
    raises :class:`NotYet` at the first problem, so a wrong attempt never touches the
    participant's database. A revision that passes is applied to the participant's database
    from ``plan.start``: see :func:`_apply`.
    """
    with scratch_database() as url, looking_at(url):
        migrate(
            "upgrade",
            plan.start,
            what=f"`alembic upgrade {plan.start}` (the revisions before {plan.revision})",
        )
        before = _names(engine())
        inspect()
        made = _names(engine()) - before
        migrate("downgrade", plan.start, what=f"downgrade() of revision {plan.revision}")
        with looking_at(None):
            _apply(plan, url, made)


def _names(on: sa.Engine) -> set[str]:
    """The tables and views of a database."""
    inspector = sa.inspect(on)
    return set(inspector.get_table_names()) | set(inspector.get_view_names())


def _recorded(url: sa.URL) -> tuple[str, ...]:
    """What alembic_version holds in the database ``url``, sorted."""
    with db.engine(url).connect() as conn:
        return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def _drop_own(names: Collection[str]) -> None:
    """Remove leftovers of the exercise's revision (its own tables and views) from the
    participant's database. A table that holds rows is kept: the verdict names the command."""
    on = db.engine()
    inspector = sa.inspect(on)
    views, tables = set(inspector.get_view_names()), set(inspector.get_table_names())
    quote = on.dialect.identifier_preparer.quote
    for name in sorted(names):
        if name in views:
            with on.begin() as conn:
                conn.execute(sa.text(f"DROP VIEW {quote(name)}"))
        elif name in tables:
            with on.connect() as conn:
                held = conn.execute(sa.text(f"SELECT count(*) FROM {quote(name)}")).scalar_one()
            if held:
                raise NotYet(
                    f"your database still has the table {name} from an earlier upgrade, with "
                    f"{held} row{'' if held == 1 else 's'}, though it is not at that revision any "
                    "more. The check keeps rows it did not make.",
                    f"If you do not need them: `%sql DROP TABLE {name}`, then this check again.",
                )
            with on.begin() as conn:
                conn.execute(sa.text(f"DROP TABLE {quote(name)}"))


def _how_it_differs(plan: Rehearsal, url: sa.URL) -> str | None:
    """How the participant's database differs from what the files make at ``plan.start`` (the
    new database, there now), in words; None when it does not. Tables and views only the
    participant's database has (made by hand) do not count: no revision makes them."""
    with db.engine().connect() as conn:
        schema = drift.read_schema(conn)
    with db.engine(url).connect() as files:
        found = [item for item in drift.differences(schema, files) if not item.extra]
    if found:
        return "; ".join(item.text for item in found[:3])
    with looking_at(url):
        expected = plan.facts()
    actual = plan.facts()
    if expected == actual:
        return None
    if isinstance(expected, dict) and isinstance(actual, dict):
        keys = [*expected, *(key for key in actual if key not in expected)]
        name = next(key for key in keys if expected.get(key) != actual.get(key))
        expected, actual = expected.get(name), actual.get(name)
        return f"{name} holds {actual!r:.300}, where your files make {expected!r:.300}"
    return f"its rows are {actual!r:.300}, where your files make {expected!r:.300}"


def _below(start: str) -> list[str]:
    """The revisions under ``start``, newest first, then "base", while each has one parent."""
    found = []
    script = scripts().get_revision(start)
    while script is not None and isinstance(script.down_revision, str):
        found.append(script.down_revision)
        script = scripts().get_revision(script.down_revision)
    if script is not None and script.down_revision is None and not script.dependencies:
        found.append("base")
    return found


def _from_below(plan: Rehearsal, url: sa.URL) -> bool:
    """When the participant's tables are exactly what the files make at a revision *under* the
    start (a downgrade run by hand went too far, e.g. one that dropped a column of an earlier
    revision too), record that revision and upgrade to the start: that makes only what is
    missing, so nothing is lost. The new database walks down to find it, and comes back up."""
    found = False
    try:
        for target in _below(plan.start):
            step("downgrade", target, database=url)
            if _how_it_differs(plan, url) is None:
                step("stamp", target)
                step("upgrade", plan.start)
                found = True
                break
    except Exception:  # noqa: BLE001 - then the difference at the start is the verdict
        found = False
    step("upgrade", plan.start, database=url)
    return found


def _apply(plan: Rehearsal, url: sa.URL, made: set[str]) -> None:
    """Apply the rehearsed revision to the participant's database, from ``plan.start``.

    Wherever an earlier attempt left it: a revision applied with an earlier version of the file
    is undone with the downgrade that has just passed; what that cannot undo (a ``pass``
    downgrade, one that failed) is removed by ``tidy``; then the tables (and ``facts``) must be
    exactly what the files make at the start, or the verdict says how they differ and names the
    one way back. Only then is the revision applied, and anything the database had applied on
    top of it (a later exercise) applied again.
    """
    before = commands.current_revisions()
    start_state = _recorded(url)
    below = applied(start_state) or set()
    reached = applied(before)
    if reached is None or reached - below:
        try:
            step("downgrade", plan.start)
        except Exception:  # noqa: BLE001, S110 - what it left is removed or named below
            pass
    _drop_own(made)
    plan.tidy()
    now = applied(commands.current_revisions())
    if now is not None and plan.start not in now:
        try:
            step("upgrade", plan.start)
        except Exception as error:  # noqa: BLE001 - the participant's earlier revisions
            raise NotYetInYours(
                f"revision {plan.revision} is right (it passed on a new database), but your "
                f"database cannot be upgraded to {plan.start}, where the exercise starts: "
                f"{type(error).__name__}: {first_line(error)}",
                RESTART,
            ) from error
    problem = _how_it_differs(plan, url)
    if problem and plan.repair is not None:
        try:
            plan.repair()
        except Exception:  # noqa: BLE001, S110 - the difference is reported below
            pass
        problem = _how_it_differs(plan, url)
    elif problem and _from_below(plan, url):
        problem = _how_it_differs(plan, url)
    if problem:
        raise NotYetInYours(
            f"revision {plan.revision} is right (it passed on a new database), but your "
            f"database is not what your files make at {plan.start}, where the exercise starts, "
            f"so it cannot be applied there: {problem}.",
            RESTART,
        )
    if commands.current_revisions() != start_state:
        # The tables are exactly those of the start: recording that changes no table.
        try:
            step("stamp", plan.start)
        except Exception as error:  # noqa: BLE001 - e.g. a revision whose file is gone
            raise NotYetInYours(
                f"revision {plan.revision} is right (it passed on a new database), and your "
                f"tables are those of {plan.start}, but alembic_version says "
                f"{', '.join(commands.current_revisions()) or 'nothing'}: {first_line(error)}",
                f"`{alembic_command(f'stamp --purge {plan.start}')}` records where the tables "
                "really are (it changes no table), then run this check again.",
            ) from error
    try:
        step("upgrade", plan.revision)
    except Exception as error:  # noqa: BLE001 - what is in the way in the participant's database
        raise NotYetInYours(
            f"revision {plan.revision} passed on a new database, but `alembic upgrade "
            f"{plan.revision}` failed on yours: {type(error).__name__}: {first_line(error)}",
            RESTART,
        ) from error
    for revision in before if reached is not None else ():
        try:
            step("upgrade", revision)
        except Exception:  # noqa: BLE001, S110 - a later exercise's revision: best effort
            pass


# Register the lessons' checks (each module decorates its functions with @exercise).
from workshop import exercises  # noqa: E402, F401
