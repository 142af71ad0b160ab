"""Exercises 14.1 (a new field) and 14.2 (a product variant), with the generator.

The reference solutions are the exercise cells of solutions/14-migrate-domain-models.ipynb that
write files under products/; the tests write them (or a wrong variant) into a scratch project,
run the generator in process, as the lesson's `!PYTHONPATH=. python main.py db ...` cells do, and
ask the checks.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from alembic import command

from workshop import build, commands
from workshop.orchestrator import domain_models

from .conftest import REPO
from .exercise_support import follow, verdict
from .products_support import counts, with_workshop_products

NOTEBOOK = REPO / "solutions" / "14-migrate-domain-models.ipynb"
EMAIL = {"email": {"description": "email address of the user"}}
PARTNER = {
    "User partner": {
        "description": "user administration - partner",
        "product_type": "User",
        "tag": "USER_PAR",
        "affiliation": "partner",
    }
}


def model_cells(*, participant: bool = False) -> dict[str, str]:
    """products/ path -> file content, from the exercise cells (solved, or the stubs)."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    files = {}
    for cell in nb.cells:
        if "exercise" not in cell.metadata.get("tags", []):
            continue
        source = build.strip_source(cell.source) if participant else cell.source
        first, _, body = source.partition("\n")
        match = build.WRITEFILE.match(first)
        if match and match.group(1).startswith("products/"):
            files[match.group(1)] = body if body.endswith("\n") else body + "\n"
    assert set(files) == {
        "products/product_blocks/user.py",
        "products/product_types/user.py",
        "products/__init__.py",
    }
    return files


def write_model(project: Path, path: str, *, participant: bool = False, **replace: str) -> None:
    text = model_cells(participant=participant)[path]
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    (project / path).write_text(text)


def generate(message: str, inputs: dict, rev_id: str) -> None:
    domain_models.migrate_domain_models(message, inputs=inputs, rev_id=rev_id, confirmed=True)


def upgrade() -> None:
    commands.run(command.upgrade, "heads", quiet=True)


@pytest.fixture
def lesson_14(project: Path) -> Path:
    """The lesson before its exercises: the workshop's products generated (data0001), applied."""
    with_workshop_products(project)
    return project


def do_14_1(project: Path) -> None:
    write_model(project, "products/product_blocks/user.py")
    generate("Add email to UserBlock", EMAIL, "data0002")
    upgrade()


def do_14_2(project: Path) -> None:
    write_model(project, "products/product_types/user.py")
    write_model(project, "products/__init__.py")
    generate("Add User partner product", PARTNER, "data0003")
    upgrade()


# --- 14.1 ----------------------------------------------------------------------------------


def test_14_1_solution_passes(lesson_14: Path) -> None:
    do_14_1(lesson_14)
    result = verdict("14.1")
    assert result.passed, result
    assert commands.current_revisions() == ("data0002",)
    assert counts()["resource_types"] == 6


def test_14_1_the_stub_is_not_replaced(lesson_14: Path) -> None:
    write_model(lesson_14, "products/product_blocks/user.py", participant=True)
    result = verdict("14.1")
    assert not result.passed
    assert "products/ cannot be imported: NotImplementedError" in result.message
    assert "raise NotImplementedError()" in result.hint


def test_14_1_nothing_done(lesson_14: Path) -> None:
    result = verdict("14.1")
    assert not result.passed and "UserBlock has no field email" in result.message
    assert "email: str | None = None" in result.hint


def test_14_1_the_field_in_the_wrong_block(lesson_14: Path) -> None:
    group = lesson_14 / "products" / "product_blocks" / "user_group.py"
    group.write_text(group.read_text() + "    email: str | None = None\n")
    generate("Add email to UserBlock", EMAIL, "data0002")
    upgrade()
    result = verdict("14.1")
    assert not result.passed and "UserBlock has no field email" in result.message


def test_14_1_model_changed_but_no_migration(lesson_14: Path) -> None:
    write_model(lesson_14, "products/product_blocks/user.py")
    result = verdict("14.1")
    assert not result.passed and "no revision data0002" in result.message
    assert (
        "!echo y | WORKSHOP_REV_ID=data0002 PYTHONPATH=. python main.py db migrate-domain-models"
        in (result.hint)
    )


def test_14_1_generated_but_not_upgraded(lesson_14: Path) -> None:
    write_model(lesson_14, "products/product_blocks/user.py")
    generate("Add email to UserBlock", EMAIL, "data0002")
    result = verdict("14.1")
    assert not result.passed and "revision data0002 is not applied yet" in result.message
    assert "upgrade heads" in result.hint


def test_14_1_a_wrong_description(lesson_14: Path) -> None:
    write_model(lesson_14, "products/product_blocks/user.py")
    generate("Add email to UserBlock", {"email": {"description": "e-mail"}}, "data0002")
    upgrade()
    result = verdict("14.1")
    assert not result.passed and "has the description 'e-mail'" in result.message
    assert "downgrade data0001" in result.hint


