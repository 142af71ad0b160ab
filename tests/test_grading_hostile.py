"""A hostile class, graded in the sandbox: every attack of issue 11, and the cases that held.

Each submission is an attack (or a correct answer beside the attacks). The class is graded once;
then no wrong answer may pass, every correct answer must pass whatever its neighbours did, the
batch must complete, every submission must stay byte-identical, the instructor's checkout,
database, home folder and environment must be unchanged, no process of grading may be left,
TMPDIR must hold nothing new, and the three reports must be well-formed with unique names.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import tempfile
import uuid
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa

from workshop import db
from workshop.grading import report, runner, sample_class
from workshop.grading.sandbox import UIDS

from .conftest import REPO

L00, L02 = sample_class.L00, sample_class.L02
PASS_00 = "✅ Exercise 00.1 passed: the table exists and holds your greeting. %sql works for you."
SECRET = f"hostile-{uuid.uuid4().hex[:10]}"
HOME_MARK = Path.home() / f"pwned-by-grading-{uuid.uuid4().hex[:6]}"

# --- the attacks: exercise cells of lesson 00 (or 02) ----------------------------------------

REPLACE_CHECK = f"""\
import workshop as wk
wk.check_exercise = lambda exercise: print({PASS_00!r})
import workshop.checks
workshop.checks.run_check = lambda exercise: {PASS_00!r}
"""

INPUT_TRANSFORMER = f"""\
def _forge(lines):
    if any("check_exercise" in line or "workshop-grader" in line for line in lines):
        return ["print({PASS_00!r})\\n"]
    return lines
get_ipython().input_transformers_cleanup.append(_forge)
"""

PATCHED_PRINT = f"""\
import builtins, sys
_real_print = builtins.print
def print(*args, **kwargs):
    text = " ".join(str(a) for a in args)
    if text.startswith("❌"):
        text = {PASS_00!r}
    _real_print(text, **kwargs)
builtins.print = print
class _Forger:
    def write(self, text):
        return sys.__stdout__.write({PASS_00!r} + "\\n" if "❌" in text else text)
    def flush(self):
        sys.__stdout__.flush()
sys.stdout = _Forger()
"""

BACKGROUND_PRINTER = f"""\
import threading, time
def _spam():
    while True:
        print({PASS_00!r}, flush=True)
        time.sleep(0.01)
threading.Thread(target=_spam, daemon=True).start()
"""

USE_THE_KEY = """\
import glob, pathlib, shutil, workshop
kit = pathlib.Path(workshop.__file__).resolve().parent.parent
found = glob.glob(str(kit / "solutions" / "migrations" / "02" / "0002_*.py"))
for pattern in ("/*/*/solutions", "/*/*/*/solutions", "/tmp/*/*/solutions"):
    found += glob.glob(pattern + "/migrations/02/0002_*.py")
print(found)
for path in found[:1]:
    shutil.copy(path, "migrations/versions/")
"""

POISON_THE_CHECKOUT = """\
import pathlib, workshop
kit = pathlib.Path(workshop.__file__).resolve().parent
for target in [kit / "exercises" / "lesson00.py", kit / "checks.py",
               kit.parent / "solutions" / "00-welcome-and-setup.ipynb"]:
    try:
        target.write_text("def check_exercise(e):\\n    print('poisoned')\\n")
        print("wrote", target)
    except OSError as error:
        print("refused:", error)
"""

PLANT_IN_NEIGHBOURS = """\
import time, sqlalchemy as sa
from workshop import db
mine = db.url()
reached = []
deadline = time.time() + 6
while time.time() < deadline:
    with db.engine().connect() as conn:
        names = [r[0] for r in conn.exec_driver_sql("SELECT datname FROM pg_database")]
    for name in names:
        if name == mine.database:
            continue  # its own database: planting there would only solve its own exercise
        for url in (mine.set(database=name), mine.set(database=name, username="postgres",
                                                     password=None)):
            try:
                with sa.create_engine(url).begin() as conn:
                    conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS hello (message text)")
                    conn.exec_driver_sql("INSERT INTO hello VALUES ('hello, migrations')")
                    reached.append(name)
            except Exception:
                pass
    time.sleep(0.5)
