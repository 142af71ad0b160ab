"""Grading a sample class built from the solutions: every case of the acceptance list.

The class mixes folders and archives. Each submission is graded or flagged as the issue says,
the batch completes, nothing handed in changes by a single byte, and the instructor's database
and secrets stay out of the participants' reach.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from workshop import db, submit
from workshop.checks import CHECKS
from workshop.grading import report, sample_class
from workshop.grading import runner as grade
from workshop.lessons import LESSONS

from . import test_browser
from .conftest import REPO
from .test_browser import ARTIFACTS

# The browser test's fixtures, to open the report in the same headless Chromium.
chromium, browser = test_browser.chromium, test_browser.browser

REPORT_SCREENSHOT = ARTIFACTS / "grading-report.png"

# What a reader sees of the report: headings, the grid's rows, each status cell's colour, and
# whether anything spills out to the right of the window.
REPORT_JS = """
const cell = (status) => document.querySelector('td.' + status);
return {
  headings: Array.from(document.querySelectorAll('h1, h2')).map((h) => h.textContent.trim()),
  rows: Array.from(document.querySelectorAll('table tr')).map((r) => r.textContent.trim()),
  colours: Object.fromEntries(['passed', 'failed', 'error', 'missing'].map(
    (s) => [s, cell(s) ? getComputedStyle(cell(s)).backgroundColor : null])),
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  scripts: document.scripts.length,
};
"""

SECRET = f"hunter2-{uuid.uuid4().hex[:8]}"


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def snapshot(url: sa.URL) -> list:
    with db.engine(url).connect() as conn:
        return conn.execute(sa.text("SELECT * FROM precious ORDER BY id")).all()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def instructor(monkeypatch_module):
    """The instructor's own database and a secret in their environment, during grading."""
    with db.scratch_database("test") as url:
        with db.engine(url).begin() as conn:
            conn.execute(sa.text("CREATE TABLE precious (id int PRIMARY KEY, note text)"))
            conn.execute(sa.text("INSERT INTO precious VALUES (1, 'do not touch')"))
        monkeypatch_module.setenv(db.URL_ENV, url.render_as_string(hide_password=False))
        monkeypatch_module.setenv("INSTRUCTOR_API_TOKEN", SECRET)
        yield url


@pytest.fixture(scope="module")
def graded(tmp_path_factory, instructor, bubblewrap):
    """Grade the whole sample class once; the tests below read the outcome."""
    base = tmp_path_factory.mktemp("class")
    spy = base / "spy.json"
    people = base / "submissions"
    made = sample_class.build_sample_class(
        people,
        spy_file=spy,
        canaries=[SECRET, instructor.database, str(instructor.query["host"])],
        attack=[instructor.render_as_string(hide_password=False)],
    )
    assert any(p.suffix == ".zip" for p in made) and any(p.is_dir() for p in made)
    before = fingerprint(people)
    instructor_before = snapshot(instructor)
    batch = grade.grade([people], jobs=2, timeout=10, progress=False)
    return {
        "batch": batch,
        "rows": {(r.participant, r.exercise): r for r in batch.results},
        "before": before,
        "after": fingerprint(people),
        "instructor_url": instructor,
        "instructor": (instructor_before, snapshot(instructor)),
        "spy": spy.exists(),
        "reports": report.write_all(batch, base / "report"),
    }


def status(graded, who: str, exercise: str) -> grade.Result:
    return graded["rows"][(who, exercise)]


def test_the_batch_completes_and_grades_everyone(graded) -> None:
    batch = graded["batch"]
    assert batch.grader_errors == []
    assert len(batch.participants) == 9
    # The sample class hands in lessons 00-02; every other lesson's checks are "missing".
    graded_here = [r for r in batch.results if r.lesson in ("00", "01", "02")]
    assert len(graded_here) == 9 * 3
    assert all(r.status != "missing" or r.participant == "deleted_cell" for r in graded_here)
    others = [r for r in batch.results if r.lesson not in ("00", "01", "02")]
    assert others and all(r.status == "missing" for r in others)
    checks = {r.exercise for r in batch.results}
    assert checks == set(CHECKS), "every exercise of the course appears in the grades"


