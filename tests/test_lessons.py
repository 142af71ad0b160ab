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
    backups = project / ".workshop" / "backups"
    assert "saved in" not in out and not (backups.exists() and any(backups.iterdir()))


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


def test_the_database_is_saved_then_emptied_for_the_lesson(project: Path, capsys) -> None:
    with db.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE leftover (x int)"))
        conn.execute(sa.text("INSERT INTO leftover VALUES (4242)"))
    lessons.start_lesson("02")
    assert sa.inspect(db.engine()).get_table_names() == []
    (backup,) = (project / ".workshop" / "backups").iterdir()
    dump = (backup / "database.sql").read_text()
    assert "CREATE TABLE public.leftover" in dump and "4242" in dump
    assert "database.sql" in capsys.readouterr().out


def test_the_saved_database_can_be_restored(project: Path) -> None:
    """The backup is a real pg_dump script: loading it brings the table and rows back."""
    with db.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE diary (entry text)"))
        conn.execute(sa.text("INSERT INTO diary VALUES ('restored')"))
    saved = lessons.reset_to("02")
    script = (saved / "database.sql").read_text()
    raw = db.engine().raw_connection()
    try:
        with raw.cursor() as cursor:
            cursor.execute("\n".join(
                line for line in script.splitlines()
                if not line.startswith("\\")  # psql meta-commands such as \restrict
            ))  # fmt: skip
        raw.commit()
    finally:
        raw.close()
    with db.engine().connect() as conn:
        assert conn.execute(sa.text("SELECT entry FROM public.diary")).scalar() == "restored"


def test_unknown_lesson(project: Path) -> None:
    with pytest.raises(lessons.WorkshopError, match="no lesson '42'"):
        lessons.start_lesson("42")


def test_application_files_are_put_in_place_and_a_changed_one_is_backed_up(
    project: Path,
) -> None:
    reference = project / "solutions" / "app" / "99" / "todo" / "models.py"
    reference.parent.mkdir(parents=True)
    reference.write_text("# the lesson's starting models\n")
    item = lessons.Lesson("99", "Test", "99.ipynb", 1, start_app=("99/todo/models.py",))
    mine = project / "todo" / "models.py"
    edited = "# my own models, ünïcode\r\n".encode()
    mine.write_bytes(edited)

    folder = lessons.new_backup_folder("lesson-99")
    assert lessons.sync_app_files(item, folder) is True
    assert mine.read_text() == "# the lesson's starting models\n"
    assert (folder / "app" / "todo" / "models.py").read_bytes() == edited

    again = lessons.new_backup_folder("lesson-99")
    assert lessons.sync_app_files(item, again) is False, "an unchanged file needs no backup"
    assert not any(again.iterdir())


def test_a_sqlite_lesson_gets_its_own_database_file(project: Path) -> None:
    item = lessons.Lesson("99", "Test", "99.ipynb", 1, database="sqlite")
    lessons.use_lesson_database(item)
    assert db.describe() == "SQLite"
    assert db.url().database == str(project / ".workshop" / "lesson-99.sqlite")
    with db.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x int)"))
    assert (project / ".workshop" / "lesson-99.sqlite").is_file()


def test_the_lesson_registry_is_read_from_the_solved_notebooks() -> None:
    found = lessons.all_lessons()
    assert [item.id for item in found] == sorted(item.id for item in found)
    assert found[0].id == "00" and found[0].notebook == "00-welcome-and-setup.ipynb"
    assert lessons.LESSONS == found
    assert all(item.minutes > 0 and item.title for item in found)


def _state(project: Path) -> tuple[list[str], tuple[str, ...]]:
    versions = project / "migrations" / "versions"
    files = sorted(p.name for p in versions.iterdir() if p.name != ".gitkeep")
    return files, commands.current_revisions()


def _expected(lesson_id: str) -> tuple[list[str], tuple[str, ...]]:
    item = lessons.lesson(lesson_id)
    files = sorted(Path(entry).name for entry in item.start_files)
    if item.start_revision is None:
        return files, ()
    script = commands.script_directory()
    return files, tuple(sorted(script.as_revision_number(item.start_revision) or ()))


