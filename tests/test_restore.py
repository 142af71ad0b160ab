"""workshop restore: a backup's files and database come back exactly, and nothing is lost.

Each test works in a scratch project and a scratch database on the embedded server (the
``project`` fixture), and compares the whole state before and after: every table's rows, the
schemas, enum types, views, sequences, ``alembic_version`` and the files, byte for byte.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from workshop import commands, db, lessons, restore
from workshop.errors import WorkshopError

# Text that breaks naive quoting or encoding: non-ASCII, quotes, backslashes, newlines.
ODD_TEXTS = [
    "café, 李小龙, 🎉🐘",
    'it\'s "quoted" twice',
    "back\\slash \\n not a newline, \\\\ two",
    "line one\nline two\r\nline three\ttabbed",
    "",
]


def _edit_and_add_revisions(project: Path) -> None:
    """The participant's own work at lesson 05: an edited reference revision, one of their
    own that makes odd objects, and an edited application file."""
    versions = project / "migrations" / "versions"
    edited = versions / "0002_create_phone_number_for_user_column.py"
    edited.write_bytes(edited.read_bytes() + "# my notes: ünïcode, 李, 🎉\r\n".encode())
    commands.revision("my own", rev_id="0003")
    mine = versions / "0003_my_own.py"
    body = (
        "    op.execute('CREATE SCHEMA \"audit trail\"')\n"
        "    op.execute(\"CREATE TYPE \\\"audit trail\\\".mood AS ENUM ('calm', 'grümpy')\")\n"
    )
    mine.write_bytes(mine.read_bytes().replace(b"    pass\n", body.encode(), 1))
    (project / "todo" / "models.py").write_bytes("# my own models, ünïcode\r\n".encode())
    commands.upgrade("head")


def _add_odd_data() -> None:
    with db.engine().begin() as conn:
        conn.exec_driver_sql(
            'CREATE TABLE "audit trail".entries (id serial PRIMARY KEY, '
            'mood "audit trail".mood, note text, extra jsonb, at timestamptz)'
        )
        conn.exec_driver_sql(
            'CREATE VIEW "audit trail".calm AS '
            "SELECT id, note FROM \"audit trail\".entries WHERE mood = 'calm'"
        )
        conn.exec_driver_sql("CREATE SEQUENCE public.ticket START 100 INCREMENT 7")
        for _ in range(3):
            conn.exec_driver_sql("SELECT nextval('public.ticket')")  # at 114 now
        for i, text in enumerate(ODD_TEXTS):
            conn.execute(
                sa.text(
                    'INSERT INTO "audit trail".entries (mood, note, extra, at) '
                    "VALUES (:mood, :note, CAST(:extra AS jsonb), '2026-01-02 03:04:05+00')"
                ),
                {"mood": "calm" if i % 2 else "grümpy", "note": text, "extra": '{"k": "é\'"}'},
            )
        conn.execute(sa.text('INSERT INTO "audit trail".entries (mood) VALUES (NULL)'))
        conn.execute(
            sa.text(
                "INSERT INTO users (email, username, first_name, last_name, phone_number) "
                "VALUES (:email, :name, :first, NULL, :phone)"
            ),
            [
                {"email": "é@x.org", "name": "o'brien", "first": ODD_TEXTS[0], "phone": None},
                {"email": "b@x.org", "name": 'say "hi"', "first": ODD_TEXTS[3], "phone": "\\"},
            ],
        )


def _snapshot() -> dict[str, Any]:
    """Everything of the participant's in the database, in comparable form."""
    user = "nspname <> 'information_schema' AND NOT starts_with(nspname, 'pg_')"
    with db.engine().connect() as conn:

        def rows(sql: str) -> list[tuple]:
            return [tuple(row) for row in conn.exec_driver_sql(sql).all()]

        tables = conn.exec_driver_sql(
            "SELECT format('%%I.%%I', nspname, relname) FROM pg_class c "
            f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE relkind = 'r' AND {user} "
            "ORDER BY 1"
        ).scalars()
        sequences = conn.exec_driver_sql(
            "SELECT format('%%I.%%I', nspname, relname) FROM pg_class c "
            f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE relkind = 'S' AND {user} "
            "ORDER BY 1"
        ).scalars()
        return {
            "schemas": rows(f"SELECT nspname FROM pg_namespace WHERE {user} ORDER BY 1"),
            "tables": {t: sorted(rows(f"SELECT * FROM {t}"), key=repr) for t in tables},
            "columns": rows(
                "SELECT table_schema, table_name, column_name, data_type, column_default, "
                "is_nullable FROM information_schema.columns "
                "WHERE table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY 1, 2, 3"
            ),
            "enums": rows(
                "SELECT nspname, typname, array_agg(enumlabel ORDER BY enumsortorder) "
                "FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid "
                "JOIN pg_namespace n ON n.oid = t.typnamespace GROUP BY 1, 2 ORDER BY 1, 2"
            ),
            "views": rows(
                "SELECT schemaname, viewname, definition FROM pg_views "
                "WHERE schemaname NOT IN ('information_schema', 'pg_catalog') ORDER BY 1, 2"
            ),
            "sequences": {s: rows(f"SELECT last_value, is_called FROM {s}") for s in sequences},
            "constraints": rows(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE connamespace IN "
                f"(SELECT oid FROM pg_namespace WHERE {user}) ORDER BY 1, 2"
            ),
            "alembic_version": rows("SELECT version_num FROM public.alembic_version")
            if conn.exec_driver_sql("SELECT to_regclass('public.alembic_version')").scalar()
            else None,
        }


