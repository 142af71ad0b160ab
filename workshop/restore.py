"""``workshop restore [BACKUP]``: put a backup's files and database back as they were saved.

Every reset (a lesson's first cell, ``workshop reset``) first saves what of the participant's is
in the way into ``.workshop/backups/<time>-<label>/``:

* ``versions/``: all of ``migrations/versions/`` as it was (backups made before ``workshop
  restore`` existed hold only the files that differed from the lesson's);
* ``app/``: the application files the lesson replaced, at their paths in the project;
* the database, when it held anything: ``database.sql`` (``pg_dump``) or ``database.sqlite``.

Restoring puts exactly that back, so that a reset run by mistake, or a lesson started to look
ahead, costs nothing. It loses nothing either: what is there now (revision files and application
files the restore would replace, a database that is not empty) is first saved into a new backup,
``<time>-before-restore``, so a restore is undone by restoring that one.

The order is :func:`workshop.lessons.reset_to`'s. The database goes first, because it is what can
fail (another session's lock, a damaged dump), and it changes in one transaction: emptied and
replayed together, or not at all. Files move only after, and should moving them fail, the files
and the database are put back from the new backup.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import re
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from workshop import commands, db, lessons, paths
from workshop.errors import WorkshopError

DUMP = "database.sql"
SQLITE_COPY = "database.sqlite"
LABEL = "before-restore"
REPLAY_SECONDS = 600  # a course database replays in seconds; this only stops a hung psql

# pg_dump's first and last comment lines: a dump without its last one was cut short.
_DUMP_START = "--\n-- PostgreSQL database dump\n"
_DUMP_END = "\n-- PostgreSQL database dump complete\n"
_SQLITE_HEADER = b"SQLite format 3\x00"
_STAMP = re.compile(r"^(\d{8}-\d{6})-")
_REVISION_ROW = re.compile(
    r"^INSERT INTO (?:\S+\.)?\"?alembic_version\"? VALUES \('((?:[^']|'')*)'\);$", re.MULTILINE
)


@dataclass(frozen=True)
class Backup:
    """What one backup folder holds, read without changing anything.

    ``versions`` are the file names in its ``versions/`` (``None``: it has none, and
    ``migrations/versions/`` is left as it is); ``app`` the paths under ``app/``, relative to the
    project root; ``database`` the file that holds the database, if any.
    """

    folder: Path
    versions: tuple[str, ...] | None
    app: tuple[str, ...]
    database: str | None
    when: datetime

    @property
    def name(self) -> str:
        return self.folder.name


@dataclass(frozen=True)
class Restored:
    """What :func:`restore` did, for the report."""

    backup: Backup
    saved: Path | None  # the new backup of what was there before; None if nothing needed saving
    versions: tuple[str, ...] | None  # now in migrations/versions/; None: left as it was
    removed: tuple[str, ...]  # revision files that were there and are not in the backup
    app: tuple[str, ...]
    database: str  # what the database holds now, in a sentence


# --- reading backups -----------------------------------------------------------------------


def backups_dir() -> Path:
    return paths.state_dir() / "backups"


def read_backup(folder: Path) -> Backup:
    """The backup in ``folder``; what is missing or damaged is :func:`problem`'s to say."""
    versions = folder / "versions"
    names = (
        tuple(sorted(p.name for p in versions.iterdir() if p.is_file()))
        if versions.is_dir()
        else None
    )
    app = folder / "app"
    app_files = (
        tuple(sorted(p.relative_to(app).as_posix() for p in app.rglob("*") if p.is_file()))
        if app.is_dir()
        else ()
    )
    database = next((n for n in (DUMP, SQLITE_COPY) if (folder / n).is_file()), None)
    stamp = _STAMP.match(folder.name)
    try:
        when = datetime.strptime(stamp.group(1), "%Y%m%d-%H%M%S") if stamp else None
    except ValueError:
        when = None
    when = when or datetime.fromtimestamp(folder.stat().st_mtime)
    return Backup(folder, names, app_files, database, when)


def all_backups() -> list[Backup]:
    """Every folder in ``.workshop/backups/``, oldest first.

    By the time in its name, then by when it last changed: a reset's backup and the restore's
    own ``before-restore`` one can share a second.
    """
    folder = backups_dir()
    if not folder.is_dir():
        return []
    found = [read_backup(p) for p in folder.iterdir() if p.is_dir()]
    return sorted(found, key=lambda b: (b.when, b.folder.stat().st_mtime_ns, b.name))


