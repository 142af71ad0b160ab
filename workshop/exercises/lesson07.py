"""Lesson 07: the offline SQL of revision 0003, both ways, in two files; the database untouched."""

from __future__ import annotations

import re

import sqlalchemy as sa

from workshop import checks, commands, db, paths
from workshop.checks import NotYet, exercise

UPGRADE = "sql/0003_upgrade.sql"
DOWNGRADE = "sql/0003_downgrade.sql"


def _script(name: str, command: str) -> str:
    """The file's SQL with its whitespace squeezed, or NotYet when it is missing or empty."""
    file = paths.root() / name
    hint = f"Write it with: !{command} > {name}"
    if not file.is_file():
        raise NotYet(f"there is no file {name}.", hint)
    raw = checks.read_text(file)
    text = " ".join(raw.split())
    if not text:
        raise NotYet(
            f"{name} is empty: the command wrote nothing to standard output.",
            "Look at the cell's output for an error, and check the range. " + hint,
        )
    failed = [line.strip() for line in raw.splitlines() if "FAILED" in line or "Error" in line]
    if failed:
        raise NotYet(
            f"{name} holds an error instead of SQL: {failed[-1]}",
            "Without --sql, Alembic wants to run the migration, and a range is not allowed. "
            + hint,
        )
    return text


def _version_change(old: str, new: str) -> str:
    return (
        f"UPDATE alembic_version SET version_num='{new}' "
        f"WHERE alembic_version.version_num = '{old}'"
    )


def _check_upgrade() -> None:
    command = "alembic upgrade 0002:0003 --sql"
    text = _script(UPGRADE, command)
    if re.search(r"CREATE TABLE (alembic_version|users)\b", text):
        raise NotYet(
            f"{UPGRADE} holds the whole history (it creates the tables from scratch); the "
            "database is at 0002 already.",
            f"Give the range from where the database is to where it should go: !{command}",
        )
    if "CREATE UNIQUE INDEX ix_users_phone_number ON users (phone_number)" not in text:
        if "DROP INDEX" in text:
            raise NotYet(f"{UPGRADE} holds the downgrade.", f"Use alembic upgrade: !{command}")
        raise NotYet(
            f"{UPGRADE} does not create the unique index ix_users_phone_number.",
            f"It must hold exactly the step from 0002 to 0003: !{command} > {UPGRADE}",
        )
    if _version_change("0002", "0003") not in text:
        raise NotYet(
            f"{UPGRADE} does not move alembic_version from 0002 to 0003.",
            f"Let Alembic write the whole script: !{command} > {UPGRADE}",
        )


def _check_downgrade() -> None:
    command = "alembic downgrade 0003:0002 --sql"
    text = _script(DOWNGRADE, command)
    if "DROP INDEX ix_users_phone_number" not in text:
        raise NotYet(
            f"{DOWNGRADE} does not drop the index ix_users_phone_number.",
            f"A downgrade range goes from the newer revision to the older: !{command}",
        )
    if "CREATE " in text or _version_change("0003", "0002") not in text:
        raise NotYet(
            f"{DOWNGRADE} does not hold exactly the step from 0003 back to 0002.",
            f"!{command} > {DOWNGRADE}",
        )


def _check_database_untouched() -> None:
    at = commands.current_revisions()
    indexes = {index["name"] for index in sa.inspect(db.engine()).get_indexes("users")}
    if at != ("0002",) or "ix_users_phone_number" in indexes:
        where = ", ".join(at) or "no revision"
        raise NotYet(
            f"the database is at {where}, not 0002: the migration ran instead of being written "
            "out. Only the DBA should run it.",
            "Put it back with !alembic downgrade 0002 (or upgrade 0002), then write the files "
            "again, with --sql.",
        )


@exercise("07.1")
def scripts_for_the_dba() -> str:
    _check_upgrade()
    _check_downgrade()
    _check_database_untouched()
    return (
        f"{UPGRADE} and {DOWNGRADE} hold exactly the step 0002 -> 0003 and back, and the "
        "database is still at 0002."
    )