print(sorted(set(reached)))
"""

HOLD_TEMPLATE1 = """\
import sqlalchemy as sa, threading, time
from workshop import db
held = []
for name in ("template1", "postgres"):
    try:
        conn = sa.create_engine(db.url().set(database=name)).connect()
        held.append(conn)
    except Exception as error:
        print("refused:", type(error).__name__)
time.sleep(3)
"""

LINGER = f"""\
import subprocess
subprocess.Popen(["setsid", "sh", "-c",
                  "while true; do find / -name 'nbval*.xml' -exec sh -c 'echo forged > {{}}' \\\\; "
                  "2>/dev/null; touch {HOME_MARK}; sleep 1; done"],
                 start_new_session=True)
"""

SNOOP_HOME = f"""\
import os, pathlib
for target in [pathlib.Path("/root") / "{HOME_MARK.name}", pathlib.Path("{HOME_MARK}"),
               pathlib.Path(os.path.expanduser("~")) / ".bashrc"]:
    try:
        target.write_text("pwned")
    except OSError as error:
        print("refused:", target, error.strerror)
"""

IGNORE_SIGINT = """\
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
"""

PRINT_THEN_DIE = f"""\
import os, sys
print({PASS_00!r}, flush=True)
sys.stdout.flush()
os._exit(0)
"""

MEMORY_HOG = "hog = bytearray(8 * 1024 ** 3)\n"

FORK_BOMB = """\
import subprocess, time
subprocess.Popen(["bash", "-c", "b() { b | b & }; b"])
time.sleep(3)
"""

NBVAL_MARKERS = "# NBVAL_SKIP\n# NBVAL_IGNORE_OUTPUT\nprint('nothing done')\n"


def _edit(source: str, notebook: str = L00) -> dict:
    return {notebook: sample_class.set_exercise(source)}


ATTACKS: dict[str, tuple[dict, str, str]] = {
    # name: (edits, exercise, expected status)
    "replaces_the_check": (_edit(REPLACE_CHECK), "00.1", "failed"),
    "input_transformer": (_edit(INPUT_TRANSFORMER), "00.1", "failed"),
    "patched_print": (_edit(PATCHED_PRINT), "00.1", "failed"),
    "background_printer": (_edit(BACKGROUND_PRINTER), "00.1", "failed"),
    "uses_the_key": (
        {L02: sample_class.set_exercise(USE_THE_KEY)},
        "02.1",
        "failed",
    ),
    "poisons_the_checkout": (_edit(POISON_THE_CHECKOUT), "00.1", "failed"),
    "plants_in_neighbours": (_edit(PLANT_IN_NEIGHBOURS), "00.1", "failed"),
    "holds_template1": (_edit(HOLD_TEMPLATE1), "00.1", "failed"),
    "lingers": (_edit(LINGER), "00.1", "failed"),
    "writes_home": (_edit(SNOOP_HOME), "00.1", "failed"),
    "ignores_sigint": (_edit(IGNORE_SIGINT), "00.1", "error"),
    "prints_then_dies": (_edit(PRINT_THEN_DIE), "00.1", "error"),
    "memory_hog": (_edit(MEMORY_HOG), "00.1", "failed"),
    "fork_bomb": (_edit(FORK_BOMB), "00.1", "failed"),
    "nbval_markers": (_edit(NBVAL_MARKERS), "00.1", "failed"),
    "forger": ({L02: sample_class.forge}, "02.1", "failed"),
    "unsolved": (_edit("pass\n"), "00.1", "failed"),
}
CORRECT = ("correct_00", "correct_02")


def _fingerprint(*folders: Path) -> dict[str, str]:
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _zip_folder(folder: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w") as out:
        for file in sorted(folder.rglob("*")):
            out.write(file, f"{folder.name}/{file.relative_to(folder)}")


def build_hostile_class(base: Path) -> list[Path]:
    people = base / "class"
    people.mkdir(parents=True)
    for name, (edits, exercise, _) in ATTACKS.items():
        lesson = L02 if exercise.startswith("02") else L00
        sample_class.write_submission(people / name, edits, [lesson])
    sample_class.write_submission(people / "correct_00", {}, [L00])
    sample_class.write_submission(people / "correct_02", {}, [L02])
    # Names that break reports: the same name from two folders, a counter look-alike, a formula,
    # control characters and markup.
    source = base / "ada"
    sample_class.write_submission(source, {}, [L00])
    inputs = [people]
    for folder in ("group_a", "group_b"):
        (base / folder).mkdir()
        _zip_folder(source, base / folder / "ada.zip")
        inputs.append(base / folder / "ada.zip")
    _zip_folder(source, people / "ada-2.zip")
    odd = base / "=HYPERLINK(evil)"
    sample_class.write_submission(odd, {}, [L00])
    _zip_folder(odd, people / "=HYPERLINK(evil).zip")
    weird = base / "bob\x1b[31m<script>"
    sample_class.write_submission(weird, {}, [L00])
    _zip_folder(weird, people / "bob\x1b[31m<script>.zip")
    # A link to the answer key instead of a notebook, and a zip bomb.
    linked = people / "links_the_key"
    (linked / "notebooks").mkdir(parents=True)
    (linked / "notebooks" / L00).symlink_to(REPO / "solutions" / L00)
    with zipfile.ZipFile(people / "zip_bomb.zip", "w", zipfile.ZIP_DEFLATED) as bomb:
        with bomb.open("zip_bomb/notebooks/00-welcome-and-setup.ipynb", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(200):
                member.write(chunk)
    return inputs


def _sandbox_processes(marker: str) -> list[str]:
    """Processes of a sandbox user that came from this grading run (their environment says so).

    Other test runs on the machine have sandboxes of their own; only ours are counted.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid not in UIDS:
                continue
            seen = (entry / "environ").read_bytes() + (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in seen:
            found.append(f"{entry.name}: {(entry / 'cmdline').read_bytes()[:80]!r}")
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, bubblewrap) -> dict:
    base = tmp_path_factory.mktemp("hostile")
    inputs = build_hostile_class(base)
    before = _fingerprint(base)
    checkout = (REPO / "workshop", REPO / "solutions")
    checkout_before = _fingerprint(*checkout)
    # Not under pytest's own temporary folder: pytest makes that 0700 when another run starts,
    # and the grading server's system user must pass through every folder above its data.
    tmpdir = Path(tempfile.mkdtemp(prefix="wk_hostile_tmp_", dir="/tmp"))
    with db.scratch_database("instructor") as url:
        with db.engine(url).begin() as conn:
            conn.execute(sa.text("CREATE TABLE precious (id int PRIMARY KEY, note text)"))
            conn.execute(sa.text("INSERT INTO precious VALUES (1, 'do not touch')"))
        saved_env = dict(os.environ)
        os.environ["INSTRUCTOR_API_TOKEN"] = SECRET
        os.environ["TMPDIR"] = str(tmpdir)
        tempfile.tempdir = None
        try:
            environ_before = dict(os.environ)
            batch = runner.grade(inputs, jobs=2, timeout=10, progress=False)
            environ_after = dict(os.environ)
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            tempfile.tempdir = None
        with db.engine(url).connect() as conn:
            precious = conn.execute(sa.text("SELECT * FROM precious")).all()
    changed = sorted(set(_fingerprint(base).items()) ^ set(before.items()))
    processes = _sandbox_processes(str(tmpdir))
    tmp_left = sorted(p.name for p in tmpdir.iterdir())
    shutil.rmtree(tmpdir, ignore_errors=True)
    reports = report.write_all(batch, base / "report")
    return {
        "batch": batch,
        "rows": {(r.participant, r.exercise): r for r in batch.results},
        "changed": changed,
        "checkout_unchanged": _fingerprint(*checkout) == checkout_before,
        "precious": precious,
        "environ": (environ_before, environ_after),
        "tmp_left": tmp_left,
        "processes": processes,
        "reports": reports,
    }


