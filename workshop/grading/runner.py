"""Grading with nbval against the instructor's answer key.

nbval compares a notebook's fresh outputs with the outputs stored in that same notebook. Run on a
submission as it is, that would only prove the submission reproduces itself, and a participant
could paste the expected output over wrong code. So the graded notebook is built here: for each
exercise, a restore cell (the key's starting state for it, see ``states``), the participant's
**exercise cells** (their source only) and the key's check cell with the **key's** verdict as
its expected output. Outputs stored in a submission are never read, and no teaching cell runs.

Each submission is unpacked by ``intake`` (regular files only, with limits), then graded by
``session``: its exercise cells run in a sandbox, its restores and checks in trusted code (see
the package's docstring), with a database and login role of its own on a grading server that
grading starts for itself. Submissions run in parallel, one per core, and a submission's lessons
spread over the cores left. ``sandboxed=False`` (``--no-sandbox``) is the same grading without
the sandbox, and the report says so.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat
from filelock import FileLock

from workshop import paths
from workshop.errors import WorkshopError
from workshop.grading import kernel, sandbox, session, states
from workshop.grading.intake import Submission, find_submissions, unpack
from workshop.grading.server import GradingServer
from workshop.grading.session import CHECK_CALL
from workshop.lessons import LESSONS, Lesson

DETAIL_LIMIT = 400
NOT_HANDED_IN = "the lesson's notebook was not handed in"
VERDICT_PREFIX = re.compile(r"^❌ Exercise \S+ is not done yet: ")


# --- what is graded ------------------------------------------------------------------------


@dataclass
class Result:
    participant: str
    lesson: str
    exercise: str
    status: str  # passed | failed | error | missing
    detail: str = ""
    expected: str = ""
    got: str = ""


@dataclass
class Exercise:
    """One graded exercise of a submission: the participant's cells and the key's verdict."""

    lesson: str
    exercise_id: str
    sources: list[str]  # the participant's exercise cells, in the key's order
    expected_outputs: list  # the key's check cell outputs, which nbval compares
    missing: bool = False
    notebook: str = ""  # where it is graded: the graded notebook's file name
    exercise_cell: int = -1  # index among code cells (nbval's "Cell N") of its last cell
    check_cell: int = -1

    @property
    def expected(self) -> str:
        return _text(self.expected_outputs)


def _text(outputs: list) -> str:
    return "".join(
        output.get("text", "") or output.get("data", {}).get("text/plain", "") for output in outputs
    )


def graded_exercises(
    item: Lesson, key: nbformat.NotebookNode, handed_in: nbformat.NotebookNode
) -> list[Exercise]:
    """The lesson's exercises, each with the participant's exercise cells and the key's check.

    An exercise cell is found by its cell id, else as the n-th cell tagged ``exercise`` (a cell
    copied in JupyterLab gets a new id). Only a cell's source is taken from the submission:
    never its outputs, metadata or tags. Each exercise is graded by the check cell after it.
    """
    theirs = [c for c in handed_in.cells if c.cell_type == "code"]
    their_exercises = [c for c in theirs if "exercise" in c.metadata.get("tags", [])]
    by_id = {c.get("id"): c for c in their_exercises}
    found: list[Exercise] = []
    sources: list[str] = []
    missing = False
    seen = 0
    for cell in key.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        if "exercise" in tags:
            mine = by_id.get(cell.get("id"))
            if mine is None and seen < len(their_exercises):
                mine = their_exercises[seen]
            seen += 1
            sources.append(str(mine.source) if mine is not None else "")
            missing = missing or mine is None
        match = CHECK_CALL.search(cell.source) if "check" in tags else None
        if match and sources:
            found.append(Exercise(item.id, match.group(1), sources, cell.outputs, missing))
            sources, missing = [], False
    return found


def graded_notebook(exercises: list[Exercise], name: str) -> nbformat.NotebookNode:
    """The notebook nbval grades: for each exercise, the key's starting state (restored by
    trusted code), the participant's exercise cells, and the check with the key's verdict."""
    notebook = nbformat.v4.new_notebook()
    for exercise in exercises:
        exercise.notebook = name
        notebook.cells.append(session.marker_cell(kernel.RESTORE, exercise.exercise_id))
        for source in exercise.sources:
            cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["nbval-ignore-output"]})
            notebook.cells.append(cell)
        exercise.exercise_cell = len(notebook.cells) - 1
        check = session.marker_cell(kernel.CHECK, exercise.exercise_id, exercise.expected_outputs)
        notebook.cells.append(check)
        exercise.check_cell = len(notebook.cells) - 1
    return notebook


def split(exercises: list[Exercise], parts: int) -> list[list[Exercise]]:
    """At most ``parts`` runs of consecutive exercises, as even as whole lessons allow.

    A lesson's exercises stay together and in order: a later exercise's starting state holds
    the key's answer to the earlier one, so it must never be in a sandbox while the earlier one
    is still being answered.
    """
    lessons: list[list[Exercise]] = []
    for exercise in exercises:
        if lessons and lessons[-1][0].lesson == exercise.lesson:
            lessons[-1].append(exercise)
        else:
            lessons.append([exercise])
    if parts >= len(lessons):
        return lessons
    parts = max(1, parts)
    runs: list[list[Exercise]] = [[] for _ in range(parts)]
    before = 0
    for group in lessons:
        middle = before + len(group) / 2
        runs[min(parts - 1, int(middle * parts / len(exercises)))].extend(group)
        before += len(group)
    return [run for run in runs if run]


# --- running it ----------------------------------------------------------------------------


def _short(text: str, *, one_line: bool = True) -> str:
    """Keep report cells readable, even when a cell printed megabytes."""
    if one_line:
        text = " ".join(text.split())
    return text if len(text) <= DETAIL_LIMIT else text[: DETAIL_LIMIT - 1] + "…"


def _got_from_diff(message: str, expected: str) -> str:
    """The fresh output's lines from nbval's diff: the +/- lines that are not the key's."""
    wanted = {line.strip() for line in expected.splitlines()}
    diff = [line.strip() for line in message.splitlines()]
    got = [
        line[2:].strip()
        for line in diff
        if line.startswith(("+ ", "- ")) and line[2:].strip() not in wanted
    ]
    return "\n".join(got[:4])


