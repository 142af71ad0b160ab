"""The kit's ``migrations/helpers.py``: orchestrator-core 5.5.0's helpers, as the kit offers them.

That they have real's names and signatures, and change the same rows, is checked against a real
orchestrator-core by ``tests/test_orchestrator_real.py``. These tests need no real app: what the
module re-exports, the kit's clear refusals where real cannot work, and SQLite.
"""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy as sa

from workshop import db
from workshop.orchestrator import helpers as orchestrator_helpers

from .conftest import REPO
from .products_support import counts, install_schema, rows


def project_helpers(root: Path) -> ModuleType:
    """``migrations/helpers.py`` of the project at ``root``, loaded from its file."""
    spec = importlib.util.spec_from_file_location(
        "helpers_under_test", root / "migrations" / "helpers.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migrations_helpers_re_exports_exactly_the_helpers() -> None:
    """Its public names are the helpers, each the kit's function, and nothing else (no ``sa``,
    no ``schema``): what a migration can import from it is what a real app's offers."""
    helpers = project_helpers(REPO)
    public = {name for name in vars(helpers) if not name.startswith("_")}
    assert public == set(orchestrator_helpers.__all__)
    for name in public:
        assert getattr(helpers, name) is getattr(orchestrator_helpers, name)
    assert (
        "Write your own helper functions below this line."
        in (REPO / "migrations" / "helpers.py").read_text()
    )


def test_the_module_imports_nothing_of_orchestrator_core() -> None:
    """The kit does not depend on orchestrator-core: neither file may import it."""
    for path in (REPO / "migrations" / "helpers.py", Path(orchestrator_helpers.__file__)):
        code = [
            line for line in path.read_text().splitlines() if line.startswith(("import", "from"))
        ]
        assert not [line for line in code if "orchestrator.core" in line], path


def test_a_missing_row_is_an_index_error_that_names_it(project: Path) -> None:
    """Real raises IndexError (``[...][0]``); the kit's error is one too, and says what."""
    install_schema(project)
    with db.engine().connect() as conn:
        with pytest.raises(IndexError, match="product block 'Nope'"):
            orchestrator_helpers.get_product_block_id_by_name(conn, "Nope")


def test_a_dict_without_a_needed_key_is_named_before_anything_runs(project: Path) -> None:
    install_schema(project)
    with db.engine().connect() as conn:
        with pytest.raises(orchestrator_helpers.HelperError, match="'product_type'"):
            orchestrator_helpers.create_workflow(
                conn, {"name": "w", "target": "CREATE", "description": "d"}
            )
        assert (
            conn.execute(sa.text("SELECT count(*) FROM workflows WHERE name = 'w'")).scalar() == 0
        )


@pytest.mark.parametrize(
    ("call", "said"),
    [
        (
            lambda conn: orchestrator_helpers.delete_resource_types(conn, ["age"]),
            r"delete_resource_type\(conn, name\) for each",
        ),
        (
            lambda conn: orchestrator_helpers.convert_resource_type_relations_to_instance_relations(
                conn, uuid.uuid4(), "group"
            ),
            "subscription_instance_relations",
        ),
        (
            lambda conn: (
                orchestrator_helpers.convert_instance_relations_to_resource_type_relations_by_domain_model_attr(  # noqa: E501
                    conn, "group", uuid.uuid4()
                )
            ),
            "subscription_instance_relations",
        ),
        (orchestrator_helpers.ensure_default_workflows, "Call it after the products are created"),
    ],
)
def test_what_cannot_work_in_real_is_refused_with_the_reason(project: Path, call, said) -> None:
    """Where 5.5.0 always fails (or needs a table the kit lacks), the kit says so instead of
    letting a migration pass here that fails in a real app."""
    install_schema(project)
    with db.engine().connect() as conn:
        with pytest.raises(orchestrator_helpers.HelperError, match=said):
            call(conn)


def test_the_helpers_work_on_sqlite_too(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kit builds its statements with SQLAlchemy Core, so they run on SQLite, where the kit
    makes the UUIDs (no gen_random_uuid() there)."""
    monkeypatch.setenv(db.URL_ENV, "sqlite:///orchestrator_helpers.db")
    install_schema(project)
    h = orchestrator_helpers
    product_id, block_id = str(uuid.uuid4()), str(uuid.uuid4())
    with db.engine().begin() as conn:
        h.create(
            conn,
            {
                "product_blocks": {
                    "Username": {
                        "product_block_id": block_id,
                        "description": "Username block",
                        "tag": "UNR",
                        "status": "active",
                        "resources": {"username": "Unique name of a user"},
                    }
                },
                "products": {
                    "Username registration": {
                        "product_id": product_id,
                        "product_type": "UNPT",
                        "description": "Username registration",
                        "tag": "UNR",
                        "status": "active",
                        "root_product_block": "Username",
                    }
                },
            },
        )
        h.create_workflow(
            conn,
            {
                "name": "create_username_registration",
                "target": "CREATE",
                "description": "Create username registration",
                "product_type": "UNPT",
            },
        )
    assert rows("SELECT w.name FROM products_workflows JOIN workflows w USING (workflow_id)") == {
        ("modify_note",),
        ("create_username_registration",),
    }
    with db.engine().begin() as conn:
        h.delete(
            conn,
            {
                "resource_types": ["username"],
                "product_blocks": ["Username"],
                "products": ["Username registration"],
                "workflows": ["create_username_registration"],
            },
        )
    assert counts()["products"] == counts()["product_blocks"] == counts()["resource_types"] == 0
    db.dispose_engines()
