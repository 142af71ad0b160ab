"""Friendly explanations for common migration mistakes, each made for real.

Every test writes real revision files into a scratch project, runs the real command against a
real database (the scratch PostgreSQL of the ``project`` fixture, or a SQLite file), and checks
three things: the plain-words message printed above the error, that the original error is still
raised, and that the database is where the message says it is.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.util.exc import CommandError

from workshop import commands, db, friendly
from workshop.errors import WorkshopError

from .conftest import BIN

HEADER = '''"""{message}

Revision ID: {rev}
Revises: {down}
Create Date: 2026-11-21 10:00:00.000000

"""
from collections.abc import Sequence

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = {rev!r}
down_revision: str | Sequence[str] | None = {down!r}
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
'''

ACCOUNT = 'op.create_table("account", sa.Column("id", sa.Integer, primary_key=True))'
DROP_ACCOUNT = 'op.drop_table("account")'
CATEGORY = 'op.create_table("category", sa.Column("id", sa.Integer, primary_key=True))'
DROP_CATEGORY = 'op.drop_table("category")'


def write_revision(
    project: Path,
    rev: str,
    down: str | None,
    upgrade: str = "pass",
    downgrade: str = "pass",
    *,
    file_name: str | None = None,
    without: str = "",
) -> Path:
    """A revision file shaped like ``alembic revision`` makes them; ``without`` drops a line."""
    header = HEADER.format(message=f"revision {rev}", rev=rev, down=down)
    if without:
        assert without in header
        header = header.replace(without + "\n", "")
    body = (
        f"\n\ndef upgrade() -> None:\n    {upgrade}\n"
        f"\n\ndef downgrade() -> None:\n    {downgrade}\n"
    )
    file = project / "migrations" / "versions" / (file_name or f"{rev}_revision_{rev}.py")
    file.write_text(header + body)
    return file


def line_of(file: Path, text: str) -> int:
    """The 1-based number of the first line of ``file`` that contains ``text``."""
    for number, line in enumerate(file.read_text().splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} is not in {file.name}")


def tables() -> set[str]:
    return set(sa.inspect(db.engine()).get_table_names()) - {"alembic_version"}


def printed(capsys: pytest.CaptureFixture[str], project: Path) -> str:
    """What the command printed; never an absolute path of the machine."""
    out = capsys.readouterr().out
    for absolute in (str(project), tempfile.gettempdir() + os.sep, str(Path.home()) + os.sep):
        assert absolute not in out, out
    return out


def assert_points_at(out: str, file_name: str, line: int) -> None:
    assert header_line(out).startswith(f"🛑 migrations/versions/{file_name}, line {line}:"), out


def header_line(out: str) -> str:
    """The first line of the explanation (the one with the file and line)."""
    lines = [line for line in out.splitlines() if line.startswith(("🛑", "⚠️"))]
    assert len(lines) == 1, out
    return lines[0]


# --- 1. a syntax error ---------------------------------------------------------------------


def test_syntax_error_names_the_file_and_line(project: Path, capsys) -> None:
    write_revision(project, "0001", None, ACCOUNT, DROP_ACCOUNT)
    commands.upgrade("head")
    broken = write_revision(project, "0002", "0001", CATEGORY[:-1], DROP_CATEGORY)  # no ")"
    capsys.readouterr()

    with pytest.raises(SyntaxError):
        commands.upgrade("head")

    out = printed(capsys, project)
    line = line_of(broken, 'op.create_table("category"')
    assert header_line(out).startswith(
        f"🛑 migrations/versions/0002_revision_0002.py, line {line}:"
    )
    assert "Python cannot read this file" in out and "was never closed" in out
    assert "nothing was changed in the database" in out
    assert "Fix: Correct that line" in out
    assert "(The original error follows below.)" in out
    assert commands.current_revisions() == ("0001",)
    assert tables() == {"account"}


# --- 2. down_revision points at nothing ----------------------------------------------------


def test_down_revision_that_does_not_exist(project: Path, capsys) -> None:
    write_revision(project, "0001", None, ACCOUNT, DROP_ACCOUNT)
    commands.upgrade("head")
    orphan = write_revision(project, "0002", "0009", CATEGORY, DROP_CATEGORY)
    capsys.readouterr()

    with pytest.warns(UserWarning, match="0009"), pytest.raises(KeyError):
        commands.upgrade("head")

    out = printed(capsys, project)
    line = line_of(orphan, "down_revision:")
    assert header_line(out).startswith(
        f"🛑 migrations/versions/0002_revision_0002.py, line {line}:"
    )
    assert (
        "down_revision = '0009', but no file in migrations/versions/ has revision = '0009'" in out
    )
    assert "the revisions there are: 0001, 0002" in out
    assert commands.current_revisions() == ("0001",)
    assert tables() == {"account"}

    # The same explanation for any command that reads the files, e.g. history.
    with pytest.warns(UserWarning), pytest.raises(KeyError):
        commands.history()
    assert "down_revision = '0009'" in printed(capsys, project)


# --- 3. two files with one revision id -----------------------------------------------------


def test_two_files_with_the_same_revision_id(project: Path, capsys) -> None:
    write_revision(project, "0001", None, ACCOUNT, DROP_ACCOUNT)
    commands.upgrade("head")
    # The classic: copy 0002's file to start 0003, and forget to change its id.
    write_revision(project, "0002", "0001", CATEGORY, DROP_CATEGORY)
    write_revision(project, "0002", "0001", "pass", file_name="0003_revision_0003.py")
    capsys.readouterr()

    with pytest.warns(UserWarning, match="present more than once"), pytest.raises(CommandError):
        commands.upgrade("head")

    out = printed(capsys, project)
    assert header_line(out).startswith(
        "🛑 migrations/versions/0003_revision_0003.py: This file and "
        "migrations/versions/0002_revision_0002.py both say revision = '0002'."
    )
    assert "give the newer one another id" in out
    assert commands.current_revisions() == ("0001",)
    assert tables() == {"account"}


# --- 4. multiple heads ---------------------------------------------------------------------


def test_multiple_heads_on_upgrade_head(project: Path, capsys) -> None:
    write_revision(project, "0001", None, ACCOUNT, DROP_ACCOUNT)
    commands.upgrade("head")
    write_revision(project, "0002", "0001", CATEGORY, DROP_CATEGORY)
    write_revision(project, "0003", "0001", 'op.create_table("tag", sa.Column("id", sa.Integer))')
    capsys.readouterr()

    with pytest.raises(CommandError, match="Multiple head revisions"):
        commands.upgrade("head")

    out = printed(capsys, project)
    assert "split into branches: 0002, 0003 are each newest" in out
    assert "`alembic upgrade heads`" in out and "`alembic merge" in out
    assert commands.current_revisions() == ("0001",)
    assert tables() == {"account"}

    # The same for a new revision without a head to build on.
    with pytest.raises(CommandError):
        commands.revision("add owner", rev_id="0004")
    assert "alembic merge" in printed(capsys, project)

    # And the advice works.
    commands.upgrade("heads")
    assert commands.current_revisions() == ("0002", "0003")


def test_named_branches_are_not_told_to_merge(project: Path, capsys) -> None:
    """orchestrator-core's schema and data branches stay apart: the advice must say so."""
    commands.revision("tables", rev_id="s1", branch_label="schema")
    commands.revision("rows", rev_id="d1", head="base", branch_label="data", depends_on="s1")
    commands.revision("more rows", rev_id="d2", head="data@head")
    capsys.readouterr()

    with pytest.raises(CommandError, match="Multiple head revisions"):
        commands.upgrade("head")

    out = printed(capsys, project)
    assert "d2, s1 are the newest revisions of separate branches" in out
    assert "named branches (data, schema), kept apart on purpose: do not merge them" in out
    assert "`alembic upgrade data@head` applies one" in out
    assert "alembic merge" not in out
    assert commands.current_revisions() == ()


