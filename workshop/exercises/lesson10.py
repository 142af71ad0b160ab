"""Lesson 10: revision 0003's downgrade fixed, so that the stairway test passes.

The check runs the stairway itself (every revision: upgrade, downgrade one step, upgrade again)
on a throwaway database, so the participant's own database is not touched, then checks what
0003's downgrade leaves and that the upgraded schema matches the to-do app's models.
"""

from __future__ import annotations

import runpy

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from workshop import checks, db
from workshop.checks import NotYet, exercise, first_line, no_strays, revision_file

DROP_BOTH = (
    "0003's upgrade() creates two tables, so its downgrade() must drop both: "
    'op.drop_table("todos") first (it refers to categories), then op.drop_table("categories").'
)


def _step(database: sa.URL, verb: str, target: str, what: str) -> None:
    try:
        checks.step(verb, target, database=database)
    except NotImplementedError as error:
        raise NotYet(
            f"{what} still raises NotImplementedError.",
            "Replace `raise NotImplementedError()` with your code, run that cell again, "
            "then run this check.",
        ) from error
    except Exception as error:  # noqa: BLE001 - any failure of the participant's code is a verdict
        reason = first_line(error)
        hint = "Read the error, fix the revision file, run its cell again, then this check."
        if "already exists" in reason:
            hint = f"The downgrade before it left that table behind. {DROP_BOTH}"
        elif "depend" in reason:
            hint = f"A table that others refer to can only go after them. {DROP_BOTH}"
        raise NotYet(f"the stairway fails: {what} failed: {reason}", hint) from error


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def _models() -> sa.MetaData | None:
    try:
        return runpy.run_path(str(checks.app_file("todo/models.py")))["Base"].metadata
    except Exception:  # noqa: BLE001 - a broken models file is not this exercise's business
        return None


def _stairway_and_downgrade(engine: sa.Engine) -> str:
    database = engine.url
    scripts = list(reversed(list(checks.scripts().walk_revisions())))
    for script in scripts:
        rev = script.revision
        _step(database, "upgrade", rev, f"upgrade of {rev}")
        _step(database, "downgrade", "-1", f"downgrade of {rev}")
        _step(database, "upgrade", rev, f"upgrade of {rev} after its downgrade")

    _step(database, "upgrade", "0003", "upgrade of 0003")
    missing = {"todos", "categories"} - _tables(engine)
    if missing:
        raise NotYet(
            f"after `upgrade 0003` there is no table {', '.join(sorted(missing))}.",
            "Keep 0003's upgrade() as the lesson gave it: it creates categories, then todos.",
        )
    models = _models()
    if models is not None:
        with engine.connect() as conn:
            drift = compare_metadata(MigrationContext.configure(conn), models)
        if drift:
            raise NotYet(
                f"after `upgrade head` the schema differs from todo/models.py: {drift[0]!r:.200}",
                "Keep 0003's upgrade() as the lesson gave it, and todo/models.py as the lesson "
                "started it (run the lesson's first cell to restore it).",
            )

    _step(database, "downgrade", "0002", "downgrade of 0003")
    left = {"todos", "categories"} & _tables(engine)
    if left:
        raise NotYet(
            f"after `downgrade 0002` the table {', '.join(sorted(left))} is still there.",
            DROP_BOTH,
        )
    if "users" not in _tables(engine):
        raise NotYet(
            "after `downgrade 0002` the users table is gone: 0003's downgrade() must only undo "
            "what 0003 did.",
            "Drop only todos and categories in downgrade().",
        )
    return ", ".join(script.revision for script in scripts)


@exercise("10.1")
def stairway() -> str:
    no_strays({"0001", "0002", "0003"}, then="Then run this check again.")
    revision_file(
        "0003",
        parent="0002",
        hint="Run the cell that writes migrations/versions/0003_create_todos_and_categories.py.",
    )
    with checks.scratch_database() as url:
        engine = db.engine(url)
        try:
            steps = _stairway_and_downgrade(engine)
        finally:
            engine.dispose()
    return (
        f"the stairway passes for {steps} (each upgraded, downgraded and upgraded again, on a "
        "throwaway database), and 0003's downgrade removes todos and categories and nothing else."
    )
