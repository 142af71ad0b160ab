"""Alembic's environment for the workshop.

The database comes from the kit (``workshop.db``), never from alembic.ini, so that the terminal
``alembic``, lesson cells and the tests all use the one the participant has chosen with
``WORKSHOP_DATABASE_URL`` (by default the embedded PostgreSQL).
"""

import runpy
import sys
from collections.abc import Callable
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, MetaData

from workshop import db, friendly, paths

config = context.config

# The kit's in-process API sets this to False and shows Alembic's log lines its own way.
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _models_metadata() -> MetaData | None:
    """The models that `alembic revision --autogenerate` and `alembic check` compare against.

    A caller may pass its own (the kit's API, `main.py db`); otherwise they are the to-do app's,
    read afresh from todo/models.py each time, so that an edit in a running notebook counts.
    """
    given = config.attributes.get("target_metadata")
    if given is not None:
        return given
    models = paths.root() / "todo" / "models.py"
    if not models.is_file():
        return None
    try:
        return runpy.run_path(str(models), run_name="todo.models")["Base"].metadata
    except Exception as error:  # noqa: BLE001 - a broken models file must not block upgrades
        # Upgrades and downgrades do not need the models; only autogenerate does, and it then
        # says that env.py provides no MetaData. This line says why.
        print(
            f"warning: todo/models.py could not be loaded ({type(error).__name__}: {error})",
            file=sys.stderr,
        )
        return None


target_metadata = _models_metadata()


def run_migrations_offline() -> None:
    """`alembic upgrade --sql`: write the SQL instead of running it.

    Offline mode needs only the dialect, so no server is started for it.
    """
    offline_url = "sqlite://" if db.backend() == "sqlite" else "postgresql://"
    context.configure(
        url=offline_url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite can't ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the workshop database, in one transaction where the database can.

    A caller may hand over a connection or engine of its own in ``config.attributes``, as Alembic's
    cookbook suggests: migration tests (pytest-alembic, lesson 10) run on a throwaway database.
    """
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _run_on(given)
        return
    with (given if given is not None else db.engine()).connect() as connection:
        _run_on(connection)


def _explained(run: Callable[[], None]) -> None:
    """Run the migrations; when they fail in a terminal `alembic`, explain the error as well.

    The kit's own verbs (``wk.upgrade``) explain errors themselves; Alembic's command line is
    the one caller that sets ``cmd_opts``. The error is raised unchanged.
    """
    try:
        run()
    except Exception as error:
        # With --sql there is no database to ask; the explanations need to know that.
        error.workshop_offline = context.is_offline_mode()  # type: ignore[attr-defined]
        if config.cmd_opts is not None:
            friendly.explain_at_exit(error)
        raise


_explained(run_migrations_offline if context.is_offline_mode() else run_migrations_online)
