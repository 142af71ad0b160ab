"""``workshop class install``: the kit for every account, without the answer key (issue 15).

The installation is what participants can read (it is where they run the kit from), and each
participant's copy is a clone of it. So a graded class's installation must hold no solved
notebook, no stored output of the key, no reference migration a lesson does not start from, and
no history that does; and the lessons must still start from it. These tests install from a clone
of this repository (its committed state), without the virtual environment (the hub test makes
that one).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from workshop.classroom import install
from workshop.lessons import Lesson, all_lessons

from .conftest import BIN, REPO


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """The instructor's checkout: a clone of this repository."""
    folder = tmp_path / "checkout"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(folder)], check=True)
    return folder


def git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(folder), *args], check=True, capture_output=True, text=True
    ).stdout


def starts_of(root: Path) -> tuple[set[str], set[str]]:
    os.environ["WORKSHOP_ROOT"] = str(root)
    try:
        every = all_lessons()
    finally:
        os.environ["WORKSHOP_ROOT"] = str(REPO)
    return (
        {f for item in every for f in item.start_files},
        {f for item in every for f in item.start_app},
    )


def solution_regions(root: Path) -> list[str]:
    """Every answer of the key: the code between its ``### BEGIN SOLUTION`` and ``### END
    SOLUTION`` lines, as one text per region (regions too short to be telling left out)."""
    found = []
    for notebook in sorted((root / "solutions").glob("*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            source = "".join(cell["source"])
            for part in source.split("### BEGIN SOLUTION")[1:]:
                region = part.split("### END SOLUTION")[0].strip("\n")
                lines = [line for line in region.splitlines() if line.strip()]
                if len("".join(lines)) > 40:
                    found.append("\n".join(lines[:3]))
    return found


def test_a_graded_install_holds_no_answer_key_and_no_history_of_one(
    source: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "kit"
    done = install.install(destination, source=source, graded=True, make_venv=False)
    assert done.commit is not None and done.graded
    files = {p.relative_to(destination).as_posix() for p in destination.rglob("*") if p.is_file()}
    files = {f for f in files if not f.startswith(".git/")}
    assert not any(f.startswith(("tests/", "benchmarks/", ".ci/")) for f in files)
    # No folder called solutions/ at all: what lessons start from is in lesson-starts/.
    assert not (destination / "solutions").exists()
    assert not any("solutions/" in f for f in files)
    for notebook in sorted((source / "solutions").glob("*.ipynb")):
        shipped = json.loads((destination / "lesson-starts" / notebook.name).read_text())
        assert shipped["cells"] == [], notebook.name
        key = json.loads(notebook.read_text())
        assert shipped["metadata"] == key["metadata"]
    start_files, start_app = starts_of(source)

    def under(folder: str) -> set[str]:
        return {f.removeprefix(folder) for f in files if f.startswith(folder)}

    assert under("lesson-starts/migrations/") == start_files
    assert under("lesson-starts/app/") == start_app
    # No answer is anywhere else: no solution region of the key, in any file. (The starting
    # files above hold earlier lessons' answers by the course's design: lesson 04 starts from
    # lesson 03's revisions, as `workshop reset 04` shows anyone.)
    answers = solution_regions(source)
    assert len(answers) > 10
    for relative in files:
        if relative.startswith(("lesson-starts/migrations/", "lesson-starts/app/")):
            continue
        text = (destination / relative).read_text(errors="replace")
        found = [a for a in answers if a in text]
        assert not found, f"{relative} holds the key's answer {found[0][:80]!r}"
    described = git(source, "describe", "--always", "--dirty").strip()
    history = git(destination, "log", "--all", "--format=%s").splitlines()
    assert history == [f"The kit, installed from {described}"]
    paths = {
        line.partition(" ")[2]
        for line in git(destination, "rev-list", "--all", "--objects").splitlines()
    }
    assert "lesson-starts/02-op-create-table.ipynb" in paths
    assert not any(path.startswith(("tests/", "benchmarks/", "solutions")) for path in paths)
    # Every participant notebook is there, as in the checkout; everything readable by all.
    for notebook in (source / "notebooks").glob("*.ipynb"):
        assert (destination / "notebooks" / notebook.name).read_bytes() == notebook.read_bytes()
    for path in destination.rglob("*"):
        assert path.stat().st_mode & 0o004, path
        assert not path.stat().st_mode & 0o022, path


def test_lessons_start_reset_and_keep_work_in_a_copy_of_a_graded_install(
    source: Path, tmp_path: Path, scratch_url: str
) -> None:
    """A graded class's copy has no ``solutions/``: lessons start from ``lesson-starts/``. A
    lesson's first cell, the same cell in a new kernel over the participant's work (kept, not
    reset), and ``workshop reset`` to a later lesson of the products track (catching up with the
    class: revision files, application files, orchestrator-core's schema), all in such a copy."""
    destination = tmp_path / "kit"
    install.install(destination, source=source, graded=True, make_venv=False)
    copy = tmp_path / "copy"
    subprocess.run(["git", "clone", "--quiet", str(destination), str(copy)], check=True)
    assert not (copy / "solutions").exists() and (copy / "lesson-starts").is_dir()
    env = dict(os.environ, WORKSHOP_ROOT=str(copy), WORKSHOP_DATABASE_URL=scratch_url)

    def run(*argv: str) -> str:
        done = subprocess.run(argv, env=env, cwd=copy, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def versions() -> list[str]:
        return sorted(p.name for p in (copy / "migrations" / "versions").glob("*.py"))

    def starting(lesson_id: str) -> list[str]:
        return sorted(Path(f).name for f in lesson(source, lesson_id).start_files)

    first = run(
        sys.executable, "-c",
        "import workshop as wk\nfrom workshop import lessons\n"
        "print(len(lessons.all_lessons()), lessons.starts_dir().name)\nwk.start_lesson('04')\n",
    )  # fmt: skip
    count = len(list((source / "solutions").glob("*.ipynb")))
    assert first.splitlines()[0] == f"{count} lesson-starts"
    assert versions() == starting("04") and starting("04")
    # The participant's work, then the first cell in a new kernel: the work is kept.
    run(
        sys.executable, "-c",
        "from workshop import db\nwith db.engine().begin() as conn:\n"
        "    conn.exec_driver_sql('CREATE TABLE mine (x int)')\n",
    )  # fmt: skip
    again = run(
        sys.executable, "-c",
        "import workshop as wk\nfrom workshop.lessons import WorkKept\n"
        "try:\n    wk.start_lesson('04')\nexcept WorkKept as kept:\n    print('KEPT', kept)\n",
    )  # fmt: skip
    assert again.startswith("KEPT") and "mine" in again, again
    # Catching up with the class: a later lesson, from a terminal; what was there is saved.
    caught_up = run(str(BIN / "workshop"), "reset", "12")
    assert "Lesson 12" in caught_up and "was saved in .workshop/backups/" in caught_up, caught_up
    assert versions() == starting("12") and starting("12")
    for entry in lesson(source, "12").start_app:
        relative = Path(*Path(entry).parts[1:])
        assert (copy / relative).read_bytes() == (source / "solutions" / "app" / entry).read_bytes()
    assert not (copy / "solutions").exists()


def lesson(root: Path, lesson_id: str) -> Lesson:
    os.environ["WORKSHOP_ROOT"] = str(root)
    try:
        return next(item for item in all_lessons() if item.id == lesson_id)
    finally:
        os.environ["WORKSHOP_ROOT"] = str(REPO)


def test_a_second_install_commits_what_changed_and_removes_what_went(
    source: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "kit"
    install.install(destination, source=source, graded=True, make_venv=False)
    again = install.install(destination, source=source, graded=True, make_venv=False)
    assert again.commit is None and again.changed == []
    notebook = source / "notebooks" / "02-op-create-table.ipynb"
    notebook.write_text(notebook.read_text().replace("op.create_table", "op.create_table!", 1))
    git(source, "rm", "--quiet", "todo/models.py")
    third = install.install(destination, source=source, graded=True, make_venv=False)
    assert sorted(third.changed) == ["notebooks/02-op-create-table.ipynb", "todo/models.py"]
    assert third.commit is not None and not (destination / "todo" / "models.py").exists()
    assert len(git(destination, "log", "--format=%H").split()) == 2


def test_an_ungraded_install_keeps_the_answer_key(source: Path, tmp_path: Path) -> None:
    destination = tmp_path / "kit"
    install.install(destination, source=source, graded=False, make_venv=False)
    for notebook in (source / "solutions").glob("*.ipynb"):
        assert (destination / "solutions" / notebook.name).read_bytes() == notebook.read_bytes()
    assert (destination / "tests").is_dir()
    # Graded now: the answer key goes, and no empty folder of it stays (solutions/migrations/02/
    # and the folders above it).
    install.install(destination, source=source, graded=True, make_venv=False)
    assert not (destination / "solutions").exists()
    assert not (destination / "tests").exists()
    assert (destination / "lesson-starts" / "02-op-create-table.ipynb").is_file()


def test_an_install_inside_the_checkout_is_refused(source: Path) -> None:
    from workshop.errors import WorkshopError

    with pytest.raises(WorkshopError, match="inside the checkout"):
        install.install(source / "kit", source=source, make_venv=False)


def test_an_answer_key_others_can_read_is_pointed_out(source: Path, tmp_path: Path) -> None:
    """pytest's temporary folders are private (0700): the key there is not readable by others.
    The same checkout in a folder open to all (0755, as /work or a home on Debian) is."""
    private = install.install(tmp_path / "kit", source=source, make_venv=False)
    assert private.warnings == []
    open_parent = Path(tempfile.mkdtemp(prefix="wk_open_"))
    try:
        open_parent.chmod(0o755)
        exposed = open_parent / "checkout"
        shutil.copytree(source, exposed, symlinks=True)
        exposed.chmod(0o755)
        (exposed / "solutions").chmod(0o755)
        done = install.install(tmp_path / "kit2", source=exposed, make_venv=False)
        assert len(done.warnings) == 1 and "chmod 700" in done.warnings[0]
        ungraded = install.install(tmp_path / "kit3", source=exposed, graded=False, make_venv=False)
        assert ungraded.warnings == []
    finally:
        shutil.rmtree(open_parent, ignore_errors=True)


@pytest.mark.parametrize(
    "prefix_mode,newer,problem",
    [(0o755, "True", None), (0o700, "True", "cannot read"), (0o755, "False", "older than")],
)
def test_the_environment_is_made_only_from_a_python_every_account_can_run(
    tmp_path: Path, prefix_mode: int, newer: str, problem: str | None
) -> None:
    """A venv runs its base interpreter's standard library: one in a private folder (an
    instructor's pyenv under /root) leaves participants' servers on some other Python, or none.
    A stand-in interpreter says where its standard library is."""
    parent = Path(tempfile.mkdtemp(prefix="wk_py_"))
    try:
        parent.chmod(0o755)
        prefix = parent / "prefix"
        (prefix / "lib").mkdir(parents=True)
        prefix.chmod(prefix_mode)
        (prefix / "lib").chmod(0o755)
        python = parent / "python"
        python.write_text(f"#!/bin/sh\necho {prefix}\necho {newer}\n")
        python.chmod(0o755)
        found = install.interpreter_problem(str(python))
        assert (found is None) if problem is None else (problem in (found or "")), found
        if problem is not None:
            from workshop.errors import WorkshopError

            with pytest.raises(WorkshopError, match="--python /usr/bin/python3"):
                install.ensure_venv(tmp_path, str(python))
    finally:
        shutil.rmtree(parent, ignore_errors=True)
