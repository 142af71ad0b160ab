"""Exercise 13.1 (link a new workflow with the helpers): the reference passes; wrong ones fail.

The helpers are orchestrator-core 5.5.0's, imported as a real app imports them (``from
migrations.helpers import ...``). Also what the lesson shows: the helper version of the product
migration registers the same rows as lesson 12's raw SQL; unlike it, it cannot run twice (5.5.0's
``create`` inserts its link rows without ON CONFLICT), and the failed second run changes nothing;
its downgrade empties every table.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from workshop import commands
from workshop.exercises._products import stamp
from workshop.exercises.lesson12 import USERNAME_REGISTRATION, product_rows

from .conftest import REPO
from .exercise_support import edited, verdict
from .products_support import (
    NOTHING_REGISTERED,
    SEEDED_WORKFLOWS,
    counts,
    install_lesson_start,
    state,
)

REFERENCE = REPO / "solutions" / "migrations" / "13"
DATA0001 = "data0001_add_username_registration_product.py"
DATA0002 = "data0002_add_terminate_workflow.py"


def versions(project: Path) -> Path:
    return project / "migrations" / "versions"


@pytest.fixture
def lesson_13(project: Path) -> Path:
    """The lesson before its exercise: data0001 (the product, with helpers) applied, on top of
    the data head data0000 the lesson starts with."""
    install_lesson_start(project, "13")
    shutil.copy(REFERENCE / DATA0001, versions(project))
    commands.run(command.upgrade, "heads", quiet=True)
    return project


def install_data0002(project: Path, **replacements: str) -> None:
    text = edited(REFERENCE / DATA0002, **replacements)
    (versions(project) / DATA0002).write_text(text)


def test_the_helper_migration_matches_lesson_12_but_does_not_run_twice(lesson_13: Path) -> None:
    assert product_rows() == USERNAME_REGISTRATION
    before = state()
    stamp("data0000")
    with pytest.raises(sa.exc.IntegrityError, match="product_product_blocks_pkey"):
        commands.run(command.upgrade, "heads", quiet=True)  # upgrade() again, on its own rows
    assert state() == before, "the failed second run is rolled back: nothing changed"
    stamp("data0001")  # the lesson puts the bookmark back where the rows are
    commands.run(command.downgrade, "-1", quiet=True)
    assert counts() == NOTHING_REGISTERED


def test_13_1_solution_passes_and_leaves_the_database_at_data0002(lesson_13: Path) -> None:
    install_data0002(lesson_13)
    result = verdict("13.1")
    assert result.passed, result
    assert commands.current_revisions() == ("data0002",)
    assert counts()["workflows"] == 2 + len(SEEDED_WORKFLOWS)
    assert counts()["products_workflows"] == 3  # create_..., terminate_... and modify_note


def test_13_1_passes_twice(lesson_13: Path) -> None:
    install_data0002(lesson_13)
    assert verdict("13.1").passed
    assert verdict("13.1").passed


DELETE = '    delete_workflow(conn, "terminate_username_registration")\n'
UNLINK_ONLY = (
    '    conn.execute(sa.text("DELETE FROM products_workflows WHERE workflow_id = (SELECT '
    "workflow_id FROM workflows WHERE name = 'terminate_username_registration')\"))\n"
)

WRONG = {
    "not-linked": (
        {'"product_type": "UNPT"': '"product_type": "UNTP"'},
        "is not linked to the product",
        '"product_type"',
    ),
    "wrong-target": (
        {'"target": "TERMINATE"': '"target": "MODIFY"'},
        "the target 'MODIFY'",
        "TERMINATE",
    ),
    "no-downgrade": ({DELETE: "    pass\n"}, "is still linked", "delete_workflow"),
    "only-unlinked": (
        {DELETE: UNLINK_ONLY},
        "the workflow terminate_username_registration is still there",
        "delete_workflow",
    ),
    "downgrade-too-much": (
        {DELETE: DELETE + '    delete_workflow(conn, "create_username_registration")\n'},
        "after `downgrade data0001`, the product Username registration of data0001 is not",
        "only remove",
    ),
    "no-product-type": (
        {'            "product_type": "UNPT",\n': ""},
        "create_workflow: the dict has no 'product_type'",
        "fix the revision file",
    ),
    "not-implemented": (
        {"def upgrade() -> None:\n": "def upgrade() -> None:\n    raise NotImplementedError()\n"},
        "still raises NotImplementedError",
        "Replace `raise NotImplementedError()`",
    ),
}


@pytest.mark.parametrize("case", WRONG, ids=list(WRONG))
def test_13_1_wrong_answers_fail_with_a_hint(lesson_13: Path, case: str) -> None:
    replacements, says, hint = WRONG[case]
    install_data0002(lesson_13, **replacements)
    result = verdict("13.1")
    assert not result.passed
    assert says in result.message, result
    assert hint in result.hint, result


def test_13_1_in_raw_sql_is_not_the_exercise(lesson_13: Path) -> None:
    raw = (REPO / "solutions" / "migrations" / "12" / DATA0001).read_text()
    assert "migrations.helpers" not in raw
    text = (REFERENCE / DATA0002).read_text()
    head, _, _ = text.partition("from migrations.helpers import")
    body = text[text.index("# revision identifiers") :]
    (versions(lesson_13) / DATA0002).write_text(head + body)
    result = verdict("13.1")
    assert not result.passed and "does not use the helpers of migrations.helpers" in result.message


def test_13_1_without_the_revision_file(lesson_13: Path) -> None:
    result = verdict("13.1")
    assert not result.passed and "no revision data0002" in result.message
    assert "WORKSHOP_REV_ID=data0002 PYTHONPATH=. python main.py db revision" in result.hint
