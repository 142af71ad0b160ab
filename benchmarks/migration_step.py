"""One migration step through the kit's in-process API against `alembic upgrade +1` as a process.

    .venv/bin/python benchmarks/migration_step.py [STEPS]

Both walk the same chain of revisions up and back down, one step at a time, on a scratch copy of
the project and a scratch database. Goal: in process <= 0.1x the subprocess time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from workshop import build, commands

BIN = Path(sys.executable).parent


def chain(length: int) -> None:
    for number in range(1, length + 1):
        commands.run(commands.command.revision, message=f"step {number}", rev_id=f"{number:04d}",
                     quiet=True)  # fmt: skip
    for file in Path("migrations/versions").glob("*.py"):
        text = (
            file.read_text()
            .replace(
                "def upgrade() -> None:\n    pass",
                f"def upgrade() -> None:\n    op.create_table('t_{file.stem[:4]}', "
                "sa.Column('id', sa.Integer, primary_key=True))",
            )
            .replace(
                "def downgrade() -> None:\n    pass",
                f"def downgrade() -> None:\n    op.drop_table('t_{file.stem[:4]}')",
            )
        )
        file.write_text(text)


def walk(step) -> float:  # noqa: ANN001
    start = time.perf_counter()
    for _ in range(STEPS):
        step("upgrade", "+1")
    for _ in range(STEPS):
        step("downgrade", "-1")
    return (time.perf_counter() - start) / (2 * STEPS)


def in_process(verb: str, target: str) -> None:
    commands.run(getattr(commands.command, verb), target, quiet=True)


def as_process(verb: str, target: str) -> None:
    subprocess.run([str(BIN / "alembic"), verb, target], check=True, capture_output=True)


STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 10


def main() -> None:
    with build.scratch_project() as (root, url):
        with build.patched_environ(WORKSHOP_ROOT=str(root), WORKSHOP_DATABASE_URL=url):
            os.chdir(root)
            chain(STEPS)
            process = walk(as_process)
            kit = walk(in_process)
            os.chdir("/")
    print(f"steps: {STEPS} up and {STEPS} down, each creating or dropping a table")
    print(f"alembic subprocess:  {process * 1000:8.1f} ms per step")
    print(f"kit API in process:  {kit * 1000:8.1f} ms per step")
    print(f"ratio: {kit / process:.3f}x (goal <= 0.1x)")


if __name__ == "__main__":
    main()