def _interpret(participant: str, exercise: Exercise, cells: dict[int, tuple[str, str]]) -> Result:
    base = Result(participant, exercise.lesson, exercise.exercise_id, "error")
    base.expected = _short(exercise.expected.strip(), one_line=False)
    if exercise.missing:
        base.status, base.detail = "missing", "the exercise cell was deleted or not found"
        return base
    work_state, work_message = cells.get(exercise.exercise_cell, ("error", "not run"))
    state, message = cells.get(exercise.check_cell, ("error", "not run"))
    # A dead kernel cannot be interrupted, and nbval says so; the next cell finds it dead.
    dead = (
        any(sign in work_message for sign in ("Failed to interrupt kernel", "KernelDied"))
        or "Kernel dead" in message
    )
    timed_out = ("Timeout of" in work_message or "CellTimeout" in work_message) and not dead
    if dead:
        base.detail = "the kernel died (the code crashed or exited Python)"
    elif timed_out:
        base.detail = "the exercise cell did not finish in time and was stopped"
    elif state == "passed":
        base.status = "passed"
    elif state == "failure" and "outputs differ" in message:
        base.status = "failed"
        base.got = _short(_got_from_diff(message, exercise.expected), one_line=False)
        first = base.got.splitlines()[0] if base.got else "the check's verdict differs"
        base.detail = VERDICT_PREFIX.sub("", first)
    else:
        base.detail = _short(message.strip().splitlines()[-1] if message.strip() else state)
    if work_state in ("failure", "error") and base.status == "failed" and not timed_out:
        last = [line for line in work_message.strip().splitlines() if line.strip()]
        base.detail += f" (the exercise cell raised: {_short(last[-1]) if last else '?'})"
    return base


def _missing_lesson(participant: str, item: Lesson, key: nbformat.NotebookNode) -> list[Result]:
    return [
        Result(participant, item.id, match.group(1), "missing", NOT_HANDED_IN)
        for cell in key.cells
        if cell.cell_type == "code" and "check" in cell.metadata.get("tags", [])
        for match in [CHECK_CALL.search(cell.source)]
        if match
    ]


