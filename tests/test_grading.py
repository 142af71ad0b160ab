"""Grading a sample class built from the solutions: every case of the acceptance list.

The class mixes folders and archives. Each submission is graded or flagged as the issue says,
the batch completes, nothing handed in changes by a single byte, and the instructor's database
and secrets stay out of the participants' reach.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import uuid
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from workshop import db, submit
from workshop.checks import CHECKS
from workshop.grading import report, sample_class
from workshop.grading import runner as grade

from .conftest import REPO

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
def graded(tmp_path_factory, instructor):
    """Grade the whole sample class once; the tests below read the outcome."""
    base = tmp_path_factory.mktemp("class")
    spy = base / "spy.json"
    people = base / "submissions"
    made = sample_class.build_sample_class(people, spy_file=spy)
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
        "spy": json.loads(spy.read_text()) if spy.exists() else None,
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
    """The kernel's environment and database URL are the grader's, not the instructor's."""
    found = graded["spy"]
    assert found is not None, "the snooping cell did run"
    instructor = graded["instructor_url"]
    seen = json.dumps(found)
    assert SECRET not in seen and "INSTRUCTOR_API_TOKEN" not in seen
    assert instructor.database not in seen
    assert str(instructor.query["host"]) not in seen, "not even the instructor's server"
    assert "precious" not in found["tables"]
    # Only what grading sets, plus what Jupyter and pytest add themselves: not an inherited env.
    assert len(found["env"]) < 25, sorted(found["env"])
    assert found["env"]["HOME"] != str(Path.home())


def test_the_kernel_environment_is_built_from_nothing() -> None:
    env = grade.clean_environment(Path(tempfile.mkdtemp()), "sqlite:///x.db")
    assert set(env) == {
        "PATH", "HOME", "LANG", "PYTHONDONTWRITEBYTECODE", "WORKSHOP_ROOT", db.URL_ENV,
        "JUPYTERHUB_USER",
    }  # fmt: skip


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
    assert again.with_suffix(".zip.bak").exists(), "an earlier archive is kept, not overwritten"
    assert grade.find_submissions([archive.parent])[0].name == "Ada-Lovelace"


def test_nonsense_input_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(grade.WorkshopError, match="holds no submissions"):
        grade.find_submissions([tmp_path / "empty"])
    with pytest.raises(grade.WorkshopError, match="neither a submission archive"):
        grade.find_submissions([tmp_path / "nope.txt"])
