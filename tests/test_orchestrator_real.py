"""The products track against a real orchestrator-core 5.5.0 app (issue 13).

The app and its database come from :mod:`tests.orchestrator_real`; these tests skip, saying why,
only where its packages cannot be installed.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from workshop import db

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