def test_all_correct_passes_everything(graded) -> None:
    for exercise in ("00.1", "01.1", "02.1"):
        assert status(graded, "all_correct", exercise).status == "passed"


def test_a_wrong_column_type_fails_with_the_difference(graded) -> None:
    row = status(graded, "wrong_type", "02.1")
    assert row.status == "failed"
    assert "category.name is INTEGER; expected String(30)" in row.got
    assert row.expected.startswith("✅ Exercise 02.1 passed")
    assert status(graded, "wrong_type", "01.1").status == "passed"


def test_a_missing_downgrade_fails_its_check(graded) -> None:
    row = status(graded, "no_downgrade", "02.1")
    assert row.status == "failed" and "still there" in row.got


def test_forged_outputs_over_wrong_code_fail(graded) -> None:
    assert status(graded, "forger", "02.1").status == "failed"


def test_a_cell_that_never_ends_is_stopped_and_the_rest_graded(graded) -> None:
    row = status(graded, "hangs", "00.1")
    assert row.status == "error" and "did not finish in time" in row.detail
    assert status(graded, "hangs", "01.1").status == "passed"
    assert status(graded, "hangs", "02.1").status == "passed"


def test_a_cell_that_kills_the_kernel_is_recorded_and_the_rest_graded(graded) -> None:
    row = status(graded, "kills_kernel", "01.1")
    assert row.status == "error" and "kernel died" in row.detail, row
    assert status(graded, "kills_kernel", "00.1").status == "passed"
    assert status(graded, "kills_kernel", "02.1").status == "passed"


def test_a_deleted_exercise_cell_is_recorded_as_missing(graded) -> None:
    assert status(graded, "deleted_cell", "02.1").status == "missing"
    assert status(graded, "deleted_cell", "01.1").status == "passed"


def test_megabytes_of_output_keep_the_report_readable(graded) -> None:
    row = status(graded, "megabytes", "00.1")
    assert row.status == "failed"
    for field in (row.detail, row.expected, row.got):
        assert len(field) <= grade.DETAIL_LIMIT
    assert graded["reports"]["html"].stat().st_size < 200_000


def test_snooping_code_finds_nothing_of_the_instructors(graded) -> None:
    """It solves 00.1 only if it saw no secret, reached no database of the instructor's, and
    could not write outside the sandbox: so 'passed' is the proof that it ran and found nothing."""
    assert status(graded, "snoops", "00.1").status == "passed"
    assert graded["spy"] is False, "nothing was written outside the sandbox"


def test_without_the_sandbox_the_snooper_gets_out(tmp_path: Path, instructor) -> None:
    """The same snooper graded with --no-sandbox escapes: so the test above can fail. Correct
    work still passes there, throwaway databases (lesson 10's check) included."""
    spy = tmp_path / "spy.json"
    people = tmp_path / "class"
    people.mkdir()
    edits = sample_class.cases(spy, canaries=[SECRET])["snoops"]
    sample_class.write_submission(people / "snoops", edits, [sample_class.L00])
    sample_class.write_submission(
        people / "correct", {}, [sample_class.L00, "10-testing-migrations.ipynb"]
    )
    batch = grade.grade([people], jobs=2, timeout=30, progress=False, sandboxed=False)
    assert batch.grader_errors == []
    rows = {(r.participant, r.exercise): r.status for r in batch.results}
    assert rows[("snoops", "00.1")] == "failed" and spy.exists()
    assert rows[("correct", "00.1")] == rows[("correct", "10.1")] == "passed"
    assert not batch.sandboxed


def test_without_the_sandbox_the_environment_is_still_built_from_nothing(tmp_path: Path) -> None:
    """--no-sandbox drops the containment, not the clean environment: no instructor variable
    reaches the participant's processes."""
    from workshop.grading import sandbox

    box = sandbox.Unsandboxed(tmp_path / "work", home=tmp_path / "home")
    box.prepare()
    done = box.run(["/usr/bin/env"], {"WORKSHOP_ROOT": str(tmp_path / "work")}, timeout=30)
    names = {line.partition("=")[0] for line in done.stdout.splitlines()}
    assert names == {"PATH", "HOME", "LANG", "WORKSHOP_ROOT"}


