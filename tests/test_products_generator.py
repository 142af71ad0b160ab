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
from workshop import commands, db
from workshop.orchestrator import domain_models
from workshop.orchestrator import product_helpers as h
from workshop.orchestrator.domain import ProductBlockModel, SubscriptionModel

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
        confirmed=True,
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
    again = domain_models.migrate_domain_models(
        "nothing", registry=reg, inputs=inputs, confirmed=True
    )
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
    assert "SELECT 'affiliation' AS name, 'external' AS value" in text
    assert "WHERE products.name = 'User partner'" in text
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
        "Supply the product block description: ",
        "Supply the product block tag: ",
        "Supply description for new resource type street: ",
    ]
    assert rows(
        "SELECT name, description, tag FROM product_blocks WHERE name = 'AddressBlock'"
    ) == {("AddressBlock", "address block", "ADDR")}
    assert rows(
        "SELECT u.name, d.name, r.min, r.max FROM product_block_relations r "
        "JOIN product_blocks u ON u.product_block_id = r.in_use_by_id "
        "JOIN product_blocks d ON d.product_block_id = r.depends_on_id"
    ) == {("UserBlock", "UserGroupBlock", None, None), ("UserBlock", "AddressBlock", None, None)}
    assert counts()["product_block_resource_types"] == 6
    round_trip(reg, before)


def test_a_new_resource_type(workshop: Path) -> None:
    before = state()
    reg = registry(UserWithEmail)
    ask = answering(["email address of the user"])
    text = generate(reg, ask=ask).read_text()
    assert ask.prompts == ["Supply description for new resource type email: "]
    assert (
        "INSERT INTO resource_types (resource_type, description) VALUES ('email', 'email address "
        "of the user') ON CONFLICT DO NOTHING" in text
    )
    assert (
        "WHERE product_blocks.name = 'UserBlock' AND resource_types.resource_type = 'email'" in text
    )
    assert "DELETE FROM subscription_instance_values" in text.split("def downgrade")[1]
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
    assert "DELETE FROM product_block_resource_types" in upgrade
    assert "DELETE FROM resource_types WHERE resource_types.resource_type = 'age'" in upgrade
    [(restored,)] = age_id
    assert str(restored) in downgrade
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
    assert ask.prompts == ["Do you wish to rename resource type username to login? [y/N]: "]
    assert "UPDATE resource_types SET resource_type='login'" in text
    assert "INSERT INTO resource_types" not in text and "DELETE FROM resource_types" not in text
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
    assert ask.prompts[1] == "Supply description for new resource type login: "
    assert "DELETE FROM resource_types WHERE resource_types.resource_type = 'username'" in text
    assert "VALUES ('login', 'login name of the user')" in text
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
        "Do you wish to rename fixed input affiliation to kind for product User internal? [y/N]: ",
        "Do you wish to rename fixed input affiliation to kind for product User external? [y/N]: ",
    ]
    assert "UPDATE fixed_inputs SET name='kind'" in text
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
    assert "UPDATE fixed_inputs SET value='internal'" in upgrade
    assert "UPDATE fixed_inputs SET value='external'" in downgrade
    assert rows("SELECT value FROM fixed_inputs") == {("internal",)}
    round_trip(dict(WORKSHOP), before, inputs)


def test_a_fixed_input_value_the_model_no_longer_allows(workshop: Path) -> None:
    """The Enum lost 'external': the generator asks for a value it allows."""
    before = state()
    reg = registry(UserWithMembership)
    ask = answering(["external", "partner"])
    generate(reg, ask=ask)
    assert (
        ask.prompts
        == [
            "Supply a new value for product User external and fixed input affiliation "
            "(now 'external'): "
        ]
        * 2
    )
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
    assert "DELETE FROM products WHERE products.name = 'User external'" in upgrade
    # Its subscriptions first, as orchestrator-core's generated migrations do.
    assert upgrade.index("DELETE FROM subscriptions") < upgrade.index("DELETE FROM products WHERE")
    assert "DELETE FROM products_workflows" in upgrade
    assert "INSERT INTO products (product_id," in downgrade
    assert "INSERT INTO fixed_inputs (fixed_input_id," in downgrade
    assert counts()["products"] == 2 and counts()["products_workflows"] == 0
    round_trip(reg, before)


def test_a_removed_relation(workshop: Path) -> None:
    """Users without a group: the relation goes, UserGroupBlock stays (User Group uses it)."""
    before = state()
    reg = registry(UserAlone)
    text = generate(reg).read_text()
    upgrade, downgrade = text.split("def downgrade")
    assert "DELETE FROM product_block_relations" in upgrade
    assert "INSERT INTO product_block_relations" in downgrade
    assert "DELETE FROM product_blocks" not in text
    assert counts()["product_block_relations"] == 0
    round_trip(reg, before)


def test_min_and_max_of_a_relation_are_not_compared(workshop: Path) -> None:
    """As in orchestrator-core 5.5.0: the generator leaves min and max NULL and never compares
    them, so a relation that became optional in the model is no difference."""
    reg = registry(UserMaybeGrouped)
    outcome = domain_models.migrate_domain_models("nothing", registry=reg, confirmed=True)
    assert outcome.path is None and not outcome.changes


def test_removed_products_with_their_block_and_resource_types(workshop: Path) -> None:
    before = state()
    reg = {"User Group": UserGroup}
    text = generate(reg).read_text()
    upgrade = text.split("def downgrade")[0]
    for line in (
        "DELETE FROM products WHERE products.name = 'User internal'",
        "DELETE FROM products WHERE products.name = 'User external'",
        "DELETE FROM product_blocks WHERE product_blocks.name = 'UserBlock'",
        "DELETE FROM resource_types WHERE resource_types.resource_type = 'username'",
        "DELETE FROM product_block_relations",
        "DELETE FROM subscription_instances",
        "DELETE FROM subscription_instance_values",
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
    outcome = domain_models.migrate_domain_models(
        "nothing", inputs=WORKSHOP_ANSWERS, confirmed=True
    )
    assert outcome.path is None
    assert version_files(workshop) == files


def test_typed_answers_and_inputs_make_the_same_migration(project: Path) -> None:
    install_schema(project)
    typed = domain_models.migrate_domain_models(
        "x",
        registry=WORKSHOP,
        test=True,
        ask=answering(TYPED_ANSWERS[1:]),  # --test: no "y"
    )
    given = domain_models.migrate_domain_models(
        "x", registry=WORKSHOP, test=True, inputs=WORKSHOP_ANSWERS
    )
    assert typed.path is given.path is None
    assert typed.changes == given.changes and len(typed.changes) == 31
    assert typed.upgrade_sql == given.upgrade_sql and typed.downgrade_sql == given.downgrade_sql
    assert counts() == NOTHING_REGISTERED, "test mode rolls everything back"