# --- 5. a revision file deleted after it was applied ---------------------------------------


def test_revision_file_deleted_after_it_was_applied(project: Path, capsys) -> None:
    write_revision(project, "0001", None, ACCOUNT, DROP_ACCOUNT)
    second = write_revision(project, "0002", "0001", CATEGORY, DROP_CATEGORY)
    commands.upgrade("head")
    saved = second.read_text()
    second.unlink()
    capsys.readouterr()

    for attempt in (commands.current, commands.upgrade, commands.downgrade):
        with pytest.raises(CommandError, match="Can't locate revision identified by '0002'"):
            attempt()
        out = printed(capsys, project)
        assert "The database says it is at revision '0002'" in out, attempt
        assert "no file in migrations/versions/ has revision = '0002'" in out
        assert "Restore the file" in out and "`alembic stamp" in out and "with care" in out
        assert commands.current_revisions() == ("0002",)
        assert tables() == {"account", "category"}

    second.write_text(saved)  # the fix
    commands.current()
    assert "0002 (head)" in printed(capsys, project)


def test_a_revision_id_that_is_a_typo(project: Path, capsys) -> None:
    write_revision(project, "0001", None, ACCOUNT, DROP_ACCOUNT)
    with pytest.raises(CommandError):
        commands.upgrade("0009")
    out = printed(capsys, project)
    assert "There is no revision '0009'" in out and "alembic history" in out
    assert "The database says" not in out
    assert commands.current_revisions() == ()


