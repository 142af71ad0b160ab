"""The generator on one change at a time, from the workshop's products, on PostgreSQL.

Each test starts where the workshop stands after ``migrate-domain-models`` and ``upgrade heads``
(revision ``data0001``), changes the models in one way, generates the migration, upgrades, checks
the rows, downgrades, and checks that every product table is exactly as before (ids included).
The changed models are variants of the workshop's, defined below; ``product_block_name`` keeps a
variant's block the same block in the database.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import pytest
from alembic import command

from products import SUBSCRIPTION_MODEL_REGISTRY as WORKSHOP
from products.product_blocks.user import UserBlock
from products.product_blocks.user_group import UserGroupBlock
from products.product_types.user import Affiliation, User
from products.product_types.user_group import UserGroup
from workshop import commands, db, domain_models
from workshop import product_helpers as h
from workshop.domain import ProductBlockModel, SubscriptionModel

from .products_support import (
    NOTHING_REGISTERED,
    TYPED_ANSWERS,
    WORKSHOP_ANSWERS,
    answering,
    counts,
    install_schema,
    rows,
    state,
    version_files,
    with_workshop_products,
)

# --- the variants --------------------------------------------------------------------------


class AddressBlock(ProductBlockModel, product_block_name="AddressBlock"):
    street: str


class UserBlockWithAddress(ProductBlockModel, product_block_name="UserBlock"):
    username: str
    age: int | None = None
    user_id: int
    group: UserGroupBlock
    address: AddressBlock | None = None


class UserWithAddress(SubscriptionModel):
    affiliation: Affiliation
    user: UserBlockWithAddress


class UserBlockWithEmail(ProductBlockModel, product_block_name="UserBlock"):
    username: str
    age: int | None = None
    user_id: int
    email: str | None = None
    group: UserGroupBlock


class UserWithEmail(SubscriptionModel):
    affiliation: Affiliation
    user: UserBlockWithEmail


class UserBlockWithoutAge(ProductBlockModel, product_block_name="UserBlock"):
    username: str
    user_id: int
    group: UserGroupBlock


class UserWithoutAge(SubscriptionModel):
    affiliation: Affiliation
    user: UserBlockWithoutAge


class UserBlockWithLogin(ProductBlockModel, product_block_name="UserBlock"):
    login: str
    age: int | None = None
    user_id: int
    group: UserGroupBlock


class UserWithLogin(SubscriptionModel):
    affiliation: Affiliation
    user: UserBlockWithLogin


class UserWithKind(SubscriptionModel):
    kind: Affiliation
    user: UserBlock


class Membership(StrEnum):
    internal = "internal"
    partner = "partner"


class UserWithMembership(SubscriptionModel):
    affiliation: Membership
    user: UserBlock


class UserBlockAlone(ProductBlockModel, product_block_name="UserBlock"):
    username: str
    age: int | None = None
    user_id: int


class UserAlone(SubscriptionModel):
    affiliation: Affiliation
    user: UserBlockAlone


class UserBlockMaybeGrouped(ProductBlockModel, product_block_name="UserBlock"):
    username: str
    age: int | None = None
    user_id: int
    group: UserGroupBlock | None = None


class UserMaybeGrouped(SubscriptionModel):
    affiliation: Affiliation
    user: UserBlockMaybeGrouped


def registry(user: type[SubscriptionModel], **extra: type[SubscriptionModel]) -> dict:
    """The workshop's registry with another User product type, plus ``extra`` products."""
    return {"User Group": UserGroup, "User internal": user, "User external": user, **extra}


@pytest.fixture
def workshop(project: Path) -> Path:
    with_workshop_products(project)
    return project


