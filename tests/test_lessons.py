"""Starting a lesson: the right files and database, and nothing of the participant's lost."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from workshop import commands, db, lessons


def test_start_on_a_fresh_project_makes_no_backup(project: Path, capsys) -> None:
    lessons.start_lesson("02")
    out = capsys.readouterr().out
    assert "Lesson 02 · op.create_table" in out
    assert "no revision files yet" in out
    assert "backup" not in out and not (project / ".workshop" / "backups").exists()


def test_participant_files_are_backed_up_byte_for_byte_before_a_reset(
    project: Path, capsys
) -> None:
    versions = project / "migrations" / "versions"
    commands.revision("create account table", rev_id="0001")
    mine = versions / "0001_create_account_table.py"
    mine.write_bytes(mine.read_bytes() + "# my own notes, ünïcode and all\r\n".encode())
    (versions / "notes.txt").write_bytes(b"\x00\x01 not even text")
    commands.upgrade("head")
    before = {p.name: p.read_bytes() for p in versions.iterdir() if p.name != ".gitkeep"}

    lessons.start_lesson("01")

    out = capsys.readouterr().out
    backups = list((project / ".workshop" / "backups").iterdir())
    assert len(backups) == 1 and backups[0].name.endswith("-lesson-01")
    saved = {p.name: p.read_bytes() for p in (backups[0] / "versions").iterdir()}
    assert saved == before
    assert f".workshop/backups/{backups[0].name}/" in out
    assert "nothing is lost" in out
    assert [p.name for p in versions.iterdir()] == [".gitkeep"]
    assert commands.current_revisions() == ()


def test_starting_twice_makes_two_backups_not_one_overwritten(project: Path) -> None:
    versions = project / "migrations" / "versions"
    for text in ("first", "second"):
        (versions / "0009_mine.py").write_text(text)
        lessons.start_lesson("01")
    backups = sorted((project / ".workshop" / "backups").iterdir())
    assert [(b / "versions" / "0009_mine.py").read_text() for b in backups] == ["first", "second"]


def test_the_database_is_emptied_for_the_lesson(project: Path) -> None:
    with db.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE leftover (x int)"))
    lessons.start_lesson("02")
    assert sa.inspect(db.engine()).get_table_names() == []


def test_unknown_lesson(project: Path) -> None:
    with pytest.raises(lessons.WorkshopError, match="no lesson '42'"):
        lessons.start_lesson("42")
