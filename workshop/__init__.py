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

import importlib
from typing import Any

# Each name's module. They load on first use, not on ``import workshop``: the command line, the
# nbval plugin and every ``python -m workshop.x`` import this package first, and most of them need
# none of SQLAlchemy, Alembic or the lessons' checks (about 0.6 s of every start).
_HOME = {
    "check_exercise": "workshop.checks",
    **dict.fromkeys(
        [
            "branches",
            "check",
            "current",
            "current_revisions",
            "downgrade",
            "head_revisions",
            "heads",
            "history",
            "merge",
            "revision",
            "show",
            "stamp",
            "upgrade",
        ],
        "workshop.commands",
    ),
    "er_diagram": "workshop.diagrams",
    "revision_graph": "workshop.diagrams",
    "check_environment": "workshop.environment",
    "versions": "workshop.environment",
    "WorkshopError": "workshop.errors",
    "load_ipython_extension": "workshop.ipython",
    "start_lesson": "workshop.lessons",
    "describe_table": "workshop.schema",
    "tables": "workshop.schema",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    """``wk.upgrade`` and the other verbs, imported from their module on first use (PEP 562)."""
    if name not in _HOME:
        raise AttributeError(f"module 'workshop' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """So that tab completion in a notebook offers every verb before its first use."""
    return sorted({*globals(), *_HOME})
