"""A role and a database per participant on the class's shared PostgreSQL server.

One role shared by the whole class (``postgresql://workshop:secret@...``) let any participant
read and write anyone's database, create and drop databases, and, by setting
``JUPYTERHUB_USER``, made the kit itself open someone else's. So each participant gets:

* a login role of their own, ``workshop_<slug>`` (:mod:`workshop.classroom.names`), with nothing
  more than a login: no superuser, no ``CREATEDB``, no ``CREATEROLE``, no replication, and a
  connection limit, so that one participant cannot take every connection of the server;
* a database of the same name, owned by that role, made from ``template0`` (which accepts no
  connections, so no one can hold it open and block new databases), with ``CONNECT`` revoked from
  ``PUBLIC``: only its owner (and the instructor, and superusers) may connect to it;
* a random password, new at each start of their server, given only to that server, in a URL
  that names their database (:meth:`ClassServer.open_for`). The URL names the database, so the
  kit never reads ``JUPYTERHUB_USER`` to choose one; and the role may connect to no other
  database of the class, whatever URL it is given.

The instructor's role does this: it needs ``CREATEROLE`` and ``CREATEDB``, not superuser. It
becomes a member of each participant role (``GRANT ... TO CURRENT_USER``), which PostgreSQL asks
of whoever creates a database owned by another role, and which lets the instructor look into any
participant's database. Each role's comment records the participant it was made for: an
existing role made for someone else, or not by the kit at all, is never handed out (see
:mod:`~workshop.classroom.names` on why that could happen).

Tested on PostgreSQL 15 (Debian 12's) and 18 (the kit's embedded one). The module needs
SQLAlchemy and psycopg2 only, both in JupyterHub's own images, so a hub can load it as a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from workshop.classroom import names
from workshop.errors import WorkshopError

ADMIN_URL_ENV = "WORKSHOP_CLASS_ADMIN_URL"
#: The server as participants reach it, when it differs from the instructor's URL (for example
#: the instructor on a unix socket, the participants' servers over TCP): a URL without user.
PARTICIPANT_SERVER_ENV = "WORKSHOP_CLASS_SERVER_URL"
CONNECTION_LIMIT = 20  # a kernel or two, the terminal's alembic, pg_dump in a reset
COMMENT_MARK = "workshop class participant "  # then the participant's name, as JSON
PASSWORD_BYTES = 24


@dataclass(frozen=True)
class Participant:
    """A participant as the server knows them."""

    name: str  # as the hub knows them
    role: str
    database: str

    @classmethod
    def named(cls, name: str) -> Participant:
        return cls(name, names.role_name(name), names.database_name(name))

    @property
    def renamed(self) -> bool:
        """Whether the name had to change (a readable part and a hash) to name a role."""
        return not names.is_plain(self.name)


@dataclass(frozen=True)
class Status:
    """One participant role found on the server, and whether it is set up as it must be."""

    participant: Participant
    database_owner: str | None  # None: no database of that name
    connect_grantees: tuple[str, ...]  # besides the owner, who may CONNECT ("PUBLIC" included)
    can_create_databases: bool
    can_create_roles: bool
    superuser: bool
    connection_limit: int

    @property
    def problems(self) -> list[str]:
        """What is wrong with this participant's isolation, in words; empty when nothing is."""
        found = []
        if self.database_owner is None:
            found.append("no database")
        elif self.database_owner != self.participant.role:
            found.append(f"database owned by {self.database_owner}")
        if self.connect_grantees:
            found.append("others may connect: " + ", ".join(self.connect_grantees))
        if self.can_create_databases:
            found.append("may create databases")
        if self.can_create_roles:
            found.append("may create roles")
        if self.superuser:
            found.append("is a superuser")
        return found


def _quoted(identifier: str) -> str:
    """A name made by :mod:`names` (``a-z0-9_``), quoted for DDL, where no parameter may go."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", identifier):
        raise ValueError(f"not a class role or database name: {identifier!r}")
    return f'"{identifier}"'


def _comment(name: str) -> str:
    return COMMENT_MARK + json.dumps(name, ensure_ascii=False)


def _name_in(comment: str | None) -> str | None:
    """The participant a role's comment says it was made for; None if not made by the kit."""
    if not comment or not comment.startswith(COMMENT_MARK):
        return None
    try:
        name = json.loads(comment[len(COMMENT_MARK) :])
    except ValueError:
        return None
    return name if isinstance(name, str) else None


