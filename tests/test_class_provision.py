"""A role and a database per participant on a real shared PostgreSQL (issue 15).

Each test runs on PostgreSQL 15 (Debian 12's package, installed by the suite as root if
missing) and on 18 (the kit's embedded binaries), with an instructor role that has CREATEROLE
and CREATEDB and is no superuser, as the guide asks. The attacks are the issue's: a participant
opening another's database with their own role, with the other's role, through
``JUPYTERHUB_USER``, creating and dropping databases.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from workshop import db
from workshop.classroom import names
from workshop.classroom.provision import ClassServer, Participant, read_roster
from workshop.errors import WorkshopError

from .class_support import Cluster


@pytest.fixture(scope="module")
def cluster(cluster_of_each_kind: Cluster) -> Cluster:
    return cluster_of_each_kind


@pytest.fixture
def server(cluster: Cluster) -> ClassServer:
    return ClassServer(cluster.admin_url)


def unique(name: str) -> str:
    return f"{name}{uuid.uuid4().hex[:6]}"


def connect_error(url: str | sa.URL) -> str | None:
    """None when ``url`` connects; else the server's refusal, first line."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return None
    except sa.exc.OperationalError as error:
        return str(error.orig).strip().splitlines()[0]
    finally:
        engine.dispose()


def run_as(url: str, sql: str) -> str | None:
    """Run ``sql`` over ``url`` (autocommit); None when it ran, else the server's refusal."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(sql)
        return None
    except sa.exc.DBAPIError as error:
        return str(error.orig).strip().splitlines()[0]
    finally:
        engine.dispose()


def test_each_participant_gets_a_login_role_and_a_database_only_they_may_open(
    cluster: Cluster, server: ClassServer
) -> None:
    ada, bob = unique("ada"), unique("bob")
    ada_url, bob_url = server.open_for(ada), server.open_for(bob)
    ada_db = sa.make_url(ada_url)
    bob_db = sa.make_url(bob_url)
    assert (ada_db.username, ada_db.database) == (f"workshop_{ada}", f"workshop_{ada}")

    assert run_as(ada_url, "CREATE TABLE mine (x int)") is None
    assert run_as(bob_url, "CREATE TABLE mine (x int)") is None  # each has their own
    # ada's role on bob's database: CONNECT is revoked from PUBLIC.
    refused = connect_error(ada_db.set(database=bob_db.database))
    assert refused is not None and "permission denied for database" in refused, refused
    # bob's role with ada's password, and with a guess.
    for password in (ada_db.password, "secret"):
        refused = connect_error(bob_db.set(password=password))
        assert refused is not None and "password authentication failed" in refused, refused
    # No new databases, no dropping anyone's, no changing anyone's password.
    assert "permission denied to create database" in (run_as(ada_url, "CREATE DATABASE x") or "")
    assert "must be owner" in (run_as(ada_url, f'DROP DATABASE "{bob_db.database}"') or "")
    refused = run_as(ada_url, f"ALTER ROLE \"{bob_db.username}\" PASSWORD 'mine'") or ""
    assert "permission denied" in refused, refused
    refused = run_as(ada_url, f'CREATE ROLE "{unique("x")}"') or ""
    assert "permission denied" in refused, refused
    # The instructor's role is no superuser, and still did all of this.
    with cluster.superuser() as conn:
        row = conn.exec_driver_sql(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolconnlimit FROM pg_roles "
            "WHERE rolname = %s",
            (ada_db.username,),
        ).one()
        assert tuple(row) == (False, False, False, 20)
        assert not conn.exec_driver_sql(
            "SELECT rolsuper FROM pg_roles WHERE rolname = 'instructor'"
        ).scalar()


def test_a_new_password_at_each_start_and_the_old_one_stops_working(server: ClassServer) -> None:
    ada = unique("ada")
    first = server.open_for(ada)
    assert run_as(first, "CREATE TABLE kept (x int)") is None
    second = server.open_for(ada)
    assert sa.make_url(first).password != sa.make_url(second).password
    assert "password authentication failed" in (connect_error(first) or "")
    assert run_as(second, "SELECT * FROM kept") is None  # the same database, work kept


def test_jupyterhub_user_cannot_point_the_kit_at_anothers_database(
    server: ClassServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The URL a participant's server gets names their database, so the kit never reads
    ``JUPYTERHUB_USER`` for it; and the server refuses their role anywhere else, so taking the
    database name out of the URL does not help either."""
    ada, bob = unique("ada"), unique("bob")
    ada_url = server.open_for(ada)
    bob_database = sa.make_url(server.open_for(bob)).database
    monkeypatch.setenv(db.URL_ENV, ada_url)
    monkeypatch.setenv("JUPYTERHUB_USER", bob)
    try:
        assert db.url().database == f"workshop_{ada}"
        # Without a database name, the kit names it from JUPYTERHUB_USER: bob's, refused.
        nameless = sa.make_url(ada_url).set(database="").render_as_string(False)
        monkeypatch.setenv(db.URL_ENV, nameless)
        assert db.url().database == bob_database
        with pytest.raises(sa.exc.OperationalError, match="permission denied for database"):
            with db.engine().connect():
                pass
    finally:
        db.dispose_engines()


