"""Plain `alembic` in a terminal at the root acts on the database the notebooks show."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from workshop import commands

from .conftest import BIN
from .kernels import run_cells

REFERENCE = Path(__file__).resolve().parent.parent / "solutions" / "migrations" / "02"


def alembic(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "alembic"), *args], cwd=root, capture_output=True, text=True, timeout=120
    )


def test_terminal_alembic_and_a_notebook_see_the_same_database(project: Path) -> None:
    for file in REFERENCE.glob("*.py"):
        shutil.copy(file, project / "migrations" / "versions" / file.name)

    upgraded = alembic(project, "upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Running upgrade 0001 -> 0002" in upgraded.stderr

    current = alembic(project, "current")
    assert current.stdout.strip() == "0002 (head)"

    history = alembic(project, "history", "--verbose")
    assert "Rev: 0002 (head)" in history.stdout and "Parent: 0001" in history.stdout

    # A notebook kernel, set up as a lesson does, sees what the terminal did ...
    seen = run_cells(
        project,
        "%load_ext workshop",
        "%sql SELECT version_num FROM alembic_version",
        "%sql SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' ORDER BY 1",
        "!alembic current",
    )
    assert "0002" in seen[1]
    assert "'account'" in seen[2] and "'category'" in seen[2]
    assert "0002 (head)" in seen[3], "a shell cell in the notebook runs the same alembic"

    # ... and the terminal sees what the notebook's API does.
    run_cells(project, "import workshop as wk\nwk.downgrade('0001')")
    assert alembic(project, "current").stdout.strip() == "0001"

    downgraded = alembic(project, "downgrade", "base")
    assert downgraded.returncode == 0, downgraded.stderr
    assert commands.current_revisions() == ()
    assert (
        run_cells(project, "%load_ext workshop", "%sql SELECT count(*) FROM alembic_version")[1]
        .strip()
        .endswith("[(0,)]")
    )


def test_alembic_outside_the_project_fails_instead_of_using_some_other_database(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [str(BIN / "alembic"), "current"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "FAILED" in result.stdout


def test_python_api_prints_relative_paths(project: Path, capsys) -> None:
    commands.revision("first", rev_id="0001")
    commands.history(verbose=True)
    out = capsys.readouterr().out
    assert "Generating migrations/versions/0001_first.py ...  done" in out
    assert "Path: migrations/versions/0001_first.py" in out
    assert str(project) not in out


def test_the_workshop_command_runs_without_a_venv_on_path(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "workshop.cli", "lessons"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "02  op.create_table" in result.stdout


def test_workshop_lessons_lines_its_columns_up_whatever_the_title_length() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "workshop.cli", "lessons"], capture_output=True, text=True
    )
    lines = result.stdout.splitlines()
    assert len(lines) >= 15
    assert len({line.index(" min ") for line in lines}) == 1, result.stdout


def test_every_alembic_command_of_the_course_works_verbatim_in_a_terminal(project: Path) -> None:
    """Issue 3, acceptance 1: the commands the lessons teach, typed at the root, in order."""

    def ok(*args: str) -> subprocess.CompletedProcess[str]:
        done = alembic(project, *args)
        assert done.returncode == 0, f"alembic {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    versions = project / "migrations" / "versions"
    ok("revision", "-m", "create users table", "--rev-id", "0001")
    created = ok("revision", "-m", "add a note")
    assert "Generating" in created.stdout
    (note,) = [p for p in versions.glob("*_add_a_note.py")]
    note_id = note.name.split("_")[0]
    # Empty revisions are enough to walk; autogenerate then writes the users table for real.
    ok("upgrade", "head")
    auto = ok("revision", "--autogenerate", "-m", "create users from the models")
    assert "Detected added table 'users'" in auto.stderr, auto.stderr
    (generated,) = versions.glob("*_create_users_from_the_models.py")
    assert "op.create_table('users'" in generated.read_text()
    auto_id = generated.name.split("_")[0]

    ok("upgrade", auto_id)
    assert ok("current").stdout.strip() == f"{auto_id} (head)"
    ok("downgrade", "base")
    assert ok("current").stdout.strip() == ""
    ok("upgrade", "+1")
    assert ok("current").stdout.strip() == "0001"
    ok("upgrade", "0001+1")
    assert ok("current").stdout.strip() == note_id
    ok("upgrade", "head")
    assert "users" in {t for t in _tables(project)}
    ok("downgrade", "-1")
    assert ok("current").stdout.strip() == note_id
    assert "users" not in _tables(project)
    ok("downgrade", "0001")
    assert ok("current").stdout.strip() == "0001"
    history = ok("history", "--verbose").stdout
    assert f"Rev: {auto_id} (head)" in history and f"Parent: {note_id}" in history


def _tables(project: Path) -> set[str]:
    import sqlalchemy as sa

    from workshop import db

    db.dispose_engines()
    return set(sa.inspect(db.engine()).get_table_names())
