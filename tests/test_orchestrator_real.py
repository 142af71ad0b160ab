"""The products track against a real orchestrator-core 5.5.0 app (issue 13).

The app and its database come from :mod:`tests.orchestrator_real`; these tests skip, saying why,
only where its packages cannot be installed.
"""

from __future__ import annotations

import sqlalchemy as sa

from .orchestrator_real import SCHEMA_HEAD, RealApp


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
