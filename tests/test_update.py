"""``workshop update``: a kit update taken mid-course, with saved work in lessons 02 and 14.

Each test makes a real upstream repository from a copy of the project (the instructor's kit), a
real ``git clone`` of it (the participant's), work in the clone, and a new commit upstream (the
update). Then ``workshop update`` runs as the README says, and nothing of the participant's may
be lost: every file of theirs is back, byte for byte, and the update's changes are there too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workshop import update

from .conftest import make_project

LESSON_02 = "notebooks/02-op-create-table.ipynb"
LESSON_07 = "notebooks/07-offline-sql.ipynb"
LESSON_14 = "notebooks/14-migrate-domain-models.ipynb"
MODELS = "products/product_types/user.py"


def git(*args: str, cwd: Path) -> str:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.org",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.org",
    )
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def kit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """(upstream, clone): the instructor's repository and a participant's clone of it."""
    upstream = make_project()
    git("init", "--quiet", "--initial-branch=main", cwd=upstream)
    git("add", "-A", cwd=upstream)
    git("commit", "--quiet", "-m", "the kit", cwd=upstream)
    clone = tmp_path / "participant"
    git("clone", "--quiet", str(upstream), str(clone), cwd=tmp_path)
    monkeypatch.setenv("WORKSHOP_ROOT", str(clone))
    monkeypatch.chdir(clone)
    try:
        yield upstream, clone
    finally:
        shutil.rmtree(upstream, ignore_errors=True)


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts and ".workshop" not in p.parts
    }


def test_saved_work_in_lessons_02_and_14_survives_an_update(kit: tuple[Path, Path]) -> None:
    upstream, clone = kit
    # The participant's work: two saved notebooks, an edited model, a file of their own, and a
    # revision file of their own (git-ignored).
    original_02 = (clone / LESSON_02).read_bytes()
    mine_02 = original_02.replace(b"op.create_table", b"op.create_table  # mine", 1)
    assert mine_02 != original_02
    (clone / LESSON_02).write_bytes(mine_02)
    mine_14 = (clone / LESSON_14).read_bytes() + b"\n"
    (clone / LESSON_14).write_bytes(mine_14)
    mine_models = (clone / MODELS).read_bytes() + b"# my field\n"
    (clone / MODELS).write_bytes(mine_models)
    (clone / "notebooks" / "my-notes.md").write_text("notes\n")
    (clone / "migrations" / "versions" / "0001_mine.py").write_text("# mine\n")
    before = _files(clone)

    # The instructor's update: lesson 07 and lesson 02 fixed, a new file, the README.
    kit_07 = (upstream / LESSON_07).read_bytes().replace(b"Offline", b"Offline (fixed)", 1)
    (upstream / LESSON_07).write_bytes(kit_07)
    kit_02 = (upstream / LESSON_02).read_bytes() + b"\n\n"
    (upstream / LESSON_02).write_bytes(kit_02)
    (upstream / "notebooks" / "NEW.md").write_text("new\n")
    git("add", "-A", cwd=upstream)
    git("commit", "--quiet", "-m", "fixes", cwd=upstream)

    done = subprocess.run(
        [sys.executable, "-m", "workshop.cli", "update"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout

    # The update is in: HEAD is the instructor's, and their changes are there.
    assert git("rev-parse", "HEAD", cwd=clone) == git("rev-parse", "HEAD", cwd=upstream)
    assert (clone / LESSON_07).read_bytes() == kit_07
    assert (clone / "notebooks" / "NEW.md").read_text() == "new\n"
    # Nothing of the participant's is lost: each file is back in place, byte for byte.
    assert (clone / LESSON_02).read_bytes() == mine_02
    assert (clone / LESSON_14).read_bytes() == mine_14
    assert (clone / MODELS).read_bytes() == mine_models
    assert (clone / "notebooks" / "my-notes.md").read_text() == "notes\n"
    assert (clone / "migrations" / "versions" / "0001_mine.py").read_text() == "# mine\n"
    # Lesson 02 was changed on both sides: the kit's version is beside the participant's.
    beside = clone / "notebooks" / "02-op-create-table.kit-update.ipynb"
    assert beside.read_bytes() == kit_02
    assert "02-op-create-table.kit-update.ipynb" in out and "Your version stays in place" in out
    # And the backup holds every file of theirs as it was.
    (backup,) = (clone / ".workshop" / "backups").glob("*-update")
    assert str(backup.relative_to(clone)) in out
    for relative in (LESSON_02, LESSON_14, MODELS, "notebooks/my-notes.md"):
        assert (backup / "files" / relative).read_bytes() == before[relative]

    # A second update with nothing new changes nothing.
    settled = _files(clone)
    again = update.update()
    assert again.commits == 0 and _files(clone) == settled
    assert "up to date" in again.report()


def test_a_failing_update_puts_every_file_back(
    kit: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    upstream, clone = kit
    (clone / LESSON_02).write_bytes((clone / LESSON_02).read_bytes() + b"\n")
    (upstream / LESSON_02).write_bytes((upstream / LESSON_02).read_bytes() + b"\n\n\n")
    git("commit", "--quiet", "-am", "fix", cwd=upstream)
    before = _files(clone)
    head = git("rev-parse", "HEAD", cwd=clone)

    real_git = update._git

    def merge_fails(*args: str, root: Path, check: bool = True) -> str:
        if args[0] == "merge":
            raise update._GitFailed(args, "disk full")
        return real_git(*args, root=root, check=check)

    monkeypatch.setattr(update, "_git", merge_fails)
    with pytest.raises(update.WorkshopError, match="could not be applied: git merge .*disk full"):
        update.update()
    assert _files(clone) == before
    assert git("rev-parse", "HEAD", cwd=clone) == head


def test_an_unreachable_upstream_changes_nothing(kit: tuple[Path, Path]) -> None:
    upstream, clone = kit
    (clone / LESSON_02).write_bytes((clone / LESSON_02).read_bytes() + b"\n")
    before = _files(clone)
    shutil.rmtree(upstream)
    with pytest.raises(update.WorkshopError, match="could not be fetched") as raised:
        update.update()
    assert "Nothing was changed" in str(raised.value)
    assert _files(clone) == before


def test_commits_of_ones_own_are_left_to_git(kit: tuple[Path, Path]) -> None:
    upstream, clone = kit
    (clone / LESSON_02).write_bytes((clone / LESSON_02).read_bytes() + b"\n")
    git("commit", "--quiet", "-am", "my work", cwd=clone)
    (upstream / LESSON_07).write_bytes((upstream / LESSON_07).read_bytes() + b"\n")
    git("commit", "--quiet", "-am", "fix", cwd=upstream)
    before = _files(clone)
    with pytest.raises(update.WorkshopError, match="git commits of your own") as raised:
        update.update()
    assert "git pull origin" in raised.value.fix
    assert _files(clone) == before


def test_a_copy_that_is_not_a_clone_gets_a_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = make_project()
    try:
        monkeypatch.setenv("WORKSHOP_ROOT", str(root))
        with pytest.raises(update.WorkshopError, match="not a git clone"):
            update.update()
    finally:
        shutil.rmtree(root, ignore_errors=True)
