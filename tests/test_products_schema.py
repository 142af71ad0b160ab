"""The product registry tables: the schema migration, and the metadata that describes them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from workshop import commands, db
from workshop import orchestrator_schema as schema

from .products_support import install_schema

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
    "workflows": ["workflow_id", "name", "target", "description", "created_at"],
    "products_workflows": ["product_id", "workflow_id"],
}  # fmt: skip

UNIQUE = {
    "products": [["name"]],
    "product_blocks": [["name"]],
    "resource_types": [["resource_type"]],
    "fixed_inputs": [["name", "product_id"]],
    "workflows": [["name"]],
}


def test_the_schema_migration_creates_orchestrator_cores_tables(project: Path) -> None:
    install_schema(project)
    inspector = sa.inspect(db.engine())
    assert set(schema.TABLE_NAMES) <= set(inspector.get_table_names())
    for table, columns in COLUMNS.items():
        assert [c["name"] for c in inspector.get_columns(table)] == columns, table
        assert inspector.get_pk_constraint(table)["constrained_columns"] == PRIMARY_KEYS[table]
        uniques = [u["column_names"] for u in inspector.get_unique_constraints(table)]
        assert uniques == UNIQUE.get(table, []), table
        for fk in inspector.get_foreign_keys(table):
            assert fk["options"].get("ondelete") == "CASCADE", (table, fk)
    fks = {
        (table, fk["constrained_columns"][0], fk["referred_table"])
        for table in COLUMNS
        for fk in inspector.get_foreign_keys(table)
    }
    assert fks == {
        ("fixed_inputs", "product_id", "products"),
        ("product_product_blocks", "product_id", "products"),
        ("product_product_blocks", "product_block_id", "product_blocks"),
        ("product_block_resource_types", "product_block_id", "product_blocks"),
        ("product_block_resource_types", "resource_type_id", "resource_types"),
        ("product_block_relations", "in_use_by_id", "product_blocks"),
        ("product_block_relations", "depends_on_id", "product_blocks"),
        ("products_workflows", "product_id", "products"),
        ("products_workflows", "workflow_id", "workflows"),
    }
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
    # A full downgrade drops all nine.
    commands.run(commands.command.downgrade, "base", quiet=True)
    assert not set(schema.TABLE_NAMES) & set(sa.inspect(db.engine()).get_table_names())


def test_the_schema_branch_is_labelled_schema(project: Path) -> None:
    install_schema(project)
    script = commands.script_directory()
    root = script.get_revision("schema")
    assert root.revision == "schema0001" and root.down_revision is None
    assert commands.current_revisions() == ("schema0001",)


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


def test_the_schema_migration_also_runs_on_sqlite(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(db.URL_ENV, "sqlite:///products.db")
    install_schema(project)
    assert set(schema.TABLE_NAMES) <= set(sa.inspect(db.engine()).get_table_names())
    commands.run(commands.command.check, metadata=schema.metadata, quiet=True)
    commands.run(commands.command.downgrade, "base", quiet=True)
    assert not set(schema.TABLE_NAMES) & set(sa.inspect(db.engine()).get_table_names())
    db.dispose_engines()
    os.remove(project / "products.db")
