"""The product helpers: each is idempotent, and its documented inverse undoes it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from workshop import db
from workshop.errors import WorkshopError
from workshop.orchestrator import product_helpers as h

from .products_support import SEEDED_WORKFLOWS, counts, install_schema, rows, state


def _register_everything(conn: sa.Connection) -> None:
    """One of each row, through the helpers: the 'Username registration' product of lesson 2."""
    h.create_product(
        conn,
        "Username registration",
        description="a product with a quote: it's fine",
        product_type="UNPT",
        tag="UNR",
    )
    h.create_product_block(conn, "Username", description="the user's name", tag="UNR")
    h.create_product_block(conn, "Account", description="an account")
    h.create_resource_type(conn, "username", "name of the user")
    h.create_fixed_input(conn, "Username registration", "speed", "fast")
    h.create_product_product_block(conn, "Username registration", "Username")
    h.create_product_block_resource_type(conn, "Username", "username")
    h.create_product_block_relation(conn, "Account", "Username", min=1, max=None)
    h.create_workflow(
        conn, "create_username_registration", target="CREATE", description="Create a username"
    )
    h.create_product_workflow(conn, "Username registration", "create_username_registration")


def test_every_create_helper_is_idempotent(project: Path) -> None:
    install_schema(project)
    with db.engine().begin() as conn:
        _register_everything(conn)
    once = state()
    with db.engine().begin() as conn:
        _register_everything(conn)
    assert state() == once
    assert counts() == {
        "products": 1,
        "product_blocks": 2,
        "resource_types": 1,
        "fixed_inputs": 1,
        "product_product_blocks": 1,
        "product_block_resource_types": 1,
        "product_block_relations": 1,
        "workflows": 1 + len(SEEDED_WORKFLOWS),
        "products_workflows": 1,
    }
    assert rows("SELECT description FROM products") == {("a product with a quote: it's fine",)}
    assert rows("SELECT min, max FROM product_block_relations") == {(1, None)}


def test_create_returns_the_id_and_keeps_the_existing_row(project: Path) -> None:
    install_schema(project)
    fixed = uuid.uuid4()
    with db.engine().begin() as conn:
        made = h.create_resource_type(conn, "age", "age of the user", resource_type_id=fixed)
        again = h.create_resource_type(conn, "age", "another description")
        assert made == again == fixed == h.get_resource_type_id(conn, "age")
        product = h.create_product(conn, "P", description="d", product_type="T", tag="T")
        assert product == h.get_product_id(conn, "P")
        assert h.get_product_id(conn, "nope") is None
    assert rows("SELECT description FROM resource_types") == {("age of the user",)}


def test_the_inverses_undo_each_helper(project: Path) -> None:
    install_schema(project)
    empty = state()
    with db.engine().begin() as conn:
        _register_everything(conn)
    with db.engine().begin() as conn:
        # The inverses, in reverse order, each twice (deletes are idempotent too).
        for _ in range(2):
            h.delete_product_workflow(conn, "Username registration", "create_username_registration")
            h.delete_workflow(conn, "create_username_registration")
            h.delete_product_block_relation(conn, "Account", "Username")
            h.delete_product_block_resource_type(conn, "Username", "username")
            h.delete_product_product_block(conn, "Username registration", "Username")
            h.delete_fixed_input(conn, "Username registration", "speed")
            h.delete_resource_type(conn, "username")
            h.delete_product_block(conn, "Account")
            h.delete_product_block(conn, "Username")
            h.delete_product(conn, "Username registration")
    assert state() == empty


def test_updates_and_renames_are_undone_by_their_mirror_call(project: Path) -> None:
    install_schema(project)
    with db.engine().begin() as conn:
        _register_everything(conn)
    before = state()
    with db.engine().begin() as conn:
        for _ in range(2):  # the second time changes nothing
            h.rename_resource_type(conn, "username", "login")
            h.rename_fixed_input(conn, "Username registration", "speed", "pace")
            h.update_fixed_input(conn, "Username registration", "pace", "slow")
            h.update_product_block_relation(conn, "Account", "Username", min=0, max=3)
    assert rows("SELECT resource_type FROM resource_types") == {("login",)}
    assert rows("SELECT name, value FROM fixed_inputs") == {("pace", "slow")}
    assert rows("SELECT min, max FROM product_block_relations") == {(0, 3)}
    with db.engine().begin() as conn:
        h.update_product_block_relation(conn, "Account", "Username", min=1, max=None)
        h.update_fixed_input(conn, "Username registration", "pace", "fast")
        h.rename_fixed_input(conn, "Username registration", "pace", "speed")
        h.rename_resource_type(conn, "login", "username")
    assert state() == before


def test_deleting_a_row_takes_its_links_along(project: Path) -> None:
    install_schema(project)
    with db.engine().begin() as conn:
        _register_everything(conn)
        h.delete_product(conn, "Username registration")
        h.delete_product_block(conn, "Username")
    left = counts()
    assert left["fixed_inputs"] == left["product_product_blocks"] == 0
    assert left["products_workflows"] == left["product_block_resource_types"] == 0
    assert left["product_block_relations"] == 0
    assert left["workflows"] == 1 + len(SEEDED_WORKFLOWS) and left["resource_types"] == 1


@pytest.mark.parametrize(
    ("call", "missing"),
    [
        (lambda c: h.create_fixed_input(c, "Nope", "speed", "fast"), "no product named 'Nope'"),
        (
            lambda c: h.create_product_product_block(c, "P", "Nope"),
            "no product block named 'Nope'",
        ),
        (
            lambda c: h.create_product_block_resource_type(c, "B", "nope"),
            "no resource type named 'nope'",
        ),
        (lambda c: h.create_product_workflow(c, "P", "nope"), "no workflow named 'nope'"),
        (
            lambda c: h.create_product_block_relation(c, "Nope", "B"),
            "no product block named 'Nope'",
        ),
    ],
)
def test_linking_to_a_name_that_does_not_exist_says_which(
    project: Path, call, missing: str
) -> None:
    install_schema(project)
    with db.engine().begin() as conn:
        h.create_product(conn, "P", description="d", product_type="T", tag="T")
        h.create_product_block(conn, "B", description="b")
        with pytest.raises(WorkshopError, match=missing):
            call(conn)


def test_the_helpers_work_on_sqlite_too(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(db.URL_ENV, "sqlite:///helpers.db")
    install_schema(project)
    with db.engine().begin() as conn:
        _register_everything(conn)
        _register_everything(conn)
    assert counts()["product_block_relations"] == 1
    with db.engine().begin() as conn:
        h.delete_product(conn, "Username registration")
    assert counts()["products_workflows"] == 0  # SQLite cascades too: the kit turns FKs on
    db.dispose_engines()