def test_names_that_map_to_one_database_under_the_old_rule_get_two(server: ClassServer) -> None:
    tag = uuid.uuid4().hex[:6]
    dotted, dashed = f"ada.l{tag}", f"ada-l{tag}"
    dotted_url, dashed_url = server.open_for(dotted), server.open_for(dashed)
    assert sa.make_url(dotted_url).database != sa.make_url(dashed_url).database
    assert run_as(dotted_url, "CREATE TABLE dotted (x int)") is None
    other = sa.make_url(dotted_url).set(database=sa.make_url(dashed_url).database)
    assert "permission denied for database" in (connect_error(other) or "")


def test_a_role_made_for_someone_else_or_not_by_the_kit_is_never_handed_out(
    cluster: Cluster, server: ClassServer
) -> None:
    """Two names whose hashes meet, simulated: the role exists, recorded for another name."""
    victim, intruder = unique("ada.l"), unique("mallory")
    made = server.add(victim)
    with cluster.superuser() as conn:
        claim = f'workshop class participant "{intruder}"'
        conn.exec_driver_sql(f'COMMENT ON ROLE "{made.role}" IS %s', (claim,))
    with pytest.raises(WorkshopError, match="made for"):
        server.open_for(victim)
    # A role the kit did not make (the instructor's own, say) is not handed out either.
    outsider = unique("outsider")
    with cluster.superuser() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{names.role_name(outsider)}" LOGIN')
    with pytest.raises(WorkshopError, match="the kit did not make it"):
        server.open_for(outsider)


def test_status_lists_the_mapping_and_what_is_wrong_and_add_repairs_it(
    cluster: Cluster, server: ClassServer
) -> None:
    dotted = unique("cy.z")
    participant = server.add(dotted)
    assert participant == Participant.named(dotted) and participant.renamed
    found = {s.participant.name: s for s in server.status()}
    assert found[dotted].participant.role == names.role_name(dotted)
    assert found[dotted].problems == []
    with cluster.superuser() as conn:
        conn.exec_driver_sql(f'GRANT CONNECT ON DATABASE "{participant.database}" TO PUBLIC')
        conn.exec_driver_sql(f'ALTER ROLE "{participant.role}" CREATEDB')
    problems = {s.participant.name: s for s in server.status()}[dotted].problems
    assert problems == ["others may connect: PUBLIC", "may create databases"]
    server.add(dotted)  # takes the grant back (CREATEDB is the instructor's to take back)
    problems = {s.participant.name: s for s in server.status()}[dotted].problems
    assert problems == ["may create databases"]


def test_remove_drops_the_database_and_the_role(cluster: Cluster, server: ClassServer) -> None:
    gone = unique("gone")
    url = server.open_for(gone)
    server.remove(gone)
    assert gone not in {s.participant.name for s in server.status()}
    assert connect_error(url) is not None


def test_a_roster_is_one_name_a_line() -> None:
    text = "ada\n\n# the second group\nbob.l   # late\nada\n李雷\n"
    assert read_roster(text) == ["ada", "bob.l", "李雷"]


def test_without_the_instructors_url_the_message_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WORKSHOP_CLASS_ADMIN_URL", raising=False)
    with pytest.raises(WorkshopError, match="WORKSHOP_CLASS_ADMIN_URL"):
        ClassServer()


def test_a_participants_checks_rehearse_on_their_own_embedded_server(
    server: ClassServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A participant's role may not create databases, and the checks' rehearsal databases have
    one name per server: on the class's server a check could not rehearse (and would share the
    rehearsal with the whole class). The hub points rehearsals at the embedded server."""
    from workshop import checks
    from workshop.classroom import hub

    assert hub.DATABASE_URL_ENV == db.URL_ENV
    assert hub.SCRATCH_SERVER_ENV == db.SCRATCH_SERVER_ENV
    monkeypatch.setenv(db.URL_ENV, server.open_for(unique("ada")))
    try:
        with pytest.raises(checks.NotYet, match="could not make a database"):
            with checks.rehearsal_database():
                pass
        monkeypatch.setenv(db.SCRATCH_SERVER_ENV, "embedded")
        with checks.rehearsal_database() as rehearsal:
            assert rehearsal.query.get("host")  # the embedded server's socket, not the class's
            with sa.create_engine(rehearsal, poolclass=sa.pool.NullPool).connect() as conn:
                conn.exec_driver_sql("CREATE TABLE tried (x int)")
    finally:
        db.dispose_engines()
