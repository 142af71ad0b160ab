"""What the grading sandbox costs, and how fast a dead kernel is noticed.

    .venv/bin/python benchmarks/grading_sandbox.py [ROUNDS]

1. The same solved submission (all 15 lessons) graded with the sandbox and with
   ``--no-sandbox``, alternated ROUNDS times (default 1). Prints seconds and the ratio (goal: at
   most 1.15x). The exercises' starting states are captured from the key first, once per kit
   version (``runner.prepare``), and that one-time cost is printed on its own.
2. Lesson 01 handed in by a participant whose exercise cell kills the kernel, against the same
   lesson solved, both in the sandbox, with the default 60 s cell timeout. Prints both times:
   a dead kernel must be noticed at once, not after the timeout.

Wall-clock figures on a shared machine are noisy, which is why this is a benchmark to read, not
a test that asserts. ``make_class`` is what the benchmark smoke test runs.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from workshop.grading import runner, sample_class
from workshop.lessons import LESSONS

EVERY_LESSON = [item.notebook for item in LESSONS]


def make_class(folder: Path) -> dict[str, Path]:
    """Three one-submission classes: everything solved, lesson 01 solved, lesson 01 killer."""
    classes = {name: folder / name for name in ("solved", "lesson01", "killer")}
    sample_class.write_submission(classes["solved"] / "solved", {}, EVERY_LESSON)
    sample_class.write_submission(classes["lesson01"] / "ada", {}, [sample_class.L01])
    killer = sample_class.cases()["kills_kernel"]
    sample_class.write_submission(classes["killer"] / "bob", killer, [sample_class.L01])
    return classes


def timed(folder: Path, *, sandboxed: bool, timeout: int = 60) -> tuple[float, list]:
    start = time.perf_counter()
    batch = runner.grade([folder], jobs=1, timeout=timeout, progress=False, sandboxed=sandboxed)
    elapsed = time.perf_counter() - start
    assert not batch.grader_errors, batch.grader_errors
    return elapsed, batch.results


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        classes = make_class(Path(folder))
        started = time.perf_counter()
        runner.prepare()
        capture = time.perf_counter() - started
        inside, outside = [], []
        for _ in range(rounds):
            seconds, results = timed(classes["solved"], sandboxed=True)
            assert all(r.status == "passed" for r in results), results
            inside.append(seconds)
            seconds, results = timed(classes["solved"], sandboxed=False)
            assert all(r.status == "passed" for r in results), results
            outside.append(seconds)
        solved, _ = timed(classes["lesson01"], sandboxed=True)
        killed, results = timed(classes["killer"], sandboxed=True)
        detail = next(r.detail for r in results if r.exercise == "01.1")
    best_in, best_out = min(inside), min(outside)
    print(f"capturing the exercises' starting states (once per kit version): {capture:.1f} s")
    print(f"lessons 00-14, one submission, best of {rounds}:")
    print(f"  in the sandbox:      {best_in:.1f} s")
    print(f"  without (--no-sandbox): {best_out:.1f} s")
    print(f"  sandbox overhead:    {best_in / best_out:.2f}x")
    print("lesson 01 with the default 60 s cell timeout:")
    print(f"  solved:              {solved:.1f} s")
    print(f"  kernel killed:       {killed:.1f} s ({detail})")


if __name__ == "__main__":
    main()
