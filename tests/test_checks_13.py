"""Exercise 13.1 (link a new workflow with the helpers): the reference passes; wrong ones fail.

Also what the lesson shows: the helper version of the product migration registers the same rows
as lesson 12's raw SQL, runs twice without a change, and its downgrade empties every table.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic import command

from workshop import commands
from workshop.exercises._products import stamp
from workshop.exercises.lesson12 import USERNAME_REGISTRATION, product_rows

from .conftest import REPO
from .exercise_support import edited, verdict
from .products_support import NOTHING_REGISTERED, SEEDED_WORKFLOWS, counts, install_schema, state

REFERENCE = REPO / "solutions" / "migrations" / "13"
DATA0001 = "data0001_add_username_registration_product.py"
DATA0002 = "data0002_add_terminate_workflow.py"


def versions(project: Path) -> Path:
    return project / "migrations" / "versions"


@pytest.fixture
def lesson_13(project: Path) -> Path:
    """The lesson before its exercise: data0001 (the product, with helpers) applied."""
    install_schema(project)
    shutil.copy(REFERENCE / DATA0001, versions(project))
    commands.run(command.upgrade, "heads", quiet=True)
    return project


def install_data0002(project: Path, **replacements: str) -> None:
    text = edited(REFERENCE / DATA0002, **replacements)
    (versions(project) / DATA0002).write_text(text)


def test_the_helper_migration_matches_lesson_12_and_reruns(lesson_13: Path) -> None:
    assert product_rows() == USERNAME_REGISTRATION
    before = state()
    stamp("schema0001")
    commands.run(command.upgrade, "heads", quiet=True)
    assert state() == before, "a second run must change nothing (same rows, same ids)"
    commands.run(command.downgrade, "-1", quiet=True)
    assert counts() == NOTHING_REGISTERED


def test_13_1_solution_passes_and_leaves_the_database_at_data0002(lesson_13: Path) -> None:
    install_data0002(lesson_13)
    result = verdict("13.1")
    assert result.passed, result
    assert commands.current_revisions() == ("data0002",)
    assert counts()["workflows"] == 2 + len(SEEDED_WORKFLOWS)
    assert counts()["products_workflows"] == 2


def test_13_1_passes_twice(lesson_13: Path) -> None:
    install_data0002(lesson_13)
    assert verdict("13.1").passed
    assert verdict("13.1").passed


PAIR = '(conn, "Username registration", "terminate_username_registration")\n'
UNLINK = "    delete_product_workflow" + PAIR
LINK = "    create_product_workflow" + PAIR

WRONG = {
    "not-linked": ({LINK: ""}, "is not linked to the product", "create_product_workflow"),
    "wrong-target": ({'target="TERMINATE"': 'target="MODIFY"'}, "the target 'MODIFY'", "TERMINATE"),
    "no-downgrade": (
        {UNLINK + '    delete_workflow(conn, "terminate_username_registration")\n': "    pass\n"},
        "is still linked",
        "delete_product_workflow",
    ),
    "only-unlinked": (
        {'    delete_workflow(conn, "terminate_username_registration")\n': ""},
        "the workflow terminate_username_registration is still there",
        "delete_workflow",
    ),
    "downgrade-too-much": (
        {UNLINK: UNLINK + '    delete_workflow(conn, "create_username_registration")\n'},
        "after `downgrade data0001`, the product Username registration of data0001 is not",
        "only remove",
    ),
    "wrong-product-name": (
        {LINK: LINK.replace("Username registration", "Username Registration")},
        "WorkshopError: create_product_workflow: there is no product named",
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
    assert "product_helpers" not in raw
    text = (REFERENCE / DATA0002).read_text()
    head, _, _ = text.partition("from workshop.product_helpers import")
    body = text[text.index("# revision identifiers") :]
    (versions(lesson_13) / DATA0002).write_text(head + body)
    result = verdict("13.1")
    assert not result.passed and "does not use the product helpers" in result.message


def test_13_1_without_the_revision_file(lesson_13: Path) -> None:
    result = verdict("13.1")
    assert not result.passed and "no revision data0002" in result.message
    assert "--rev-id data0002" in result.hint
