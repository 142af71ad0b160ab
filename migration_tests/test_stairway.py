"""The stairway test: each revision upgrades, downgrades and upgrades again, one at a time.

A downgrade that fails, or one that leaves something behind so that the upgrade after it fails,
shows up here, on the revision to blame, instead of on a real database.
"""

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import Script, ScriptDirectory

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"
# The revision files, oldest first (walk_revisions() starts at the head).
REVISIONS = list(reversed(list(ScriptDirectory.from_config(Config(ALEMBIC_INI)).walk_revisions())))


@pytest.mark.parametrize("revision", REVISIONS, ids=lambda script: script.revision)
def test_stairway(alembic_config: Config, alembic_engine: sa.Engine, revision: Script) -> None:
    # migrations/env.py runs on this connection: the test's own, empty database.
    alembic_config.attributes["connection"] = alembic_engine
    steps = [
        ("upgrade", command.upgrade, revision.revision),  # with every revision before it
        ("downgrade", command.downgrade, "-1"),  # one step back
        ("upgrade again", command.upgrade, revision.revision),  # fails if anything was left
    ]
    for step, action, target in steps:
        try:
            action(alembic_config, target)
        except Exception as error:
            text = str(getattr(error, "orig", None) or error).strip()
            reason = text.splitlines()[0] if text else type(error).__name__
            pytest.fail(f"{step} of {revision.revision} failed: {reason}")