def test_submissions_are_byte_identical_after_grading(graded) -> None:
    assert graded["after"] == graded["before"]


def test_the_instructors_database_is_unchanged(graded) -> None:
    before, after = graded["instructor"]
    assert before == after == [(1, "do not touch")]


def test_the_reports_are_written(graded) -> None:
    reports = graded["reports"]
    csv_text = reports["csv"].read_text()
    assert "wrong_type,02,02.1,failed" in csv_text
    page = reports["html"].read_text()
    assert "<style>" in page and "http" not in page.replace("http-equiv", "")  # self-contained
    assert "Class summary" in page and "wrong_type" in page
    junit = reports["junit"].read_text()
    assert 'testsuite name="all_correct"' in junit and "<failure" in junit


def test_the_report_reads_well_in_a_real_browser(graded, browser) -> None:
    """Headless Chromium opens report.html: the summary, a row per participant, one colour per
    status, nothing cut off at the right, no script; a screenshot is kept for a human to read."""
    browser.set_window_size(1280, 1000)
    browser.get(graded["reports"]["html"].as_uri())
    page = browser.execute_script(REPORT_JS)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(REPORT_SCREENSHOT))
    assert page["headings"][0] == "Workshop grading report"
    assert page["headings"][1:] == [
        "Class summary: hardest exercises first",
        "Participants",
        "What went wrong",
    ]
    for participant in graded["batch"].participants:
        assert any(row.startswith(participant) for row in page["rows"]), participant
    colours = page["colours"]
    assert None not in colours.values(), colours
    assert len(set(colours.values())) == 4, "each status has a colour of its own"
    assert page["overflow"] <= 0, "the page fits the window's width"
    assert page["scripts"] == 0


def test_submit_makes_an_archive_that_grading_reads(project: Path) -> None:
    for name in (sample_class.L00, sample_class.L01, sample_class.L02):
        shutil.copy(REPO / "solutions" / name, project / "notebooks" / name)
    (project / "migrations" / "versions" / "0001_mine.py").write_text("# mine\n")
    archive = submit.submit("Ada Lovelace")
    assert archive.name == "Ada-Lovelace.zip"
    with zipfile.ZipFile(archive) as content:
        names = set(content.namelist())
    assert "Ada-Lovelace/notebooks/02-op-create-table.ipynb" in names
    assert "Ada-Lovelace/migrations/versions/0001_mine.py" in names
    assert "Ada-Lovelace/manifest.json" in names
    again = submit.submit("Ada Lovelace")
    (kept,) = (again.parent / "earlier").glob("Ada-Lovelace-*.zip")  # kept, not overwritten
    assert grade.find_submissions([archive.parent])[0].name == "Ada-Lovelace"


def test_nonsense_input_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(grade.WorkshopError, match="holds no submissions"):
        grade.find_submissions([tmp_path / "empty"])
    with pytest.raises(grade.WorkshopError, match="neither a submission archive"):
        grade.find_submissions([tmp_path / "nope.txt"])


def test_every_lesson_is_graded_by_trusted_checks(tmp_path: Path, bubblewrap) -> None:
    """Lessons 03-14 (the sample class covers 00-02): solved, each check passes in the sandbox;
    a lesson 14 left undone fails there, its models read as data from a sandbox."""
    people = tmp_path / "class"
    later = [item.notebook for item in LESSONS if item.id >= "03"]
    sample_class.write_submission(people / "solved", {}, later)
    undone = {later[-1]: sample_class.set_exercise("pass\n")}
    sample_class.write_submission(people / "undone_14", undone, [later[-1]])
    batch = grade.grade([people], jobs=2, timeout=60, progress=False)
    assert batch.grader_errors == []
    solved = {r.exercise: r.status for r in batch.results if r.participant == "solved"}
    assert {e: s for e, s in solved.items() if e >= "03"} == {
        e: "passed" for e in CHECKS if e >= "03"
    }
    undone_rows = {r.exercise: r for r in batch.results if r.participant == "undone_14"}
    assert undone_rows["14.1"].status == "failed", undone_rows["14.1"]