def find(name: str | None = None) -> Backup:
    """The backup called ``name`` (a folder in ``.workshop/backups/``, or a path); the newest
    when ``name`` is None."""
    if name is None:
        found = all_backups()
        if not found:
            raise WorkshopError(
                f"There is no backup to restore: {_shown(backups_dir())}/ holds none.",
                fix="A lesson's first cell or `workshop reset` makes one when it replaces "
                "something of yours, so nothing of yours has been replaced yet.",
            )
        return found[-1]
    given = Path(name).expanduser()
    for folder in (backups_dir() / name, given, paths.root() / given):
        if folder.is_dir():
            return read_backup(folder.resolve())
    newest = [b.name for b in all_backups()][-3:]
    known = f" The newest: {', '.join(newest)}." if newest else " There are none yet."
    raise WorkshopError(
        f"There is no backup {name!r}: no such folder in {_shown(backups_dir())}/, "
        f"nor at that path.{known}",
        fix="`workshop restore --list` lists the backups; give one's name (or its path), or "
        "no name for the newest.",
    )


def revisions_in(backup: Backup) -> tuple[str, ...]:
    """The Alembic revisions the backup's database was at (best effort: () if unreadable)."""
    file = backup.folder / (backup.database or "")
    try:
        if backup.database == DUMP:
            text = file.read_text(encoding="utf-8", errors="replace")
            return tuple(sorted(r.replace("''", "'") for r in _REVISION_ROW.findall(text)))
        if backup.database == SQLITE_COPY:
            with contextlib.closing(_read_only(file)) as conn:
                return tuple(sorted(r for (r,) in conn.execute("SELECT * FROM alembic_version")))
    except (OSError, sqlite3.Error):
        pass
    return ()


def problem(backup: Backup) -> str | None:
    """Why the backup cannot be restored as it is (empty, a dump cut short, a damaged file);
    None when it can. Read before anything changes, so a damaged backup changes nothing."""
    folder = backup.folder
    if not any(folder.iterdir()):
        return "the folder is empty"
    if backup.versions is None and not backup.app and backup.database is None:
        return f"it holds none of what a backup holds (versions/, app/, {DUMP} or {SQLITE_COPY})"
    if (folder / "versions").exists() and backup.versions is None:
        return "its versions is not a folder"
    if backup.database == DUMP:
        try:
            text = (folder / DUMP).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            return f"its {DUMP} cannot be read ({error})"
        if not text.startswith(_DUMP_START):
            return f"its {DUMP} is not a pg_dump script (it does not start like one)"
        if _DUMP_END not in text:
            return f"its {DUMP} was cut short (pg_dump's closing line is missing)"
    if backup.database == SQLITE_COPY:
        try:
            with open(folder / SQLITE_COPY, "rb") as file:
                if file.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
                    return f"its {SQLITE_COPY} is not a SQLite database"
            with contextlib.closing(_read_only(folder / SQLITE_COPY)) as conn:
                verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except (OSError, sqlite3.Error) as error:
            return f"its {SQLITE_COPY} cannot be read ({error})"
        if verdict != "ok":
            return f"its {SQLITE_COPY} is damaged ({verdict})"
    return None


def listing() -> str:
    """What ``workshop restore --list`` prints: each backup, when, and what it holds."""
    found = all_backups()
    where = _shown(backups_dir())
    if not found:
        return (
            f"There are no backups in {where}/ yet: a lesson's reset makes one when it replaces "
            "something of yours."
        )
    width = max(len(b.name) for b in found)
    lines = [f"Backups in {where}/, oldest first (`workshop restore` restores the last):"]
    for item in found:
        held = [_count(len(item.versions), "revision file")] if item.versions is not None else []
        if item.app:
            held.append(_count(len(item.app), "app file"))
        if item.database:
            revisions = revisions_in(item)
            at = f" at {', '.join(revisions)}" if revisions else ""
            held.append(f"{item.database}{at}")
        else:
            held.append("no database (it was empty)")
        trouble = problem(item)
        if trouble:
            held = [f"cannot be restored: {trouble}"]
        when = item.when.strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"  {item.name:<{width}}  {when}  {', '.join(held)}")
    return "\n".join(lines)


# --- restoring -----------------------------------------------------------------------------


