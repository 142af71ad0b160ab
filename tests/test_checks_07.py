"""Exercise 07.1: the check passes on the two reference scripts and fails, with a hint, on
realistic wrong ones (the whole history, the wrong direction, a migration run for real...)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from workshop import commands

from .conftest import REPO
from .exercise_support import verdict

MIGRATIONS = REPO / "solutions" / "migrations"
UPGRADE = "alembic upgrade 0002:0003 --sql"
DOWNGRADE = "alembic downgrade 0003:0002 --sql"


def install(project: Path) -> None:
    """Revisions 0001-0003 of the lesson, the database at 0002, an empty sql/ folder."""
    versions = project / "migrations" / "versions"
    for file in [*(MIGRATIONS / "03").glob("000[12]_*.py"), *(MIGRATIONS / "07").glob("*.py")]:
        (versions / file.name).write_text(file.read_text())
    commands.run(commands.command.upgrade, "0002", quiet=True)
    (project / "sql").mkdir()


def write(project: Path, name: str, command: str | None) -> None:
    """What `!<command> > sql/<name>` leaves in the file (an empty file for None)."""
    output = ""
    if command is not None:
        output = subprocess.run(
            command.split(), cwd=project, capture_output=True, text=True, check=False
        ).stdout
    (project / "sql" / name).write_text(output)


def test_the_reference_scripts_pass(project: Path) -> None:
    install(project)
    write(project, "0003_upgrade.sql", UPGRADE)
    write(project, "0003_downgrade.sql", DOWNGRADE)
    result = verdict("07.1")
    assert result.passed, result
    assert commands.current_revisions() == ("0002",)


@pytest.mark.parametrize(
    "upgrade,downgrade,says",
    [
        ("alembic upgrade head --sql", DOWNGRADE, "holds the whole history"),
        (DOWNGRADE, UPGRADE, "holds the downgrade"),
        (UPGRADE, "alembic downgrade 0002:0001 --sql", "does not drop the index"),
        (UPGRADE, UPGRADE, "does not drop the index"),
        (None, DOWNGRADE, "is empty"),
        ("alembic upgrade 0002:0003", DOWNGRADE, "holds an error instead of SQL: FAILED"),
    ],
    ids=["whole-history", "swapped", "wrong-range", "upgrade-twice", "empty", "no-sql-flag"],
)
def test_wrong_scripts_fail_with_a_hint(
    project: Path, upgrade: str | None, downgrade: str, says: str
) -> None:
    install(project)
    write(project, "0003_upgrade.sql", upgrade)
    write(project, "0003_downgrade.sql", downgrade)
    result = verdict("07.1")
    assert not result.passed
    assert says in result.message, result
    assert result.hint


def test_a_missing_file(project: Path) -> None:
    install(project)
    write(project, "0003_upgrade.sql", UPGRADE)
    result = verdict("07.1")
    assert not result.passed and "no file sql/0003_downgrade.sql" in result.message
    assert "0003:0002 --sql" in result.hint


def test_running_the_migration_instead_of_writing_it(project: Path) -> None:
    install(project)
    write(project, "0003_upgrade.sql", UPGRADE)
    write(project, "0003_downgrade.sql", DOWNGRADE)
    commands.run(commands.command.upgrade, "0003", quiet=True)
    result = verdict("07.1")
    assert not result.passed and "the database is at 0003" in result.message
    assert "downgrade 0002" in result.hint
