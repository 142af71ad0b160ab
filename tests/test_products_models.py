"""The domain models and the registry, read the way the generator reads them (no database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pytest

import products
from products.product_blocks.user import UserBlock
from products.product_blocks.user_group import UserGroupBlock
from products.product_types.user import Affiliation, User
from products.product_types.user_group import UserGroup
from workshop.errors import WorkshopError
from workshop.orchestrator import domain, domain_models
from workshop.orchestrator.domain import ProductBlockModel, SubscriptionModel

from .conftest import REPO


def test_the_registry_maps_the_three_workshop_products() -> None:
    assert products.SUBSCRIPTION_MODEL_REGISTRY == {
        "User Group": UserGroup,
        "User internal": User,
        "User external": User,
    }


def test_the_models_are_keyword_dataclasses() -> None:
    group = UserGroupBlock(group_name="admins", group_id=1)
    user = UserBlock(username="ada", user_id=7, group=group)
    assert user.age is None and user.group.group_name == "admins"
    assert User(affiliation=Affiliation.internal, user=user).affiliation == "internal"
    assert UserBlock.product_block_name == "UserBlock"


def test_the_generator_reads_blocks_resource_types_relations_and_fixed_inputs() -> None:
    models = domain_models.read_models(products.SUBSCRIPTION_MODEL_REGISTRY)
    assert list(models.blocks) == ["UserGroupBlock", "UserBlock"]
    assert models.resource_types == ["group_name", "group_id", "username", "age", "user_id"]
    assert models.block_resource_types == [
        ("UserGroupBlock", "group_name"),
        ("UserGroupBlock", "group_id"),
        ("UserBlock", "username"),
        ("UserBlock", "age"),
        ("UserBlock", "user_id"),
    ]
    assert models.relations == {("UserBlock", "UserGroupBlock"): (1, 1)}
    assert models.product_blocks == [
        ("User Group", "UserGroupBlock"),
        ("User internal", "UserBlock"),
        ("User external", "UserBlock"),
    ]
    affiliation = models.fixed_inputs["User internal"]["affiliation"]
    assert affiliation.choices == ("internal", "external")
    assert models.fixed_inputs["User Group"] == {}


class Part(ProductBlockModel):
    size: int


class Machine(ProductBlockModel, product_block_name="MachineBlock"):
    parts: list[Part]
    spare: Part | None = None
    label: str


class Factory(SubscriptionModel):
    speed: Literal["slow", "fast"]
    shifts: int
    machine: Machine


def test_cardinality_and_choices_come_from_the_annotations() -> None:
    assert [(f.name, f.min, f.max) for f in domain.block_relations(Machine)] == [
        ("Part", 0, None),
        ("Part", 0, 1),
    ]
    assert domain.resource_types(Machine) == ["label"]
    speed, shifts = domain.fixed_inputs(Factory)
    assert speed.choices == ("slow", "fast") and speed.check("medium")
    assert shifts.check("three") == "must be a whole number" and shifts.check("3") is None
    assert [b.product_block_name for b in domain.all_blocks({"F": Factory})] == [
        "MachineBlock",
        "Part",
    ]


class Mixed(ProductBlockModel):
    thing: Part | str


class OtherUserBlock(ProductBlockModel, product_block_name="UserBlock"):
    username: str


class OtherUser(SubscriptionModel):
    user: OtherUserBlock


class Broken(ProductBlockModel):
    missing: NoSuchType  # noqa: F821 - the mistake under test


class UsesBroken(SubscriptionModel):
    block: Broken


@pytest.mark.parametrize(
    ("registry", "message"),
    [
        ({"X": type("Mixed", (SubscriptionModel,), {"__annotations__": {"m": Mixed}})}, "mixes"),
        ({"User internal": User, "Other": OtherUser}, "Two different classes"),
        ({"User internal": UserBlock}, "not a product type"),
        ({3: User}, "product names are strings"),
        ({"X": UsesBroken}, "cannot be read"),
    ],
)
def test_models_the_generator_cannot_read_are_explained(registry: dict, message: str) -> None:
    with pytest.raises(WorkshopError, match=message):
        domain_models.read_models(domain.check_registry(registry))


def test_inputs_come_inline_or_from_a_file(tmp_path: Path) -> None:
    committed = domain_models.load_inputs(str(REPO / "products" / "workshop_answers.json"))
    assert committed["User internal"]["affiliation"] == "internal"
    assert domain_models.load_inputs('{"age": {"description": "a"}}') == {
        "age": {"description": "a"}
    }
    (tmp_path / "bad.json").write_text('{"age": ')
    with pytest.raises(WorkshopError, match="not valid JSON"):
        domain_models.load_inputs(str(tmp_path / "bad.json"))
    with pytest.raises(WorkshopError, match="must be a JSON object"):
        domain_models.load_inputs(json.dumps(["not", "an", "object"]))


def test_sql_goes_into_the_file_as_text_that_sqlalchemy_reads_back_unchanged() -> None:
    """A colon before a word would be a bound parameter in ``sa.text``, and quotes or
    backslashes would end or change the Python string: each is escaped, and reads back as it
    was."""
    import sqlalchemy as sa

    sql = "INSERT INTO t VALUES ('a:b :c \\ \"\"\" x::int', 'it''s');"
    source = f'value = """\n{domain_models._sql_text(sql)}\n"""'
    namespace: dict = {}
    exec(compile(source, "generated", "exec"), namespace)  # noqa: S102 - our own literal
    clause = sa.text(namespace["value"])
    assert not clause._bindparams
    assert str(clause).strip() == sql.removesuffix(";")


def test_the_models_are_read_afresh_from_the_project(project: Path) -> None:
    """An edit to a model counts at once (a notebook kernel need not restart)."""
    model = project / "products" / "product_blocks" / "user.py"
    model.write_text(
        model.read_text().replace("    user_id: int\n", "    user_id: int\n    email: str\n")
    )
    models = domain_models.read_models(domain_models.load_registry())
    assert models.resource_types[-1] == "email"
    import products as still

    assert still is products, "the caller's own import is left alone"

    model.write_text("class UserBlock(:\n")
    with pytest.raises(WorkshopError, match="The domain models cannot be imported: SyntaxError"):
        domain_models.load_registry()