def test_14_1_more_than_the_email_field(lesson_14: Path) -> None:
    write_model(
        lesson_14,
        "products/product_blocks/user.py",
        **{"    email: str | None = None\n": "    email: str | None = None\n    phone: str\n"},
    )
    generate("Add email to UserBlock", {**EMAIL, "phone": {"description": "phone"}}, "data0002")
    upgrade()
    result = verdict("14.1")
    assert not result.passed and "exactly the resource types" in result.message


# --- 14.2 ----------------------------------------------------------------------------------


def test_14_2_solution_passes_after_14_1(lesson_14: Path) -> None:
    do_14_1(lesson_14)
    do_14_2(lesson_14)
    result = verdict("14.2")
    assert result.passed, result
    assert verdict("14.1").passed, "14.1 still passes, and leaves data0003 applied"
    assert commands.current_revisions() == ("data0003",)
    assert counts()["products"] == 4 and counts()["fixed_inputs"] == 3


def test_14_2_solution_passes_without_14_1(lesson_14: Path) -> None:
    do_14_2(lesson_14)
    result = verdict("14.2")
    assert result.passed, result
    assert commands.current_revisions() == ("data0003",)


def test_14_2_nothing_done(lesson_14: Path) -> None:
    result = verdict("14.2")
    assert not result.passed and 'has no product "User partner"' in result.message
    assert '"User partner": User,' in result.hint


def test_14_2_the_registry_stub_is_not_replaced(lesson_14: Path) -> None:
    write_model(lesson_14, "products/__init__.py", participant=True)
    result = verdict("14.2")
    assert not result.passed and "products/ cannot be imported: SyntaxError" in result.message


def test_14_2_no_new_enum_value(lesson_14: Path) -> None:
    write_model(lesson_14, "products/__init__.py")
    result = verdict("14.2")
    assert not result.passed and "does not allow the value partner" in result.message
    assert 'partner = "partner"' in result.hint


def test_14_2_models_changed_but_no_migration(lesson_14: Path) -> None:
    write_model(lesson_14, "products/product_types/user.py")
    write_model(lesson_14, "products/__init__.py")
    result = verdict("14.2")
    assert not result.passed and "no revision data0003" in result.message
    assert "!echo y | WORKSHOP_REV_ID=data0003 PYTHONPATH=" in result.hint


def test_14_2_not_upgraded(lesson_14: Path) -> None:
    write_model(lesson_14, "products/product_types/user.py")
    write_model(lesson_14, "products/__init__.py")
    generate("Add User partner product", PARTNER, "data0003")
    result = verdict("14.2")
    assert not result.passed and "revision data0003 is not applied yet" in result.message


def test_14_2_a_wrong_tag(lesson_14: Path) -> None:
    write_model(lesson_14, "products/product_types/user.py")
    write_model(lesson_14, "products/__init__.py")
    wrong = {"User partner": {**PARTNER["User partner"], "tag": "USER_PARTNER"}}
    generate("Add User partner product", wrong, "data0003")
    upgrade()
    result = verdict("14.2")
    assert not result.passed and "USER_PARTNER" in result.message
    assert "downgrade data0001" in result.hint


def test_14_2_registered_as_the_wrong_type(lesson_14: Path) -> None:
    write_model(
        lesson_14,
        "products/__init__.py",
        **{'"User partner": User,': '"User partner": UserGroup,'},
    )
    result = verdict("14.2")
    assert not result.passed and "registered as UserGroup" in result.message


def test_14_1_a_downgrade_left_as_pass_by_hand_then_the_generator(lesson_14: Path) -> None:
    """A downgrade() edited to `pass` and run by hand leaves the resource type behind; the
    generator, which compares the models with the database, then finds nothing to migrate. The
    check says what is in the way and the command that removes it; then all is well."""
    do_14_1(lesson_14)
    (generated,) = (lesson_14 / "migrations" / "versions").glob("data0002_*.py")
    text = generated.read_text()
    body = text[text.index("def downgrade() -> None:\n") :]
    generated.write_text(text.replace(body, "def downgrade() -> None:\n    pass\n"))
    result = verdict("14.1")
    assert not result.passed and "email is still there" in result.message, result
    # What the participant does: down, the file gone, the generator again: nothing to migrate.
    commands.run(command.downgrade, "data0001", quiet=True)
    generated.unlink()
    generate("Add email to UserBlock", EMAIL, "data0002")
    assert not generated.exists()
    result = verdict("14.1")
    assert not result.passed and "finds nothing to migrate" in result.message, result
    assert follow(lesson_14, result.hint) == 1
    generate("Add email to UserBlock", EMAIL, "data0002")
    upgrade()
    assert verdict("14.1").passed