class ClassServer:
    """The class's PostgreSQL server, as the instructor's role sees it."""

    def __init__(
        self,
        admin_url: str | sa.URL | None = None,
        *,
        participant_server: str | sa.URL | None = None,
        connection_limit: int = CONNECTION_LIMIT,
    ) -> None:
        raw = admin_url if admin_url is not None else os.environ.get(ADMIN_URL_ENV, "").strip()
        if not raw:
            raise WorkshopError(
                "No PostgreSQL server for the class: the instructor's URL is not set.",
                fix=f"Set {ADMIN_URL_ENV}=postgresql://instructor:PASSWORD@HOST:5432/postgres "
                "(a role with CREATEROLE and CREATEDB), or pass --admin-url.",
            )
        self.admin_url = _psycopg2(sa.make_url(raw) if isinstance(raw, str) else raw)
        other = participant_server or os.environ.get(PARTICIPANT_SERVER_ENV, "").strip() or None
        self.participant_server = _psycopg2(sa.make_url(other)) if other else self.admin_url
        self.connection_limit = connection_limit

    # --- connections -----------------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sa.Connection]:
        engine = sa.create_engine(
            self.admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )
        try:
            with engine.connect() as conn:
                yield conn
        except sa.exc.OperationalError as error:
            raise WorkshopError(
                "Cannot reach the class's PostgreSQL server as the instructor: "
                f"{str(error.orig).strip().splitlines()[0]}",
                fix=f"Check {ADMIN_URL_ENV} (host, port, role, password) and that the server runs.",
            ) from error
        finally:
            engine.dispose()

    # --- participants ----------------------------------------------------------------------

    def add(self, name: str) -> Participant:
        """Make ``name``'s role and database if missing, and check them; idempotent.

        Refuses (WorkshopError) a role of that name made for someone else or not by the kit.
        """
        with self._connect() as conn:
            return self._add(conn, name)

    def open_for(self, name: str) -> str:
        """``name``'s role and database (made if missing) with a new random password: the URL
        their server gets. The previous password stops working."""
        with self._connect() as conn:
            participant = self._add(conn, name)
            password = secrets.token_urlsafe(PASSWORD_BYTES)
            raw = conn.connection.dbapi_connection
            from psycopg2.extensions import encrypt_password

            # The verifier, computed here: the plain password never reaches the server's logs.
            verifier = encrypt_password(password, participant.role, raw, "scram-sha-256")
            conn.exec_driver_sql(f"ALTER ROLE {_quoted(participant.role)} PASSWORD %s", (verifier,))
        return self.url_for(participant, password).render_as_string(hide_password=False)

    def url_for(self, participant: Participant, password: str) -> sa.URL:
        """The URL of ``participant``'s database, as their server reaches it."""
        return self.participant_server.set(
            username=participant.role, password=password, database=participant.database
        )

    def _add(self, conn: sa.Connection, name: str) -> Participant:
        participant = Participant.named(name)
        role = _quoted(participant.role)
        database = _quoted(participant.database)
        # Two makers at once (the hub and `workshop class add`) make it once.
        conn.exec_driver_sql("SELECT pg_advisory_lock(hashtext(%s))", (participant.role,))
        try:
            found = conn.exec_driver_sql(
                "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = %s",
                (participant.role,),
            ).first()
            if found is None:
                conn.exec_driver_sql(
                    f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                    f"NOBYPASSRLS CONNECTION LIMIT {int(self.connection_limit)} "
                    "PASSWORD NULL"
                )
                conn.exec_driver_sql(f"COMMENT ON ROLE {role} IS %s", (_comment(name),))
            elif _name_in(found[0]) != name:
                made_for = _name_in(found[0])
                raise WorkshopError(
                    f"The role {participant.role} for {name!r} already exists, "
                    + (
                        f"made for {made_for!r}: both names map to it."
                        if made_for is not None
                        else "and the kit did not make it."
                    )
                    + " It is not handed out.",
                    fix="Give one of the two participants another user name, or drop that role "
                    "if it is a leftover.",
                )
            _become_able_to_own_for(conn, participant.role)
            owner = conn.exec_driver_sql(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
                (participant.database,),
            ).scalar()
            if owner is None:
                conn.exec_driver_sql(f"CREATE DATABASE {database} OWNER {role} TEMPLATE template0")
            elif owner != participant.role:
                raise WorkshopError(
                    f"The database {participant.database} for {name!r} exists and belongs to "
                    f"{owner}, not to {participant.role}. It is not handed out.",
                    fix="Drop or rename that database if it is a leftover.",
                )
            # Every time, not only at creation: a grant someone added since is taken back.
            conn.exec_driver_sql(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC")
        finally:
            conn.exec_driver_sql("SELECT pg_advisory_unlock(hashtext(%s))", (participant.role,))
        return participant

    def remove(self, name: str) -> None:
        """Drop ``name``'s database and role (the end of a course); their sessions end first."""
        participant = Participant.named(name)
        with self._connect() as conn:
            conn.exec_driver_sql(
                f"DROP DATABASE IF EXISTS {_quoted(participant.database)} WITH (FORCE)"
            )
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {_quoted(participant.role)}")

    def status(self) -> list[Status]:
        """Every participant role the kit made on this server, with its database and grants."""
        with self._connect() as conn:
            rows = conn.exec_driver_sql(_STATUS, (COMMENT_MARK,)).all()
        found = []
        for row in rows:
            name = _name_in(row.comment)
            if name is None:
                continue
            participant = Participant(name, row.rolname, row.rolname)
            grantees = tuple(g for g in (row.grantees or []) if g != row.rolname)
            found.append(
                Status(
                    participant,
                    row.owner,
                    grantees,
                    row.rolcreatedb,
                    row.rolcreaterole,
                    row.rolsuper,
                    row.rolconnlimit,
                )  # fmt: skip
            )
        return sorted(found, key=lambda s: s.participant.name)


# Who may CONNECT to each class database: from its ACL, where a NULL ACL means PostgreSQL's
# default (PUBLIC may connect), and grantee 0 is PUBLIC.
_STATUS = """
SELECT r.rolname, shobj_description(r.oid, 'pg_authid') AS comment, r.rolcreatedb,
       r.rolcreaterole, r.rolsuper, r.rolconnlimit, pg_get_userbyid(d.datdba) AS owner,
       CASE WHEN d.oid IS NULL THEN NULL
            WHEN d.datacl IS NULL THEN ARRAY['PUBLIC']
            ELSE ARRAY(
                SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END
                FROM aclexplode(d.datacl) a WHERE a.privilege_type = 'CONNECT'
            )
       END AS grantees
FROM pg_roles r LEFT JOIN pg_database d ON d.datname = r.rolname
WHERE starts_with(coalesce(shobj_description(r.oid, 'pg_authid'), ''), %s)
ORDER BY r.rolname
"""


def _become_able_to_own_for(conn: sa.Connection, role: str) -> None:
    """Make the instructor's role able to create a database owned by ``role``.

    PostgreSQL 15 asks for membership in ``role``; 16 and later for the right to ``SET ROLE`` to
    it, which the implicit grant a ``CREATEROLE`` creator gets since 16 lacks (it has ADMIN
    OPTION only, enough to grant the rest to itself). A superuser needs neither.
    """
    if conn.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar():
        return
    modern = int(conn.exec_driver_sql("SHOW server_version_num").scalar()) >= 160000
    can = conn.exec_driver_sql(
        "SELECT pg_has_role(current_user, %s, %s)", (role, "SET" if modern else "MEMBER")
    ).scalar()
    if not can:
        extra = " WITH INHERIT TRUE, SET TRUE" if modern else ""
        conn.exec_driver_sql(f"GRANT {_quoted(role)} TO CURRENT_USER{extra}")


def _psycopg2(url: sa.URL) -> sa.URL:
    """The URL with psycopg2 as its driver: the password verifier comes from psycopg2's libpq."""
    if url.get_backend_name() != "postgresql":
        raise WorkshopError(
            f"The class's server must be PostgreSQL, not {url.get_backend_name()}.",
            fix="Give a postgresql:// URL.",
        )
    return url.set(drivername="postgresql+psycopg2")


def read_roster(text: str) -> list[str]:
    """Participant names from a roster: one a line; blank lines and ``#`` comments skipped."""
    found = []
    for line in text.splitlines():
        name = line.split("#", 1)[0].strip()
        if name and name not in found:
            found.append(name)
    return found


def status_table(found: list[Status]) -> str:
    """``workshop class status``: who maps to which role and database, and what is wrong."""
    if not found:
        return "No participant roles on this server yet."
    rows = [("participant", "role and database", "name", "isolation")]
    for status in found:
        participant = status.participant
        rows.append(
            (
                participant.name,
                participant.role,
                "changed: readable part + hash" if participant.renamed else "kept",
                "; ".join(status.problems) or "ok",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in rows
    ]
    bad = sum(1 for s in found if s.problems)
    lines.append(
        f"{len(found)} participants" + (f", {bad} with problems" if bad else ", all isolated")
    )
    return "\n".join(lines)