def _files(project: Path) -> dict[str, bytes]:
    """migrations/versions/ and the application file a lesson replaces, byte for byte."""
    versions = project / "migrations" / "versions"
    found = {
        f"versions/{p.name}": p.read_bytes()
        for p in versions.iterdir()
        if p.is_file() and p.name != ".gitkeep"
    }
    found["todo/models.py"] = (project / "todo" / "models.py").read_bytes()
    return found


def _backups(project: Path) -> list[str]:
    folder = project / ".workshop" / "backups"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _participant_at_work(project: Path) -> tuple[dict[str, bytes], dict[str, Any], Path]:
    """Lesson 05, the participant's edits and odd data, then lesson 06's reset: the state
    before the reset, and the reset's backup."""
    lessons.reset_to("05")
    _edit_and_add_revisions(project)
    _add_odd_data()
    files, database = _files(project), _snapshot()
    saved = lessons.reset_to("06")
    assert saved is not None
    assert _files(project) != files and _snapshot() != database, "the reset changed nothing"
    return files, database, saved


def test_a_restore_puts_files_and_database_back_exactly(project: Path) -> None:
    files, database, saved = _participant_at_work(project)
    assert database["alembic_version"] == [("0003",)]

    done = restore.restore(saved.name)

    assert _files(project) == files
    assert _snapshot() == database
    with db.engine().begin() as conn:  # one row, as saved: not the lesson's '0002' beside it
        assert conn.exec_driver_sql("SELECT * FROM alembic_version").all() == [("0003",)]
        assert conn.exec_driver_sql("SELECT nextval('public.ticket')").scalar() == 121
    assert commands.current_revisions() == ("0003",)
    text = restore.report(done)
    assert "0001_create_users_table.py, 0002_create_phone_number_for_user_column.py, " in text
    assert "0003_my_own.py" in text and "todo/models.py" in text
    assert '"audit trail".entries (6 rows)' in text and "users (2 rows)" in text
    assert '"audit trail".calm' in text and '"audit trail".mood' in text
    assert "ticket" in text and "Alembic revision 0003." in text


def test_what_is_there_is_saved_first_and_a_second_restore_brings_it_back(
    project: Path,
) -> None:
    _, database, saved = _participant_at_work(project)
    # Work done since, at lesson 06: a revision of its own, rows, and an edited model file.
    commands.revision("since", rev_id="0004")
    commands.upgrade("head")
    with db.engine().begin() as conn:
        conn.exec_driver_sql("INSERT INTO users (email, username) VALUES ('new@x.org', 'néw')")
    (project / "todo" / "models.py").write_bytes(b"# edited at lesson 06\n")
    since_files, since_database = _files(project), _snapshot()

    done = restore.restore(saved.name)

    assert done.saved is not None and done.saved.name.endswith("-before-restore")
    assert _snapshot() == database
    assert f".workshop/backups/{done.saved.name}/" in restore.report(done)
    kept = {f"versions/{p.name}": p.read_bytes() for p in (done.saved / "versions").iterdir()}
    kept["todo/models.py"] = (done.saved / "app" / "todo" / "models.py").read_bytes()
    assert kept == since_files
    assert "'new@x.org', 'néw'" in (done.saved / "database.sql").read_text(encoding="utf-8")

    again = restore.restore(done.saved.name)

    assert _files(project) == since_files
    assert _snapshot() == since_database
    assert again.saved is not None and again.saved != done.saved


