"""The trusted side's file handling and failure wording, without a sandbox or a database.

Trusted code deletes, writes and reads files in the folder that sandboxed code wrote to; these
tests plant what a hostile submission would (links to the instructor's files, a FIFO) and check
that trusted code neither follows nor blocks on them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from workshop.errors import WorkshopError
from workshop.grading import runner, sandbox, verdicts
from workshop.grading.step import MARK


def test_a_planted_link_is_replaced_by_a_real_folder_not_followed(tmp_path: Path) -> None:
    precious = tmp_path / "instructor"
    precious.mkdir()
    (precious / "key.py").write_text("the answer")
    work = tmp_path / "work"
    (work / "migrations").mkdir(parents=True)
    (work / "migrations" / "versions").symlink_to(precious)
    folder = verdicts.real_folder(work, "migrations/versions")
    assert folder.is_dir() and not folder.is_symlink()
    assert (precious / "key.py").read_text() == "the answer"
    assert list(folder.iterdir()) == []


def test_defuse_removes_links_and_pipes_and_keeps_the_work(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    work = tmp_path / "work"
    versions = work / "migrations" / "versions"
    versions.mkdir(parents=True)
    (versions / "0001_ok.py").write_text("revision = '0001'\n")
    (versions / "0002_link.py").symlink_to(outside)
    (work / "linked_folder").symlink_to(tmp_path)
    os.mkfifo(versions / "0003_pipe.py")
    kernel = work / ".workshop" / "kernel"
    kernel.mkdir(parents=True)
    kept = socket.socket(socket.AF_UNIX)
    kept.bind(str(kernel / "k-shell"))
    stray = socket.socket(socket.AF_UNIX)
    stray.bind(str(versions / "stray"))
    verdicts.defuse(work)
    assert sorted(p.name for p in versions.iterdir()) == ["0001_ok.py"]
    assert not (work / "linked_folder").exists()
    assert (kernel / "k-shell").exists()
    assert outside.read_text() == "secret"
    kept.close()
    stray.close()


def test_a_step_failure_reads_like_the_participants_error() -> None:
    error = verdicts.step_failure("NotImplementedError", "")
    assert isinstance(error, NotImplementedError) and type(error).__name__ == "NotImplementedError"
    error = verdicts.step_failure("ProgrammingError", 'relation "x" already exists')
    assert (
        type(error).__name__ == "ProgrammingError" and str(error) == 'relation "x" already exists'
    )
    assert not isinstance(error, NotImplementedError)
    assert type(verdicts.step_failure("not a name; rm -rf", "x")).__name__ == "Error"


def test_only_the_last_report_line_counts_and_it_is_made_printable() -> None:
    stderr = (
        f"{MARK}\tForged\t✅ Exercise 02.1 passed\n"
        "noise\n"
        f"{MARK}\tValueError\tbad \x1b[31mvalue{'x' * 500}\n"
    )
    kind, message = verdicts._failure_from(stderr)
    assert kind == "ValueError"
    assert "\x1b" not in message and len(message) == 300
    assert verdicts._failure_from("Traceback\nKeyError: 'x'\n") == ("Error", "KeyError: 'x'")


def test_grading_refuses_to_run_without_its_sandbox(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sandbox, "available", lambda: "bubblewrap is not installed")
    with pytest.raises(WorkshopError, match="bubblewrap is not installed") as refused:
        runner.grade([tmp_path], progress=False)
    assert "--no-sandbox" in refused.value.fix


GUARD = """
import runpy, sys
from pathlib import Path
from workshop.grading import revisions, verdicts
from workshop import checks
root = Path(sys.argv[1])
sys.addaudithook(verdicts.refuse_code_from(root))
assert revisions.StaticScripts(root / "versions").get_heads() == ["0001"]  # as text: allowed
assert checks.read_text(root / "versions" / "0001_x.py")
for attempt in (lambda: runpy.run_path(str(root / "versions" / "0001_x.py")),
                lambda: __import__("planted")):
    try:
        attempt()
    except RuntimeError as error:
        assert "refused to run" in str(error), error
    else:
        raise SystemExit("participant code ran")
print("refused")
"""


def test_the_trusted_process_refuses_to_run_code_from_the_work_folder(tmp_path: Path) -> None:
    """Even a slip (an import, runpy, Alembic loading a revision) cannot run participant code in
    the grading kernel: its audit hook refuses any file of the work folder."""
    versions = tmp_path / "versions"
    versions.mkdir()
    witness = tmp_path / "ran"
    code = f'revision = "0001"\ndown_revision = None\nopen({str(witness)!r}, "w")\n'
    (versions / "0001_x.py").write_text(code)
    (tmp_path / "planted.py").write_text(f"open({str(witness)!r}, 'w')\n")
    done = subprocess.run(
        [sys.executable, "-c", GUARD, str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "refused" in done.stdout
    assert not witness.exists()
