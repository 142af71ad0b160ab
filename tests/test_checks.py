"""Every exercise's check passes on the reference solution and fails, with a hint, on wrong ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from workshop import checks, commands, db

from .exercise_support import edited, verdict

REFERENCE = Path(__file__).resolve().parent.parent / "solutions" / "migrations" / "02"


def versions(project: Path) -> Path:
    return project / "migrations" / "versions"


def test_every_lesson_exercise_has_a_check() -> None:
    assert {"00.1", "01.1", "02.1"} <= set(checks.CHECKS)


def test_an_unknown_exercise_is_a_verdict_not_a_crash() -> None:
    result = checks.run_check("99.9")
    assert not result.passed and "00.1" in result.hint


# --- 00.1 ----------------------------------------------------------------------------------


def test_00_1(project: Path) -> None:
    assert "no table called hello" in verdict("00.1").message
    with db.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE hello (message VARCHAR(50))"))
        conn.execute(sa.text("INSERT INTO hello VALUES ('hello migrations')"))  # no comma
    wrong = verdict("00.1")
    assert not wrong.passed and "INSERT INTO hello" in wrong.hint
    with db.engine().begin() as conn:
        conn.execute(sa.text("INSERT INTO hello VALUES ('hello, migrations')"))
    assert verdict("00.1").passed


# --- 01.1 ----------------------------------------------------------------------------------


def _chain(project: Path) -> None:
    commands.revision("create account table", rev_id="0001")
    commands.revision("add account description", rev_id="0002")
    commands.upgrade("head")


def test_01_1_solution_passes(project: Path) -> None:
    _chain(project)
    commands.revision("add account owner", rev_id="0003")
    commands.upgrade("head")
    assert verdict("01.1").passed


def test_01_1_not_upgraded(project: Path) -> None:
    _chain(project)
    commands.revision("add account owner", rev_id="0003")
    result = verdict("01.1")
    assert not result.passed and "database is at 0002" in result.message
    assert "upgrade head" in result.hint


def test_01_1_on_the_wrong_parent(project: Path) -> None:
    _chain(project)
    commands.revision("add account owner", rev_id="0003", head="0001", splice=True)
    result = verdict("01.1")
    assert not result.passed and "should build on '0002'" in result.message


def test_01_1_missing(project: Path) -> None:
    _chain(project)
    result = verdict("01.1")
    assert not result.passed and "no revision 0003" in result.message
    assert "--rev-id 0003" in result.hint


# --- 02.1 ----------------------------------------------------------------------------------


def _install(project: Path, **replacements: str) -> None:
    for file in REFERENCE.glob("*.py"):
        text = edited(file, **replacements) if file.name.startswith("0002") else file.read_text()
        (versions(project) / file.name).write_text(text)


def test_02_1_solution_passes_and_leaves_the_database_at_0002(project: Path) -> None:
    _install(project)
    result = verdict("02.1")
    assert result.passed, result
    assert commands.current_revisions() == ("0002",)


@pytest.mark.parametrize(
    "old,new,says",
    [
        (
            "sa.String(30), nullable=False",
            "sa.Integer, nullable=False",
            "category.name is INTEGER; expected String(30)",
        ),
        ("sa.String(30), nullable=False", "sa.String(30)", "category.name accepts NULL"),
        ('sa.ForeignKey("account.id")', "", "does not reference account.id"),
        ('op.drop_table("category")', "pass", "category table is still there"),
        (
            'op.drop_table("category")',
            'op.drop_table("category")\n    op.drop_table("account")',
            "account table is gone",
        ),
        (
            'op.create_table(\n        "category"',
            'op.create_table(\n        "categories"',
            "no table called category",
        ),
        (
            "def upgrade() -> None:\n",
            "def upgrade() -> None:\n    raise NotImplementedError()\n",
            "still raises NotImplementedError",
        ),
        ("import sqlalchemy as sa\n", "", "NameError: name 'sa' is not defined"),
    ],
    ids=[
        "wrong-type",
        "nullable",
        "no-fk",
        "no-downgrade",
        "downgrade-too-much",
        "wrong-name",
        "not-implemented",
        "missing-import",
    ],
)
def test_02_1_wrong_answers_fail_with_a_hint(project: Path, old: str, new: str, says: str) -> None:
    _install(project, **{old: new})
    result = verdict("02.1")
    assert not result.passed
    assert says in result.message, result
    assert result.hint


def test_02_1_without_the_revision_file(project: Path) -> None:
    shutil.copy(next(REFERENCE.glob("0001_*.py")), versions(project))
    result = verdict("02.1")
    assert not result.passed and "no revision 0002" in result.message


def test_every_exercise_has_solution_and_wrong_answer_tests() -> None:
    """Issue 3, acceptance 3: each check is exercised by a test module of its own lesson."""
    tests = Path(__file__).resolve().parent
    for exercise_id in checks.CHECKS:
        lesson_id = exercise_id.split(".")[0]
        module = tests / f"test_checks_{lesson_id}.py"
        text = module.read_text() if module.exists() else (tests / "test_checks.py").read_text()
        assert exercise_id in text or f"_{exercise_id.replace('.', '_')}" in text, exercise_id
