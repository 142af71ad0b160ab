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
