"""The kit's grader against nbgrader's ``autograde``, on the same submissions, in one run.

    .venv/bin/python benchmarks/grading_nbgrader.py [N] [--lessons 01,02,03] [--rounds R]

Why: issue 11 sets the goal "at least 5x faster than nbgrader per 15-lesson submission on the
same notebooks", and a ratio measured in two runs on a shared machine says little. This grades N
generated submissions (default 2, each handing in every lesson, solved) with both tools,
alternated R times (default 1): ``workshop grade --jobs 1`` (``runner.grade``, in the sandbox),
then ``nbgrader autograde``, then again. Both run one submission at a time, so the figures are
per submission, sequential. Each round also times ``workshop grade`` as it runs by default, on
every core (submissions side by side, and a submission's exercises split over the cores left).
It prints seconds per submission for each tool, their ratio, and how many exercises each
graded as passed: they should agree, and when they do not, it says so.

nbgrader runs from a virtual environment of its own (:data:`NBGRADER`, pinned), made on first use
in ``.workshop/bench-nbgrader-venv/`` (git-ignored), so that it never changes the kit's. Its
course is built from the answer key (:func:`nbgrader_notebook`):

- an ``exercise`` cell becomes a solution cell (its ``### BEGIN SOLUTION`` markers are nbgrader's);
- a ``check`` cell becomes an autograded test cell worth 1 point. ``wk.check_exercise`` prints a
  verdict and never raises, so the test cell captures the verdict and asserts that it is a pass:
  a failed check raises, and nbgrader gives it 0 points;
- every other code cell is read-only, so that nbgrader runs the key's teaching cells, not the
  submission's, as ``workshop grade`` does.

A submission is what a participant of that course would hand in: the same notebook, metadata
and all, with their own exercise cells. nbgrader executes the notebooks with a kernel that is the
kit's Python (a kernelspec in a private ``JUPYTER_PATH``), on a copy of the project
(``WORKSHOP_ROOT``) and a PostgreSQL of its own (the kit's embedded pgserver, in a temporary
folder). One ``nbgrader autograde`` grades the whole class, one submission after the other on
that one project and database, as nbgrader is used; each lesson's ``start_lesson`` resets both.
Only ``nbgrader autograde`` is timed; the course's setup and ``generate_assignment`` are printed
apart, and so is a warm-up ``workshop grade`` of one lesson: the kit captures each exercise's
starting state from the key once per kit version, which is its counterpart of
``generate_assignment``. ``workshop grade`` starts its grading server inside its timed run, so
the comparison favours nbgrader by that start (about a second a run).

Wall-clock figures on a shared machine are noisy, which is why this is a benchmark to read, not a
test that asserts. :func:`make_class` is what the benchmark smoke test runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import nbformat

from workshop.grading import sample_class

NBGRADER = "nbgrader==0.9.6"
REPO = Path(__file__).resolve().parents[1]
VENV = REPO / ".workshop" / "bench-nbgrader-venv"
ASSIGNMENT = "workshop"
KERNEL = "workshop-kit"
KERNEL_NAME = "Workshop kit (its .venv)"
CHECK_CALL = re.compile(r'check_exercise\(\s*["\'](\d\d\.\d+)["\']\s*\)')

# What a test cell runs in place of the key's ``wk.check_exercise("NN.M")``: the same call, its
# verdict printed as before, then an assertion so that nbgrader scores it.
TEST_CELL = """\
import contextlib as _contextlib
import io as _io

with _contextlib.redirect_stdout(_io.StringIO()) as _verdict:
{call}
print(_verdict.getvalue(), end="")
assert "✅ Exercise {exercise} passed" in _verdict.getvalue(), "exercise {exercise} failed"
"""

# Run by nbgrader's own Python: every autograded test cell's score, from nbgrader's gradebook.
SCORES = """\
import json, sys
from nbgrader.api import Gradebook

found = []
with Gradebook(sys.argv[1]) as gradebook:
    for student in gradebook.students:
        submission = gradebook.find_submission(sys.argv[2], student.id)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                found.append([student.id, grade.name, grade.score, grade.max_score])
print(json.dumps(found))
"""


# --- the course and the class (cheap: no nbgrader, no database) ---------------------------


def _slug(text: str) -> str:
    return re.sub(r"\W", "_", text)


def check_grade_id(exercise: str) -> str:
    """``check_01_1`` for exercise 01.1: nbgrader's name for the test cell that grades it."""
    return f"check_{exercise.replace('.', '_')}"


