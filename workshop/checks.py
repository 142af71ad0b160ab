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

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from alembic import command

from workshop import commands, db


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


# --- helpers the checks share --------------------------------------------------------------


def first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def migrate(verb: str, target: str, *, what: str) -> None:
    """Run the participant's upgrade or downgrade quietly; explain a failure as NotYet."""
    action = command.upgrade if verb == "upgrade" else command.downgrade
    try:
        commands.run(action, target, quiet=True)
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
        found = {script.revision: script for script in commands.script_directory().walk_revisions()}
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
