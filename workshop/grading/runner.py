"""Grading with nbval against the instructor's answer key.

nbval compares a notebook's fresh outputs with the outputs stored in that same notebook. Run on a
submission as it is, that would only prove the submission reproduces itself, and a participant
could paste the expected output over wrong code. So the graded notebook is built from the
**answer key** (``solutions/<lesson>.ipynb``, with the reference outputs) and only the
participant's **exercise cells** are taken from the submission. The check cells, and their
expected verdicts, are the key's. Outputs stored in a submission are never read.

Each submission is unpacked by ``intake`` (regular files only, with limits), then graded by
``session``: its exercise cells run in a sandbox, its checks in trusted code (see the package's
docstring), with a database and login role of its own on a grading server that grading starts
for itself. Submissions run in parallel, one per core. ``sandboxed=False`` (``--no-sandbox``)
runs the old way instead, everything in the participant's kernel, and says so in the report.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import sqlalchemy as sa

from workshop import build, db, paths
from workshop.errors import WorkshopError
from workshop.grading import sandbox, session
from workshop.grading.intake import Submission, find_submissions, unpack
from workshop.grading.server import GradingServer
from workshop.grading.session import CHECK_CALL
from workshop.lessons import LESSONS, Lesson

DETAIL_LIMIT = 400
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
    exercise_id: str
    exercise_cell: int  # index among code cells (nbval's "Cell N")
    check_cell: int
    expected: str


@dataclass
class GradedLesson:
    lesson: Lesson
    notebook: nbformat.NotebookNode
    exercises: list[Exercise] = field(default_factory=list)
    missing: set[str] = field(default_factory=set)


def _text(outputs: list) -> str:
    return "".join(
        output.get("text", "") or output.get("data", {}).get("text/plain", "") for output in outputs
    )


def graded_notebook(
    item: Lesson, key: nbformat.NotebookNode, handed_in: nbformat.NotebookNode
) -> GradedLesson:
    """The key, with the participant's exercise cells in place of the key's.

    An exercise cell is found by its cell id, else as the n-th cell tagged ``exercise`` (a cell
    copied in JupyterLab gets a new id). Each exercise is graded by the check cell after it.
    """
    graded = nbformat.from_dict(key)
    theirs = [c for c in handed_in.cells if c.cell_type == "code"]
    by_id = {c.get("id"): c for c in theirs if "exercise" in c.metadata.get("tags", [])}
    their_exercises = [c for c in theirs if "exercise" in c.metadata.get("tags", [])]
    result = GradedLesson(item, graded)
    exercise_cell: int | None = None
    exercise_missing = False
    seen = 0
    for index, cell in enumerate(c for c in graded.cells if c.cell_type == "code"):
        tags = cell.metadata.setdefault("tags", [])
        if "check" in tags:
            match = CHECK_CALL.search(cell.source)
            if match and exercise_cell is not None:
                exercise_id = match.group(1)
                result.exercises.append(
                    Exercise(exercise_id, exercise_cell, index, _text(cell.outputs))
                )
                if exercise_missing:
                    result.missing.add(exercise_id)
                exercise_cell = None
            continue
        if "nbval-ignore-output" not in tags:
            tags.append("nbval-ignore-output")  # only the check cells' verdicts are graded
        if "exercise" in tags:
            mine = by_id.get(cell.get("id"))
            if mine is None and seen < len(their_exercises):
                mine = their_exercises[seen]
            seen += 1
            cell.source = mine.source if mine is not None else ""
            exercise_cell, exercise_missing = index, mine is None
    return result


# --- running it ----------------------------------------------------------------------------


def clean_environment(root: Path, database_url: str) -> dict[str, str]:
    """All the kernel gets: no instructor variables, no instructor database, no secrets."""
    home = root / ".home"
    home.mkdir(exist_ok=True)
    return {
        "PATH": os.pathsep.join(
            [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
        ),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "WORKSHOP_ROOT": str(root),
        db.URL_ENV: database_url,
        "JUPYTERHUB_USER": "graded",
    }


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


def _interpret(
    participant: str, lesson: GradedLesson, cells: dict[int, tuple[str, str]]
) -> list[Result]:
    results = []
    for exercise in lesson.exercises:
        base = Result(participant, lesson.lesson.id, exercise.exercise_id, "error")
        base.expected = _short(exercise.expected.strip(), one_line=False)
        if exercise.exercise_id in lesson.missing:
            base.status, base.detail = "missing", "the exercise cell was deleted or not found"
            results.append(base)
            continue
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
        results.append(base)
    return results


def grade_one(
    submission: Submission,
    server: GradingServer,
    timeout: int,
    workdir: Path,
    *,
    sandboxed: bool = True,
) -> list[Result]:
    """Grade every lesson of one submission, with a database and role of its own."""
    folder = Path(tempfile.mkdtemp(prefix="wk_", dir=workdir))
    handed_in = unpack(submission, folder / "submission")
    lessons: list[GradedLesson] = []
    results: list[Result] = []
    for item in LESSONS:
        key = nbformat.read(paths.root() / "solutions" / item.notebook, as_version=4)
        theirs_path = handed_in / "notebooks" / item.notebook
        if not theirs_path.is_file():
            for cell in key.cells:
                match = CHECK_CALL.search(cell.source) if cell.cell_type == "code" else None
                if match and "check" in cell.metadata.get("tags", []):
                    results.append(
                        Result(
                            submission.name,
                            item.id,
                            match.group(1),
                            "missing",
                            "the lesson's notebook was not handed in",
                        )
                    )
            continue
        try:
            theirs = nbformat.read(theirs_path, as_version=4)
        except Exception as error:  # noqa: BLE001 - a broken file is recorded, not fatal
            results.append(
                Result(submission.name, item.id, "*", "error", f"unreadable notebook: {error}")
            )
            continue
        lessons.append(graded_notebook(item, key, theirs))
    shutil.rmtree(folder / "submission")
    if lessons:
        database = server.create_participant(submission.name, createdb=not sandboxed)
        try:
            if sandboxed:
                cells = session.run(
                    {g.lesson.notebook: g.notebook for g in lessons}, folder,
                    database_url=database, admin_url=server.admin_url(),
                    socket_dir=server.socket_dir, timeout=timeout,
                )  # fmt: skip
            else:
                cells = _run_nbval(folder, lessons, database, timeout)
        finally:
            server.drop_participant(database)
        for lesson in lessons:
            results.extend(
                _interpret(submission.name, lesson, cells.get(lesson.lesson.notebook, {}))
            )
    shutil.rmtree(folder, ignore_errors=True)
    return results


def _run_nbval(
    folder: Path, lessons: list[GradedLesson], database: sa.URL, timeout: int
) -> dict[str, dict[int, tuple[str, str]]]:
    """Without the sandbox (``--no-sandbox``): the participant's kernel runs the checks too."""
    (folder / "project").mkdir()
    root = build.copy_project(folder / "project")  # with solutions/: start_lesson reads it
    for lesson in lessons:
        nbformat.write(lesson.notebook, root / "notebooks" / lesson.lesson.notebook)
    junit = folder / "nbval.xml"
    cells = sum(len([c for c in g.notebook.cells if c.cell_type == "code"]) for g in lessons)
    try:
        with open(folder / "nbval.log", "w") as log:
            subprocess.run(
                [sys.executable, "-m", "pytest", "-p", "workshop.nbval_plugin", "--nbval",
                 "-p", "no:cacheprovider",
                 "--nbval-sanitize-with", str(build.SANITIZE_CFG),
                 f"--nbval-cell-timeout={timeout}", f"--junitxml={junit}", "-q",
                 "--rootdir", str(root),
                 *[str(root / "notebooks" / g.lesson.notebook) for g in lessons]],
                cwd=root, env=clean_environment(root, database.render_as_string(False)),
                stdout=log, stderr=subprocess.STDOUT, timeout=timeout * cells + 120,
            )  # fmt: skip
    except subprocess.TimeoutExpired:
        pass  # whatever ran is in the JUnit file; the rest is recorded as not run
    if not junit.exists():
        return {}
    return session.cell_outcomes(junit, [g.lesson.notebook for g in lessons])


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
            bar = _progress(len(submissions), progress)
            with ThreadPoolExecutor(jobs) as pool:
                futures = {
                    pool.submit(grade_one, s, server, timeout, workdir, sandboxed=sandboxed): s
                    for s in submissions
                }
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
