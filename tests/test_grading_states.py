"""The exercises' starting states: what invalidates them, what is saved, and what is kept.

The capture itself (the key run through the grading kernel) is exercised by every grading test;
these are the cheap rules around it, on a copy of the project's files.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from workshop.grading import states

from .conftest import REPO


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "kit"
    for name in states.SOURCES:
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in states.SOURCE_FILES:
        shutil.copy2(REPO / name, root / name)
    return root


def test_the_digest_follows_the_key_and_the_kit_but_not_grading_code(tmp_path: Path) -> None:
    root = _project(tmp_path)
    first = states.digest(root)
    assert states.digest(root) == first, "the same files give the same digest"
    (root / "workshop" / "grading" / "runner.py").write_text("# grading code changed\n")
    (root / "migrations" / "versions" / "stray.py").write_text("# a participant's file\n")
    assert states.digest(root) == first
    key = root / "solutions" / "02-op-create-table.ipynb"
    key.write_text(key.read_text().replace("category", "kategory"))
    assert states.digest(root) != first
    assert states.store(root).parent == root / ".workshop" / states.STORE


def test_a_state_holds_the_work_folders_files_but_not_notebooks_sockets_or_links(
    tmp_path: Path,
) -> None:
    work = tmp_path / "work"
    (work / "migrations" / "versions").mkdir(parents=True)
    (work / "migrations" / "versions" / "0001_x.py").write_text("revision = '0001'\n")
    (work / ".workshop" / "kernel").mkdir(parents=True)
    (work / ".workshop" / "kernel" / "abc.json").write_text("{}")
    (work / ".workshop" / "lesson-09.sqlite").write_bytes(b"SQLite format 3\0")
    (work / "notebooks").mkdir()
    (work / "notebooks" / "x.ipynb").write_text("{}")
    (work / "link.py").symlink_to("/etc/passwd")
    os.mkfifo(work / "pipe")
    (work / ".workshop" / "lesson-02.sqlite").write_bytes(b"an earlier lesson's database")
    state = tmp_path / "state"
    states.save_files(work, state / "files", work / ".workshop" / "lesson-09.sqlite")
    assert states.saved_files(state) == [
        Path(".workshop/lesson-09.sqlite"),
        Path("migrations/versions/0001_x.py"),
    ]
    states.save_files(work, tmp_path / "postgres" / "files")  # the lesson has no SQLite file
    assert states.saved_files(tmp_path / "postgres") == [Path("migrations/versions/0001_x.py")]


def test_a_finished_capture_is_published_and_old_ones_go_only_after_a_day(tmp_path: Path) -> None:
    final = tmp_path / "grading-states" / "new"
    capture = states.new_capture(final)
    (capture / "02.1").mkdir()
    recent = tmp_path / "grading-states" / "recent"
    stale = tmp_path / "grading-states" / "stale"
    unfinished = tmp_path / "grading-states" / ".capture-dead"
    for folder in (recent, stale, unfinished):
        folder.mkdir()
    day_old = time.time() - 2 * 86400
    for folder in (stale, unfinished):
        os.utime(folder, (day_old, day_old))
    states.publish(capture, final)
    assert (final / "02.1").is_dir() and not capture.exists()
    left = sorted(p.name for p in final.parent.iterdir())
    assert left == ["new", "recent"], "a grading may still read a recent store"
    again = states.new_capture(final)
    states.publish(again, final)  # another grader's identical capture won meanwhile
    assert not again.exists() and (final / "02.1").is_dir()


def test_a_lessons_exercises_are_graded_in_one_part_in_order() -> None:
    """14.2's starting state holds the key's answer to 14.1: it must never be in a sandbox while
    14.1 is still being answered in another part of the same submission."""
    from workshop.grading.runner import Exercise, split

    lessons = [("00", 1), ("01", 1), ("02", 1), ("14", 2)]
    exercises = [Exercise(lesson, f"{lesson}.{n}", [], []) for lesson, k in lessons
                 for n in range(1, k + 1)]  # fmt: skip
    for parts in range(1, 8):
        runs = split(exercises, parts)
        assert [e for run in runs for e in run] == exercises, "every exercise, once, in order"
        assert len(runs) == min(parts, len(lessons)) and all(runs)
        assert any([e.exercise_id for e in run][-2:] == ["14.1", "14.2"] for run in runs)
