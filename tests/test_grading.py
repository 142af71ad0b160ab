"""Grading a sample class built from the solutions: every case of the acceptance list.

The class mixes folders and archives. Each submission is graded or flagged as the issue says,
the batch completes, nothing handed in changes by a single byte, and the instructor's database
and secrets stay out of the participants' reach.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
import zipfile
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa

from workshop import db, grade, report, submit

from .conftest import REPO

SECRET = f"hunter2-{uuid.uuid4().hex[:8]}"


def _exercise(nb, lesson: str):
    return [c for c in nb.cells if "exercise" in c.metadata.get("tags", [])][0]


def _solved(name: str):
    return nbformat.read(REPO / "solutions" / name, as_version=4)


L00, L01, L02 = (
    "00-welcome-and-setup.ipynb",
    "01-your-first-revision.ipynb",
    "02-op-create-table.ipynb",
)


def make_submission(folder: Path, edits: dict[str, callable] | None = None) -> Path:
    """A participant who solved everything, then had ``edits`` applied to some lessons."""
    (folder / "notebooks").mkdir(parents=True)
    for name in (L00, L01, L02):
        nb = _solved(name)
        if edits and name in edits:
            edits[name](nb)
        nbformat.write(nb, folder / "notebooks" / name)
    return folder


def set_exercise(source: str):
    def edit(nb) -> None:
        _exercise(nb, "").source = source

    return edit


def replace_in_exercise(old: str, new: str):
    def edit(nb) -> None:
        cell = _exercise(nb, "")
        assert old in cell.source
        cell.source = cell.source.replace(old, new)

    return edit


def forge(nb) -> None:
    """Wrong code, with the answer key's outputs pasted into every cell."""
    _exercise(nb, "").source = "# I did not do it\n"
    key = _solved(L02)
    for mine, theirs in zip(nb.cells, key.cells, strict=True):
        if mine.cell_type == "code":
            mine.outputs = theirs.outputs


def delete_exercise(nb) -> None:
    nb.cells.remove(_exercise(nb, ""))


def zip_folder(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w") as out:
        for file in sorted(folder.rglob("*")):
            out.write(file, f"{folder.name}/{file.relative_to(folder)}")
    shutil.rmtree(folder)
    return archive


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
def graded(tmp_path_factory):
    """Grade the whole sample class once; the tests below read the outcome."""
    base = tmp_path_factory.mktemp("class")
    spy = base / "spy.json"
    snoop = (
        "import json, os, psycopg2\n"
        "found = {'env': dict(os.environ)}\n"
        "try:\n"
        f"    psycopg2.connect({str(INSTRUCTOR_URL)!r}).close()\n"
        "    found['instructor_db'] = 'reached'\n"
        "except Exception as error:\n"
        "    found['instructor_db'] = type(error).__name__\n"
        f"open({str(spy)!r}, 'w').write(json.dumps(found))\n"
    )
    people = base / "submissions"
    people.mkdir()
    make_submission(people / "all_correct")
    make_submission(
        people / "wrong_type",
        {L02: replace_in_exercise("sa.String(30), nullable=False", "sa.Integer, nullable=False")},
    )
    zip_folder(
        make_submission(
            people / "no_downgrade",
            {L02: replace_in_exercise('op.drop_table("category")', "pass")},
        ),
        people / "no_downgrade.zip",
    )
    make_submission(people / "forger", {L02: forge})
    make_submission(
        people / "hangs", {L00: set_exercise("import time\nwhile True:\n    time.sleep(1)")}
    )
    make_submission(people / "kills_kernel", {L01: set_exercise("import os\nos._exit(1)")})
    make_submission(people / "deleted_cell", {L02: delete_exercise})
    make_submission(people / "megabytes", {L00: set_exercise("print('x' * 5_000_000)")})
    make_submission(people / "snoops", {L00: set_exercise(snoop)})
    before = fingerprint(people)
    instructor_before = snapshot(INSTRUCTOR_URL)
    batch = grade.grade([people], jobs=2, timeout=10, progress=False)
    return {
        "batch": batch,
        "rows": {(r.participant, r.exercise): r for r in batch.results},
        "before": before,
        "after": fingerprint(people),
        "instructor": (instructor_before, snapshot(INSTRUCTOR_URL)),
        "spy": json.loads(spy.read_text()) if spy.exists() else None,
        "reports": report.write_all(batch, base / "report"),
    }


INSTRUCTOR_URL: sa.URL


@pytest.fixture(scope="module", autouse=True)
def instructor(monkeypatch_module):
    """The instructor's own database and a secret in their environment, during grading."""
    global INSTRUCTOR_URL
    with db.scratch_database("test") as url:
        INSTRUCTOR_URL = url
        with db.engine(url).begin() as conn:
            conn.execute(sa.text("CREATE TABLE precious (id int PRIMARY KEY, note text)"))
            conn.execute(sa.text("INSERT INTO precious VALUES (1, 'do not touch')"))
        monkeypatch_module.setenv(db.URL_ENV, url.render_as_string(hide_password=False))
        monkeypatch_module.setenv("INSTRUCTOR_API_TOKEN", SECRET)
        yield


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def status(graded, who: str, exercise: str) -> grade.Result:
    return graded["rows"][(who, exercise)]


def test_the_batch_completes_and_grades_everyone(graded) -> None:
    batch = graded["batch"]
    assert batch.grader_errors == []
    assert len(batch.participants) == 9
    assert len(batch.results) == 9 * 3


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
    found = graded["spy"]
    assert found is not None, "the snooping cell did run"
    text = json.dumps(found["env"])
    assert SECRET not in text
    assert INSTRUCTOR_URL.database not in text
    assert found["env"][db.URL_ENV] != INSTRUCTOR_URL.render_as_string(False)
    assert found["instructor_db"] != "reached"


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
    for name in (L00, L01, L02):
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