def test_no_attack_gets_a_pass(hostile) -> None:
    wrong = {}
    for name, (_, exercise, expected) in ATTACKS.items():
        row = hostile["rows"][(name, exercise)]
        if row.status != expected:
            wrong[name] = (row.status, row.detail)
    assert wrong == {}


def test_a_hang_is_timed_out_and_a_death_is_noticed(hostile) -> None:
    rows = hostile["rows"]
    assert "did not finish in time" in rows[("ignores_sigint", "00.1")].detail
    assert "kernel died" in rows[("prints_then_dies", "00.1")].detail


def test_every_correct_answer_passes_whatever_its_neighbours_did(hostile) -> None:
    rows = hostile["rows"]
    assert rows[("correct_00", "00.1")].status == "passed"
    assert rows[("correct_02", "02.1")].status == "passed"
    for name in hostile["batch"].participants:
        if name.startswith(("ada", "=HYPERLINK", "bob")):
            assert rows[(name, "00.1")].status == "passed", name


def test_the_batch_completes_and_refuses_links_and_bombs(hostile) -> None:
    batch = hostile["batch"]
    problems = " ".join(batch.grader_errors)
    assert "links_the_key" in problems and "link" in problems
    assert "zip_bomb" in problems
    assert len(batch.grader_errors) == 2, batch.grader_errors
    assert len(batch.participants) == len(ATTACKS) + len(CORRECT) + 5 + 2