def restore(name: str | None = None) -> Restored:
    """Put the backup's files and database back exactly as they were saved.

    What is there now and would be replaced is saved first, in a new ``before-restore`` backup.
    Fails, changing nothing, on an unknown, empty or damaged backup, on a database of the other
    kind (a SQLite copy while the kit uses PostgreSQL), and when another session holds a lock on
    the database (the error names it).
    """
    source = find(name)
    trouble = problem(source)
    if trouble:
        raise WorkshopError(
            f"The backup {_shown(source.folder)}/ cannot be restored: {trouble}. "
            "Nothing was changed.",
            fix="Pick another: `workshop restore --list` lists them, and what each holds.",
        )
    _check_kind(source)
    folder = lessons.new_backup_folder(LABEL)
    try:
        lessons.backup_database(folder)
        plan = _save_files(source, folder)
        _replace_database(_database_file(source.folder))
        try:
            _move_files(source, plan)
        except OSError as error:
            raise _put_back(plan, folder, error) from error
    except WorkshopError as error:
        raise lessons._with_backup(error, folder) from error
    except BaseException:
        if not any(folder.iterdir()):
            folder.rmdir()
        raise
    saved: Path | None = folder
    if not any(folder.iterdir()):
        folder.rmdir()
        saved = None
    try:
        summary = _database_summary()
    except sa.exc.DBAPIError as error:  # restored all the same: only the report is shorter
        summary = f"restored, but reading it back failed: {str(error.orig).strip()}"
    return Restored(source, saved, source.versions, plan.removed, source.app, summary)


def report(done: Restored) -> str:
    """What ``workshop restore`` prints: which files came back, what the database holds, and
    where what was there before went."""
    lines = [f"Restored {_shown(done.backup.folder)}/ ({done.backup.when:%Y-%m-%d %H:%M:%S}):"]
    if done.versions is None:
        lines.append("  migrations/versions/: left as it was (the backup holds no revision files)")
    else:
        listed = ", ".join(done.versions) if done.versions else "no revision files"
        lines.append(f"  migrations/versions/, as saved: {listed}")
        if done.removed:
            lines.append(f"    taken out (they are not in the backup): {', '.join(done.removed)}")
    if done.app:
        lines.append(f"  application files: {', '.join(done.app)}")
    lines.append(f"  database ({db.describe()}): {done.database}")
    if done.saved is None:
        lines.append("Nothing was there that the restore replaced, so no backup was needed.")
    else:
        what = ", ".join(sorted(p.name for p in done.saved.iterdir()))
        lines.append(
            f"What was there before ({what}) was saved in {_shown(done.saved)}/ first: nothing "
            f"is lost. `workshop restore {done.saved.name}` brings it back."
        )
    return "\n".join(lines)


def _check_kind(source: Backup) -> None:
    """A PostgreSQL dump is not replayed into SQLite, nor the other way round."""
    kind = {DUMP: "postgresql", SQLITE_COPY: "sqlite"}.get(source.database or "")
    if kind is None or kind == db.backend():
        return
    held = "a PostgreSQL dump" if kind == "postgresql" else "a copy of a SQLite file"
    how = (
        f"unset {db.URL_ENV} (the embedded PostgreSQL), or point it at the PostgreSQL database "
        "the backup came from"
        if kind == "postgresql"
        else f"set {db.URL_ENV}=sqlite:///<the file the backup came from>"
    )
    label = re.sub(r"^\d{8}-\d{6}-", "", source.name)
    match = re.fullmatch(r"lesson-(\w+?)(-\d+)?", label)
    if kind == "sqlite" and match:
        lesson_id = match.group(1)
        item = next((i for i in lessons.all_lessons() if i.id == lesson_id), None)
        if item is not None and item.database == "sqlite":
            lesson_file = f"sqlite:///.workshop/lesson-{item.id}.sqlite"
            how = f"set {db.URL_ENV}={lesson_file} (lesson {item.id}'s database)"
    raise WorkshopError(
        f"The backup {_shown(source.folder)}/ holds {held}, but the kit now uses "
        f"{db.describe()} ({db.where()}). Nothing was changed.",
        fix=f"To restore it, {how}, and run this again.",
    )


def _database_file(folder: Path) -> Path | None:
    """The backup's database file; None when it holds none (the database was empty)."""
    return next((folder / n for n in (DUMP, SQLITE_COPY) if (folder / n).is_file()), None)


