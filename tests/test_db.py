"""Choosing, starting and sharing the workshop database."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from workshop import db, lessons
from workshop.errors import WorkshopError

from .conftest import make_project


def test_sqlite_paths_are_taken_from_the_project_root(
    monkeypatch: pytest.MonkeyPatch, project: Path
) -> None:
    monkeypatch.setenv(db.URL_ENV, "sqlite:///course.db")
    monkeypatch.chdir(project / "notebooks")  # a kernel's folder: the same file all the same
    assert Path(db.url().database) == project / "course.db"
    assert db.describe() == "SQLite"


@pytest.mark.parametrize(
    "value,says",
    [
        ("not a url", "is not a database URL"),
        ("mysql://u@h/x", "supports PostgreSQL and SQLite"),
        ("sqlite://", "in-memory SQLite"),
    ],
)
def test_bad_settings_get_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, value: str, says: str
) -> None:
    monkeypatch.setenv(db.URL_ENV, value)
    with pytest.raises(WorkshopError, match=says) as raised:
        db.url()
    assert raised.value.fix


def test_an_unreachable_server_gets_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(db.URL_ENV, "postgresql://nobody@127.0.0.1:1/")
    with pytest.raises(WorkshopError, match="Cannot reach the PostgreSQL server"):
        db.url()


@pytest.mark.parametrize(
    "user,name",
    [("alice", "workshop_alice"), ("Bob.Smith@uni", "workshop_bob_smith_uni"), ("", "workshop_")],
)
def test_participant_database_names(user: str, name: str) -> None:
    assert db.participant_database_name(user).startswith(name)
    assert len(db.participant_database_name("x" * 100)) <= 63


def test_each_participant_gets_a_database_of_their_own_on_a_shared_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A class on one server: the URL names no database, JUPYTERHUB_USER decides which."""
    server = db.server_url()
    shared = server._replace(database=None).render_as_string(hide_password=False)
    tag = uuid.uuid4().hex[:6]
    users = [f"alice_{tag}", f"bob_{tag}", f"chen_{tag}"]
    monkeypatch.setenv(db.URL_ENV, shared)
    created: list[sa.URL] = []
    try:
        for user in users:
            monkeypatch.setenv("JUPYTERHUB_USER", user)
            url = db.url()  # created on first use
            created.append(url)
            assert url.database == f"workshop_{user}"
            with db.engine(url).begin() as conn:
                conn.execute(sa.text("CREATE TABLE mine (owner text)"))
                conn.execute(sa.text("INSERT INTO mine VALUES (:u)"), {"u": user})
        for user, url in zip(users, created, strict=True):
            monkeypatch.setenv("JUPYTERHUB_USER", user)
            assert db.url() == url  # second use: the same database, not a new one
            with db.engine(url).connect() as conn:
                owners = conn.execute(sa.text("SELECT owner FROM mine")).scalars().all()
            assert owners == [user], "participants must not see each other's tables"
    finally:
        db.dispose_engines()
        for url in created:
            db.drop_database(url)


def test_racing_creations_of_one_participant_database_both_succeed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = db.server_url()
    target = server.set(database=f"test_race_{uuid.uuid4().hex[:8]}")
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: db.ensure_database(target), range(4)))
        with db.engine(target).connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    finally:
        db.dispose_engines()
        db.drop_database(target)


def test_scratch_databases_are_dropped_afterwards() -> None:
    with db.scratch_database("test") as url:
        with db.engine(url).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    admin = db.server_url()
    with db.engine(admin).connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
        ).scalar()
    assert exists is None


STARTER = """
import sys
import time
from workshop import db
import sqlalchemy as sa
n = int(sys.argv[1])
with db.engine().begin() as conn:
    conn.execute(sa.text(f"CREATE TABLE start_{n} (n int)"))
    conn.execute(sa.text(f"INSERT INTO start_{n} VALUES ({n})"))
print(db.start_embedded().name)
"""


