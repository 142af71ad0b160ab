"""The database state survives kernel restarts, and two kernels share the server safely."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa

from workshop import db

from .kernels import run_cells


def test_a_new_kernel_sees_what_the_previous_one_did(project: Path) -> None:
    run_cells(
        project,
        "%load_ext workshop",
        "%sql CREATE TABLE diary (entry text)",
        "%sql INSERT INTO diary VALUES ('before the restart')",
    )
    # nbclient shut that kernel down; this is a brand-new one.
    seen = run_cells(project, "%load_ext workshop", "%sql SELECT entry FROM diary")
    assert "before the restart" in seen[1]


def test_two_kernels_at_once_share_the_server(project: Path) -> None:
    with db.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE visits (kernel int, n int)"))
    writer = (
        "import sqlalchemy as sa\nfrom workshop import db\n"
        "for n in range(50):\n"
        "    with db.engine().begin() as c:\n"
        "        c.execute(sa.text('INSERT INTO visits VALUES (:k, :n)'), {{'k': {k}, 'n': n}})"
    )
    with ThreadPoolExecutor(2) as pool:
        list(
            pool.map(lambda k: run_cells(project, "%load_ext workshop", writer.format(k=k)), (1, 2))
        )
    with db.engine().connect() as conn:
        counts = dict(conn.execute(sa.text("SELECT kernel, count(*) FROM visits GROUP BY 1")).all())
    assert counts == {1: 50, 2: 50}


def test_a_failed_sql_cell_does_not_block_the_next_migration(project: Path) -> None:
    """ipython-sql leaves a failed statement's transaction open; the kit rolls it back."""
    seen = run_cells(
        project,
        "%load_ext workshop",
        "%sql CREATE TABLE t (id int)",
        "try:\n    get_ipython().run_line_magic('sql', 'SELECT * FROM t WHERE nope = 1')\n"
        "except Exception as error:\n    print('failed as it should:', type(error).__name__)",
        "import sqlalchemy as sa\nfrom workshop import db\n"
        "with db.engine().begin() as c:\n    c.execute(sa.text('DROP TABLE t'))\nprint('dropped')",
    )
    assert "failed as it should: ProgrammingError" in seen[2]
    assert "dropped" in seen[3]
