"""Grading speed: N generated submissions graded one at a time, then on every core.

    .venv/bin/python benchmarks/grading.py [N]

Each of the N submissions (default 2) hands in every lesson, solved. Prints seconds per
submission for both runs and the parallel speed-up. Wall-clock figures on a shared machine are
noisy, which is why this is a benchmark to read, not a test that asserts.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from workshop.grading import runner as grade
from workshop.grading import sample_class
from workshop.lessons import LESSONS


def make_class(folder: Path, count: int) -> None:
    every_lesson = [item.notebook for item in LESSONS]
    for number in range(count):
        sample_class.write_submission(folder / f"participant_{number:02d}", {}, every_lesson)


def timed(folder: Path, jobs: int) -> float:
    start = time.perf_counter()
    batch = grade.grade([folder], jobs=jobs, progress=False)
    elapsed = time.perf_counter() - start
    assert not batch.grader_errors, batch.grader_errors
    failed = [r for r in batch.results if r.status != "passed"]
    assert not failed, f"the solutions must pass: {failed}"
    return elapsed


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        make_class(Path(folder), count)
        sequential = timed(Path(folder), 1)
        parallel = timed(Path(folder), cores)
    print(f"submissions: {count}, cores: {cores}")
    print(f"sequential: {sequential / count:.2f} s per submission ({sequential:.1f} s in all)")
    print(f"parallel:   {parallel / count:.2f} s per submission ({parallel:.1f} s in all)")
    print(f"speed-up:   {sequential / parallel:.2f}x on {cores} cores")


if __name__ == "__main__":
    main()
