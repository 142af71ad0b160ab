"""Wiring for lesson kernels: working folder, environment, and the ``%sql`` magic.

After :func:`prepare`, a notebook cell behaves like a terminal at the project root: ``!alembic
...`` finds alembic.ini and the venv's ``alembic`` even if the venv was never activated, and
relative paths such as ``migrations/versions/`` mean the same as in the README.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from workshop import db, paths


def prepare() -> None:
    """Make the kernel act like a terminal at the project root."""
    root = paths.root()
    os.chdir(root)
    os.environ["ALEMBIC_CONFIG"] = str(root / "alembic.ini")
    # Shell cells must find this environment's `alembic` and `workshop` commands.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    # Revision files are edited and re-run within seconds; a stale __pycache__ entry with the same
    # size and mtime would run the old code. Never write bytecode for them.
    sys.dont_write_bytecode = True
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"


def _shell():  # noqa: ANN202
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the kit
        return None
    return get_ipython()


def _roll_back_failed_sql(*_args: object) -> None:
    """After each cell, end any transaction a failed ``%sql`` statement left open.

    ipython-sql commits after every statement that succeeds, but leaves a failed one's
    transaction open. On PostgreSQL that transaction keeps its locks, and the next migration
    touching the same table would wait behind it.
    """
    try:
        from sql.connection import Connection
    except ImportError:  # pragma: no cover
        return
    for connection in list(Connection.connections.values()):
        internal = getattr(connection, "internal_connection", None)
        if internal is not None and internal.in_transaction():
            internal.rollback()


def connect_sql() -> None:
    """Load ipython-sql and connect ``%sql`` to the workshop database.

    ``short_errors = False`` makes a bad query fail its cell (ipython-sql would otherwise print
    the error and carry on), and ``displaycon = False`` keeps the connection string, with its
    socket path or password, out of every result. A refused statement fails with a short
    explanation above the database's error, not two tracebacks (:mod:`workshop.friendly_sqlmagic`).
    """
    shell = _shell()
    if shell is None:
        return
    if "sql" not in shell.extension_manager.loaded:
        shell.extension_manager.load_extension("sql")
    from workshop import friendly_sqlmagic

    friendly_sqlmagic.install(shell)
    for setting in (
        "SqlMagic.displaycon = False",
        "SqlMagic.short_errors = False",
        "SqlMagic.feedback = False",
        "SqlMagic.autopandas = False",
    ):
        shell.run_line_magic("config", setting)
    shell.run_line_magic("sql", db.url().render_as_string(hide_password=False))
    callbacks = shell.events.callbacks["post_run_cell"]
    if _roll_back_failed_sql not in callbacks:
        shell.events.register("post_run_cell", _roll_back_failed_sql)


def load_ipython_extension(shell) -> None:  # noqa: ANN001 - IPython's hook signature
    """``%load_ext workshop``: the same set-up as a lesson's first cell, without a reset."""
    prepare()
    connect_sql()