def test_lesson_03_from_nothing_then_lesson_02_after_own_edits(project: Path, capsys) -> None:
    """Issue 6, acceptance 1: the state is right each time and the edits are saved byte-exact."""
    lessons.start_lesson("03")
    assert _state(project) == _expected("03")
    assert "saved in" not in capsys.readouterr().out
    assert not (project / ".workshop" / "backups").exists() or not any(
        (project / ".workshop" / "backups").iterdir()
    )

    # The participant works: an edited revision, a new one of their own, and rows in a table.
    versions = project / "migrations" / "versions"
    commands.revision("users table", rev_id="0091")
    commands.revision("my own idea", rev_id="0099")
    (versions / "0091_users_table.py").write_bytes(
        (versions / "0091_users_table.py")
        .read_bytes()
        .replace(b"    pass\n", b"    op.execute('CREATE TABLE mine (note text)')\n", 1)
        + "# ünïcode notes\r\n".encode()
    )
    commands.upgrade("head")
    with db.engine().begin() as conn:
        conn.execute(sa.text("INSERT INTO mine VALUES ('keep me')"))
    edited = {p.name: p.read_bytes() for p in versions.iterdir() if p.name != ".gitkeep"}

    lessons.start_lesson("02")

    assert _state(project) == _expected("02")
    out = capsys.readouterr().out
    (backup,) = (project / ".workshop" / "backups").iterdir()
    assert f".workshop/backups/{backup.name}/" in out
    saved = {p.name: p.read_bytes() for p in (backup / "versions").iterdir()}
    assert saved == edited
    assert "keep me" in (backup / "database.sql").read_text()


def test_a_lock_held_elsewhere_stops_the_reset_before_anything_moves(project: Path) -> None:
    """Another session (an open %sql transaction in another kernel) holds a lock on a table.
    The reset gives up within seconds, not minutes; nothing moved or was removed; the error
    names that session, read from pg_locks. Once it lets go, the reset works."""
    versions = project / "migrations" / "versions"
    (versions / "0009_mine.py").write_text("# mine\n")
    with db.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE busy (x int)"))
        conn.execute(sa.text("INSERT INTO busy VALUES (7)"))
    other = sa.create_engine(
        db.url(), connect_args={"application_name": "another kernel"}, poolclass=sa.pool.NullPool
    )
    holder = other.connect()
    holder.execute(sa.text("LOCK TABLE busy IN ACCESS EXCLUSIVE MODE"))  # stays in a transaction
    try:
        with pytest.raises(lessons.WorkshopError) as caught:
            lessons.reset_to("02")
        message = str(caught.value)
        assert "another kernel (pid" in message, message
        assert "nothing was changed" in message or "Nothing was removed" in message
        assert (versions / "0009_mine.py").read_text() == "# mine\n", "files did not move"
        assert "workshop db unblock" in message
        ended = db.unblock()  # the advice, followed
        assert len(ended) == 1 and ended[0].startswith("another kernel (pid")
        with db.engine().connect() as conn:  # nothing of the data was removed meanwhile
            assert conn.execute(sa.text("SELECT x FROM busy")).scalar() == 7
    finally:
        holder.invalidate()  # its session was ended, or is ended here
        holder.close()
        other.dispose()
    saved = lessons.reset_to("02")
    assert saved is not None and (saved / "versions" / "0009_mine.py").exists()
    assert "INSERT INTO public.busy VALUES (7)" in (saved / "database.sql").read_text()
    assert sa.inspect(db.engine()).get_table_names() == []


def test_a_reset_empties_every_schema_the_participant_made(project: Path) -> None:
    with db.engine().begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA audit"))
        conn.execute(sa.text("CREATE TABLE audit.log (entry text)"))
        conn.execute(sa.text("INSERT INTO audit.log VALUES ('kept in the backup')"))
    saved = lessons.reset_to("02")
    with db.engine().connect() as conn:
        left = conn.execute(sa.text("SELECT count(*) FROM pg_namespace WHERE nspname = 'audit'"))
        assert left.scalar() == 0
    assert "kept in the backup" in (saved / "database.sql").read_text()