# --- 6. an SQL error in the middle of an upgrade of several revisions ----------------------


def _three_revisions_the_last_broken(project: Path) -> Path:
    write_revision(project, "0001", None, ACCOUNT, DROP_ACCOUNT)
    write_revision(project, "0002", "0001", CATEGORY, DROP_CATEGORY)
    return write_revision(
        project,
        "0003",
        "0002",
        'op.create_table("tag", sa.Column("id", sa.Integer))\n    op.execute("SELEC 1")',
        'op.drop_table("tag")',
    )


def test_sql_error_mid_upgrade_on_postgresql_rolls_back_the_whole_command(
    project: Path, capsys
) -> None:
    broken = _three_revisions_the_last_broken(project)
    commands.upgrade("0001")
    capsys.readouterr()

    with pytest.raises(sa.exc.ProgrammingError):
        commands.upgrade("head")

    out = printed(capsys, project)
    assert "Running upgrade 0001 -> 0002" in out and "Running upgrade 0002 -> 0003" in out
    line = line_of(broken, "SELEC 1")
    assert header_line(out).startswith(
        f"🛑 migrations/versions/0003_revision_0003.py, line {line}:"
    )
    assert 'The database refused a statement in upgrade(): syntax error at or near "SELEC"' in out
    # env.py runs the whole command in one transaction, so 0002 is undone too, not only 0003.
    assert "PostgreSQL undid the whole command" in out
    assert "the database is at revision 0001." in out
    assert commands.current_revisions() == ("0001",)
    assert tables() == {"account"}


