"""Shared pieces of the products-track tests: the starting state, the answers, row counts.

Not a conftest: the tests import what they use, so each file says where its setup comes from.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from workshop import commands, db, lessons
from workshop.orchestrator import domain_models, schema
from workshop.orchestrator import versions as orchestrator_versions

from .conftest import REPO

SEED_REVISION = (
    'PYTHONPATH=. python main.py db revision --message "My descriptive revision description" '
    "--head=data@head"
)
SEED_GENERATOR = (
    'PYTHONPATH=. python main.py db migrate-domain-models "Add User and UserGroup products"'
)
SEED_UPGRADE = "PYTHONPATH=. python main.py db upgrade heads"

#: The kit's schema revision: the head of the ``schema`` branch, which data revisions depend on.
#: orchestrator-core 5.5.0's schema head id (workshop/orchestrator/migrations/versions/schema/).
SCHEMA_REVISION = "544fd845554d"

WORKSHOP_ANSWERS: dict = json.loads((REPO / "products" / "workshop_answers.json").read_text())

#: The workshop's answers in the order the generator asks for them, as a participant types them:
#: "y" to orchestrator-core's "Confirm the above actions [y/n]:", then each product's description
#: and tag, the fixed inputs, the blocks, the resource types.
TYPED_ANSWERS = [
    "y",
    "user group administration", "GROUP",
    "user administration - internal", "USER_INT",
    "user administration - external", "USER_EXT",
    "internal", "external",
    "user group block", "UGB",
    "user block", "UB",
    "name of the user group", "id of the user group", "name of the user", "age of the user",
    "id of the user",
]  # fmt: skip

#: The questions, as orchestrator-core 5.5.0 words them, in the kit's order (the order is checked
#: against the real generator in tests/test_orchestrator_real.py).
PROMPTS = [
    "Confirm the above actions [y/n]: ",
    "Supply the product description: ",
    "Supply the product tag: ",
    "Supply the product description: ",
    "Supply the product tag: ",
    "Supply the product description: ",
    "Supply the product tag: ",
    "Supply fixed input value for product User internal and fixed input affiliation: ",
    "Supply fixed input value for product User external and fixed input affiliation: ",
    "Supply the product block description: ",
    "Supply the product block tag: ",
    "Supply the product block description: ",
    "Supply the product block tag: ",
    "Supply description for new resource type group_name: ",
    "Supply description for new resource type group_id: ",
    "Supply description for new resource type username: ",
    "Supply description for new resource type age: ",
    "Supply description for new resource type user_id: ",
]


#: The workflows the schema migration seeds, as orchestrator-core 5.5.0's migrations do.
SEEDED_WORKFLOWS = {
    ("modify_note", "MODIFY", False),
    ("task_clean_up_tasks", "SYSTEM", True),
    ("task_resume_workflows", "SYSTEM", True),
    ("task_validate_products", "SYSTEM", True),
    ("task_validate_subscriptions", "SYSTEM", True),
    ("task_validate_product_type", "SYSTEM", True),
    ("task_validate_awaiting_callbacks", "SYSTEM", True),
}

#: The rows per product table right after the schema migration: only the seeded workflows.
NOTHING_REGISTERED = {
    "products": 0,
    "product_blocks": 0,
    "resource_types": 0,
    "fixed_inputs": 0,
    "product_product_blocks": 0,
    "product_block_resource_types": 0,
    "product_block_relations": 0,
    "workflows": len(SEEDED_WORKFLOWS),
    "products_workflows": 0,
}


def install_schema(root: Path) -> None:
    """The products track's starting point: the kit's schema revision applied, as a lesson's
    first cell (or ``main.py db upgrade heads``) applies it; ``root``'s versions/ stays empty."""
    assert (root / "migrations" / "versions").is_dir()
    with orchestrator_versions.in_use():
        commands.run(command.upgrade, "heads", quiet=True)


def install_lesson_start(root: Path, lesson_id: str) -> None:
    """A products lesson's starting point, as its first cell makes it: the schema applied, and
    its starting files (lessons 12 and 13: the data head data0000) in versions/, applied."""
    install_schema(root)
    for entry in lessons.lesson(lesson_id).start_files:
        source = root / "solutions" / "migrations" / entry
        shutil.copy2(source, root / "migrations" / "versions" / source.name)
    commands.run(command.upgrade, "heads", quiet=True)