@dataclass(frozen=True)
class _Plan:
    """What the file step replaces, decided (and saved) before anything moves."""

    before: tuple[str, ...]  # the revision files there were
    versions_saved: bool  # all of versions/ was copied into the new backup
    removed: tuple[str, ...]
    app_saved: tuple[str, ...]  # existed and differ: copied into the new backup's app/
    app_new: tuple[str, ...]  # did not exist before the restore


def _save_files(source: Backup, folder: Path) -> _Plan:
    """Copy what the restore will replace into ``folder``: each application file that differs
    from the backup's, and all of versions/ when it differs at all, or when ``folder`` is kept
    anyway (it holds the database): so that restoring ``folder`` puts versions/ back whole, even
    an empty one. Copies only: nothing moves yet."""
    versions = paths.versions_dir()
    versions.mkdir(parents=True, exist_ok=True)
    now = lessons._participant_files()
    removed: tuple[str, ...] = ()
    replaced: list[Path] = []
    try:
        app_saved, app_new = [], []
        for relative in source.app:
            target = paths.root() / relative
            if not target.exists():
                app_new.append(relative)
            elif not filecmp.cmp(target, source.folder / "app" / relative, shallow=False):
                (folder / "app" / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(target, folder / "app" / relative)
                app_saved.append(relative)
        if source.versions is not None:
            wanted = source.folder / "versions"
            removed = tuple(p.name for p in now if p.name not in source.versions)
            replaced = [
                p
                for p in now
                if p.name in removed or not filecmp.cmp(p, wanted / p.name, shallow=False)
            ]
        saved_versions = bool(replaced) or any(folder.iterdir())
        if saved_versions:
            lessons.backup(now, folder)
    except OSError as error:
        raise WorkshopError(
            f"Could not save your current files before restoring, so nothing was changed: {error}.",
            fix="Check the free disk space and the permissions of .workshop/, then run this again.",
        ) from error
    before = tuple(p.name for p in now)
    return _Plan(before, saved_versions, removed, tuple(app_saved), tuple(app_new))


def _move_files(source: Backup, plan: _Plan) -> None:
    """Make versions/ hold exactly the backup's revision files, byte for byte, and put its
    application files in place."""
    versions = paths.versions_dir()
    if source.versions is not None:
        for name in plan.removed:
            (versions / name).unlink()
        for name in source.versions:
            _copy(source.folder / "versions" / name, versions / name)
        shutil.rmtree(versions / "__pycache__", ignore_errors=True)
    for relative in source.app:
        target = paths.root() / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy(source.folder / "app" / relative, target)


def _copy(source: Path, target: Path) -> None:
    """Copy one file byte for byte (a seam for the test that makes the file step fail)."""
    shutil.copy2(source, target)


def _put_back(plan: _Plan, folder: Path, error: OSError) -> WorkshopError:
    """Moving files failed after the database changed: put files and database back as they
    were before the restore, from ``folder``, and say what happened."""
    versions = paths.versions_dir()
    problems = []
    try:
        for file in lessons._participant_files():
            if plan.versions_saved or file.name not in plan.before:
                file.unlink()  # saved in the new backup, or only just added
        if plan.versions_saved:
            for file in sorted((folder / "versions").iterdir()):
                shutil.copy2(file, versions / file.name)
        for relative in plan.app_saved:
            shutil.copy2(folder / "app" / relative, paths.root() / relative)
        for relative in plan.app_new:
            (paths.root() / relative).unlink(missing_ok=True)
    except OSError as undo:
        problems.append(f"putting the files back failed too ({undo})")
    try:
        _replace_database(_database_file(folder))
    except WorkshopError as undo:
        problems.append(f"putting the database back failed too ({undo.message})")
    if problems:
        return WorkshopError(
            f"Restoring the files failed ({error}), and {'; '.join(problems)}.",
            fix="Everything that was there before the restore is in the backup named below: "
            f"run `workshop restore {folder.name}` once the cause is fixed.",
        )
    return WorkshopError(
        f"Restoring the files failed ({error}), so files and database were put back as they "
        "were before the restore.",
        fix="Check the free disk space and the permissions of the project folder, then run "
        "this again.",
    )


# --- the database --------------------------------------------------------------------------


def _replace_database(dump: Path | None) -> None:
    """Make the participant's database hold exactly ``dump`` (``None``: nothing), in one step
    that either happens whole or not at all."""
    if db.backend() == "sqlite":
        _replace_sqlite(dump)
    else:
        _replace_postgresql(dump)


def _replace_postgresql(dump: Path | None) -> None:
    """Empty the database and replay ``dump``, with psql, in one transaction.

    psql, not a plain connection, because pg_dump 18 writes psql's own ``\\restrict`` lines into
    the dump. ``--single-transaction`` with ``ON_ERROR_STOP``: a statement that fails rolls
    back the emptying too, so the database is either the backup's or unchanged. Emptying in the
    same transaction is what keeps ``alembic_version`` to the backup's one row: replayed on top
    of an existing one, it would get a second. Every lock is waited for at most
    ``lessons.EMPTYING_LOCK_TIMEOUT``; then the error names the session that holds it.
    """
    engine = db.engine()
    with engine.connect() as conn:
        statements = lessons.emptying_statements(conn)
        server = conn.dialect.server_version_info or (0,)
    url = engine.url
    argv = [str(lessons.postgres_client("psql")), "-X", "-q", "-w", "--single-transaction"]
    argv += ["-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose"]
    for statement in statements:
        argv += ["-c", statement]
    if dump is not None:
        argv += ["-f", "-"]
    # Without the password (URL.set ignores None, and the rendering would mask it as ***): it
    # goes in PGPASSWORD, never on a command line.
    argv += ["-d", url._replace(drivername="postgresql", password=None).render_as_string()]
    env = dict(os.environ)
    env.update(
        PGPASSWORD=url.password or "",  # in the environment, never on a command line
        PGAPPNAME="workshop restore",
        PGOPTIONS=f"-c lock_timeout={lessons.EMPTYING_LOCK_TIMEOUT} -c client_min_messages=warning",
    )
    try:
        done = subprocess.run(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, encoding="utf-8",
            timeout=REPLAY_SECONDS, input=None if dump is None else _replayable(dump, server),
        )  # fmt: skip
    except subprocess.TimeoutExpired as error:
        raise WorkshopError(
            f"Replaying the backup's database took over {REPLAY_SECONDS} s and was stopped; "
            "its transaction rolled back, so the database is as it was.",
            fix="Run `workshop doctor`, and try again when the database answers quickly.",
        ) from error
    if done.returncode == 0:
        return
    said = _psql_error(done.stderr)
    if re.search(r"ERROR:\s+55P03:", done.stderr):  # lock_not_available
        raise WorkshopError(
            "The database could not be restored: another session holds a lock on its tables "
            f"and did not let go within {lessons.EMPTYING_LOCK_TIMEOUT}. Nothing was changed. "
            + lessons.lock_holders(engine),
            fix="End that session: `workshop db unblock` in a terminal ends the sessions that "
            "hold others up (their open transactions roll back), or run `%sql ROLLBACK` in that "
            "notebook. Then run this again.",
        )
    raise WorkshopError(
        f"The database could not be restored, so it was left as it was: {said}",
        fix="The backup's database.sql may be damaged, or from a server it does not fit; the "
        "line above says where it stopped. `workshop restore --list` lists other backups.",
    )


#: A line pg_dump 17 and later write, for a setting that servers before 17 do not have.
_NEWER_SETTING = re.compile(r"^SET transaction_timeout = 0;$", re.M)


def _replayable(dump: Path, server: tuple[int, ...]) -> str:
    """The dump's text, as the server can take it. The kit's pg_dump (18) writes
    ``SET transaction_timeout = 0;``, a setting that PostgreSQL before 17 refuses as unknown
    (a class's server may be older): there, and only there, that one line is left out. It sets
    a session setting to its default, so leaving it out changes nothing restored. The backup
    file itself is never changed."""
    with dump.open(encoding="utf-8", newline="") as file:  # "\r\n" in the data stays
        text = file.read()
    return _NEWER_SETTING.sub("", text) if server[0] < 17 else text


def _psql_error(stderr: str) -> str:
    """psql's error in a line: without its LOCATION line, and with paths relative."""
    lines = [
        line.strip()
        for line in stderr.splitlines()
        if line.strip() and not line.lstrip().startswith("LOCATION:")
    ]
    return paths.relative(" ".join(lines)) or "psql failed without saying why."


def _replace_sqlite(copy: Path | None) -> None:
    """Make the SQLite file's content the copy's (``None``: empty), page for page.

    With SQLite's online backup, not by replacing the file: a connection left open (a kernel's)
    would go on writing into the old, unlinked file. The backup is one transaction on the
    file; a lock held elsewhere makes it give up after ``lessons.EMPTYING_LOCK_TIMEOUT``.
    """
    target = Path(db.url().database or "")
    db.dispose_engines()  # the kit's own pooled connections hold no lock, but let them go
    seconds = float(re.sub(r"[^0-9.]", "", lessons.EMPTYING_LOCK_TIMEOUT) or 10)
    deadline = time.monotonic() + seconds

    def give_up_when_locked(status: int, _remaining: int, _total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() > deadline:
            raise TimeoutError

    source = _read_only(copy) if copy is not None else sqlite3.connect(":memory:")
    destination = sqlite3.connect(target, timeout=min(seconds, 1.0))
    try:
        source.backup(destination, progress=give_up_when_locked)
    except TimeoutError as error:
        raise WorkshopError(
            f"The SQLite file {paths.relative(str(target))} could not be restored: another "
            f"connection holds it locked and did not let go within "
            f"{lessons.EMPTYING_LOCK_TIMEOUT}. Nothing was changed.",
            fix="Finish or roll back the open transaction (`%sql ROLLBACK` in that notebook), "
            "or restart that notebook's kernel. Then run this again.",
        ) from error
    except sqlite3.Error as error:
        raise WorkshopError(
            f"The SQLite file {paths.relative(str(target))} could not be restored: {error}. "
            "Nothing was changed.",
            fix="Check that the file is writable and the disk has room, then run this again.",
        ) from error
    finally:
        source.close()
        destination.close()


def _read_only(file: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)


def _database_summary() -> str:
    """What the database holds now: schemas, tables with their rows, views, sequences, types,
    and the Alembic revision."""
    engine = db.engine()
    parts: list[str] = []
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schemas = conn.exec_driver_sql(
                "SELECT nspname FROM pg_namespace WHERE nspname <> 'information_schema' "
                "AND NOT starts_with(nspname, 'pg_') ORDER BY nspname"
            ).scalars()
            parts.append(f"schemas {', '.join(schemas)}")
            objects = conn.exec_driver_sql(
                "SELECT c.relkind, CASE WHEN n.nspname = 'public' THEN quote_ident(c.relname) "
                "ELSE format('%%I.%%I', n.nspname, c.relname) END AS shown, "
                "format('%%I.%%I', n.nspname, c.relname) AS qualified "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') "
                "AND n.nspname <> 'information_schema' AND NOT starts_with(n.nspname, 'pg_') "
                "ORDER BY n.nspname <> 'public', n.nspname, c.relname"
            ).all()
            tables = [
                f"{o.shown} ({_rows(conn, o.qualified)})" for o in objects if o.relkind in "rp"
            ]
            types = conn.exec_driver_sql(
                "SELECT CASE WHEN n.nspname = 'public' THEN quote_ident(t.typname) "
                "ELSE format('%%I.%%I', n.nspname, t.typname) END "
                "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname <> 'information_schema' AND NOT starts_with(n.nspname, 'pg_') "
                "AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND EXISTS ("
                "SELECT FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))) "
                "ORDER BY n.nspname <> 'public', n.nspname, t.typname"
            ).scalars()
            views = [o.shown for o in objects if o.relkind in "vm"]
            sequences = [o.shown for o in objects if o.relkind == "S"]
            types = list(types)
    else:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            ).all()
            tables = [
                f"{name} ({_rows(conn, _quoted(name))})" for kind, name in rows if kind == "table"
            ]
            views = [name for kind, name in rows if kind == "view"]
            sequences, types = [], []
    for noun, items in (("table", tables), ("view", views), ("sequence", sequences)):
        if items:
            parts.append(f"{_count(len(items), noun)}: {', '.join(items)}")
    if types:
        parts.append(f"{_count(len(types), 'type')}: {', '.join(types)}")
    if not tables and not views:
        parts.append("no tables")
    revisions = commands.current_revisions() if tables else ()
    parts.append(f"Alembic revision {', '.join(revisions)}" if revisions else "no Alembic revision")
    return "; ".join(parts) + "."


def _rows(conn: sa.Connection, table: str) -> str:
    """How many rows ``table`` (already quoted) holds, as "3 rows"."""
    return _count(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() or 0, "row")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _shown(folder: Path) -> str:
    return paths.relative(str(folder))