def test_sql_error_mid_upgrade_on_sqlite_may_leave_it_half_changed(
    project: Path, capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(db.URL_ENV, f"sqlite:///{tmp_path / 'half.db'}")
    broken = _three_revisions_the_last_broken(project)
    capsys.readouterr()

    with pytest.raises(sa.exc.OperationalError):
        commands.upgrade("head")

    out = printed(capsys, project)
    line = line_of(broken, "SELEC 1")
    assert header_line(out).startswith(
        f"🛑 migrations/versions/0003_revision_0003.py, line {line}:"
    )
    assert 'near "SELEC": syntax error' in out
    assert "SQLite cannot undo changes to tables, so the database may be half-changed" in out
    assert "it is at revision 0002" in out
    assert "remove by hand what the failed revision had already created" in out
    # Half-changed indeed: 0001 and 0002 stayed, and so did 0003's table before its bad line.
    assert commands.current_revisions() == ("0002",)
    assert tables() == {"account", "category", "tag"}


def test_a_terminal_alembic_explains_a_failing_statement_last(project: Path) -> None:
    """`alembic upgrade head` in a terminal: the same explanation, after Alembic's traceback."""
    broken = _three_revisions_the_last_broken(project)
    result = subprocess.run(
        [str(BIN / "alembic"), "upgrade", "head"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    err = result.stderr
    assert "Traceback (most recent call last)" in err
    explanation = err[err.index("🛑") :]
    assert "Traceback" not in explanation, "the explanation comes last, after the traceback"
    line = line_of(broken, "SELEC 1")
    assert explanation.startswith(
        f"🛑 migrations/versions/0003_revision_0003.py, line {line}: The database refused a "
        'statement in upgrade(): syntax error at or near "SELEC".'
    ), explanation
    assert "PostgreSQL undid the whole command" in explanation
    assert "(The original error is above.)" in explanation
    assert str(project) not in explanation
    assert commands.current_revisions() == ()

    # The fix it gives (correct the statement) works.
    broken.write_text(broken.read_text().replace("SELEC 1", "SELECT 1"))
    fixed = subprocess.run(
        [str(BIN / "alembic"), "upgrade", "head"], cwd=project, capture_output=True, text=True
    )
    assert fixed.returncode == 0, fixed.stderr
    assert "🛑" not in fixed.stderr
    assert commands.current_revisions() == ("0003",)


def test_a_terminal_alembic_points_to_doctor_for_what_it_does_not_know(project: Path) -> None:
    write_revision(project, "0001", None, 'raise RuntimeError("something odd")')
    result = subprocess.run(
        [str(BIN / "alembic"), "upgrade", "head"], cwd=project, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert result.stderr.rstrip().endswith(friendly.DOCTOR_POINTER), result.stderr


# --- 7. a downgrade that is only `pass` ----------------------------------------------------


def test_downgrade_that_is_only_pass_warns_after_it_ran(project: Path, capsys) -> None:
    lazy = write_revision(project, "0001", None, ACCOUNT, "pass")
    commands.upgrade("head")
    capsys.readouterr()

    commands.downgrade("base")  # no error: that is the trouble

    out = printed(capsys, project)
    line = line_of(lazy, "def downgrade") + 1
    assert header_line(out) == (
        f"⚠️ migrations/versions/0001_revision_0001.py, line {line}: downgrade() of revision 0001 "
        "is only `pass`. Running it changed nothing in the tables (what upgrade() made is still "
        "there), yet alembic_version moved back to base: the database now claims to be at a "
        "revision its tables are not."
    )
    assert "`alembic stamp 0001`" in out
    assert "error follows" not in out
    assert commands.current_revisions() == ()
    assert tables() == {"account"}  # the schema was not undone


def test_empty_revisions_downgrade_without_a_warning(project: Path, capsys) -> None:
    write_revision(project, "0001", None)  # fresh from `alembic revision`: nothing to undo
    commands.upgrade("head")
    commands.downgrade("base")
    out = printed(capsys, project)
    assert "Running downgrade 0001 -> , revision 0001" in out
    assert "⚠️" not in out
    assert commands.current_revisions() == ()


# --- 8. creating a table that already exists -----------------------------------------------


def test_creating_a_table_that_already_exists(project: Path, capsys) -> None:
    with db.engine().begin() as conn:  # made by hand, e.g. in a %sql cell
        conn.execute(sa.text("CREATE TABLE account (id INTEGER)"))
    first = write_revision(project, "0001", None, ACCOUNT, DROP_ACCOUNT)

    with pytest.raises(sa.exc.ProgrammingError, match="DuplicateTable"):
        commands.upgrade("head")

    out = printed(capsys, project)
    line = line_of(first, "op.create_table")
    assert header_line(out) == (
        f'🛑 migrations/versions/0001_revision_0001.py, line {line}: The table "account" '
        "already exists, so upgrade() cannot create it again. PostgreSQL undid the whole command "
        "(the kit runs it in one transaction): the database is at no revision (alembic_version "
        "is empty)."
    )
    assert "DROP TABLE account" in out and "remove this op.create_table" in out
    assert "it is empty and no table refers to it, so dropping it loses nothing" in out
    assert commands.current_revisions() == ()
    assert tables() == {"account"}


def test_a_table_with_rows_in_the_way_is_never_advised_dropped(project: Path, capsys) -> None:
    """The advice reads the table first: with rows in it, or another table referring to it,
    it says what a drop would lose and gives a way that loses nothing."""
    with db.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE account (id INTEGER PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO account VALUES (1)"))
        conn.execute(sa.text("CREATE TABLE payment (account_id INTEGER REFERENCES account)"))
    write_revision(project, "0001", None, ACCOUNT, DROP_ACCOUNT)

    with pytest.raises(sa.exc.ProgrammingError, match="DuplicateTable"):
        commands.upgrade("head")

    out = printed(capsys, project)
    assert "DROP TABLE" not in out, out
    assert "do not drop it: it holds 1 row and payment refers to it" in out
    assert "ALTER TABLE account RENAME TO account_old" in out
    with db.engine().connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM account")).scalar_one() == 1


USERS = 'op.create_table("users", sa.Column("id", sa.Integer, primary_key=True))'
DROP_USERS = 'op.drop_table("users")'


def _ahead_of_alembic_version(project: Path, upgrade: str, downgrade: str) -> Path:
    """0002 applied, then alembic_version set back to 0001: the schema is ahead of it."""
    write_revision(project, "0001", None, USERS, DROP_USERS)
    second = write_revision(project, "0002", "0001", upgrade, downgrade)
    commands.upgrade("head")
    commands.stamp("0001")
    return second


def test_a_column_that_is_already_there_is_not_a_table_to_drop(project: Path, capsys) -> None:
    """SQLSTATE 42701 (duplicate column), whose message also says 'relation "users" already
    exists': it used to get the DROP TABLE advice, which would have lost the table."""
    second = _ahead_of_alembic_version(
        project,
        'op.add_column("users", sa.Column("phone_number", sa.String(20)))',
        'op.drop_column("users", "phone_number")',
    )
    capsys.readouterr()

    with pytest.raises(sa.exc.ProgrammingError, match="DuplicateColumn"):
        commands.upgrade("head")

    out = printed(capsys, project)
    line = line_of(second, "op.add_column")
    assert header_line(out).startswith(
        f'🛑 migrations/versions/0002_revision_0002.py, line {line}: The column "phone_number" '
        'is already there in table "users", so upgrade() cannot make it again'
    ), out
    assert (
        "DROP TABLE" not in out and "alembic stamp" in out and "Nothing needs to be dropped" in out
    )
    assert commands.current_revisions() == ("0001",)
    assert tables() == {"users"}


def test_a_constraint_that_is_already_there_is_named_as_one(project: Path, capsys) -> None:
    """SQLSTATE 42710 (duplicate object): a constraint, told apart from a table by its code,
    and named as the database made it (the project's naming convention prefixed "ck_users_")."""
    _ahead_of_alembic_version(
        project,
        'op.create_check_constraint("ck_users_id_positive", "users", "id > 0")',
        'op.drop_constraint("ck_users_id_positive", "users")',
    )
    capsys.readouterr()

    with pytest.raises(sa.exc.ProgrammingError, match="DuplicateObject"):
        commands.upgrade("head")

    out = printed(capsys, project)
    assert 'The constraint "ck_users_ck_users_id_positive" is already there' in header_line(out)
    assert "DROP TABLE" not in out
    assert commands.current_revisions() == ("0001",)


def test_work_done_in_an_autocommit_block_is_not_said_to_be_undone(project: Path, capsys) -> None:
    """autocommit_block() commits as it goes (the usual way to CREATE INDEX CONCURRENTLY): after
    a later error its work stays, so the kit must not say that PostgreSQL undid everything."""
    first = write_revision(
        project,
        "0001",
        None,
        "with op.get_context().autocommit_block():\n"
        '        op.execute("CREATE TABLE kept (id INTEGER)")\n'
        '    op.execute("SELECT * FROM no_such_table")',
    )

    with pytest.raises(sa.exc.ProgrammingError, match="UndefinedTable"):
        commands.upgrade("head")

    out = printed(capsys, project)
    assert_points_at(out, first.name, line_of(first, "no_such_table"))
    assert "undid" not in out, out
    assert "autocommit_block(), which PostgreSQL commits at once" in out
    assert tables() == {"kept"}, "what the explanation says stays did stay"
    assert commands.current_revisions() == ()


# --- 9. a forgotten import -----------------------------------------------------------------


@pytest.mark.parametrize(
    "without,name,fix",
    [
        ("import sqlalchemy as sa", "sa", "Add `import sqlalchemy as sa` to the imports"),
        ("from alembic import op", "op", "Add `from alembic import op` to the imports"),
    ],
)
def test_forgotten_import(project: Path, capsys, without: str, name: str, fix: str) -> None:
    file = write_revision(project, "0001", None, ACCOUNT, DROP_ACCOUNT, without=without)

    with pytest.raises(NameError):
        commands.upgrade("head")

    out = printed(capsys, project)
    line = line_of(file, "op.create_table")
    assert header_line(out).startswith(
        f"🛑 migrations/versions/0001_revision_0001.py, line {line}: upgrade() uses the name "
        f"{name!r}, which this file never defines or imports."
    )
    assert fix in out
    assert commands.current_revisions() == ()
    assert tables() == set()


# --- 10. the SQLAlchemy 1.x execute style --------------------------------------------------


def test_execute_with_keyword_arguments(project: Path, capsys) -> None:
    write_revision(project, "0001", None, ACCOUNT.replace("))", '), sa.Column("name", sa.Text))'))
    old_style = write_revision(
        project,
        "0002",
        "0001",
        'op.get_bind().execute(sa.text("INSERT INTO account (name) VALUES (:name)"), name="Ada")',
    )

    with pytest.raises(TypeError, match="unexpected keyword argument 'name'"):
        commands.upgrade("head")

    out = printed(capsys, project)
    line = line_of(old_style, "op.get_bind()")
    assert header_line(out).startswith(
        f"🛑 migrations/versions/0002_revision_0002.py, line {line}:"
    )
    assert "execute(..., name=...) is how SQLAlchemy 1.x took values" in out
    assert 'Pass a dict: op.get_bind().execute(sa.text("... :name ..."), {"name": value})' in out
    assert "the database is at no revision" in out
    assert commands.current_revisions() == ()
    assert tables() == set()


def test_execute_a_plain_string(project: Path, capsys) -> None:
    file = write_revision(project, "0001", None, 'op.get_bind().execute("SELECT 1")')
    with pytest.raises(sa.exc.ObjectNotExecutableError):
        commands.upgrade("head")
    out = printed(capsys, project)
    assert f"0001_revision_0001.py, line {line_of(file, 'execute(')}:" in header_line(out)
    assert "wrapped in sa.text()" in out
    assert commands.current_revisions() == ()


def test_a_lesson_stub_still_raises_not_implemented(project: Path, capsys) -> None:
    file = write_revision(project, "0001", None, "raise NotImplementedError()")
    with pytest.raises(NotImplementedError):
        commands.upgrade("head")
    out = printed(capsys, project)
    assert f"line {line_of(file, 'raise NotImplementedError')}:" in header_line(out)
    assert "upgrade() still raises NotImplementedError" in out
    assert commands.current_revisions() == ()


# --- 11. the database is not running or unreachable ----------------------------------------


def test_database_unreachable(project: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    write_revision(project, "0001", None, ACCOUNT, DROP_ACCOUNT)
    commands.upgrade("head")
    scratch = os.environ[db.URL_ENV]
    capsys.readouterr()

    monkeypatch.setenv(db.URL_ENV, "postgresql://nobody@127.0.0.1:1/x")
    with pytest.raises(sa.exc.OperationalError):
        commands.upgrade("head")
    out = printed(capsys, project)
    assert header_line(out).startswith("🛑 The kit cannot connect to the database:")
    assert "Connection refused" in out and "Nothing was run." in out
    assert "Check that the database server is running and that WORKSHOP_DATABASE_URL" in out

    # No database name: the kit first creates the participant's database, and says so its way.
    monkeypatch.setenv(db.URL_ENV, "postgresql://nobody@127.0.0.1:1/")
    with pytest.raises(WorkshopError):
        commands.current()
    out = printed(capsys, project)
    assert header_line(out).startswith("🛑 Cannot reach the PostgreSQL server to create database")
    assert "Fix: Check the host, port, user and password in WORKSHOP_DATABASE_URL" in out

    monkeypatch.setenv(db.URL_ENV, scratch)
    assert commands.current_revisions() == ("0001",)
    assert tables() == {"account"}


# --- 12. no alembic.ini --------------------------------------------------------------------


def test_the_embedded_database_not_answering_is_not_blamed_on_a_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no WORKSHOP_DATABASE_URL set, the advice is about the embedded server, not a URL."""
    error = sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))
    monkeypatch.delenv(db.URL_ENV, raising=False)
    explanation = friendly.explain(error)
    assert explanation is not None and "cannot connect to the database" in explanation.what
    assert db.URL_ENV not in explanation.fix
    assert "`workshop db status`" in explanation.fix and "`workshop db start`" in explanation.fix
    monkeypatch.setenv(db.URL_ENV, "postgresql://someone@elsewhere/db")
    assert db.URL_ENV in friendly.explain(error).fix


def test_no_alembic_ini_in_the_kit(
    project: Path, capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_revision(project, "0001", None, ACCOUNT, DROP_ACCOUNT)
    monkeypatch.setenv("WORKSHOP_ROOT", str(tmp_path))  # a folder without alembic.ini

    with pytest.raises(WorkshopError, match="does not look like the workshop folder"):
        commands.upgrade("head")

    out = printed(capsys, project)
    assert str(tmp_path) not in out
    assert header_line(out) == (
        "🛑 Alembic needs alembic.ini and migrations/ to know where the revisions are, and the "
        "kit cannot find them: WORKSHOP_ROOT points at a folder without them. Nothing was run."
    )
    assert "Fix: Unset WORKSHOP_ROOT, or point it at the folder that holds alembic.ini." in out

    monkeypatch.setenv("WORKSHOP_ROOT", str(project))
    assert commands.current_revisions() == ()
    assert tables() == set()


def test_no_alembic_ini_in_a_terminal(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "alembic"), "current"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "FAILED: No 'script_location' key found in configuration." in output

    explanation = friendly.explain_output(output)
    assert explanation is not None
    text = str(explanation)
    assert text.startswith("🛑 `alembic` found no alembic.ini here.")
    assert "Go to the project root first (the folder with alembic.ini)" in text
    assert "alembic -c path/to/alembic.ini" in text


# --- the layer itself ----------------------------------------------------------------------


def test_quiet_runs_print_nothing(project: Path, capsys) -> None:
    """Exercise checks run quietly and give their own verdicts."""
    from alembic import command

    write_revision(project, "0001", None, ACCOUNT, DROP_ACCOUNT, without="import sqlalchemy as sa")
    with pytest.raises(NameError):
        commands.run(command.upgrade, "head", quiet=True)
    assert capsys.readouterr().out == ""


def test_an_unknown_error_gets_no_explanation(project: Path, capsys) -> None:
    write_revision(project, "0001", None, 'raise ValueError("mine")')
    with pytest.raises(ValueError, match="mine"):
        commands.upgrade("head")
    out = printed(capsys, project)
    assert "Running upgrade  -> 0001" in out and "🛑" not in out


def test_a_failing_matcher_never_hides_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(error: BaseException) -> friendly.Explanation | None:
        raise RuntimeError("bug in a matcher")

    monkeypatch.setattr(friendly, "MATCHERS", [broken, *friendly.MATCHERS])
    explanation = friendly.explain(
        SyntaxError("x", ("/somewhere/migrations/versions/a.py", 3, 1, ""))
    )
    assert explanation is not None
    assert str(explanation).startswith("🛑 migrations/versions/a.py, line 3:")


def test_an_offline_failure_that_reads_no_rows_is_not_blamed_on_reading(
    project: Path, capsys
) -> None:
    """With --sql, only a step that asks the database (op.get_bind()) gets that explanation;
    another offline limit, here a constraint without a name, does not."""
    write_revision(project, "0001", None, ACCOUNT, DROP_ACCOUNT)
    write_revision(project, "0002", "0001", 'op.drop_constraint(None, "account")')
    with pytest.raises(BaseException) as raised:
        commands.upgrade("0001:0002", sql=True)
    explanation = friendly.explain(raised.value)
    assert explanation is None or "get_bind" not in explanation.what, explanation
    assert "get_bind" not in printed(capsys, project)


def test_the_orchestrator_schema_head_outside_main_py_points_to_main_py(
    project: Path, capsys
) -> None:
    """The products track's schema revision lives in the kit's own version location, which
    plain alembic does not see; the explanation sends the participant to main.py db, and that
    works."""
    from workshop.orchestrator import versions as orchestrator_versions

    with pytest.raises(CommandError):
        commands.upgrade(orchestrator_versions.SCHEMA_HEAD)
    out = printed(capsys, project)
    assert "orchestrator-core's schema head" in out
    assert "PYTHONPATH=. python main.py db upgrade heads" in out
    done = subprocess.run(
        [str(BIN / "python"), "main.py", "db", "upgrade", "heads"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": "."},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert orchestrator_versions.SCHEMA_HEAD in commands.current_revisions()
