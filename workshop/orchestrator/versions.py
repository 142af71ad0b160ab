"""Where the products track's schema revision lives, and when Alembic is told about it.

orchestrator-core keeps its own schema migrations inside its package
(``orchestrator/core/migrations/versions/schema/``), not in the app: its ``main.py db`` commands
add that folder to Alembic's ``version_locations`` each time they run. The app's ``alembic.ini``
names only the app's own folder, so the app's files are the only ones its team edits, and an
orchestrator upgrade brings new schema revisions without touching them. The last of them,
orchestrator-core 5.5.0's schema head, has the id ``544fd845554d``, and a data revision says
``depends_on = '544fd845554d'``.

The kit does the same. Its schema revision, which creates what orchestrator-core's schema
migrations leave (the product registry and the tables that refer to it), has that very id and
lives inside the kit's package, in :data:`LOCATION`. So a data revision's ``depends_on`` means the
same thing in both, and a fresh clone's ``PYTHONPATH=. python main.py db upgrade heads`` creates
the schema, as it does in a real app.

When :func:`configure` adds :data:`LOCATION` to the kit's Alembic configuration:

* always, under :func:`in_use`: ``main.py db ...`` (as orchestrator-core's ``alembic_cfg()``
  does) and the first cell of a lesson of the products track; and with :data:`FORCE_ENV` set
  (grading a products lesson);
* otherwise when the project uses it: a revision file in ``migrations/versions/`` names one of its
  revisions (a data revision's ``depends_on``), or the database has applied one.

Not otherwise, and not for plain ``alembic`` (whose ``alembic.ini`` does not name it, as a real
app's does not): the to-do lessons (01-10) must not see a second branch, or their ``alembic upgrade
head`` would stop at "Multiple head revisions".

A project from before this change has its own copy of the schema revision, under the kit's old id
``schema0001``, in ``migrations/versions/``. Both cannot be there (two roots labelled ``schema``),
so :func:`configure` then stops with what to do instead of Alembic's error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config

from workshop import db, paths
from workshop.errors import WorkshopError

#: orchestrator-core 5.5.0's schema head, and the id of the kit's schema revision.
SCHEMA_HEAD = "544fd845554d"
#: The kit's own version location, as orchestrator-core's ``migrations/versions/schema/``.
LOCATION = Path(__file__).resolve().parent / "migrations" / "versions" / "schema"
#: :data:`LOCATION` as messages show it: where it is in the kit's source, the same on every machine.
SHOWN = "workshop/orchestrator/migrations/versions/schema/"
#: The id the kit's schema revision had when participants' projects held a copy of it.
OLD_SCHEMA_ID = "schema0001"

_FORCED: ContextVar[bool] = ContextVar("workshop_orchestrator_schema", default=False)
#: Set to 1, it forces :data:`LOCATION` in for a whole process, as :func:`in_use` does for a
#: block: grading sets it for the sandboxed steps and kernel of a products lesson.
FORCE_ENV = "WORKSHOP_ORCHESTRATOR_SCHEMA"


@contextmanager
def in_use(wanted: bool = True) -> Iterator[None]:
    """Within the block, :func:`configure` adds :data:`LOCATION` (when ``wanted``)."""
    token = _FORCED.set(wanted or _FORCED.get())
    try:
        yield
    finally:
        _FORCED.reset(token)


def revision_ids() -> set[str]:
    """The ids of the revisions in :data:`LOCATION`, read from their file names (``<id>_*.py``)."""
    return {path.name.split("_", 1)[0] for path in LOCATION.glob("*_*.py")}


def _project_files() -> list[Path]:
    folder = paths.versions_dir()
    return sorted(folder.glob("*.py")) if folder.is_dir() else []


def _named_in_files(ids: set[str]) -> bool:
    """Whether a revision file of the project mentions one of ``ids`` (its parent, a
    dependency)."""
    for path in _project_files():
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if any(rev in text for rev in ids):
            return True
    return False


def applied_revisions() -> set[str]:
    """The ids in the database's ``alembic_version``; none when it has no such table, or when
    finding out would mean starting the embedded server (nothing is started for this)."""
    configured = os.environ.get(db.URL_ENV, "").strip()
    if not configured and not db.embedded_running():
        return set()
    try:
        target = db.url()
        if target.get_backend_name() == "sqlite":
            file = target.database
            if not file or not Path(file).is_file():  # connecting would create it
                return set()
        with db.engine().connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return set()
            return set(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
    except (sa.exc.SQLAlchemyError, WorkshopError, OSError):
        return set()


def wanted() -> bool:
    """Whether Alembic should see :data:`LOCATION` now (see the module's docstring)."""
    if _FORCED.get() or os.environ.get(FORCE_ENV) == "1":
        return True
    ids = revision_ids()
    return _named_in_files(ids) or bool(ids & applied_revisions())


_SCHEMA_LABEL = re.compile(r"""^branch_labels\b[^=]*=\s*\(?\s*['"]schema['"]""", re.MULTILINE)


def old_schema_problem() -> WorkshopError | None:
    """The kit's old schema revision (``schema0001``) in the project or the database, as an
    error that says what to do; None when there is none."""
    old = [
        path
        for path in _project_files()
        if _SCHEMA_LABEL.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    where = ", ".join(f"migrations/versions/{path.name}" for path in old)
    if not old and OLD_SCHEMA_ID in applied_revisions():
        where = f"the database (its alembic_version says {OLD_SCHEMA_ID})"
    if not where:
        return None
    return WorkshopError(
        f"{where} holds the kit's old schema revision ({OLD_SCHEMA_ID}). The product registry's "
        f"schema now has orchestrator-core 5.5.0's schema head id, {SCHEMA_HEAD}, and is kept "
        f"where orchestrator-core keeps its own schema migrations, inside the kit ({SHOWN}): "
        "the two cannot be used together.",
        fix="Start your products lesson again: run its first cell, or `workshop reset 11` (12, "
        "13, 14) in a terminal. Your revision files and database are saved in "
        ".workshop/backups/ first. To reuse a data revision of yours, copy it back from there "
        f"and write '{SCHEMA_HEAD}' where it says '{OLD_SCHEMA_ID}'.",
    )


def configure(cfg: Config) -> Config:
    """Add :data:`LOCATION` to ``cfg``'s version locations when :func:`wanted`.

    The project's own ``migrations/versions/`` stays first, so ``revision`` writes there.
    Raises the :func:`old_schema_problem` rather than let Alembic fail on two schema roots.
    """
    if not wanted():
        return cfg
    problem = old_schema_problem()
    if problem is not None:
        raise problem
    folders = [str(paths.versions_dir()), str(LOCATION)]
    # A ConfigParser value: a literal % must be doubled.
    cfg.set_main_option("version_locations", os.pathsep.join(folders).replace("%", "%%"))
    return cfg