def generate(reg: dict, inputs: dict | None = None, ask=None) -> Path:  # noqa: ANN001
    """Generate the migration for ``reg`` and upgrade to it; return its file."""
    outcome = domain_models.migrate_domain_models(
        "one change",
        registry=reg,
        inputs=inputs,
        rev_id="data0002",
        **({"ask": ask} if ask else {}),
    )
    assert outcome.path is not None and outcome.path.name.startswith("data0002_")
    text = outcome.path.read_text()
    assert "down_revision: str | Sequence[str] | None = 'data0001'" in text
    commands.run(command.upgrade, "heads", quiet=True)
    assert commands.current_revisions() == ("data0002",)
    return outcome.path


def round_trip(reg: dict, before: dict, inputs: dict | None = None) -> None:
    """No differences left after the upgrade; the downgrade restores ``before`` exactly."""
    again = domain_models.migrate_domain_models("nothing", registry=reg, inputs=inputs)
    assert again.path is None and not again.changes
    commands.run(command.downgrade, "-1", quiet=True)
    assert commands.current_revisions() == ("data0001",)
    assert state() == before
    # And up again, cleanly.
    commands.run(command.upgrade, "heads", quiet=True)
    commands.run(command.downgrade, "-1", quiet=True)
    assert state() == before


def test_a_new_product(workshop: Path) -> None:
    before = state()
    reg = {**WORKSHOP, "User partner": User}
    answers = {
        "User partner": {
            "description": "user administration - partner",
            "product_type": "User",
            "tag": "USER_PAR",
            "affiliation": "external",
        }
    }
    text = generate(reg, answers).read_text()
    assert 'create_fixed_input(conn, "User partner", "affiliation", "external")' in text
    assert rows(
        "SELECT p.tag, f.value FROM products p JOIN fixed_inputs f USING (product_id) "
        "WHERE p.name = 'User partner'"
    ) == {("USER_PAR", "external")}
    assert rows(
        "SELECT b.name FROM product_product_blocks JOIN products p USING (product_id) "
        "JOIN product_blocks b USING (product_block_id) WHERE p.name = 'User partner'"
    ) == {("UserBlock",)}
    assert counts()["products"] == 4
    round_trip(reg, before)


def test_a_new_block(workshop: Path) -> None:
    before = state()
    reg = registry(UserWithAddress)
    ask = answering(["address block", "ADDR", "street of the address"])
    generate(reg, ask=ask)
    assert ask.prompts == [
        "[AddressBlock] Product block description: ",
        "[AddressBlock] Product block tag: ",
        "[street] Resource type description: ",
    ]
    assert rows(
        "SELECT name, description, tag FROM product_blocks WHERE name = 'AddressBlock'"
    ) == {("AddressBlock", "address block", "ADDR")}
    assert rows(
        "SELECT u.name, d.name, r.min, r.max FROM product_block_relations r "
        "JOIN product_blocks u ON u.product_block_id = r.in_use_by_id "
        "JOIN product_blocks d ON d.product_block_id = r.depends_on_id"
    ) == {("UserBlock", "UserGroupBlock", 1, 1), ("UserBlock", "AddressBlock", 0, 1)}
    assert counts()["product_block_resource_types"] == 6
    round_trip(reg, before)


def test_a_new_resource_type(workshop: Path) -> None:
    before = state()
    reg = registry(UserWithEmail)
    ask = answering(["email address of the user"])
    text = generate(reg, ask=ask).read_text()
    assert ask.prompts == ["[email] Resource type description: "]
    assert 'create_resource_type(conn, "email", "email address of the user")' in text
    assert 'create_product_block_resource_type(conn, "UserBlock", "email")' in text
    assert ("UserBlock", "email") in rows(
        "SELECT b.name, r.resource_type FROM product_block_resource_types "
        "JOIN product_blocks b USING (product_block_id) "
        "JOIN resource_types r USING (resource_type_id)"
    )
    round_trip(reg, before)


