"""`workshop doctor` finds tables that are not what the revision files make (workshop.drift).

Each test makes the mistake for real on the embedded PostgreSQL (one on SQLite), reads
doctor's findings, and where doctor proposes a fix, applies it and checks that doctor is then
content and the next migration works.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from workshop import commands, db, doctor

from .test_doctor import install, levels

VERSIONS = Path("migrations") / "versions"
CATEGORY = "migrations/versions/0002_create_category_table.py"


def tables_finding(findings: list[doctor.Finding]) -> doctor.Finding:
    """The one finding about the tables (ok or not)."""
    (found,) = [f for f in findings if "the tables" in f.text]
    return found


def sql(statement: str) -> None:
    """What `%sql` would do in a notebook: one statement, committed."""
    with db.engine().begin() as conn:
        conn.execute(sa.text(statement))


def edit(project: Path, old: str, new: str) -> None:
    file = project / CATEGORY
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new))


@pytest.fixture
def scratch_names(monkeypatch: pytest.MonkeyPatch) -> list[sa.URL]:
    """The scratch databases drift makes, recorded so a test can check they are gone."""
    made: list[sa.URL] = []
    real = db.scratch_database

    @contextlib.contextmanager
    def recording(*args, **kwargs) -> Iterator[sa.URL]:
        with real(*args, **kwargs) as url:
            made.append(url)
            yield url

    monkeypatch.setattr(db, "scratch_database", recording)
    return made


def assert_dropped(made: list[sa.URL]) -> None:
    assert made, "no scratch database was made"
    names = [url.database for url in made]
    with db.engine().connect() as conn:
        left = conn.execute(
            sa.text("SELECT datname FROM pg_database WHERE datname = ANY(:names)"),
            {"names": names},
        ).all()
    assert left == []


def test_a_clean_state_has_no_drift(project: Path, scratch_names: list[sa.URL]) -> None:
    install(project)
    commands.upgrade("head")
    findings = doctor.diagnose()
    assert set(levels(findings)) == {"ok"}, "\n".join(map(str, findings))
    assert tables_finding(findings).text == "the tables match what the revision files make at 0002"
    assert len(scratch_names) == 1  # one scratch database when nothing differs
    assert_dropped(scratch_names)


def test_an_empty_database_at_base_is_not_compared(
    project: Path, scratch_names: list[sa.URL]
) -> None:
    install(project)
    findings = doctor.diagnose()
    assert not [f for f in findings if "the tables" in f.text]
    assert scratch_names == []


def test_an_edited_applied_revision_is_named(project: Path, scratch_names: list[sa.URL]) -> None:
    install(project)
    commands.upgrade("head")
    edit(
        project,
        "sa.String(30), nullable=False),",
        'sa.String(50), nullable=False),\n        sa.Column("color", sa.String(7)),',
    )
    findings = doctor.diagnose()
    found = tables_finding(findings)
    assert found.level == "fail"
    assert (
        "table category: column name is VARCHAR(30) in the database, VARCHAR(50) in what the "
        "files make" in found.text
    )
    assert (
        "table category: column color (VARCHAR(7)) is in what the files make, not in the "
        "database" in found.text
    )
    assert "account" not in found.text
    # Cause (a), with the file that mentions the table, and both fixes: category is empty, so a
    # downgrade to below it loses no row.
    assert f"The applied revision that mentions category: {CATEGORY}. If you edited it" in found.fix
    assert "write a new revision for the change" in found.fix
    assert "`alembic downgrade 0001`" in found.fix
    assert "tables match revision" not in found.fix
    assert_dropped(scratch_names)


def test_no_downgrade_is_advised_when_it_would_lose_rows(project: Path) -> None:
    install(project)
    commands.upgrade("head")
    sql("INSERT INTO account (id, name) VALUES (1, 'a')")
    sql("INSERT INTO category (name, account_id) VALUES ('x', 1), ('y', 1)")
    edit(project, "sa.String(30)", "sa.String(40)")
    found = tables_finding(doctor.diagnose())
    assert "column name is VARCHAR(30) in the database, VARCHAR(40)" in found.text
    assert "alembic downgrade" not in found.fix
    assert "Do not downgrade below 0002 to fix it" in found.fix
    assert "tables that hold rows (account: 1 row, category: 2 rows)" in found.fix


def test_a_stamp_ahead_of_the_tables_is_found_and_the_advice_works(project: Path) -> None:
    install(project)
    commands.upgrade("0001")
    commands.stamp("0002")  # as if 0002 had run: it has not
    findings = doctor.diagnose()
    found = tables_finding(findings)
    assert found.level == "fail"
    assert "table category is in what the files make, not in the database" in found.text
    assert "The tables match revision 0001, but alembic_version says 0002" in found.fix
    assert "`alembic stamp 0001` records where they really are" in found.fix

    commands.stamp("0001")  # the advice
    findings = doctor.diagnose()
    assert tables_finding(findings).level == "ok"
    assert findings[-1].level == "warn" and "alembic upgrade head" in findings[-1].fix
    commands.upgrade("head")  # which now works
    assert set(levels(doctor.diagnose())) == {"ok"}
    commands.downgrade("base")
    commands.upgrade("head")
    assert set(levels(doctor.diagnose())) == {"ok"}


def test_a_stamp_behind_the_tables_is_found_and_upgrade_is_not_advised(project: Path) -> None:
    install(project)
    commands.upgrade("head")
    commands.stamp("0001")  # the tables are at 0002
    findings = doctor.diagnose()
    found = tables_finding(findings)
    assert "table category is in the database, not in what the files make" in found.text
    assert "The tables match revision 0002" in found.fix and "`alembic stamp 0002`" in found.fix
    behind = findings[-1]
    assert behind.level == "warn" and "alembic upgrade" not in behind.fix  # it would fail

    commands.stamp("0002")
    assert set(levels(doctor.diagnose())) == {"ok"}
    commands.downgrade("base")
    commands.upgrade("head")
    assert set(levels(doctor.diagnose())) == {"ok"}


def test_a_table_made_by_hand_is_extra_and_dropped_only_when_empty(project: Path) -> None:
    install(project)
    commands.upgrade("head")
    sql("CREATE TABLE notes (id integer PRIMARY KEY, body text)")
    sql("INSERT INTO notes VALUES (1, 'keep me')")
    found = tables_finding(doctor.diagnose())
    assert found.level == "warn"
    assert "table notes is in the database, not in what the files make" in found.text
    assert "DROP" not in found.fix
    assert "No revision file mentions notes: made by hand" in found.fix
    assert "Keep notes (it holds 1 row)" in found.fix
    assert "tables match revision" not in found.fix

    sql("DELETE FROM notes")
    found = tables_finding(doctor.diagnose())
    assert "DROP TABLE notes loses nothing" in found.fix
    sql("DROP TABLE notes")  # the advice
    assert set(levels(doctor.diagnose())) == {"ok"}


def test_files_that_fail_from_scratch_are_reported_not_raised(
    project: Path, scratch_names: list[sa.URL]
) -> None:
    install(project)
    commands.upgrade("head")
    edit(project, "def upgrade() -> None:\n", "def upgrade() -> None:\n    1 / 0\n")
    found = tables_finding(doctor.diagnose())
    assert found.level == "warn"
    assert f"({CATEGORY}, line 21): ZeroDivisionError" in found.text
    assert commands.current_revisions() == ("0002",)  # the participant's database: untouched
    assert_dropped(scratch_names)


def test_on_sqlite(
    project: Path, monkeypatch: pytest.MonkeyPatch, scratch_names: list[sa.URL]
) -> None:
    monkeypatch.setenv(db.URL_ENV, f"sqlite:///{project / 'workshop.db'}")
    db.dispose_engines()
    install(project)
    commands.upgrade("head")
    assert tables_finding(doctor.diagnose()).level == "ok"
    commands.stamp("0001")
    found = tables_finding(doctor.diagnose())
    assert "table category is in the database" in found.text
    assert "`alembic stamp 0002`" in found.fix
    commands.stamp("0002")
    edit(project, "sa.String(30)", "sa.String(40)")
    found = tables_finding(doctor.diagnose())
    assert "column name is VARCHAR(30) in the database, VARCHAR(40)" in found.text
    assert scratch_names and all(url.get_backend_name() == "sqlite" for url in scratch_names)
    assert not [url for url in scratch_names if Path(url.database).exists()]
