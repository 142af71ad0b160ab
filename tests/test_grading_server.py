"""The grading server's lock-down, tried the way a hostile submission would try it.

One real server serves the module (starting one takes a couple of seconds). Each test connects
with psycopg2 as a participant's kernel would, from the URL the server handed out, and checks
that what must be refused is refused, with a message a person can act on, and that what the
lessons need still works.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import psycopg2
import pytest
import sqlalchemy as sa
from psycopg2 import errors

from workshop import lessons
from workshop.errors import WorkshopError
from workshop.grading import server as grading_server
from workshop.grading.server import GradingServer

NAME = re.compile(r"^wk_[0-9a-f]{16}$")


@pytest.fixture
def private() -> Iterator[Path]:
    """A private folder for a server, outside pytest's temporary folders.

    The server's user must pass through every folder above its data for as long as it runs,
    and pytest sets its base folder back to 0700 whenever another pytest run starts.
    """
    folder = Path(tempfile.mkdtemp(prefix="wk_gs_"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def server() -> Iterator[GradingServer]:
    folder = Path(tempfile.mkdtemp(prefix="wk_gs_"))
    started = time.monotonic()
    try:
        with GradingServer(folder) as running:
            running.start_seconds = time.monotonic() - started  # type: ignore[attr-defined]
            yield running
        assert not running.data.exists(), "stop() must remove the data folder"
        assert not running.socket_dir.exists()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def alice(server: GradingServer) -> Iterator[sa.URL]:
    url = server.create_participant("alice")
    yield url
    server.drop_participant(url)


@pytest.fixture(scope="module")
def bob(server: GradingServer) -> Iterator[sa.URL]:
    url = server.create_participant("bob")
    yield url
    server.drop_participant(url)


def connect(url: sa.URL, **changes: str | None) -> psycopg2.extensions.connection:
    """Connect as a kernel would, from ``url`` with some parts changed (None: left out)."""
    params = {
        "host": url.query["host"],
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
        **changes,
    }
    given = {key: value for key, value in params.items() if value is not None}
    # No ~/.pgpass or PGPASSWORD may help a login along: this process is root's.
    return psycopg2.connect(**given, passfile="/nonexistent/pgpass", connect_timeout=5)


def refusal(url: sa.URL, **changes: str | None) -> str:
    """The message of the refused connection; fails the test if it is accepted."""
    with pytest.raises(psycopg2.OperationalError) as refused:
        connect(url, **changes).close()
    return str(refused.value)


def query(url: sa.URL, sql: str) -> list[tuple]:
    conn = connect(url)
    conn.autocommit = True  # as SQLAlchemy's AUTOCOMMIT: CREATE DATABASE refuses a transaction
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if cursor.description else []
    finally:
        conn.close()


def refused_sql(url: sa.URL, sql: str) -> str:
    """The error of a statement that must fail for lack of privilege."""
    with pytest.raises(errors.InsufficientPrivilege) as refused:
        query(url, sql)
    return str(refused.value)


# --- who may connect where -----------------------------------------------------------------


def test_starts_quickly(server: GradingServer) -> None:
    assert server.start_seconds < 30  # type: ignore[attr-defined]


def test_a_participant_cannot_enter_another_participants_database(
    alice: sa.URL, bob: sa.URL
) -> None:
    message = refusal(alice, dbname=bob.database)
    assert f'permission denied for database "{bob.database}"' in message
    assert "CONNECT privilege" in message


@pytest.mark.parametrize("database", ["postgres", "template1"])
def test_a_participant_cannot_enter_the_system_databases(alice: sa.URL, database: str) -> None:
    assert f'permission denied for database "{database}"' in refusal(alice, dbname=database)


def test_nobody_enters_template0(server: GradingServer) -> None:
    message = refusal(server.admin_url("template0"))
    assert 'database "template0" is not currently accepting connections' in message


@pytest.mark.parametrize("password", [None, "", "wrong", "alice's"])
@pytest.mark.parametrize("who", ["postgres", "bob"])
def test_no_login_as_someone_else_without_their_password(
    server: GradingServer, alice: sa.URL, bob: sa.URL, who: str, password: str | None
) -> None:
    target = server.admin_url() if who == "postgres" else bob
    guess = alice.password if password == "alice's" else password
    message = refusal(target, password=guess)
    assert (
        f'password authentication failed for user "{target.username}"' in message
        or "no password supplied" in message
    )


def test_the_superuser_logs_in_with_its_password(server: GradingServer) -> None:
    assert query(server.admin_url(), "SHOW is_superuser") == [("on",)]


def test_a_refused_login_says_why_in_plain_words(server: GradingServer, alice: sa.URL) -> None:
    message = refusal(alice, password="not-it")
    first = message.strip().splitlines()[0]
    assert first == (
        f'connection to server on socket "{server.socket_dir}/.s.PGSQL.5432" failed: '
        f'FATAL:  password authentication failed for user "{alice.username}"'
    )
    assert "pg_hba.conf" not in message and "does not exist" not in message
    assert "no password supplied" in refusal(alice, password=None)


# --- how the server is locked --------------------------------------------------------------


def test_every_rule_asks_for_a_scram_password(server: GradingServer, alice: sa.URL) -> None:
    rules = query(
        server.admin_url(),
        "SELECT type, database, user_name, auth_method, error FROM pg_hba_file_rules",
    )
    assert {rule[0] for rule in rules} == {"local", "host"}
    assert all(rule[1:4] == (["all"], ["all"], "scram-sha-256") for rule in rules), rules
    assert all(rule[4] is None for rule in rules)
    stored = query(server.admin_url(), "SELECT rolname, rolpassword FROM pg_authid")
    for role in ("postgres", alice.username):
        assert dict(stored)[role].startswith("SCRAM-SHA-256$"), role


def test_it_listens_on_its_own_socket_folder_only(server: GradingServer) -> None:
    assert query(server.admin_url(), "SHOW listen_addresses") == [("",)]
    postmaster = psutil.Process(int((server.data / "postmaster.pid").read_text().split()[0]))
    assert postmaster.net_connections(kind="inet") == []
    assert sorted(os.listdir(server.socket_dir)) == [".s.PGSQL.5432", ".s.PGSQL.5432.lock"]
    assert not server.socket_dir.is_relative_to(server.data)
    assert server.socket_dir.stat().st_mode & 0o777 == 0o755


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_an_unprivileged_user_reaches_the_socket_but_not_the_data(
    server: GradingServer, alice: sa.URL
) -> None:
    """What the sandbox's user can do with the socket folder bind-mounted in."""
    script = f"""
import os, psycopg2
psycopg2.connect({alice.render_as_string(hide_password=False).replace("+psycopg2", "")!r}).close()
print("connected")
data_file, private = {str(server.data / "PG_VERSION")!r}, {str(server.private)!r}
for look in (lambda: open(data_file), lambda: os.listdir(private)):
    try:
        look()
        print("allowed")
    except PermissionError:
        print("denied")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], user="nobody", capture_output=True, text=True, timeout=60
    )
    assert done.stdout.split() == ["connected", "denied", "denied"], done.stderr


# --- what a participant may do -------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "refused"),
    [
        ("CREATE DATABASE mine", "permission denied to create database"),
        ("CREATE ROLE helper SUPERUSER", "permission denied to create role"),
        ("ALTER ROLE CURRENT_USER CREATEDB", "permission denied to alter role"),
        ("SELECT rolpassword FROM pg_authid", "permission denied for table pg_authid"),
        ("SELECT passwd FROM pg_shadow", "permission denied for view pg_shadow"),
        ("SELECT pg_read_file('pg_hba.conf')", "permission denied for function pg_read_file"),
    ],
)
def test_a_participant_has_no_server_wide_powers(alice: sa.URL, sql: str, refused: str) -> None:
    assert refused in refused_sql(alice, sql)


def test_a_participant_sees_no_passwords(alice: sa.URL) -> None:
    shown = query(alice, "SELECT DISTINCT rolpassword FROM pg_roles WHERE rolcanlogin")
    assert shown == [("********",)]
    attributes = query(
        alice,
        "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, "
        "rolconnlimit FROM pg_roles WHERE rolname = current_user",
    )
    assert attributes == [(False, False, False, False, False, grading_server.CONNECTION_LIMIT)]


def test_only_the_owner_may_use_its_databases_public_schema(server: GradingServer) -> None:
    url = server.create_participant("schema")
    try:
        acl = query(url, "SELECT nspacl::text FROM pg_namespace WHERE nspname = 'public'")
        assert acl == [("{pg_database_owner=UC/pg_database_owner}",)]  # no "=U/..." for PUBLIC
        datacl = query(
            url, "SELECT datacl::text FROM pg_database WHERE datname = current_database()"
        )
        assert datacl == [(f"{{{url.username}=CTc/{url.username}}}",)]  # no PUBLIC entry
        public = query(
            url, "SELECT has_database_privilege('public', current_database(), 'CONNECT')"
        )
        assert public == [(False,)]
    finally:
        server.drop_participant(url)


def test_a_participant_builds_its_schema_as_the_lessons_do(server: GradingServer) -> None:
    url = server.create_participant("lessons")
    engine = sa.create_engine(url)
    try:
        lessons.empty_database(engine)  # what every lesson's first cell does: drop public, remake
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE users (id serial PRIMARY KEY, name text)"))
            conn.execute(sa.text("INSERT INTO users (name) VALUES ('ada')"))
            conn.execute(
                sa.text(
                    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
                )
            )
            conn.execute(sa.text("INSERT INTO alembic_version VALUES ('0001')"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name FROM users")).scalar() == "ada"
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
        server.drop_participant(url)


# --- what a participant cannot break -------------------------------------------------------


def test_an_open_transaction_blocks_no_one(server: GradingServer) -> None:
    holder = server.create_participant("holder")
    conn = connect(holder)
    cursor = conn.cursor()  # psycopg2 opens a transaction and keeps it open
    cursor.execute("CREATE TABLE held (id int)")
    cursor.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE")
    cursor.execute("SELECT pg_advisory_lock(1)")
    try:
        started = time.monotonic()
        other = server.create_participant("other")
        assert query(other, "SELECT current_database()") == [(other.database,)]
        server.drop_participant(holder)
        server.drop_participant(other)
        assert time.monotonic() - started < 10
        with pytest.raises(psycopg2.Error):
            cursor.execute("SELECT 1")  # the holder's session was ended
    finally:
        conn.close()
    assert _leftovers(server, holder, other) == []


def test_a_participant_cannot_keep_its_database_from_being_dropped(
    server: GradingServer,
) -> None:
    url = server.create_participant("stubborn")
    query(url, f'ALTER DATABASE "{url.database}" WITH IS_TEMPLATE true CONNECTION LIMIT 0')
    server.drop_participant(url)
    assert _leftovers(server, url) == []
    server.drop_participant(url)  # a second time: nothing left to do, no error


def test_a_reset_removes_all_a_participant_made_and_loads_the_state_as_theirs(
    server: GradingServer, private: Path
) -> None:
    """Between exercises: tables, schemas, types, role and database settings, a held session
    and a dropped public schema are all undone; the dump's tables then belong to the role."""
    key = server.create_participant("key")
    url = server.create_participant("participant")
    try:
        query(key, "CREATE TABLE t (id serial PRIMARY KEY, note text DEFAULT '50%')")
        query(key, "INSERT INTO t (note) VALUES ('kept'), (DEFAULT)")
        dump = private / "state.sql"
        server.dump(key.database or "", dump)
        for sql in (
            "CREATE TABLE junk (id int)",
            "CREATE TYPE mood AS ENUM ('ok')",
            "CREATE SCHEMA evil",
            "CREATE TABLE evil.t (id int)",
            "DROP SCHEMA public CASCADE",
            "ALTER ROLE CURRENT_USER SET search_path = evil, pg_catalog",
            f'ALTER DATABASE "{url.database}" SET statement_timeout = 1',
        ):
            query(url, sql)
        held = connect(url)
        held.cursor().execute("BEGIN; LOCK TABLE evil.t")
        server.reset_participant(url, dump)
        assert held.closed or _is_dead(held)
        rows = query(
            url,
            "SELECT schemaname || '.' || tablename, tableowner = current_user FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
        )
        assert rows == [("public.t", True)]
        assert query(url, "SELECT note FROM t ORDER BY id") == [("kept",), ("50%",)]
        assert query(url, "SHOW search_path") == [('"$user", public',)]
        assert query(url, "SELECT count(*) FROM pg_type WHERE typname = 'mood'") == [(0,)]
        query(url, "INSERT INTO t (note) VALUES ('mine'); DROP TABLE t")  # theirs to change
        server.reset_participant(url)
        assert query(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
    finally:
        server.drop_participant(url)
        server.drop_participant(key)


def _is_dead(connection: psycopg2.extensions.connection) -> bool:
    try:
        connection.cursor().execute("SELECT 1")
    except psycopg2.Error:
        return True
    return False


def test_a_grant_on_a_database_does_not_keep_a_role_alive(server: GradingServer) -> None:
    """Another participant's GRANT CONNECT to the victim would make DROP ROLE fail."""
    attacker = server.create_participant("attacker")
    victim = server.create_participant("victim")
    try:
        query(attacker, f'GRANT CONNECT ON DATABASE "{attacker.database}" TO "{victim.username}"')
        server.drop_participant(victim)
        assert _leftovers(server, victim) == []
    finally:
        server.drop_participant(attacker)


def test_a_grant_on_a_table_leaves_the_role_locked_out(
    server: GradingServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A grant inside another participant's database keeps the role until that one goes."""
    attacker = server.create_participant("attacker")
    victim = server.create_participant("victim")
    try:
        query(attacker, f'CREATE TABLE bait (id int); GRANT SELECT ON bait TO "{victim.username}"')
        server.drop_participant(victim)  # does not raise
        assert _leftovers(server, victim) == [(victim.username,)]  # the database is gone
        assert f"Grading role {victim.username} stays" in caplog.text
        assert f'role "{victim.username}" is not permitted to log in' in refusal(victim)
    finally:
        server.drop_participant(attacker)
    assert _leftovers(server, attacker) == []


@pytest.mark.parametrize(
    "tag", ['x"; DROP DATABASE postgres; --', "O'Brien", "../../etc", "wk_" + "0" * 16, ""]
)
def test_names_come_from_a_token_never_from_the_tag(server: GradingServer, tag: str) -> None:
    first, second = server.create_participant(tag), server.create_participant(tag)
    try:
        for url in (first, second):
            assert NAME.match(url.username) and url.database == url.username
            assert query(url, "SELECT current_user") == [(url.username,)]
        assert first.username != second.username and tag not in (first.username, second.username)
        assert query(
            server.admin_url(), "SELECT count(*) FROM pg_database WHERE datname = 'postgres'"
        ) == [(1,)]
    finally:
        server.drop_participant(first)
        server.drop_participant(second)


def test_participants_come_and_go_in_parallel(server: GradingServer) -> None:
    def one(index: int) -> sa.URL:
        url = server.create_participant(f"p{index}")
        query(url, "CREATE TABLE work (id int); INSERT INTO work VALUES (1)")
        server.drop_participant(url)
        return url

    with ThreadPoolExecutor(8) as pool:
        urls = list(pool.map(one, range(16)))
    assert len({url.username for url in urls}) == 16
    assert _leftovers(server, *urls) == []


def _leftovers(server: GradingServer, *urls: sa.URL) -> list[tuple]:
    names = ", ".join(f"'{url.username}'" for url in urls)
    return query(
        server.admin_url(),
        f"SELECT datname FROM pg_database WHERE datname IN ({names}) "
        f"UNION ALL SELECT rolname FROM pg_roles WHERE rolname IN ({names})",
    )


# --- failing loudly ------------------------------------------------------------------------


def test_start_fails_loudly_and_cleans_up_if_the_lock_does_not_take(
    private: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grading_server, "HBA_RULES", "local all all trust\n")
    monkeypatch.setattr(grading_server, "RELOAD_WAIT_SECONDS", 0.5)
    broken = GradingServer(private)
    with pytest.raises(WorkshopError, match="without a password"):
        broken.start()
    assert not broken.data.exists() and not broken.socket_dir.exists()


def test_sealing_shuts_out_whoever_a_participant_invited(server: GradingServer) -> None:
    """Two colluding submissions: one grants the other (and PUBLIC) CONNECT on its database, the
    other holds a session there to write during the first one's check. Before each check the
    grader seals the database: the grants are gone and the session ended."""
    inviter = server.create_participant("inviter")
    helper = server.create_participant("helper")
    try:
        for grantee in (f'"{helper.username}"', "PUBLIC"):
            query(inviter, f'GRANT CONNECT ON DATABASE "{inviter.database}" TO {grantee}')
        inside = connect(helper, dbname=inviter.database)
        inside.cursor().execute("SELECT 1")
        server.seal(inviter)
        assert _is_dead(inside)
        with pytest.raises(psycopg2.OperationalError, match="permission denied"):
            connect(helper, dbname=inviter.database)
        assert query(inviter, "SELECT 1") == [(1,)]  # the owner still gets in
    finally:
        server.drop_participant(helper)
        server.drop_participant(inviter)


def test_the_checks_sessions_ignore_what_a_participant_set_on_their_role(
    server: GradingServer,
) -> None:
    """A participant may ALTER ROLE their own settings (a search_path that puts their operators
    before pg_catalog's, a timeout); the trusted checks' connection options outrank them."""
    from workshop.grading.server import CHECK_OPTIONS

    url = server.create_participant("planter")
    try:
        query(url, "CREATE SCHEMA evil")
        query(url, "ALTER ROLE CURRENT_USER SET search_path = evil, pg_catalog, public")
        query(url, "ALTER ROLE CURRENT_USER SET statement_timeout = 1")
        assert query(url, "SHOW search_path") == [("evil, pg_catalog, public",)]
        checked = sa.create_engine(url.update_query_dict({"options": CHECK_OPTIONS}))
        try:
            with checked.connect() as conn:  # as the checks' engine connects (db.engine)
                assert conn.exec_driver_sql("SHOW search_path").scalar() == "public"
                assert conn.exec_driver_sql("SELECT count(*) FROM pg_sleep(0.05)").scalar() == 1
        finally:
            checked.dispose()
    finally:
        server.drop_participant(url)
