"""Fixtures for the migration tests (lesson 10): which Alembic set-up, and which database.

pytest-alembic asks a project for two fixtures, ``alembic_config`` and ``alembic_engine``, and
builds its ``alembic_runner`` from them. The tests run on a throwaway database, on the same
server as the workshop database (or in a new SQLite file), emptied before each test, so your own
database is never touched.
"""

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_alembic
import sqlalchemy as sa
from alembic.config import Config

from workshop import db
from workshop.lessons import empty_database

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def alembic_config() -> Config:
    """The project's alembic.ini: the one `alembic ...` in a terminal reads."""
    return Config(str(PROJECT / "alembic.ini"))


@pytest.fixture(scope="session")
def throwaway_database() -> Iterator[sa.Engine]:
    """A new database for this run of the tests, dropped at the end."""
    with db.scratch_database("migtest") as url:
        engine = db.engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def alembic_engine(throwaway_database: sa.Engine) -> sa.Engine:
    """An empty database for each test: the throwaway one, emptied first."""
    empty_database(throwaway_database)
    return throwaway_database


@pytest.fixture
def alembic_runner(
    alembic_config: Config, alembic_engine: sa.Engine
) -> Iterator[pytest_alembic.MigrationContext]:
    """pytest-alembic's runner, which its built-in tests take (what its plugin would provide).

    It hands the engine to migrations/env.py in ``config.attributes["connection"]``.
    """
    config = pytest_alembic.Config.from_raw_config(alembic_config)
    with pytest_alembic.runner(config=config, engine=alembic_engine) as runner:
        yield runner


# --- a short report: each failure's reason, without tracebacks or timings ------------------
# A traceback here would run through Alembic's and SQLAlchemy's own code, and the reason at its
# end is what tells you which migration to fix. pytest.ini turns pytest's own report off.

_PROBLEMS: list[str] = []


def _reason(error: BaseException) -> str:
    """The error's message, and the labelled context pytest-alembic adds (revision, error)."""
    lines = [str(error.args[0]) if error.args else type(error).__name__]
    for title, body in getattr(error, "context", None) or []:
        body = body.split("\n[SQL:")[0].strip()  # the whole failed statement: long, no news
        lines.append(f"{title}:")
        lines.extend(f"    {line}" for line in body.splitlines())
    return "\n".join(lines)


def _note(label: str, nodeid: str, text: str) -> None:
    _PROBLEMS.append("\n    ".join([f"{label} {nodeid}", *text.splitlines()]))


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> None:
    if call.excinfo is not None and not call.excinfo.errisinstance(pytest.skip.Exception):
        label = "FAILED" if call.when == "call" else "ERROR"
        _note(label, item.nodeid, _reason(call.excinfo.value))


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _note("ERROR collecting", report.nodeid, str(report.longrepr).strip().splitlines()[-1])


def pytest_warning_recorded(warning_message: warnings.WarningMessage, nodeid: str) -> None:
    _note("WARNING", nodeid, str(warning_message.message))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for problem in _PROBLEMS:
        terminalreporter.write_line(problem)
    stats = terminalreporter.stats
    kinds = [kind for kind in ("failed", "passed", "skipped", "error") if stats.get(kind)]
    counts = ", ".join(f"{len(stats[kind])} {kind}" for kind in kinds)
    terminalreporter.write_line(counts or "no tests ran")