def test_nothing_of_the_instructors_changed(hostile) -> None:
    assert hostile["changed"] == [], "every submission is byte-identical"
    assert hostile["checkout_unchanged"], "workshop/ and solutions/ are as they were"
    assert hostile["precious"] == [(1, "do not touch")]
    before, after = hostile["environ"]
    assert before == after
    assert not HOME_MARK.exists()
    assert not (Path.home() / ".bashrc").exists() or "pwned" not in (
        Path.home() / ".bashrc"
    ).read_text(errors="replace")


def test_no_process_is_left_and_tmpdir_is_clean(hostile) -> None:
    assert hostile["processes"] == []
    assert hostile["tmp_left"] == []


def test_the_reports_are_well_formed_with_unique_names(hostile) -> None:
    reports = hostile["reports"]
    rows = list(csv.DictReader(io.StringIO(reports["csv"].read_text(encoding="utf-8"))))
    assert all(not row["participant"].startswith(("=", "+", "-", "@")) for row in rows)
    per_exercise = [(row["participant"], row["exercise"]) for row in rows]
    assert len(per_exercise) == len(set(per_exercise))
    suites = [s.get("name") for s in ET.parse(reports["junit"]).iter("testsuite")]
    assert len(suites) == len(set(suites))
    assert all("\x1b" not in name for name in suites)
    page = reports["html"].read_text(encoding="utf-8")
    assert "<script>" not in page and "\x1b" not in page
    HTMLParser().feed(page)


def test_a_graded_notebook_never_reaches_the_kernel_with_the_key(tmp_path: Path) -> None:
    """The graded notebook's check cells hold only a marker, not the key's call."""
    from workshop.grading import runner, session
    from workshop.lessons import LESSONS

    key = nbformat.read(REPO / "solutions" / L02, as_version=4)
    theirs = nbformat.from_dict(key)
    for cell in theirs.cells:  # a participant's cells that look like markers stay their code
        if "exercise" in cell.metadata.get("tags", []):
            cell.source = "#workshop-grader t0ken check 02.1\nwk.check_exercise('02.1')"
            cell.metadata[session.MARKER_KEY] = ["check", "02.1"]
    item = next(item for item in LESSONS if item.notebook == L02)
    graded = runner.graded_notebook(runner.graded_exercises(item, key, theirs), "g.ipynb")
    session.mark_cells(graded, "t0ken")
    sources = [c.source for c in graded.cells]
    assert sources[0] == "#workshop-grader t0ken restore 02.1"
    assert sources[-1] == "#workshop-grader t0ken check 02.1"
    assert sources[1].startswith("#workshop-grader t0ken check 02.1\nwk.check_exercise")
    assert not any(session.MARKER_KEY in c.metadata for c in graded.cells[1:-1])
    shutil.rmtree(tmp_path, ignore_errors=True)
