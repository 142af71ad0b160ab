"""The product registry tables: the schema migration, and the metadata that describes them.

Here on the kit's own servers (PostgreSQL and SQLite); tests/test_orchestrator_real.py compares
them column by column with a real orchestrator-core app's.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from workshop import commands, db
from workshop.orchestrator import schema
from workshop.orchestrator import versions as orchestrator_versions

from .products_support import SCHEMA_REVISION, SEEDED_WORKFLOWS, install_schema, rows

PRIMARY_KEYS = {
    "products": ["product_id"],
    "product_blocks": ["product_block_id"],
    "resource_types": ["resource_type_id"],
    "fixed_inputs": ["fixed_input_id"],
    "product_product_blocks": ["product_id", "product_block_id"],
    "product_block_resource_types": ["product_block_id", "resource_type_id"],
    "product_block_relations": ["in_use_by_id", "depends_on_id"],
    "workflows": ["workflow_id"],
    "products_workflows": ["product_id", "workflow_id"],
    "subscriptions": ["subscription_id"],
    "subscription_instances": ["subscription_instance_id"],
    "subscription_instance_values": ["subscription_instance_value_id"],
    "processes": ["pid"],
    "processes_subscriptions": ["id"],
}

COLUMNS = {
    "products": [
        "product_id", "name", "description", "product_type", "tag", "status", "created_at",
        "end_date",
    ],
    "product_blocks": [
        "product_block_id", "name", "description", "tag", "status", "created_at", "end_date",
    ],
    "resource_types": ["resource_type_id", "resource_type", "description"],
    "fixed_inputs": ["fixed_input_id", "name", "value", "created_at", "product_id"],
    "product_product_blocks": ["product_id", "product_block_id"],
    "product_block_resource_types": ["product_block_id", "resource_type_id"],
    "product_block_relations": ["in_use_by_id", "depends_on_id", "min", "max"],
    "workflows": [
        "workflow_id", "name", "target", "description", "created_at", "deleted_at", "is_task",
    ],
    "products_workflows": ["product_id", "workflow_id"],
    "subscriptions": [
        "subscription_id", "description", "status", "product_id", "customer_id", "insync",
        "start_date", "end_date", "note", "version",
    ],
    "subscription_instances": [
        "subscription_instance_id", "subscription_id", "product_block_id", "label",
    ],
    "subscription_instance_values": [
        "subscription_instance_value_id", "subscription_instance_id", "resource_type_id", "value",
    ],
    "processes": [
        "pid", "assignee", "last_status", "last_step", "started_at", "last_modified_at",
        "failed_reason", "traceback", "created_by", "is_task", "workflow_id", "note",
    ],
    "processes_subscriptions": ["id", "pid", "subscription_id", "created_at", "workflow_target"],
}  # fmt: skip

UNIQUE = {
    "products": [["name"]],
    "product_blocks": [["name"]],
    "resource_types": [["resource_type"]],
    "fixed_inputs": [["name", "product_id"]],
    "workflows": [["name"]],
}


#: (table, column, referred table) -> ON DELETE. A row in use by a subscription or a process
#: cannot be deleted (NO ACTION); the registry's own links go with their rows (CASCADE).
FOREIGN_KEYS = {
    ("fixed_inputs", "product_id", "products"): "CASCADE",
    ("product_product_blocks", "product_id", "products"): "CASCADE",
    ("product_product_blocks", "product_block_id", "product_blocks"): "CASCADE",
    ("product_block_resource_types", "product_block_id", "product_blocks"): "CASCADE",
    ("product_block_resource_types", "resource_type_id", "resource_types"): "CASCADE",
    ("product_block_relations", "in_use_by_id", "product_blocks"): "CASCADE",
    ("product_block_relations", "depends_on_id", "product_blocks"): "CASCADE",
    ("products_workflows", "product_id", "products"): "CASCADE",
    ("products_workflows", "workflow_id", "workflows"): "CASCADE",
    ("subscriptions", "product_id", "products"): None,
    ("subscription_instances", "subscription_id", "subscriptions"): "CASCADE",
    ("subscription_instances", "product_block_id", "product_blocks"): None,
    ("subscription_instance_values", "subscription_instance_id", "subscription_instances"): (
        "CASCADE"
    ),
    ("subscription_instance_values", "resource_type_id", "resource_types"): None,
    ("processes", "workflow_id", "workflows"): None,
    ("processes_subscriptions", "pid", "processes"): "CASCADE",
    ("processes_subscriptions", "subscription_id", "subscriptions"): None,
}


def test_the_schema_migration_creates_orchestrator_cores_tables(project: Path) -> None:
    install_schema(project)
    inspector = sa.inspect(db.engine())
    tables = schema.TABLE_NAMES + tuple(t.name for t in schema.SUBSCRIPTION_TABLES)
    assert set(tables) == set(COLUMNS)
    assert set(tables) <= set(inspector.get_table_names())
    for table, columns in COLUMNS.items():
        assert [c["name"] for c in inspector.get_columns(table)] == columns, table
        assert inspector.get_pk_constraint(table)["constrained_columns"] == PRIMARY_KEYS[table]
        uniques = [u["column_names"] for u in inspector.get_unique_constraints(table)]
        assert uniques == UNIQUE.get(table, []), table
    fks = {
        (table, fk["constrained_columns"][0], fk["referred_table"]): fk["options"].get("ondelete")
        for table in COLUMNS
        for fk in inspector.get_foreign_keys(table)
    }
    assert fks == FOREIGN_KEYS
    # PostgreSQL makes the UUIDs and the timestamps: an INSERT of names alone works.
    with db.engine().begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO products (name, description, product_type, tag, status) "
                "VALUES ('P', 'd', 'T', 'TAG', 'active')"
            )
        )
        row = conn.execute(sa.text("SELECT product_id, created_at FROM products")).one()
        assert row.product_id is not None and row.created_at is not None
        conn.execute(sa.text("DELETE FROM products"))
    # The metadata in the workshop package describes exactly these tables.
    commands.run(commands.command.check, metadata=schema.metadata, quiet=True)
    # A full downgrade drops them all.
    commands.run(commands.command.downgrade, "base", quiet=True)
    assert not set(tables) & set(sa.inspect(db.engine()).get_table_names())


def test_the_schema_branch_is_labelled_schema(project: Path) -> None:
    install_schema(project)
    script = commands.script_directory()
    root = script.get_revision("schema")
    assert root.revision == SCHEMA_REVISION and root.down_revision is None
    assert commands.current_revisions() == (SCHEMA_REVISION,)
    # Kept in the kit, as orchestrator-core keeps its schema migrations; not in the project's.
    assert Path(root.path).parent == orchestrator_versions.LOCATION
    assert list((project / "migrations" / "versions").glob("*.py")) == []


def test_deleting_a_product_cascades_to_its_rows(project: Path) -> None:
    install_schema(project)
    with db.engine().begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO products (name, description, product_type, tag, status) "
                "VALUES ('P', 'd', 'T', 'TAG', 'active');"
                "INSERT INTO fixed_inputs (name, value, product_id) "
                "SELECT 'f', 'v', product_id FROM products;"
                "DELETE FROM products;"
            )
        )
        assert conn.execute(sa.text("SELECT count(*) FROM fixed_inputs")).scalar() == 0


def test_the_schema_migration_seeds_orchestrator_cores_workflows(project: Path) -> None:
    install_schema(project)
    assert rows("SELECT name, target, is_task FROM workflows") == SEEDED_WORKFLOWS
    assert rows("SELECT count(*) FROM workflows WHERE deleted_at IS NULL") == {(7,)}
    assert rows("SELECT description FROM workflows WHERE name = 'modify_note'") == {
        ("Modify Note",)
    }


def test_a_workflow_needs_a_description_as_in_orchestrator_core(project: Path) -> None:
    install_schema(project)
    with pytest.raises(sa.exc.IntegrityError, match="description"):
        with db.engine().begin() as conn:
            conn.execute(sa.text("INSERT INTO workflows (name, target) VALUES ('w', 'CREATE')"))
    with db.engine().begin() as conn:
        conn.execute(
            sa.text("INSERT INTO workflows (name, target, description) VALUES ('w', 'CREATE', 'd')")
        )
        assert conn.execute(sa.text("SELECT is_task FROM workflows WHERE name = 'w'")).scalar() is (
            False
        )


@pytest.mark.parametrize(
    ("delete", "use"),
    [
        (
            "DELETE FROM products",
            "INSERT INTO subscriptions (description, status, product_id, customer_id, insync) "
            "SELECT 's', 'active', product_id, 'c', true FROM products",
        ),
        (
            "DELETE FROM workflows WHERE name = 'modify_note'",
            "INSERT INTO processes (last_status, workflow_id) "
            "SELECT 'completed', workflow_id FROM workflows WHERE name = 'modify_note'",
        ),
    ],
)
def test_a_row_in_use_cannot_be_deleted_as_in_orchestrator_core(
    project: Path, delete: str, use: str
) -> None:
    """subscriptions and processes refer to the registry with NO ACTION, as in a real app."""
    install_schema(project)
    with db.engine().begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO products (name, description, product_type, tag, status) "
                "VALUES ('P', 'd', 'T', 'TAG', 'active')"
            )
        )
        conn.execute(sa.text(use))
    with pytest.raises(sa.exc.IntegrityError, match="violates foreign key constraint"):
        with db.engine().begin() as conn:
            conn.execute(sa.text(delete))


def test_the_schema_migration_also_runs_on_sqlite(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(db.URL_ENV, "sqlite:///products.db")
    install_schema(project)
    assert set(schema.TABLE_NAMES) <= set(sa.inspect(db.engine()).get_table_names())
    assert rows("SELECT name, target, is_task FROM workflows") == SEEDED_WORKFLOWS
    commands.run(commands.command.check, metadata=schema.metadata, quiet=True)
    commands.run(commands.command.downgrade, "base", quiet=True)
    assert not set(schema.TABLE_NAMES) & set(sa.inspect(db.engine()).get_table_names())
    db.dispose_engines()
    os.remove(project / "products.db")