def grade_one(
    submission: Submission,
    server: GradingServer,
    timeout: int,
    workdir: Path,
    *,
    states: Path,
    sandboxed: bool = True,
    parts: int = 1,
) -> list[Result]:
    """Grade every exercise of one submission, in ``parts`` runs side by side.

    Each run has a work folder, a database and a login role of its own. Exercises do not
    depend on each other (each starts from the key's state), so lessons split freely across
    runs (see :func:`split` for why a lesson's own exercises do not).
    """
    folder = Path(tempfile.mkdtemp(prefix="wk_", dir=workdir))
    handed_in = unpack(submission, folder / "submission")
    exercises: list[Exercise] = []
    results: list[Result] = []
    for item in LESSONS:
        key = nbformat.read(paths.root() / "solutions" / item.notebook, as_version=4)
        theirs_path = handed_in / "notebooks" / item.notebook
        if not theirs_path.is_file():
            results.extend(_missing_lesson(submission.name, item, key))
            continue
        try:
            theirs = nbformat.read(theirs_path, as_version=4)
        except Exception as error:  # noqa: BLE001 - a broken file is recorded, not fatal
            results.append(
                Result(submission.name, item.id, "*", "error", f"unreadable notebook: {error}")
            )
            continue
        exercises.extend(graded_exercises(item, key, theirs))
    shutil.rmtree(folder / "submission")
    missing = [e for e in exercises if e.missing]
    to_run = [e for e in exercises if not e.missing]
    runs = split(to_run, parts) if to_run else []

    def run(index: int, run_exercises: list[Exercise]) -> dict[int, tuple[str, str]]:
        name = f"graded-{index}.ipynb"
        notebook = graded_notebook(run_exercises, name)
        database = server.create_participant(submission.name)
        try:
            cells = session.run(
                {name: notebook}, folder / f"run-{index}",
                database_url=database, admin_url=server.admin_url(),
                socket_dir=server.socket_dir, timeout=timeout, states=states,
                sandboxed=sandboxed,
            )  # fmt: skip
        finally:
            server.drop_participant(database)
        return cells.get(name, {})

    with ThreadPoolExecutor(max(1, len(runs))) as pool:
        outcomes = list(pool.map(run, range(len(runs)), runs))
    for run_exercises, cells in zip(runs, outcomes, strict=True):
        results.extend(_interpret(submission.name, e, cells) for e in run_exercises)
    results.extend(_interpret(submission.name, e, {}) for e in missing)
    shutil.rmtree(folder, ignore_errors=True)
    return results