def test_a_restore_is_undone_by_restoring_the_backup_it_made(project: Path) -> None:
    """Even when versions/ now holds only files the backup also holds (the lesson's own, not
    edited), the restore's backup holds all of versions/, so the undo takes them back out."""
    lessons.reset_to("05")
    commands.revision("mine", rev_id="0003")
    commands.upgrade("head")
    saved = lessons.reset_to("06")
    assert saved is not None
    lesson_files, lesson_database = _files(project), _snapshot()

    done = restore.restore(saved.name)
    assert (project / "migrations" / "versions" / "0003_mine.py").exists()
    assert done.saved is not None
    restore.restore(done.saved.name)

    assert _files(project) == lesson_files
    assert _snapshot() == lesson_database


@pytest.mark.parametrize(
    "hold",
    [
        "SELECT count(*) FROM users",  # a read: the backup passes, psql's emptying waits
        "LOCK TABLE users IN ACCESS EXCLUSIVE MODE",  # pg_dump's backup waits
    ],
    ids=["read-lock", "exclusive-lock"],
)
def test_a_lock_held_elsewhere_stops_the_restore_and_names_the_holder(
    project: Path, monkeypatch: pytest.MonkeyPatch, hold: str
) -> None:
    monkeypatch.setattr(lessons, "EMPTYING_LOCK_TIMEOUT", "2s")
    monkeypatch.setattr(restore, "REPLAY_SECONDS", 30)  # a restore that waits fails, not hangs
    _, database, saved = _participant_at_work(project)
    files, now = _files(project), _snapshot()
    other = sa.create_engine(
        db.url(), connect_args={"application_name": "another kernel"}, poolclass=sa.pool.NullPool
    )
    holder = other.connect()
    holder.exec_driver_sql(hold)  # its transaction stays open
    try:
        with pytest.raises(WorkshopError) as caught:
            restore.restore(saved.name)
        message = str(caught.value)
        assert "another kernel (pid" in message, message
        assert "nothing was changed" in message.lower(), message
        assert "workshop db unblock" in message
        assert _files(project) == files
        assert db.unblock()[0].startswith("another kernel (pid")  # the advice, followed
    finally:
        holder.invalidate()
        holder.close()
        other.dispose()
    assert _snapshot() == now, "the database changed before the restore gave up"
    restore.restore(saved.name)
    assert _files(project) != files and _snapshot() == database


def test_a_dump_that_fails_half_way_changes_nothing(project: Path) -> None:
    """ON_ERROR_STOP and one transaction: the emptying and the statements before the failing
    one are rolled back, and the files do not move."""
    _, _, saved = _participant_at_work(project)
    dump = saved / "database.sql"
    text = dump.read_text(encoding="utf-8")
    at = text.index("-- PostgreSQL database dump complete")
    dump.write_text(text[:at] + "INSERT INTO public.users (id) VALUES ('x');\n" + text[at:])
    files, now = _files(project), _snapshot()

    with pytest.raises(WorkshopError) as caught:
        restore.restore(saved.name)

    message = str(caught.value)
    assert "left as it was" in message and "invalid input syntax for type integer" in message
    assert "-before-restore/" in message, "the error says where the backup is"
    assert _files(project) == files
    assert _snapshot() == now


@pytest.mark.parametrize("case", ["unknown", "empty", "cut-short", "not-a-backup"])
def test_a_bad_backup_is_refused_with_a_fix_and_nothing_changes(project: Path, case: str) -> None:
    _, _, saved = _participant_at_work(project)
    name = saved.name
    if case == "unknown":
        name = "20990101-000000-lesson-42"
    elif case == "empty":
        name = lessons.new_backup_folder("empty").name
    elif case == "cut-short":
        dump = saved / "database.sql"
        dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    else:
        folder = lessons.new_backup_folder("junk")
        (folder / "notes.txt").write_text("not a backup")
        name = folder.name
    files, now, before = _files(project), _snapshot(), _backups(project)

    with pytest.raises(WorkshopError) as caught:
        restore.restore(name)

    expected = {
        "unknown": "There is no backup '20990101-000000-lesson-42'",
        "empty": "the folder is empty",
        "cut-short": "its database.sql was cut short",
        "not-a-backup": "it holds none of what a backup holds",
    }[case]
    assert expected in caught.value.message
    assert "workshop restore --list" in caught.value.fix
    assert _files(project) == files and _snapshot() == now
    assert _backups(project) == before, "a refused restore made a backup folder"


def test_with_no_backup_at_all_there_is_nothing_to_restore(project: Path) -> None:
    with pytest.raises(WorkshopError, match="There is no backup to restore"):
        restore.restore()
    assert _backups(project) == []
    assert "There are no backups in .workshop/backups/ yet" in restore.listing()