def test_simultaneous_cold_starts_share_one_server_safely() -> None:
    """Four processes start the embedded server at once, on a new data folder.

    The lock lets one of them run initdb and pg_ctl; all four end up on the same server, and
    every one of their writes is there afterwards.
    """
    root = make_project()
    env = dict(os.environ, WORKSHOP_ROOT=str(root))
    env.pop(db.URL_ENV, None)
    try:
        starts = [
            subprocess.Popen(
                [sys.executable, "-c", STARTER, str(n)],
                env=env,
                cwd=root,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(4)
        ]
        results = [process.communicate(timeout=120) for process in starts]
        for process, (_out, err) in zip(starts, results, strict=True):
            assert process.returncode == 0, err
        assert len({out for out, _ in results}) == 1, "all four must use one server"
        check = subprocess.run(
            [
                sys.executable,
                "-c",
                "from workshop import db; import sqlalchemy as sa\n"
                "with db.engine().connect() as c:\n"
                "    print([c.execute(sa.text(f'SELECT n FROM start_{n}')).scalar()\n"
                "           for n in range(4)])",
            ],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert check.stdout.strip() == "[0, 1, 2, 3]", check.stderr
    finally:
        subprocess.run(
            [sys.executable, "-m", "workshop.cli", "db", "stop"], env=env, cwd=root, timeout=60
        )
        shutil.rmtree(root, ignore_errors=True)


def test_the_data_survives_a_server_restart() -> None:
    """Stopping and starting the embedded server (a reboot, a new session) keeps the data."""
    root = make_project()
    env = dict(os.environ, WORKSHOP_ROOT=str(root))
    env.pop(db.URL_ENV, None)
    write = "from workshop import db; import sqlalchemy as sa\nwith db.engine().begin() as c:\n"
    try:
        steps = [
            write + "    c.execute(sa.text('CREATE TABLE kept (v text)'))\n"
            "    c.execute(sa.text(\"INSERT INTO kept VALUES ('still here')\"))",
            "from workshop import db; assert db.stop_embedded()",
            "from workshop import db; import sqlalchemy as sa\nwith db.engine().connect() as c:\n"
            "    print(c.execute(sa.text('SELECT v FROM kept')).scalar())",
        ]
        outputs = []
        for code in steps:
            done = subprocess.run(
                [sys.executable, "-c", code],
                env=env,
                cwd=root,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr
            outputs.append(done.stdout.strip())
        assert outputs[-1] == "still here"
    finally:
        subprocess.run(
            [sys.executable, "-m", "workshop.cli", "db", "stop"], env=env, cwd=root, timeout=60
        )
        shutil.rmtree(root, ignore_errors=True)


def test_emptying_the_database_removes_tables_types_and_data(project: Path) -> None:
    with db.engine().begin() as conn:
        conn.execute(sa.text("CREATE TYPE mood AS ENUM ('ok', 'meh')"))
        conn.execute(sa.text("CREATE TABLE t (m mood)"))
    lessons.empty_database()
    inspector = sa.inspect(db.engine())
    assert inspector.get_table_names() == []
    with db.engine().connect() as conn:
        assert (
            conn.execute(sa.text("SELECT count(*) FROM pg_type WHERE typname='mood'")).scalar() == 0
        )


def test_a_stale_pid_file_never_gets_another_process_signalled() -> None:
    """After a crash, postmaster.pid stays, and its pid may now be any process. `workshop db
    status` must not say "running", `workshop db stop` must not signal that process, and the
    next start must work (the stale file set aside, not deleted)."""
    root = make_project()
    env = dict(os.environ, WORKSHOP_ROOT=str(root))
    env.pop(db.URL_ENV, None)
    bystander = subprocess.Popen(["sleep", "300"])
    cli = [sys.executable, "-m", "workshop.cli", "db"]
    try:
        subprocess.run([*cli, "start"], env=env, cwd=root, check=True, timeout=120)
        subprocess.run([*cli, "stop"], env=env, cwd=root, check=True, timeout=120)
        data = root / ".workshop" / "pgdata"
        stale = [str(bystander.pid), str(data), "1764500000", "", "/tmp", "", "0 0", "ready"]
        (data / db.PID_FILE).write_text("\n".join(stale) + "\n")
        status = subprocess.run(
            [*cli, "status"], env=env, cwd=root, capture_output=True, text=True, timeout=60
        )
        assert "not running" in status.stdout, status.stdout
        stop = subprocess.run(
            [*cli, "stop"], env=env, cwd=root, capture_output=True, text=True, timeout=60
        )
        assert "It was not running." in stop.stdout, stop.stdout + stop.stderr
        assert bystander.poll() is None, "the bystander must live"
        (data / db.PID_FILE).write_text("")  # torn: a crash while the server wrote it
        check = subprocess.run(
            [sys.executable, "-c", "from workshop import db; print(db.start_embedded().name)"],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert check.returncode == 0, check.stderr
        assert db.server_pid(data) is not None
        assert [p.name for p in data.glob(f"{db.PID_FILE}.stale-*")], "set aside, not deleted"
    finally:
        bystander.kill()
        subprocess.run([*cli, "stop"], env=env, cwd=root, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def test_unblock_ends_only_the_sessions_that_hold_others_up(project: Path) -> None:
    """An open transaction holding a lock (another kernel) is ended; a session that only sits
    idle outside a transaction is left alone; the command says whom it ended."""
    with db.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE busy (x int)"))

    def session(name: str) -> sa.Connection:
        engine = sa.create_engine(
            db.url(), connect_args={"application_name": name}, poolclass=sa.pool.NullPool
        )
        return engine.connect()

    holder, bystander = session("another kernel"), session("a bystander")
    holder.execute(sa.text("LOCK TABLE busy IN SHARE MODE"))  # idle in transaction, holding it
    bystander.execute(sa.text("SELECT 1"))
    bystander.commit()
    env = dict(os.environ, WORKSHOP_ROOT=str(project))
    done = subprocess.run(
        [sys.executable, "-m", "workshop.cli", "db", "unblock"],
        env=env, cwd=project, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Ended another kernel (pid" in done.stdout, done.stdout
    assert "bystander" not in done.stdout
    with pytest.raises(sa.exc.OperationalError):
        holder.execute(sa.text("SELECT 1"))
    assert bystander.execute(sa.text("SELECT 1")).scalar() == 1
    bystander.close()
    again = subprocess.run(
        [sys.executable, "-m", "workshop.cli", "db", "unblock"],
        env=env, cwd=project, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert again.stdout.strip() == "Nothing holds it up."


def test_a_deleted_data_folder_is_announced_when_it_is_made_again() -> None:
    """The first start makes the database quietly; after the data folder was deleted, the new,
    empty one is announced, so earlier tables do not seem to vanish without a word."""
    root = make_project()
    env = dict(os.environ, WORKSHOP_ROOT=str(root))
    env.pop(db.URL_ENV, None)
    start = [sys.executable, "-c", "from workshop import db; db.start_embedded()"]
    stop = [sys.executable, "-m", "workshop.cli", "db", "stop"]
    try:
        first = subprocess.run(
            start, env=env, cwd=root, capture_output=True, text=True, timeout=120
        )
        assert first.returncode == 0, first.stderr
        assert "was missing" not in first.stderr
        subprocess.run(stop, env=env, cwd=root, check=True, timeout=60)
        shutil.rmtree(root / ".workshop" / "pgdata")
        again = subprocess.run(
            start, env=env, cwd=root, capture_output=True, text=True, timeout=120
        )
        assert again.returncode == 0, again.stderr
        assert "The database folder .workshop/pgdata was missing" in again.stderr, again.stderr
        third = subprocess.run(
            start, env=env, cwd=root, capture_output=True, text=True, timeout=120
        )
        assert "was missing" not in third.stderr, "said once, when it happened"
    finally:
        subprocess.run(stop, env=env, cwd=root, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


KERNEL = """
import sys
import time
import sqlalchemy as sa
from workshop import db
def ask():
    with db.engine().connect() as conn:
        return conn.execute(sa.text("SELECT 'answered'")).scalar()
print(ask(), flush=True)
sys.stdin.readline()  # meanwhile, another process stops the server
print(ask(), flush=True)
"""


def test_a_running_kernel_starts_the_server_again_after_a_db_stop_elsewhere() -> None:
    """`workshop db stop` in a terminal while a kernel runs: the kernel's next query starts the
    server again and reconnects, instead of failing until the kernel is restarted."""
    root = make_project()
    env = dict(os.environ, WORKSHOP_ROOT=str(root))
    env.pop(db.URL_ENV, None)
    stop = [sys.executable, "-m", "workshop.cli", "db", "stop"]
    kernel = subprocess.Popen(
        [sys.executable, "-c", KERNEL], env=env, cwd=root, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert kernel.stdout.readline().strip() == "answered"
        stopped = subprocess.run(
            stop, env=env, cwd=root, capture_output=True, text=True, timeout=60
        )
        assert "Stopped the embedded PostgreSQL." in stopped.stdout, stopped.stdout
        out, err = kernel.communicate("\n", timeout=120)
        assert out.strip() == "answered", err
    finally:
        kernel.kill()
        subprocess.run(stop, env=env, cwd=root, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


HOLDER = """
import sys, time
from filelock import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
lock.release()
"""


def _hold_the_start_lock(root: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that takes the embedded server's start lock and keeps it ``seconds``."""
    lock = root / ".workshop" / "pgdata.lock"
    lock.parent.mkdir(exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def _the_fix(stderr: str, command: str) -> str:
    """The shell command the error advises, in backquotes, that starts with ``command``."""
    found = re.search(rf"`({command} \d+)`", stderr)
    assert found, stderr
    return found.group(1)


def test_a_suspended_holder_of_the_start_lock_is_named_at_once_and_the_fix_works() -> None:
    """A `workshop db start` suspended with Ctrl-Z while it holds the start lock: the next start
    must not wait out its timeout, but name that process and say how to resume it; done, the
    start succeeds."""
    root = make_project()
    env = dict(os.environ, WORKSHOP_ROOT=str(root), WORKSHOP_START_LOCK_TIMEOUT="60")
    env.pop(db.URL_ENV, None)
    cli = [sys.executable, "-m", "workshop.cli", "db"]
    holder = _hold_the_start_lock(root, 4)
    try:
        os.kill(holder.pid, signal.SIGSTOP)
        began = time.monotonic()
        start = subprocess.run(
            [*cli, "start"], env=env, cwd=root, capture_output=True, text=True, timeout=30
        )
        assert time.monotonic() - began < 20, "it gave up at once, not after the timeout"
        assert start.returncode == 2, start.stderr
        assert f"process {holder.pid} ({sys.executable} -c ' import sys, time" in start.stderr
        assert "holds its lock, .workshop/pgdata.lock, and is suspended" in start.stderr
        resume = _the_fix(start.stderr, "kill -CONT")
        assert resume == f"kill -CONT {holder.pid}"
        assert holder.poll() is None, "the kit ends nothing itself"

        subprocess.run(resume, shell=True, check=True, timeout=10)
        again = subprocess.run(
            [*cli, "start"], env=env, cwd=root, capture_output=True, text=True, timeout=60
        )
        assert again.returncode == 0, again.stderr
        assert "(running)" in again.stdout, again.stdout
        assert holder.wait(timeout=30) == 0, "resumed, it finished and let go"
    finally:
        holder.kill()
        subprocess.run([*cli, "stop"], env=env, cwd=root, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def test_a_live_holder_of_the_start_lock_is_named_while_waiting_and_at_the_timeout() -> None:
    """A process that keeps the start lock (a hung start): the wait is explained once on stderr,
    the timeout (WORKSHOP_START_LOCK_TIMEOUT, short here) ends in an error naming the holder and
    the fix, and once the holder is ended as advised, the start succeeds."""
    root = make_project()
    env = dict(os.environ, WORKSHOP_ROOT=str(root), WORKSHOP_START_LOCK_TIMEOUT="3")
    env.pop(db.URL_ENV, None)
    cli = [sys.executable, "-m", "workshop.cli", "db"]
    holder = _hold_the_start_lock(root, 600)
    try:
        start = subprocess.run(
            [*cli, "start"], env=env, cwd=root, capture_output=True, text=True, timeout=30
        )
        assert start.returncode == 2, start.stderr
        named = f"process {holder.pid} ({sys.executable} -c ' import sys, time"
        notice = f"⏳ Waiting for {named}"
        assert start.stderr.count(notice) == 1, start.stderr
        assert "to finish starting or stopping the embedded PostgreSQL" in start.stderr
        assert f"workshop: Waited 3 s for {named}" in start.stderr, start.stderr
        assert "still holds .workshop/pgdata.lock (it is sleeping)" in start.stderr
        assert "If it is still working" in start.stderr and "wait" in start.stderr
        end = _the_fix(start.stderr, "kill")
        assert end == f"kill {holder.pid}"
        assert holder.poll() is None, "the kit ends nothing itself"

        subprocess.run(end, shell=True, check=True, timeout=10)
        holder.wait(timeout=30)
        again = subprocess.run(
            [*cli, "start"], env=env, cwd=root, capture_output=True, text=True, timeout=60
        )
        assert again.returncode == 0, again.stderr
        assert "(running)" in again.stdout and "Waiting" not in again.stderr
    finally:
        holder.kill()
        subprocess.run([*cli, "stop"], env=env, cwd=root, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_a_bad_start_lock_timeout_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(db.LOCK_TIMEOUT_ENV, value)
    with pytest.raises(WorkshopError, match="must be a number of seconds"):
        db.lock_timeout()