def prepare(*, sandboxed: bool = True, progress: bool = False) -> Path:
    """The exercises' starting states for this kit version, on a grading server of its own."""
    workdir = Path(tempfile.mkdtemp(prefix="wk_grade_"))
    try:
        with GradingServer(workdir / "server") as server:
            return prepare_states(
                server, workdir, jobs=os.cpu_count() or 1, sandboxed=sandboxed, progress=progress
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def prepare_states(
    server: GradingServer, workdir: Path, *, timeout: int = 60, jobs: int = 1,
    sandboxed: bool = True, progress: bool = False,
) -> Path:  # fmt: skip
    """The exercises' starting states for this kit version, captured from the key if needed.

    Runs the answer key's lessons through the grading kernel, ``jobs`` lessons side by side,
    and keeps the states only when every check of the key passed.
    """
    final = states.store()
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    # Two gradings at once (test workers, two terminals) capture once: the second one waits.
    with FileLock(str(final.parent / ".capture.lock"), timeout=3600):
        if final.is_dir():
            return final
        return _capture(server, workdir, final, timeout=timeout, jobs=jobs,
                        sandboxed=sandboxed, progress=progress)  # fmt: skip


def _capture(
    server: GradingServer, workdir: Path, final: Path, *, timeout: int, jobs: int,
    sandboxed: bool, progress: bool,
) -> Path:  # fmt: skip
    if progress:
        print("grading: capturing each exercise's starting state from the answer key "
              "(once per kit version) ...", file=sys.stderr, flush=True)  # fmt: skip
    capture = states.new_capture(final)
    keys = {
        item.notebook: nbformat.read(paths.root() / "solutions" / item.notebook, as_version=4)
        for item in LESSONS
    }
    names = list(keys)
    groups = [names[index::jobs] for index in range(max(1, min(jobs, len(names))))]
    folder = Path(tempfile.mkdtemp(prefix="wk_capture_", dir=workdir))

    def run(index: int, group: list[str]) -> dict[str, dict[int, tuple[str, str]]]:
        notebooks = {name: session.capture_notebook(keys[name]) for name in group}
        database = server.create_participant("the answer key")
        try:
            return session.run(
                notebooks, folder / f"run-{index}", database_url=database,
                admin_url=server.admin_url(), socket_dir=server.socket_dir, timeout=timeout,
                states=capture, sandboxed=sandboxed,
            )  # fmt: skip
        finally:
            server.drop_participant(database)

    try:
        with ThreadPoolExecutor(len(groups)) as pool:
            outcomes: dict[str, dict[int, tuple[str, str]]] = {}
            for found in pool.map(run, range(len(groups)), groups):
                outcomes.update(found)
        problems = [
            f"{name} cell {index}: {message.strip().splitlines()[-1] if message.strip() else state}"
            for name in names
            for index, (state, message) in sorted(outcomes.get(name, {}).items())
            if state not in ("passed", "skipped")
        ]
        problems += [f"{name}: not run" for name in names if name not in outcomes]
        if problems:
            raise WorkshopError(
                "The answer key does not pass its own checks when graded, so its exercises' "
                "starting states cannot be captured: " + "; ".join(problems[:5]),
                fix="Run `workshop build` to see the key's failing cells, and fix them.",
            )
        states.publish(capture, final)
    finally:
        shutil.rmtree(capture, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
    return final


# --- the batch -----------------------------------------------------------------------------


@dataclass
class Batch:
    results: list[Result]
    participants: list[str]
    grader_errors: list[str]
    sandboxed: bool = True


def grade(
    inputs: Iterable[Path],
    *,
    jobs: int | None = None,
    timeout: int = 60,
    progress: bool = True,
    sandboxed: bool = True,
) -> Batch:
    """Grade every submission found in ``inputs`` on a grading server of its own.

    Participant code runs in the sandbox unless ``sandboxed`` is False (``--no-sandbox``), which
    must be asked for: without it, a submission's code runs as the instructor's user.
    """
    if sandboxed:
        why_not = sandbox.available()
        if why_not is not None:
            raise WorkshopError(
                f"Grading needs its sandbox, and it cannot run here: {why_not}.",
                fix="Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), or pass "
                "--no-sandbox to grade without it (submissions' code then runs as you).",
            )
    submissions = find_submissions(inputs)
    jobs = max(1, jobs or os.cpu_count() or 1)
    workdir = Path(tempfile.mkdtemp(prefix="wk_grade_"))
    results: list[Result] = []
    errors: list[str] = []
    try:
        with GradingServer(workdir / "server") as server:
            found = prepare_states(
                server, workdir, timeout=timeout, jobs=jobs, sandboxed=sandboxed,
                progress=progress,
            )  # fmt: skip
            # Cores left over when there are fewer submissions than cores grade parts of one.
            parts = max(1, jobs // max(1, len(submissions)))
            bar = _progress(len(submissions), progress)
            with ThreadPoolExecutor(min(jobs, max(1, len(submissions)))) as pool:
                futures = {
                    pool.submit(
                        grade_one, s, server, timeout, workdir, states=found,
                        sandboxed=sandboxed, parts=parts,
                    ): s
                    for s in submissions
                }  # fmt: skip
                for future in as_completed(futures):
                    submission = futures[future]
                    try:
                        results.extend(future.result())
                    except Exception as error:  # noqa: BLE001 - one bad submission must not stop all
                        errors.append(f"{submission.name}: {type(error).__name__}: {error}")
                        results.append(
                            Result(submission.name, "*", "*", "error", _short(str(error)))
                        )
                    bar.update(1)
            bar.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results.sort(key=lambda r: (r.participant, r.lesson, r.exercise))
    return Batch(results, [s.name for s in submissions], errors, sandboxed)


def _progress(total: int, enabled: bool):  # noqa: ANN202 - tqdm's type
    from tqdm import tqdm

    return tqdm(total=total, desc="grading", unit="submission", disable=not enabled)
