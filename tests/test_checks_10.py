"""Lesson 10: the check of exercise 10.1, and the migration tests in migration_tests/ themselves."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa

from workshop import build, db

from .conftest import REPO
from .exercise_support import edited, verdict

SOLUTIONS = REPO / "solutions"
THIRD = "0003_create_todos_and_categories.py"
SOLVED_DOWNGRADE = '    op.drop_table("todos")\n    op.drop_table("categories")\n'


def _install(project: Path, *, third: bool = True, **replacements: str) -> None:
    """Lesson 10's starting point (files only), and its reference 0003 with some changes."""
    versions = project / "migrations" / "versions"
    for name in ("0001_create_users_table.py", "0002_create_phone_number_for_user_column.py"):
        shutil.copy(SOLUTIONS / "migrations" / "03" / name, versions / name)
    shutil.copy(SOLUTIONS / "app" / "10" / "todo" / "models.py", project / "todo" / "models.py")
    if third:
        text = edited(SOLUTIONS / "migrations" / "10" / THIRD, **replacements)
        (versions / THIRD).write_text(text)


def test_the_reference_0003_has_the_solved_downgrade() -> None:
    assert SOLVED_DOWNGRADE in (SOLUTIONS / "migrations" / "10" / THIRD).read_text()


def test_10_1_solution_passes_without_touching_the_participants_database(project: Path) -> None:
    _install(project)
    result = verdict("10.1")
    assert result.passed, result
    assert "0001, 0002, 0003" in result.message
    assert sa.inspect(db.engine()).get_table_names() == [], "the check must use its own database"


@pytest.mark.parametrize(
    "new,says,hint",
    [
        (
            '    op.drop_table("todos")\n',
            'upgrade of 0003 after its downgrade failed: relation "categories" already exists',
            "left that table behind",
        ),
        ("    pass\n", "already exists", "drop both"),
        (
            '    op.drop_table("categories")\n    op.drop_table("todos")\n',
            "downgrade of 0003 failed: cannot drop table categories",
            "only go after them",
        ),
        (
            "    raise NotImplementedError()\n",
            "downgrade of 0003 still raises NotImplementedError",
            "Replace `raise NotImplementedError()`",
        ),
        (
            SOLVED_DOWNGRADE + '    op.drop_table("users")\n',
            'relation "users" does not exist',
            "fix the revision file",
        ),
    ],
    ids=["lesson-version", "pass", "wrong-order", "not-implemented", "drops-users-too"],
)
def test_10_1_wrong_downgrades_fail_with_a_hint(
    project: Path, new: str, says: str, hint: str
) -> None:
    _install(project, **{SOLVED_DOWNGRADE: new})
    result = verdict("10.1")
    assert not result.passed
    assert says in result.message, result
    assert hint in result.hint, result


def test_10_1_an_upgrade_that_drifts_from_the_models_fails(project: Path) -> None:
    _install(project, **{"sa.String(200)": "sa.String(100)"})
    result = verdict("10.1")
    assert not result.passed and "differs from todo/models.py" in result.message, result
    assert "todo/models.py" in result.hint


def test_10_1_without_the_revision_file(project: Path) -> None:
    _install(project, third=False)
    result = verdict("10.1")
    assert not result.passed and "no revision 0003" in result.message


# --- the participant's migration tests -----------------------------------------------------


def _written_by_the_lesson() -> dict[str, str]:
    nb = nbformat.read(SOLUTIONS / "10-testing-migrations.ipynb", as_version=4)
    files = {}
    for cell in nb.cells:
        first, _, body = cell.source.partition("\n")
        match = build.WRITEFILE.match(first)
        if cell.cell_type == "code" and match and match.group(1).startswith("migration_tests/"):
            files[match.group(1)] = body + "\n"
    return files


def test_the_lesson_writes_the_committed_migration_tests() -> None:
    written = _written_by_the_lesson()
    assert set(written) == {
        "migration_tests/test_stairway.py",
        "migration_tests/test_pytest_alembic.py",
    }
    for path, text in written.items():
        assert (REPO / path).read_text() == text, f"{path} differs from lesson 10's cell"


def _run_migration_tests(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "migration_tests"],
        cwd=project,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_migration_tests_pass_on_pytest_9_with_pytest_alembic(project: Path) -> None:
    """pytest-alembic's built-in tests run as plain functions: no --test-alembic collector."""
    assert int(pytest.__version__.split(".")[0]) >= 9
    _install(project)
    done = _run_migration_tests(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "7 passed", done.stdout
    assert " in " not in done.stdout and "platform" not in done.stdout, "no timings or versions"
    assert sa.inspect(db.engine()).get_table_names() == [], "tests must use their own databases"


def test_the_migration_tests_catch_a_downgrade_that_leaves_a_table(project: Path) -> None:
    _install(project, **{SOLVED_DOWNGRADE: '    op.drop_table("todos")\n'})
    done = _run_migration_tests(project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED test_stairway.py::test_stairway[0003]" in done.stdout
    assert 'upgrade again of 0003 failed: relation "categories" already exists' in done.stdout
    assert "FAILED test_pytest_alembic.py::test_up_down_consistency" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "2 failed, 5 passed", done.stdout


def test_the_migration_tests_catch_models_that_drift(project: Path) -> None:
    _install(project)
    models = project / "todo" / "models.py"
    models.write_text(models.read_text() + "    due_date: Mapped[str | None]\n")
    done = _run_migration_tests(project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED test_pytest_alembic.py::test_model_definitions_match_ddl" in done.stdout
    assert "op.add_column('todos'" in done.stdout, done.stdout
