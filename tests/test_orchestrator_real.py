"""The products track against a real orchestrator-core 5.5.0 app (issue 13).

The app and its database come from :mod:`tests.orchestrator_real`; these tests skip, saying why,
only where its packages cannot be installed.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa

from workshop import db

from . import helpers_scenario
from .conftest import REPO
from .orchestrator_real import SCHEMA_HEAD, RealApp
from .products_support import install_schema
from .schema_catalog import accepted_notes, describe, differences, trigger_notes


def test_the_real_app_is_made_and_migrated_to_orchestrator_cores_schema_head(
    real_app: RealApp,
) -> None:
    """The harness made a real app: ``db init``'s files, and its database at 5.5.0's head."""
    for made_by_db_init in ("alembic.ini", "migrations/env.py", "migrations/helpers.py"):
        assert (real_app.folder / made_by_db_init).is_file(), made_by_db_init
    assert (
        "orchestrator.core.migrations.helpers"
        in (real_app.folder / "migrations" / "helpers.py").read_text()
    )
    engine = real_app.engine()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [
            SCHEMA_HEAD
        ]
        extensions = set(conn.execute(sa.text("SELECT extname FROM pg_extension")).scalars())
    engine.dispose()
    assert {"uuid-ossp", "ltree", "unaccent", "pg_trgm", "vector"} <= extensions
    # orchestrator's own CLI agrees, through its own settings and driver.
    heads = real_app.run("db", "heads")
    assert SCHEMA_HEAD in heads.stdout + heads.stderr


#: The product registry, and the tables of real orchestrator-core that refer to it (a
#: subscription of a product, its instances of blocks and values of resource types, and a
#: process of a workflow). Listed here, not taken from the kit, so a table the kit loses is missed.
COMPARED = (
    "products",
    "product_blocks",
    "resource_types",
    "fixed_inputs",
    "product_product_blocks",
    "product_block_resource_types",
    "product_block_relations",
    "workflows",
    "products_workflows",
    "subscriptions",
    "subscription_instances",
    "subscription_instance_values",
    "processes",
)


def test_the_kits_registry_tables_equal_real_orchestrator_cores(
    project: Path, real_app: RealApp
) -> None:
    """Column by column: types, lengths, NOT NULL, defaults, constraints with their ON DELETE,
    indexes, and the seeded rows (the workflows real seeds), each difference in words."""
    install_schema(project)
    with db.engine().connect() as conn:
        kit = describe(conn, COMPARED)
    engine = real_app.engine()
    with engine.connect() as conn:
        real = describe(conn, COMPARED)
    engine.dispose()
    assert sorted(real) == sorted(COMPARED), "real orchestrator-core lacks a compared table"
    assert len(real["workflows"].rows) == 7, "real seeds 7 workflows"
    for note in accepted_notes(real, kit) + trigger_notes(real, kit):
        print(f"note: {note}")
    found = differences(real, kit, COMPARED)
    for line in found:
        print(f"DIFFERENCE: {line}")
    assert not found, f"{len(found)} differences from real orchestrator-core:\n" + "\n".join(found)


# --- the migration helpers (issue 13) ------------------------------------------------------

#: Run in the real app: the public functions of orchestrator-core's helpers, as the app's own
#: ``migrations/helpers.py`` (written by ``db init``) re-exports them, with their signatures.
REAL_SIGNATURES = """\
import inspect, json
import migrations.helpers as app_helpers
print("SIGNATURES " + json.dumps({
    name: str(inspect.signature(value))
    for name, value in vars(app_helpers).items()
    if inspect.isfunction(value) and not name.startswith("_")
    and value.__module__ == "orchestrator.core.migrations.helpers"
}))
"""


def kit_migrations_helpers() -> ModuleType:
    """The kit's ``migrations/helpers.py``, loaded from its file as a revision file imports it."""
    spec = importlib.util.spec_from_file_location(
        "kit_migrations_helpers", REPO / "migrations" / "helpers.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def printed(output: str, tag: str) -> Any:
    """The JSON a script printed after ``tag``."""
    for line in output.splitlines():
        if line.startswith(f"{tag} "):
            return json.loads(line[len(tag) + 1 :])
    raise AssertionError(f"the script printed no {tag} line:\n{output[-3000:]}")


def test_the_kits_migrations_helpers_have_real_orchestrator_cores_names_and_signatures(
    real_app: RealApp, tmp_path: Path
) -> None:
    """Name for name and signature for signature, as ``inspect.signature`` prints them: a
    migration's import line and calls are the same in the kit and in a real app."""
    script = tmp_path / "signatures.py"
    script.write_text(REAL_SIGNATURES)
    real = printed(real_app.python(script), "SIGNATURES")
    helpers = kit_migrations_helpers()
    kit = {
        name: str(inspect.signature(value))
        for name, value in vars(helpers).items()
        if inspect.isfunction(value) and not name.startswith("_")
    }
    assert len(real) > 30, f"real orchestrator-core's helpers: only {sorted(real)}"
    missing = sorted(set(real) - set(kit))
    extra = sorted(set(kit) - set(real))
    other = [
        f"{name}{kit[name]}, real: {name}{real[name]}"
        for name in real
        if kit.get(name, real[name]) != real[name]
    ]
    assert not (missing or extra or other), (
        f"missing in the kit: {missing}; only in the kit: {extra}; other signatures: {other}"
    )


def test_the_kits_helpers_change_the_rows_real_orchestrator_cores_change(
    project: Path, real_app: RealApp
) -> None:
    """Every helper, called as a migration calls it (tests/helpers_scenario.py), in both: each
    step works or fails alike, returns the same, and leaves the same rows (ids as names)."""
    real = printed(real_app.python(REPO / "tests" / "helpers_scenario.py"), "SCENARIO")
    install_schema(project)
    with db.engine().connect() as conn:
        kit = helpers_scenario.run(kit_migrations_helpers(), conn)
        conn.rollback()
    found = []
    for (what, real_status, real_value), (_, kit_status, kit_value) in zip(
        real["steps"], kit["steps"], strict=True
    ):
        if real_status != kit_status:
            found.append(
                f"{what}: {real_status} ({real_value}) in real, "
                f"{kit_status} ({kit_value}) in the kit"
            )
        elif real_status == "ok" and real_value != kit_value:
            if isinstance(real_value, dict) and isinstance(kit_value, dict):  # rows(): by table
                real_value, kit_value = (
                    {
                        key: value
                        for key, value in side.items()
                        if real_value.get(key) != kit_value.get(key)
                    }
                    for side in (real_value, kit_value)
                )
            found.append(f"{what}: returned {real_value} in real, {kit_value} in the kit")
    for table, rows in real["rows"].items():
        if kit["rows"][table] != rows:
            found.append(f"{table} at the end: {rows} in real, {kit['rows'][table]} in the kit")
    assert not found, "\n".join(found)
    failed = [what for what, status, _ in real["steps"] if status == "failed"]
    assert len(failed) >= 8, f"the scenario should show real's failures too, not only: {failed}"