def with_workshop_products(root: Path) -> None:
    """Schema applied, then the workshop's products generated (revision data0001) and applied."""
    install_schema(root)
    domain_models.migrate_domain_models(
        "Add User and UserGroup products",
        inputs=WORKSHOP_ANSWERS,
        rev_id="data0001",
        confirmed=True,
    )
    commands.run(command.upgrade, "heads", quiet=True)


def counts() -> dict[str, int]:
    """Rows per product table."""
    with db.engine().connect() as conn:
        return {
            table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in schema.TABLES
        }


def rows(sql: str) -> set[tuple]:
    """The rows of a query, as a set of tuples."""
    with db.engine().connect() as conn:
        return {tuple(row) for row in conn.execute(sa.text(sql))}


def state() -> dict[str, list[tuple]]:
    """Every product row (ids included, created_at left out): to compare before and after."""
    with db.engine().connect() as conn:
        return domain_models.snapshot(conn)


def answering(answers: Iterable[str]) -> Callable[[str], str]:
    """An ``ask`` for the generator that types ``answers`` one by one, and records the prompts."""
    pending = list(answers)

    def ask(prompt: str) -> str:
        ask.prompts.append(prompt)  # type: ignore[attr-defined]
        if not pending:
            raise EOFError
        return pending.pop(0)

    ask.prompts = []  # type: ignore[attr-defined]
    return ask


def version_files(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "migrations" / "versions").glob("*.py"))


def assert_workshop_products() -> None:
    """The database holds exactly the workshop's products, blocks, resource types and links."""
    assert counts() == {
        "products": 3,
        "product_blocks": 2,
        "resource_types": 5,
        "fixed_inputs": 2,
        "product_product_blocks": 3,
        "product_block_resource_types": 5,
        "product_block_relations": 1,
        "workflows": len(SEEDED_WORKFLOWS),
        "products_workflows": 0,
    }
    assert rows("SELECT name, target, is_task FROM workflows") == SEEDED_WORKFLOWS
    assert rows("SELECT name, description, product_type, tag, status FROM products") == {
        ("User Group", "user group administration", "UserGroup", "GROUP", "active"),
        ("User internal", "user administration - internal", "User", "USER_INT", "active"),
        ("User external", "user administration - external", "User", "USER_EXT", "active"),
    }
    assert rows(
        "SELECT p.name, f.name, f.value FROM fixed_inputs f JOIN products p USING (product_id)"
    ) == {
        ("User internal", "affiliation", "internal"),
        ("User external", "affiliation", "external"),
    }
    assert rows("SELECT name, description, tag, status FROM product_blocks") == {
        ("UserGroupBlock", "user group block", "UGB", "active"),
        ("UserBlock", "user block", "UB", "active"),
    }
    assert rows("SELECT resource_type, description FROM resource_types") == {
        ("group_name", "name of the user group"),
        ("group_id", "id of the user group"),
        ("username", "name of the user"),
        ("age", "age of the user"),
        ("user_id", "id of the user"),
    }
    assert rows(
        "SELECT p.name, b.name FROM product_product_blocks "
        "JOIN products p USING (product_id) JOIN product_blocks b USING (product_block_id)"
    ) == {
        ("User Group", "UserGroupBlock"),
        ("User internal", "UserBlock"),
        ("User external", "UserBlock"),
    }
    assert rows(
        "SELECT b.name, r.resource_type FROM product_block_resource_types "
        "JOIN product_blocks b USING (product_block_id) "
        "JOIN resource_types r USING (resource_type_id)"
    ) == {
        ("UserGroupBlock", "group_name"),
        ("UserGroupBlock", "group_id"),
        ("UserBlock", "username"),
        ("UserBlock", "age"),
        ("UserBlock", "user_id"),
    }
    assert rows(
        "SELECT u.name, d.name, r.min, r.max FROM product_block_relations r "
        "JOIN product_blocks u ON u.product_block_id = r.in_use_by_id "
        "JOIN product_blocks d ON d.product_block_id = r.depends_on_id"
    ) == {("UserBlock", "UserGroupBlock", None, None)}  # NULL, as orchestrator-core writes it