def nbgrader_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The kit's lesson notebook (key or submission) with nbgrader's cell metadata.

    Cells are matched across key and submission by their notebook cell id, which the key gives
    every cell and a generated submission keeps.
    """
    out = nbformat.from_dict(nb)
    out.metadata["kernelspec"] = {"name": KERNEL, "display_name": KERNEL_NAME, "language": "python"}
    for index, cell in enumerate(out.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        name = _slug(cell.get("id") or f"cell{index}")
        check = CHECK_CALL.search(cell.source) if "check" in tags else None
        if check:
            exercise = check.group(1)
            call = textwrap.indent(cell.source.strip(), "    ")
            cell.source = TEST_CELL.format(call=call, exercise=exercise)
            meta = {"grade": True, "solution": False, "locked": True, "points": 1}
            meta["grade_id"] = check_grade_id(exercise)
        elif "exercise" in tags:
            meta = {"grade": False, "solution": True, "locked": False, "grade_id": f"ex_{name}"}
        else:
            meta = {"grade": False, "solution": False, "locked": True, "grade_id": f"ro_{name}"}
        cell.metadata["nbgrader"] = {**meta, "schema_version": 3}
    return out


class Setup(NamedTuple):
    """Where :func:`make_class` put everything, and what it contains."""

    kit_class: Path  # one folder per submission, as ``workshop grade`` takes them
    warm_up: Path  # one submission of one lesson, graded untimed first
    course: Path  # nbgrader's course root: source/, submitted/, nbgrader_config.py
    project: Path  # the copy of the project that nbgrader's kernels work in (WORKSHOP_ROOT)
    jupyter: Path  # private JUPYTER_PATH, with the kit's kernelspec
    students: list[str]
    notebooks: list[str]


def make_class(folder: Path, count: int, notebooks: Sequence[str]) -> Setup:
    """Write ``count`` solved submissions of ``notebooks``, once for each tool, and the course.

    Cheap (no nbgrader, no database), so that the benchmark smoke test runs it.
    """
    from workshop import build

    setup = Setup(
        kit_class=folder / "kit-class",
        warm_up=folder / "kit-warm-up",
        course=folder / "course",
        project=folder / "project",
        jupyter=folder / "jupyter",
        students=[f"participant_{number:02d}" for number in range(count)],
        notebooks=list(notebooks),
    )
    sample_class.write_submission(setup.warm_up / "warm_up", {}, setup.notebooks[:1])
    source = setup.course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for name in setup.notebooks:
        key = nbformat.read(REPO / "solutions" / name, as_version=4)
        nbformat.write(nbgrader_notebook(key), source / name)
    for student in setup.students:
        handed_in = sample_class.write_submission(setup.kit_class / student, {}, setup.notebooks)
        submitted = setup.course / "submitted" / student / ASSIGNMENT
        submitted.mkdir(parents=True)
        for name in setup.notebooks:
            theirs = nbformat.read(handed_in / "notebooks" / name, as_version=4)
            nbformat.write(nbgrader_notebook(theirs), submitted / name)
    (setup.course / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(setup.course)!r}\n"
        f"c.CourseDirectory.course_id = {ASSIGNMENT!r}\n"
        "c.Execute.timeout = 60  # as workshop grade's default cell timeout\n",
        encoding="utf-8",
    )
    kernel = setup.jupyter / "kernels" / KERNEL
    kernel.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": KERNEL_NAME,
        "language": "python",
    }
    (kernel / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    setup.project.mkdir()
    build.copy_project(setup.project)
    return setup


# --- nbgrader's environment and runs -------------------------------------------------------


def nbgrader_python() -> tuple[Path, float]:
    """nbgrader's own Python, its virtual environment made on first use; and the seconds spent."""
    start = time.perf_counter()
    python = VENV / "bin" / "python"
    marker = VENV / f".installed-{NBGRADER}"
    if not marker.is_file():
        print(f"installing {NBGRADER} into {VENV.relative_to(REPO)}/ (once) ...", flush=True)
        shutil.rmtree(VENV, ignore_errors=True)
        VENV.parent.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        done = subprocess.run([*pip, NBGRADER], capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"pip install {NBGRADER} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        marker.touch()
    return python, time.perf_counter() - start


def nbgrader_env(setup: Setup, database_url: str) -> dict[str, str]:
    """nbgrader's environment, which its kernels inherit: the project copy and the database.

    nbgrader's venv leads PATH, as when it is activated: nbgrader runs its own ``alembic`` for
    its gradebook. The kit's venv is taken off PATH, so that a lesson's kernel puts it first
    again (``start_lesson`` adds it only when missing) and its ``!alembic`` is the kit's.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "WORKSHOP_"))}
    env.pop("VIRTUAL_ENV", None)
    kit_bin = str(Path(sys.executable).parent)
    path = [part for part in env.get("PATH", os.defpath).split(os.pathsep) if part != kit_bin]
    private = setup.course.parent
    env.update(
        PATH=os.pathsep.join([str(VENV / "bin"), *path]),
        VIRTUAL_ENV=str(VENV),
        JUPYTER_PATH=str(setup.jupyter),
        JUPYTER_DATA_DIR=str(setup.jupyter),
        JUPYTER_CONFIG_DIR=str(private / "jupyter-config"),
        IPYTHONDIR=str(private / "ipython"),
        WORKSHOP_ROOT=str(setup.project),
        WORKSHOP_DATABASE_URL=database_url,
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def nbgrader(python: Path, setup: Setup, env: dict[str, str], *args: str) -> float:
    """Run ``nbgrader ARGS`` in the course folder; its wall time in seconds."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(python), "-m", "nbgrader", *args],
        cwd=setup.course,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"nbgrader {' '.join(args)} failed:\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
    return elapsed


def nbgrader_passed(python: Path, setup: Setup) -> tuple[set[tuple[str, str]], int]:
    """(student, exercise) pairs that nbgrader gave full points, and how many it graded."""
    url = f"sqlite:///{setup.course / 'gradebook.db'}"
    done = subprocess.run(
        [str(python), "-c", SCORES, url, ASSIGNMENT], capture_output=True, text=True, check=True
    )
    passed: set[tuple[str, str]] = set()
    graded = 0
    for student, name, score, max_score in json.loads(done.stdout):
        if not name.startswith("check_"):
            continue
        graded += 1
        exercise = name.removeprefix("check_").replace("_", ".")
        if max_score and score == max_score:
            passed.add((student, exercise))
    return passed, graded


class Database:
    """A PostgreSQL of nbgrader's own: the kit's embedded pgserver, in a folder of ours."""

    def __init__(self, folder: Path) -> None:
        self.data = folder / "pgdata"

    def __enter__(self) -> str:
        import sqlalchemy as sa

        from workshop import db

        socket_dir = db.start_embedded(self.data)
        url = sa.URL.create(
            "postgresql+psycopg2",
            username="postgres",
            database="nbgrader_bench",
            query={"host": str(socket_dir)},
        )
        db.ensure_database(url)
        return url.render_as_string(hide_password=False)

    def __exit__(self, *_exc: object) -> None:
        from workshop import db

        db.stop_embedded(self.data)


# --- the kit's runs ------------------------------------------------------------------------


class KitRun(NamedTuple):
    seconds: float
    passed: set[tuple[str, str]]  # (participant, exercise)
    graded: int
    other: dict[tuple[str, str], str]  # what was not passed: its status and detail


def kit_grade(setup: Setup, *, warm_up: bool = False, jobs: int | None = 1) -> KitRun:
    """``workshop grade --jobs 1`` on the class (or the warm-up class), in the sandbox;
    ``jobs=None``: as ``workshop grade`` runs by default, on every core."""
    from workshop.grading import runner

    start = time.perf_counter()
    batch = runner.grade([setup.warm_up if warm_up else setup.kit_class], jobs=jobs, progress=False)
    elapsed = time.perf_counter() - start
    for error in batch.grader_errors:
        print(f"workshop grade: grader error: {error}")
    handed_in = [r for r in batch.results if r.status != "missing"]
    passed = {(r.participant, r.exercise) for r in handed_in if r.status == "passed"}
    other = {
        (r.participant, r.exercise): f"{r.status}: {r.detail}"[:200]
        for r in handed_in
        if r.status != "passed"
    }
    return KitRun(elapsed, passed, len(handed_in), other)


# --- the run -------------------------------------------------------------------------------


def lesson_notebooks(spec: str | None) -> list[str]:
    """Notebook names for ``--lessons 01,02,03`` (or ``01-03``); every lesson without it."""
    from workshop.lessons import LESSONS

    if not spec:
        return [item.notebook for item in LESSONS]
    wanted: set[str] = set()
    for part in spec.split(","):
        first, _, last = part.strip().partition("-")
        wanted.update(item.id for item in LESSONS if first <= item.id <= (last or first))
    chosen = [item.notebook for item in LESSONS if item.id in wanted]
    if not chosen:
        known = ", ".join(item.id for item in LESSONS)
        sys.exit(f"--lessons {spec}: no such lesson (known: {known})")
    return chosen


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Grade the same solved submissions with `workshop grade --jobs 1` and with "
        "nbgrader's autograde, alternated, and print the wall-time ratio.",
    )
    parser.add_argument("count", nargs="?", type=int, default=2, help="submissions (default 2)")
    parser.add_argument(
        "--lessons", help="lessons handed in, e.g. 01,02,03 or 01-03 (default: all 15)"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="times each tool grades the class (default 1)"
    )
    args = parser.parse_args(argv)
    if args.count < 1 or args.rounds < 1:
        parser.error("the number of submissions and of rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = arguments(argv)
    from workshop.grading import sandbox

    why_not = sandbox.available()
    if why_not is not None:
        sys.exit(f"workshop grade needs its sandbox, and it cannot run here: {why_not}")
    notebooks = lesson_notebooks(args.lessons)
    python, install = nbgrader_python()
    with tempfile.TemporaryDirectory(prefix="wk_bench_nbgrader_") as folder:
        start = time.perf_counter()
        setup = make_class(Path(folder), args.count, notebooks)
        built = time.perf_counter() - start
        start = time.perf_counter()
        with Database(Path(folder)) as url:
            database = time.perf_counter() - start
            env = nbgrader_env(setup, url)
            generate = nbgrader(python, setup, env, "generate_assignment", ASSIGNMENT, "--force")
            warm_up = kit_grade(setup, warm_up=True).seconds
            kit_runs: list[KitRun] = []
            every_core: list[float] = []
            nbgrader_times: list[float] = []
            for _ in range(args.rounds):
                kit_runs.append(kit_grade(setup))
                every_core.append(kit_grade(setup, jobs=None).seconds)
                nbgrader_times.append(
                    nbgrader(python, setup, env, "autograde", ASSIGNMENT, "--force")
                )
            nb_passed, nb_graded = nbgrader_passed(python, setup)
    kit_times = [run.seconds for run in kit_runs]
    setup_times = (install, built, database, generate, warm_up)
    report(args, notebooks, setup_times, kit_times, nbgrader_times)
    cores, other = os.cpu_count() or 1, min(nbgrader_times)
    best = min(every_core)
    print(
        f"workshop grade (default, {cores} cores): {best / args.count:.2f} s per submission: "
        f"{other / best:.2f}x faster than nbgrader autograde"
    )
    kit = kit_runs[-1]
    print(f"passed, workshop grade:     {len(kit.passed)} of {kit.graded} exercises")
    print(f"passed, nbgrader autograde: {len(nb_passed)} of {nb_graded} exercises")
    if kit.passed == nb_passed and kit.graded == nb_graded:
        print("grades: the two tools agree")
    else:
        print("grades DISAGREE:")
        for key in sorted(nb_passed - kit.passed):
            says = kit.other.get(key, "nothing")
            print(f"  {key[0]} {key[1]}: nbgrader passed it, workshop grade says {says}")
        for student, exercise in sorted(kit.passed - nb_passed):
            print(f"  {student} {exercise}: workshop grade passed it, nbgrader did not")
    if any(run.passed != kit.passed for run in kit_runs):
        print("note: workshop grade's grades changed between rounds")


def report(
    args: argparse.Namespace,
    notebooks: list[str],
    setup_times: tuple[float, float, float, float, float],
    kit_times: list[float],
    nbgrader_times: list[float],
) -> None:
    install, built, database, generate, warm_up = setup_times
    count = args.count
    first, last = notebooks[0][:2], notebooks[-1][:2]
    print(
        f"submissions: {count}, lessons: {len(notebooks)} ({first}-{last}), "
        f"rounds: {args.rounds}, {NBGRADER}, jobs: 1 for both"
    )
    print(
        f"setup (not timed): nbgrader venv {install:.1f} s, class and course {built:.1f} s, "
        f"database {database:.1f} s, nbgrader generate_assignment {generate:.1f} s, "
        f"workshop grade warm-up {warm_up:.1f} s"
    )
    for number, (kit, other) in enumerate(zip(kit_times, nbgrader_times, strict=True), 1):
        print(f"round {number}: workshop grade {kit:.1f} s, nbgrader autograde {other:.1f} s")
    kit, other = min(kit_times), min(nbgrader_times)
    print(f"workshop grade --jobs 1: {kit / count:.2f} s per submission (best of {args.rounds})")
    print(f"nbgrader autograde:      {other / count:.2f} s per submission (best of {args.rounds})")
    ratio = other / kit
    faster = f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.2f}x slower"
    print(f"ratio nbgrader/kit: {ratio:.2f}: workshop grade is {faster} than nbgrader autograde")


if __name__ == "__main__":
    main()
