"""`workshop doctor` and `workshop reset`, from a terminal, on real files and a real database."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from workshop import commands, doctor

REFERENCE = Path(__file__).resolve().parent.parent / "solutions" / "migrations" / "02"


def levels(findings) -> list[str]:
    return [finding.level for finding in findings]


def install(project: Path) -> None:
    for file in REFERENCE.glob("*.py"):
        shutil.copy(file, project / "migrations" / "versions")


def test_a_healthy_project(project: Path) -> None:
    install(project)
    commands.upgrade("head")
    findings = doctor.diagnose()
    assert set(levels(findings)) == {"ok"}
    assert "the database is at the head: 0002" in findings[-1].text


def test_behind_the_head_proposes_upgrade(project: Path) -> None:
    install(project)
    commands.upgrade("0001")
    finding = doctor.diagnose()[-1]
    assert finding.level == "warn" and "files go up to 0002" in finding.text
    assert "alembic upgrade head" in finding.fix


def test_a_deleted_applied_file_is_found(project: Path) -> None:
    install(project)
    commands.upgrade("head")
    next((project / "migrations" / "versions").glob("0002_*.py")).unlink()
    finding = doctor.diagnose()[-1]
    assert finding.level == "fail" and "no file in migrations/versions/" in finding.text
    assert "Restore the file" in finding.fix


def test_two_heads_are_reported(project: Path) -> None:
    commands.revision("one", rev_id="a1")
    commands.revision("two", rev_id="b1", head="base", splice=True)
    (warning,) = [f for f in doctor.diagnose() if f.level == "warn" and "2 heads" in f.text]
    assert "alembic merge" in warning.fix


def test_named_branches_are_reported_without_advice_to_merge(project: Path) -> None:
    commands.revision("tables", rev_id="s1", branch_label="schema")
    commands.revision("rows", rev_id="d1", head="base", branch_label="data")
    (warning,) = [f for f in doctor.diagnose() if f.level == "warn" and "2 heads" in f.text]
    assert "do not merge them" in warning.fix and "alembic merge" not in warning.fix


def test_a_broken_file_is_explained(project: Path) -> None:
    install(project)
    broken = next((project / "migrations" / "versions").glob("0002_*.py"))
    broken.write_text(broken.read_text().replace("def upgrade() -> None:", "def upgrade( -> None:"))
    finding = doctor.diagnose()[-1]
    assert finding.level == "fail" and "0002_create_category_table.py" in finding.text


def test_an_unreachable_database_is_explained(project: Path, monkeypatch) -> None:
    monkeypatch.setenv("WORKSHOP_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/x")
    finding = doctor.diagnose()[-1]
    assert finding.level == "fail" and finding.fix


def test_doctor_and_reset_from_a_terminal(project: Path) -> None:
    install(project)
    commands.upgrade("head")
    (project / "migrations" / "versions" / "0003_mine.py").write_text("# my work\n")

    def workshop(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "workshop.cli", *args], capture_output=True, text=True
        )

    sick = workshop("doctor")
    assert sick.returncode == 1 and "❌" in sick.stdout, sick.stdout + sick.stderr
    reset = workshop("reset", "02")
    assert reset.returncode == 0, reset.stderr
    assert "nothing is lost" in reset.stdout
    (backup,) = (project / ".workshop" / "backups").iterdir()
    assert (backup / "versions" / "0003_mine.py").read_text() == "# my work\n"
    assert (backup / "database.sql").exists()
    healthy = workshop("doctor")
    assert healthy.returncode == 0, healthy.stdout