def test_the_command_lists_backups_and_restores_the_newest(project: Path) -> None:
    older = project / ".workshop" / "backups" / "20200101-000000-lesson-01" / "versions"
    older.mkdir(parents=True)
    (older / "0001_old.py").write_text("# an older backup\n")
    files, database, saved = _participant_at_work(project)

    def workshop(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "workshop.cli", "restore", *args],
            capture_output=True,
            text=True,
        )

    listed = workshop("--list")
    assert listed.returncode == 0, listed.stderr
    first, last = listed.stdout.splitlines()[-2:]
    assert "20200101-000000-lesson-01  2020-01-01 00:00:00  1 revision file, no database" in first
    assert saved.name in last, listed.stdout
    assert "3 revision files, 1 app file, database.sql at 0003" in last, listed.stdout

    done = workshop()
    assert done.returncode == 0, done.stderr
    assert f"Restored .workshop/backups/{saved.name}/" in done.stdout
    assert "Alembic revision 0003." in done.stdout
    assert _files(project) == files and _snapshot() == database

    bad = workshop("no-such-backup")
    assert bad.returncode == 2
    assert "There is no backup 'no-such-backup'" in bad.stderr and "Fix:" in bad.stderr

    again = workshop("--list")
    newest = again.stdout.splitlines()[-1]
    assert "-before-restore" in newest and "database.sql at 0002" in newest, again.stdout


def test_a_failure_while_files_move_puts_files_and_database_back(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, saved = _participant_at_work(project)
    files, now = _files(project), _snapshot()
    copied = []

    def copy_then_fail(source: Path, target: Path) -> None:
        if copied:
            raise OSError(28, "No space left on device")
        copied.append(target)
        target.write_bytes(source.read_bytes())

    monkeypatch.setattr(restore, "_copy", copy_then_fail)

    with pytest.raises(WorkshopError) as caught:
        restore.restore(saved.name)

    assert copied, "the failure did not come part-way"
    assert "put back as they were" in caught.value.message
    assert "-before-restore/" in caught.value.message
    assert _files(project) == files
    assert _snapshot() == now


def test_a_backup_of_an_empty_database_empties_it(project: Path) -> None:
    """No database part in a backup means the database was empty when it was saved."""
    (project / "migrations" / "versions" / "0009_mine.py").write_text("# mine, not applied\n")
    files = _files(project)
    saved = lessons.reset_to("05")  # lesson 05 upgrades: now there is a users table
    assert saved is not None and not (saved / "database.sql").exists()

    done = restore.restore(saved.name)

    assert _files(project) == files
    assert _snapshot()["tables"] == {}
    assert done.saved is not None and "CREATE TABLE public.users" in (
        done.saved / "database.sql"
    ).read_text(encoding="utf-8")
    assert "no tables; no Alembic revision." in restore.report(done)


def test_on_sqlite_the_file_comes_back_page_for_page(
    project: Path, monkeypatch: pytest.MonkeyPatch, scratch_url: str
) -> None:
    monkeypatch.setenv(db.URL_ENV, f"sqlite:///{project / '.workshop' / 'mine.sqlite'}")
    db.dispose_engines()
    lessons.reset_to("05")
    (project / "migrations" / "versions" / "0003_mine.py").write_bytes(
        b'"""mine"""\nrevision = "0003"\ndown_revision = "0002"\n'
        b"def upgrade():\n    pass\ndef downgrade():\n    pass\n"
    )
    commands.upgrade("head")
    with db.engine().begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (n text)")
        conn.exec_driver_sql("CREATE VIEW loud AS SELECT upper(n) AS n FROM notes")
        for text in ODD_TEXTS:
            conn.execute(sa.text("INSERT INTO notes VALUES (:n)"), {"n": text})

    def dump() -> list[str]:
        with db.engine().connect() as conn:
            return list(conn.connection.dbapi_connection.iterdump())

    files, database = _files(project), dump()
    saved = lessons.reset_to("02")
    assert saved is not None and (saved / "database.sqlite").exists()
    assert dump() != database

    done = restore.restore(saved.name)

    assert _files(project) == files and dump() == database
    with db.engine().connect() as conn:
        assert conn.exec_driver_sql("SELECT * FROM alembic_version").all() == [("0003",)]
    assert "notes (5 rows)" in restore.report(done) and "Alembic revision 0003." in (
        restore.report(done)
    )

    monkeypatch.setenv(db.URL_ENV, scratch_url)  # PostgreSQL again: a SQLite copy does not fit
    db.dispose_engines()
    with pytest.raises(WorkshopError, match="holds a copy of a SQLite file"):
        restore.restore(saved.name)
