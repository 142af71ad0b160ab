"""The products track's schema revision, kept in the kit as orchestrator-core keeps its own.

It has orchestrator-core 5.5.0's schema head id, ``544fd845554d``, and lives in the kit's package
(``workshop/orchestrator/migrations/versions/schema/``), a version location that ``main.py db``
adds as orchestrator-core's ``alembic_cfg()`` does. These tests walk what that promises: a fresh
project's ``main.py db upgrade heads`` creates the schema; the to-do lessons never see it; a lesson
of the products track starts with it; a project from before, with the old ``schema0001``, gets a
clear way out instead of Alembic's error.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from workshop import commands, db, lessons
from workshop.orchestrator import versions as orchestrator_versions

from .products_support import NOTHING_REGISTERED, SCHEMA_REVISION, counts, version_files

MAIN = "PYTHONPATH=. python main.py"

#: The shape of a participant's copy of the kit's old schema revision (its id, its label).
OLD_SCHEMA_FILE = '''"""product registry tables

Revision ID: schema0001
Revises:
Create Date: 2026-11-22 10:00:00.000000

"""
from collections.abc import Sequence

revision: str = 'schema0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('schema',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''


def shell(command: str, root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, shell=True, cwd=root, capture_output=True, text=True, timeout=180
    )


def test_the_schema_revision_has_orchestrator_cores_id_and_lives_in_the_kit() -> None:
    assert orchestrator_versions.revision_ids() == {SCHEMA_REVISION} == {"544fd845554d"}
    assert orchestrator_versions.LOCATION.parts[-5:] == (
        "workshop",
        "orchestrator",
        "migrations",
        "versions",
        "schema",
    )


def test_a_fresh_project_gets_the_schema_from_main_py_db_upgrade_heads(project: Path) -> None:
    """Issue 13's acceptance, first step: nothing copied, nothing reset; as in a real app."""
    assert version_files(project) == []
    done = shell(f"{MAIN} db upgrade heads", project)
    assert done.returncode == 0, done.stderr
    assert f"Running upgrade  -> {SCHEMA_REVISION}, product registry tables" in done.stdout
    assert counts() == NOTHING_REGISTERED
    heads = shell(f"{MAIN} db heads", project)
    assert f"{SCHEMA_REVISION} (schema) (head)" in heads.stdout
    # The kit's own API sees it too, from the database: the lesson cells use it.
    assert commands.current_revisions() == (SCHEMA_REVISION,)
    assert commands.head_revisions() == (SCHEMA_REVISION,)
    assert version_files(project) == [], "the participant's folder stays theirs"


def test_the_to_do_lessons_never_see_the_schema_branch(project: Path) -> None:
    """Lessons 01-10 use plain Alembic on migrations/versions/: one branch, `upgrade head`."""
    lessons.reset_to("02")
    assert not orchestrator_versions.wanted()
    assert SCHEMA_REVISION not in commands.head_revisions()
    done = shell("alembic heads", project)
    assert done.returncode == 0 and SCHEMA_REVISION not in done.stdout, done.stdout + done.stderr
    assert shell("alembic upgrade head", project).returncode == 0


def test_a_products_lesson_starts_with_it_and_a_to_do_lesson_after_it_without(
    project: Path,
) -> None:
    lessons.reset_to("11")
    assert commands.current_revisions() == (SCHEMA_REVISION,)
    assert version_files(project) == []
    assert counts() == NOTHING_REGISTERED
    lessons.reset_to("03")
    assert SCHEMA_REVISION not in commands.head_revisions()
    with db.engine().connect() as conn:
        assert not sa.inspect(conn).has_table("products")


def test_a_data_revision_that_depends_on_it_brings_it_in(project: Path) -> None:
    """Even on an empty database: the file names the schema head."""
    (project / "migrations" / "versions" / "data0001_x.py").write_text(
        OLD_SCHEMA_FILE.replace("schema0001", "data0001")
        .replace("('schema',)", "('data',)")
        .replace(
            "depends_on: str | Sequence[str] | None = None", f"depends_on = '{SCHEMA_REVISION}'"
        )
    )
    assert orchestrator_versions.wanted()
    assert commands.head_revisions() == (SCHEMA_REVISION, "data0001")


def test_no_server_is_started_to_find_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a configured database and with the embedded server down, the database is not
    asked (asking would start the server)."""
    monkeypatch.delenv(db.URL_ENV, raising=False)
    monkeypatch.setattr(db, "embedded_running", lambda data=None: False)

    def no_url() -> sa.URL:
        raise AssertionError("db.url() starts the embedded server")

    monkeypatch.setattr(db, "url", no_url)
    assert orchestrator_versions.applied_revisions() == set()


def test_the_old_schema_revision_gets_a_way_out_not_alembics_error(project: Path) -> None:
    """A project from before: its copy of schema0001 in versions/, the database at it."""
    (project / "migrations" / "versions" / "schema0001_product_registry.py").write_text(
        OLD_SCHEMA_FILE
    )
    assert shell("alembic upgrade heads", project).returncode == 0  # as it was
    done = shell(f"{MAIN} db heads", project)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    said = " ".join(done.stderr.split())
    assert "migrations/versions/schema0001_product_registry.py holds the kit's old schema" in said
    assert f"orchestrator-core 5.5.0's schema head id, {SCHEMA_REVISION}" in said
    assert "`workshop reset 11`" in said and "saved in .workshop/backups/" in said

    # The file gone, the database still at schema0001: said too.
    (project / "migrations" / "versions" / "schema0001_product_registry.py").unlink()
    done = shell(f"{MAIN} db upgrade heads", project)
    assert done.returncode == 1
    assert "the database (its alembic_version says schema0001)" in " ".join(done.stderr.split())

    # The way out works.
    lessons.reset_to("11")
    assert commands.current_revisions() == (SCHEMA_REVISION,)
    assert shell(f"{MAIN} db heads", project).returncode == 0


def test_grading_reads_the_schema_revision_with_the_files_that_name_it(project: Path) -> None:
    """Grading parses revision files as text (never imports them): a data head that depends on
    the schema head brings the kit's location in, as Alembic sees it in the lesson."""
    from workshop.grading.revisions import StaticScripts

    versions = project / "migrations" / "versions"
    assert StaticScripts(versions).get_heads() == []
    for file in (project / "solutions" / "migrations" / "data_head").glob("*.py"):
        (versions / file.name).write_text(file.read_text())
    scripts = StaticScripts(versions)
    assert sorted(scripts.get_heads()) == [SCHEMA_REVISION, "data0000"]
    assert scripts.get_revision("data0000").dependencies == SCHEMA_REVISION
