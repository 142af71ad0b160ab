"""Exercise 12.1 (display_name in raw SQL, 2.x style): the reference passes; wrong answers fail.

Also what the lesson shows: the raw-SQL product migration upgrades, reruns and downgrades
cleanly, and its first, SQLAlchemy 1.x-style try fails with the kit's explanation.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic import command

from workshop import commands
from workshop.exercises._products import blocks_holding, count, stamp
from workshop.exercises.lesson12 import USERNAME_REGISTRATION, product_rows
from workshop.orchestrator import cli as orchestrator_cli

from .conftest import REPO
from .exercise_support import edited, verdict
from .products_support import (
    NOTHING_REGISTERED,
    SEEDED_WORKFLOWS,
    counts,
    install_lesson_start,
)

REFERENCE = REPO / "solutions" / "migrations" / "12"
DATA0001 = "data0001_add_username_registration_product.py"
DATA0002 = "data0002_add_display_name_resource_type.py"
PRODUCT_TABLES = (
    "products",
    "product_blocks",
    "resource_types",
    "workflows",
    "product_product_blocks",
    "product_block_resource_types",
    "products_workflows",
)
#: One row each, beside the workflows the schema seeds; two links to workflows (its own, and
#: modify_note, which orchestrator-core expects of every product).
ONE_EACH = [1, 1, 1, 1 + len(SEEDED_WORKFLOWS), 1, 1, 2]


def versions(project: Path) -> Path:
    return project / "migrations" / "versions"


@pytest.fixture
def lesson_12(project: Path) -> Path:
    """The lesson before its exercise: data0001 (the whole product in raw SQL) applied, on top
    of the data head data0000 the lesson starts with."""
    install_lesson_start(project, "12")
    shutil.copy(REFERENCE / DATA0001, versions(project))
    commands.run(command.upgrade, "heads", quiet=True)
    return project


def install_data0002(project: Path, **replacements: str) -> None:
    text = edited(REFERENCE / DATA0002, **replacements)
    (versions(project) / DATA0002).write_text(text)


def test_the_product_migration_registers_reruns_and_goes_away(lesson_12: Path) -> None:
    assert product_rows() == USERNAME_REGISTRATION
    assert [count(table) for table in PRODUCT_TABLES] == ONE_EACH
    stamp("data0000")
    commands.run(command.upgrade, "heads", quiet=True)  # upgrade() again, on its own rows
    assert [count(table) for table in PRODUCT_TABLES] == ONE_EACH
    assert orchestrator_cli.main(["db", "downgrade"]) == 0
    assert counts() == NOTHING_REGISTERED


def test_the_first_try_in_1x_style_fails_with_the_explanation(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install_lesson_start(project, "12")
    reference = (REFERENCE / DATA0001).read_text()
    first_try = reference.replace(
        '{"name": BLOCK, "description": "Username block", "tag": "UNR", "status": "active"},',
        'name=BLOCK, description="Username block", tag="UNR", status="active",',
    )
    assert first_try != reference
    (versions(project) / DATA0001).write_text(first_try)
    assert orchestrator_cli.main(["db", "upgrade", "heads"]) == 1
    output = capsys.readouterr()
    assert "SQLAlchemy 1.x" in output.out and "Pass a dict" in output.out
    assert "unexpected keyword argument 'name'" in output.err
    assert commands.current_revisions() == ("data0000",)
    assert counts() == NOTHING_REGISTERED


def test_12_1_solution_passes_and_leaves_the_database_at_data0002(lesson_12: Path) -> None:
    install_data0002(lesson_12)
    result = verdict("12.1")
    assert result.passed, result
    assert commands.current_revisions() == ("data0002",)
    assert count("resource_types") == 2


def test_12_1_passes_when_not_yet_upgraded_and_on_a_second_check(lesson_12: Path) -> None:
    install_data0002(lesson_12)
    assert verdict("12.1").passed
    assert verdict("12.1").passed


WRONG = {
    "1.x-keywords": (
        {
            '{"resource_type": "display_name", "description": "Name shown to other users"},': (
                'resource_type="display_name", description="Name shown to other users",'
            )
        },
        "unexpected keyword argument 'resource_type'",
        "one dict",
    ),
    "not-idempotent": (
        {
            "VALUES (:resource_type, :description)\n            ON CONFLICT DO NOTHING": (
                "VALUES (:resource_type, :description)"
            )
        },
        "fails when its rows are already there",
        "ON CONFLICT DO NOTHING",
    ),
    "no-link": (
        {
            '{"block": "Username", "resource_type": "display_name"}': '{"block": "Nobody", '
            '"resource_type": "display_name"}'
        },
        "display_name is held by no block",
        "INSERT INTO product_block_resource_types",
    ),  # fmt: skip
    "wrong-description": (
        {"Name shown to other users": "display name"},
        "has the description 'display name'",
        "Correct the value",
    ),
    "no-downgrade": (
        {
            '    conn.execute(\n        sa.text("DELETE FROM resource_types WHERE resource_type '
            '= :resource_type"),\n        {"resource_type": "display_name"},\n    )\n': "",
        },
        "display_name is still there",
        "DELETE FROM resource_types",
    ),
    "downgrade-too-much": (
        {
            '        {"resource_type": "display_name"},\n    )\n': (
                '        {"resource_type": "display_name"},\n    )\n'
                '    conn.execute(sa.text("DELETE FROM products"))\n'
            ),
        },
        "after `downgrade data0001`, the product Username registration of data0001 is not",
        "only remove",
    ),
    "not-implemented": (
        {"def upgrade() -> None:\n": "def upgrade() -> None:\n    raise NotImplementedError()\n"},
        "still raises NotImplementedError",
        "Replace `raise NotImplementedError()`",
    ),
}


@pytest.mark.parametrize("case", WRONG, ids=list(WRONG))
def test_12_1_wrong_answers_fail_with_a_hint(lesson_12: Path, case: str) -> None:
    replacements, says, hint = WRONG[case]
    install_data0002(lesson_12, **replacements)
    result = verdict("12.1")
    assert not result.passed
    assert says in result.message, result
    assert hint in result.hint, result


def test_12_1_without_the_revision_file(lesson_12: Path) -> None:
    result = verdict("12.1")
    assert not result.passed and "no revision data0002" in result.message
    assert "WORKSHOP_REV_ID=data0002 PYTHONPATH=. python main.py db revision" in result.hint


@pytest.mark.parametrize("by_hand", [False, True], ids=["check-only", "upgraded-by-hand"])
@pytest.mark.parametrize("case", ["no-link", "no-downgrade", "downgrade-too-much"])
def test_12_1_a_wrong_attempt_then_the_reference_passes(
    lesson_12: Path, case: str, by_hand: bool
) -> None:
    """Issue 14, item 1: "display_name is held by no block" repeated for every later attempt,
    and after a downgrade that deleted too much the hints did not lead back."""
    install_data0002(lesson_12, **WRONG[case][0])
    if by_hand:
        commands.run(command.upgrade, "heads", quiet=True)
        commands.run(command.downgrade, "data0001", quiet=True)
    assert not verdict("12.1").passed
    install_data0002(lesson_12)
    result = verdict("12.1")
    assert result.passed, result
    assert commands.current_revisions() == ("data0002",)
    assert product_rows() == USERNAME_REGISTRATION
    assert blocks_holding("display_name") == ["Username"]