def test_a_removed_resource_type(workshop: Path) -> None:
    before = state()
    age_id = rows("SELECT resource_type_id FROM resource_types WHERE resource_type = 'age'")
    reg = registry(UserWithoutAge)
    text = generate(reg).read_text()
    upgrade, downgrade = text.split("def downgrade")
    assert 'delete_product_block_resource_type(conn, "UserBlock", "age")' in upgrade
    assert 'delete_resource_type(conn, "age")' in upgrade
    [(restored,)] = age_id
    assert f'resource_type_id="{restored}"' in downgrade
    assert counts()["resource_types"] == 4
    round_trip(reg, before)


def test_a_renamed_resource_type_answered_as_a_rename(workshop: Path) -> None:
    before = state()
    [(username_id,)] = rows(
        "SELECT resource_type_id FROM resource_types WHERE resource_type = 'username'"
    )
    reg = registry(UserWithLogin)
    ask = answering(["y"])
    text = generate(reg, ask=ask).read_text()
    assert ask.prompts == ["[UserBlock] Is resource type 'login' a rename of 'username'? [y/N] "]
    assert 'rename_resource_type(conn, "username", "login")' in text
    assert "create_resource_type" not in text and "delete_resource_type" not in text
    # Same row, new name: its id and its link to UserBlock stay.
    assert rows(
        "SELECT resource_type_id, description FROM resource_types WHERE resource_type = 'login'"
    ) == {(username_id, "name of the user")}
    round_trip(reg, before)


def test_a_rename_answered_no_drops_and_adds(workshop: Path) -> None:
    before = state()
    reg = registry(UserWithLogin)
    ask = answering(["n", "login name of the user"])
    text = generate(reg, ask=ask).read_text()
    assert ask.prompts[1] == "[login] Resource type description: "
    assert 'delete_resource_type(conn, "username")' in text
    assert 'create_resource_type(conn, "login", "login name of the user")' in text
    round_trip(reg, before)


def test_a_rename_given_in_inputs(workshop: Path) -> None:
    before = state()
    reg = registry(UserWithLogin)
    generate(reg, {"updates": {"resource_types": {"username": "login"}}})
    assert ("login", "name of the user") in rows(
        "SELECT resource_type, description FROM resource_types"
    )
    round_trip(reg, before)


def test_a_renamed_fixed_input_answered_as_a_rename(workshop: Path) -> None:
    before = state()
    reg = registry(UserWithKind)
    ask = answering(["y", "y"])
    text = generate(reg, ask=ask).read_text()
    assert ask.prompts == [
        "[User internal] Is fixed input 'kind' a rename of 'affiliation'? [y/N] ",
        "[User external] Is fixed input 'kind' a rename of 'affiliation'? [y/N] ",
    ]
    assert 'rename_fixed_input(conn, "User internal", "affiliation", "kind")' in text
    assert rows("SELECT name, value FROM fixed_inputs") == {
        ("kind", "internal"),
        ("kind", "external"),
    }
    round_trip(reg, before)


def test_a_changed_fixed_input_value_from_inputs(workshop: Path) -> None:
    before = state()
    inputs = {**WORKSHOP_ANSWERS, "User external": {"affiliation": "internal"}}
    text = generate(dict(WORKSHOP), inputs).read_text()
    upgrade, downgrade = text.split("def downgrade")
    assert 'update_fixed_input(conn, "User external", "affiliation", "internal")' in upgrade
    assert 'update_fixed_input(conn, "User external", "affiliation", "external")' in downgrade
    assert rows("SELECT value FROM fixed_inputs") == {("internal",)}
    round_trip(dict(WORKSHOP), before, inputs)


def test_a_fixed_input_value_the_model_no_longer_allows(workshop: Path) -> None:
    """The Enum lost 'external': the generator asks for a value it allows."""
    before = state()
    reg = registry(UserWithMembership)
    ask = answering(["external", "partner"])
    generate(reg, ask=ask)
    assert ask.prompts == ["[User external / affiliation] Fixed input value: "] * 2
    assert rows("SELECT value FROM fixed_inputs") == {("internal",), ("partner",)}
    round_trip(reg, before)


