"""The Migration Workshop Kit: a thin verb layer over Alembic and SQLAlchemy for lessons.

In a lesson::

    import workshop as wk
    wk.start_lesson("02")          # files and database at the lesson's starting point
    wk.revision("create account table", rev_id="0001")
    wk.upgrade("head")
    wk.history(verbose=True)
    wk.check_exercise("02.1")      # the exercise's auto-check

Every verb is the ``alembic`` command of the same name, run in process (see
:mod:`workshop.commands`). ``%load_ext workshop`` sets a kernel up without resetting anything.
"""

from workshop.checks import check_exercise
from workshop.commands import (
    branches,
    check,
    current,
    current_revisions,
    downgrade,
    head_revisions,
    heads,
    history,
    merge,
    revision,
    show,
    stamp,
    upgrade,
)
from workshop.diagrams import er_diagram, revision_graph
from workshop.environment import check_environment, versions
from workshop.errors import WorkshopError
from workshop.ipython import load_ipython_extension
from workshop.lessons import start_lesson
from workshop.schema import describe_table, tables

__all__ = [
    "WorkshopError",
    "branches",
    "check",
    "check_environment",
    "check_exercise",
    "current",
    "current_revisions",
    "describe_table",
    "downgrade",
    "er_diagram",
    "head_revisions",
    "heads",
    "history",
    "load_ipython_extension",
    "merge",
    "revision",
    "revision_graph",
    "show",
    "stamp",
    "tables",
    "start_lesson",
    "upgrade",
    "versions",
]
