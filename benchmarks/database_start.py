"""The embedded PostgreSQL: cold start and warm reconnect.

    .venv/bin/python benchmarks/database_start.py [ROUNDS]

Cold: the server is stopped and its data folder exists (a new session, a reboot); the time until
a query answers, in a fresh process as a kernel or the terminal `alembic` would see it.
First ever: the same with initdb on a new data folder. Warm: a new connection and a query while
the server runs. Goals: cold <= 1.5 s, warm <= 0.05 s.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from workshop import build

PROBE = (
    "import time; t = time.perf_counter()\n"
    "from workshop import db; import sqlalchemy as sa\n"
    "e = db.engine()\n"
    "with e.connect() as c: c.execute(sa.text('SELECT 1'))\n"
    "cold = time.perf_counter() - t\n"
    "warm = []\n"
    "for _ in range(20):\n"
    "    t = time.perf_counter()\n"
    "    e2 = sa.create_engine(e.url, poolclass=sa.pool.NullPool)\n"
    "    with e2.connect() as c: c.execute(sa.text('SELECT 1'))\n"
    "    warm.append(time.perf_counter() - t)\n"
    "print(cold, sorted(warm)[10])\n"
)


def probe(env: dict[str, str]) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                         check=True).stdout.split()  # fmt: skip
    return float(out[0]), float(out[1])


def stop(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "workshop.cli", "db", "stop"], env=env, check=True,
                   capture_output=True)  # fmt: skip


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    root = build.copy_project(Path(tempfile.mkdtemp(prefix="wk_")))
    env = dict(os.environ, WORKSHOP_ROOT=str(root))
    env.pop("WORKSHOP_DATABASE_URL", None)
    try:
        first, _ = probe(env)
        colds, warms = [], []
        for _ in range(rounds):
            stop(env)
            cold, warm = probe(env)
            colds.append(cold)
            warms.append(warm)
    finally:
        stop(env)
        shutil.rmtree(root, ignore_errors=True)
    cold, warm = statistics.median(colds), statistics.median(warms)
    print(f"first ever (initdb + start + query): {first:6.3f} s")
    print(f"cold start (start + query), median:  {cold:6.3f} s   goal <= 1.5 s: {cold / 1.5:.2f}x")
    print(f"warm reconnect + query, median:      {warm:6.4f} s  goal <= 0.05 s: {warm / 0.05:.2f}x")


if __name__ == "__main__":
    main()
