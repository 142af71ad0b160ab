"""Auto-checks for the exercises: a friendly verdict, and a hint when it is not right yet.

``check_exercise("02.1")`` in a lesson prints one of::

    ✅ Exercise 02.1 passed: ...
    ❌ Exercise 02.1 is not done yet: <what is wrong, in plain words>
    💡 Hint: <what to try>

A check never raises: a participant's broken migration is the normal case here, and the verdict
explains it. Checks look at the real files and the real database, and they also run the
participant's downgrade, because a migration that cannot be undone is not finished.
Instructors grade with nbval by comparing these verdicts with the answer key's.
"""

from __future__ import annotations

import importlib
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from alembic import command

from workshop import commands, db, paths


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
        action(config, target)

    def scripts(self) -> Any:
        return commands.script_directory()

    def scratch_database(self) -> AbstractContextManager[sa.URL]:
        return db.scratch_database("check")

    def app_file(self, relative: str) -> Path:
        return paths.root() / relative

    def call(self, target: str) -> Any:
        module, _, function = target.partition(":")
        return getattr(importlib.import_module(module), function)()


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


# --- helpers the checks share --------------------------------------------------------------


def first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def migrate(verb: str, target: str, *, what: str) -> None:
    """Run the participant's upgrade or downgrade quietly; explain a failure as NotYet."""
    try:
        step(verb, target)
    except NotImplementedError as error:
        raise NotYet(
            f"{what} still raises NotImplementedError.",
            "Replace `raise NotImplementedError()` with your code, run that cell again, "
            "then run this check.",
        ) from error
    except Exception as error:  # noqa: BLE001 - any failure of the participant's code is a verdict
        raise NotYet(
            f"`alembic {verb} {target}` failed: {type(error).__name__}: {first_line(error)}",
            "Read the error, fix the revision file, run its cell again, then this check.",
        ) from error


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
    inspector = sa.inspect(db.engine())
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


# Register the lessons' checks (each module decorates its functions with @exercise).
from workshop import exercises  # noqa: E402, F401
