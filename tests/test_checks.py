"""Every exercise's check passes on the reference solution and fails, with a hint, on wrong ones."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from workshop import checks, commands, db

from .exercise_support import edited, follow, verdict

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


def _cli(project: Path, *args: str) -> None:
    """`!alembic ...` in a lesson cell: the real command line, in the project."""
    done = subprocess.run(["alembic", *args], cwd=project, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _stray_file(project: Path) -> Path:
    (stray,) = [
        file
        for file in versions(project).glob("*.py")
        if not file.name.startswith(("0001_", "0002_", "0003_"))
    ]
    return stray


def _no_new_head(limit: int) -> Callable[[str], None]:
    """A check before each step of a hint: no more heads than ``limit`` (what the participant
    started from, one if they did not split the history themselves)."""

    def check(step: str) -> None:
        heads = commands.head_revisions()
        assert len(heads) <= limit, f"heads {', '.join(heads)} before the hint's step: {step}"

    return check


def _01_1_follow_the_hint_out(project: Path, stray: Path) -> None:
    """The check names the stray file; its hint, followed word for word in a terminal, never
    makes two heads on the way, and ends in a passing check."""
    result = verdict("01.1")
    assert not result.passed
    assert f"migrations/versions/{stray.name}" in result.message + result.hint, result
    assert f"Delete migrations/versions/{stray.name}" in result.hint, result
    assert "on top of the current head" not in result.hint, "the head is the stray, not 0002"
    limit = max(1, len(commands.head_revisions()))
    assert follow(project, result.hint, before_each=_no_new_head(limit)) >= 2
    assert not stray.exists()
    assert commands.head_revisions() == ("0003",)
    fixed = verdict("01.1")
    assert fixed.passed, fixed


@pytest.mark.parametrize("upgraded", [False, True], ids=["not-upgraded", "upgraded"])
def test_01_1_forgot_rev_id(project: Path, upgraded: bool) -> None:
    """Issue 14, item 4: `alembic revision -m "add account owner"` without --rev-id."""
    _chain(project)
    _cli(project, "revision", "-m", "add account owner")
    if upgraded:
        _cli(project, "upgrade", "head")
    _01_1_follow_the_hint_out(project, _stray_file(project))


def test_01_1_forgot_rev_id_then_followed_the_old_advice(project: Path) -> None:
    """The issue's three rounds: 0003 made with --rev-id on top of the stray (upgraded), then
    its down_revision set to 0002 by hand, which makes two heads."""
    _chain(project)
    _cli(project, "revision", "-m", "add account owner")
    _cli(project, "upgrade", "head")
    stray = _stray_file(project)
    _cli(project, "revision", "-m", "add account owner", "--rev-id", "0003")
    _cli(project, "upgrade", "head")
    assert "should build on '0002'" not in verdict("01.1").message, "the stray comes first"
    third = next(versions(project).glob("0003_*.py"))
    third.write_text(third.read_text().replace(f"'{stray.name.split('_')[0]}'", "'0002'"))
    assert len(commands.head_revisions()) == 2
    _01_1_follow_the_hint_out(project, stray)


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


# --- 02.1 after a wrong attempt: the check tests the file as it is now (issue 14, item 1) ----


def _by_hand(*moves: str) -> None:
    """What a participant may run in a cell; a wrong file may fail there too."""
    for move in moves:
        verb, target = move.split()
        try:
            commands.run(getattr(commands.command, verb), target, quiet=True)
        except Exception:  # noqa: BLE001, S110 - their mistake, shown in their cell
            pass


@pytest.mark.parametrize(
    "moves",
    [(), ("upgrade head",), ("upgrade head", "downgrade 0001")],
    ids=["check-only", "upgraded-by-hand", "up-and-down-by-hand"],
)
@pytest.mark.parametrize(
    "old,new",
    [
        ("sa.String(30), nullable=False", "sa.String(50), nullable=False"),
        ('op.drop_table("category")', "pass"),
        ('op.drop_table("category")', 'op.drop_table("category")\n    op.drop_table("account")'),
    ],
    ids=["string-50", "downgrade-pass", "downgrade-too-much"],
)
def test_02_1_a_wrong_attempt_then_the_reference_passes(
    project: Path, old: str, new: str, moves: tuple[str, ...]
) -> None:
    """The issue's participant: a wrong file, checked (and perhaps run by hand), then the file
    made identical to the reference. The check used to re-read the old table ("category.name is
    VARCHAR(50)"), or fail with "relation category already exists" after a `pass` downgrade."""
    shutil.copy(next(REFERENCE.glob("0001_*.py")), versions(project))
    commands.upgrade("head")
    with db.engine().begin() as conn:
        conn.execute(sa.text("INSERT INTO account (name) VALUES ('Ada')"))
    _install(project, **{old: new})
    _by_hand(*moves)
    assert not verdict("02.1").passed
    _install(project)
    result = verdict("02.1")
    assert result.passed, result
    assert commands.current_revisions() == ("0002",)
    assert columns("category")["name"]["type"].length == 30
    assert verdict("02.1").passed, "and again"


def columns(table: str) -> dict[str, dict]:
    return {column["name"]: column for column in sa.inspect(db.engine()).get_columns(table)}
