"""The nbval suite over every lesson against bare execution of the same notebooks with nbclient.

    .venv/bin/python benchmarks/nbval_overhead.py

Each notebook runs once each way, in its own scratch project and database, as the test suite runs
them (one pytest process per notebook, so that each starts from a clean state of its own).
Goal: nbval <= 1.3x bare execution.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import nbformat

from workshop import build, paths
from workshop.lessons import LESSONS


def notebooks() -> list:
    root = paths.root()
    return [
        root / folder / item.notebook for item in LESSONS for folder in ("notebooks", "solutions")
    ]


def bare(relative: str) -> float:
    with build.scratch_project() as (root, url):
        nb = nbformat.read(root / relative, as_version=4)
        start = time.perf_counter()
        build.run_notebook(nb, root, url)
        return time.perf_counter() - start


def with_nbval(relative: str) -> float:
    with build.scratch_project() as (root, url):
        env = dict(os.environ, WORKSHOP_ROOT=str(root), WORKSHOP_DATABASE_URL=url)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "workshop.nbval_plugin", "--nbval",
             str(root / relative), "-q",
             "-p", "no:cacheprovider", "--nbval-sanitize-with", str(build.SANITIZE_CFG),
             "--rootdir", str(root)],
            env=env, cwd=root, check=True, capture_output=True,
        )  # fmt: skip
        return time.perf_counter() - start


def main() -> None:
    root = paths.root()
    total_bare = total_nbval = 0.0
    for path in notebooks():
        relative = str(path.relative_to(root))
        b, n = bare(relative), with_nbval(relative)
        total_bare += b
        total_nbval += n
        print(f"{relative:45} bare {b:5.1f} s   nbval {n:5.1f} s   {n / b:.2f}x")
    print(f"all lessons, one process per notebook: bare {total_bare:.1f} s, "
          f"nbval {total_nbval:.1f} s, "
          f"ratio {total_nbval / total_bare:.2f}x (goal <= 1.3x)")  # fmt: skip
    # What each nbval process pays before its kernel starts: pytest, nbval, and reading one
    # notebook (collection only, nothing runs).
    startup = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "workshop.nbval_plugin", "--nbval",
         "--collect-only", "-q", "-p", "no:cacheprovider", str(notebooks()[0])],
        check=True, capture_output=True, cwd=root,
    )  # fmt: skip
    startup = time.perf_counter() - startup
    print(
        f"of which starting pytest and collecting with nbval: {startup:.1f} s per notebook, "
        f"{startup * len(notebooks()):.1f} s in all"
    )


if __name__ == "__main__":
    main()