def test_a_removed_product(workshop: Path) -> None:
    """Its rows come back with their ids, including a workflow link made by hand."""
    with db.engine().begin() as conn:
        h.create_workflow(conn, "create_user", target="CREATE", description="create a user")
        h.create_product_workflow(conn, "User external", "create_user")
    before = state()
    reg = {name: model for name, model in WORKSHOP.items() if name != "User external"}
    text = generate(reg).read_text()
    upgrade, downgrade = text.split("def downgrade")
    assert 'delete_product(conn, "User external")' in upgrade
    assert 'delete_product_workflow(conn, "User external", "create_user")' in upgrade
    assert "product_id=" in downgrade and "fixed_input_id=" in downgrade
    assert counts()["products"] == 2 and counts()["products_workflows"] == 0
    round_trip(reg, before)


def test_a_removed_relation(workshop: Path) -> None:
    """Users without a group: the relation goes, UserGroupBlock stays (User Group uses it)."""
    before = state()
    reg = registry(UserAlone)
    text = generate(reg).read_text()
    assert 'delete_product_block_relation(conn, "UserBlock", "UserGroupBlock")' in text
    downgrade = text.split("def downgrade")[1]
    assert 'create_product_block_relation(conn, "UserBlock", "UserGroupBlock", min=1, max=1)' in (
        downgrade
    )
    assert "delete_product_block(" not in text
    assert counts()["product_block_relations"] == 0
    round_trip(reg, before)


def test_a_relation_that_became_optional(workshop: Path) -> None:
    before = state()
    reg = registry(UserMaybeGrouped)
    text = generate(reg).read_text()
    upgrade, downgrade = text.split("def downgrade")
    call = 'update_product_block_relation(conn, "UserBlock", "UserGroupBlock", min={}, max=1)'
    assert call.format(0) in upgrade and call.format(1) in downgrade
    assert rows("SELECT min, max FROM product_block_relations") == {(0, 1)}
    round_trip(reg, before)


def test_removed_products_with_their_block_and_resource_types(workshop: Path) -> None:
    before = state()
    reg = {"User Group": UserGroup}
    text = generate(reg).read_text()
    upgrade = text.split("def downgrade")[0]
    for line in (
        'delete_product(conn, "User internal")',
        'delete_product(conn, "User external")',
        'delete_product_block(conn, "UserBlock")',
        'delete_resource_type(conn, "username")',
        'delete_product_block_relation(conn, "UserBlock", "UserGroupBlock")',
    ):
        assert line in upgrade
    assert counts() | {"workflows": None} == {
        "products": 1,
        "product_blocks": 1,
        "resource_types": 2,
        "fixed_inputs": 0,
        "product_product_blocks": 1,
        "product_block_resource_types": 2,
        "product_block_relations": 0,
        "workflows": None,
        "products_workflows": 0,
    }
    round_trip(reg, before)


def test_nothing_changed_writes_nothing(workshop: Path) -> None:
    files = version_files(workshop)
    outcome = domain_models.migrate_domain_models("nothing", inputs=WORKSHOP_ANSWERS)
    assert outcome.path is None
    assert version_files(workshop) == files


def test_typed_answers_and_inputs_make_the_same_migration(project: Path) -> None:
    install_schema(project)
    typed = domain_models.migrate_domain_models(
        "x", registry=WORKSHOP, test=True, ask=answering(TYPED_ANSWERS)
    )
    given = domain_models.migrate_domain_models(
        "x", registry=WORKSHOP, test=True, inputs=WORKSHOP_ANSWERS
    )
    assert typed.path is given.path is None
    assert typed.changes == given.changes and len(typed.changes) == 21
    assert typed.upgrade_sql == given.upgrade_sql and typed.downgrade_sql == given.downgrade_sql
    assert counts() == NOTHING_REGISTERED, "test mode rolls everything back"
