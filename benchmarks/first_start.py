"""The first five minutes: a fresh clone to a lab answering, a second start, uv against pip.

    python3 benchmarks/first_start.py [--source REPO] [--python PYTHON] [--second-starts N]
                                      [--skip-install] [--machine-pip-config]

Runs the README's `./kit start` as a participant would, on a fresh `git clone` of ``--source``
(this repository by default: its committed HEAD), with ``--python`` (by default the Python this
one was made from, not a virtual environment's), with empty package caches of its own (pip's
and uv's, in a temporary folder) and no pip or uv configuration of this machine's (its local
wheel folders and file indexes, which a participant's laptop does not have, and which pip reads
and uv does not), and times it from `./kit start` until JupyterLab answers ``GET /lab`` on
localhost (``--machine-pip-config`` keeps this machine's pip configuration). Then it stops the
kit with SIGTERM, as a process manager would, and says whether the port was freed. Then a
second `./kit start` in the same clone (installed, database data there), ``--second-starts``
times (3 by default), and their median: on a shared machine one start can be off by seconds.
Last, the install step alone, `./kit install` in two more fresh clones with empty caches, one
with ``KIT_INSTALLER=uv`` and one with ``KIT_INSTALLER=pip``, in one run so that both see the
same machine and index. Goals (issue 16): fresh clone <= 12 s, second start <= 3 s.

Uses the standard library only: it measures the kit from outside, as a participant's shell
would, so it must not need the kit's own environment.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOKEN = "benchmark-token"
FIRST_GOAL, SECOND_GOAL = 12.0, 3.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_free(port: int) -> bool:
    """Nothing listens on ``port`` any more (a connection is refused)."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) != 0


def participant_python() -> Path:
    """The Python this one was made from (a virtual environment's base), as on PATH of a
    participant's machine: the one that runs ``./kit``."""
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    base = Path(sys.base_prefix) / ("python.exe" if os.name == "nt" else f"bin/{version}")
    return base if base.exists() else Path(sys.executable)


def fresh_env(scratch: Path, machine_pip_config: bool = False, **extra: str) -> dict[str, str]:
    """The caller's environment with empty package caches of its own: no cached wheel helps.
    Unless ``machine_pip_config``, no pip or uv setting of this machine's either."""
    cache = scratch / "cache"
    env = dict(os.environ)
    if not machine_pip_config:
        env = {k: v for k, v in env.items() if not k.startswith(("PIP_", "UV_"))}
        env.update(PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1")
    env = dict(
        env,
        XDG_CACHE_HOME=str(cache),
        PIP_CACHE_DIR=str(cache / "pip"),
        UV_CACHE_DIR=str(cache / "uv"),
        **extra,
    )
    # PYTHONDONTWRITEBYTECODE: set on the project's machines, not on a participant's laptop; with
    # it, Python never writes the bytecode it compiles (see `bytecode` in ./kit).
    for name in (
        "VIRTUAL_ENV",
        "WORKSHOP_DATABASE_URL",
        "WORKSHOP_ROOT",
        "PYTHONPATH",
        "PYTHONDONTWRITEBYTECODE",
    ):
        env.pop(name, None)
    return env


def _load() -> str:
    """The load averages (1, 5, 15 minutes): others share the machine."""
    return ", ".join(f"{figure:.2f}" for figure in os.getloadavg())


def clone(source: Path, target: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", str(source), str(target)], check=True)
    return target


class Start:
    """One `./kit start`: its time to a lab answering, its output, and how it stopped.

    (A plain class: tests/test_benchmarks.py loads this file without registering it as a
    module, which dataclasses need.)
    """

    def __init__(self, seconds: float, lines: list[tuple[float, str]]) -> None:
        self.seconds = seconds
        self.lines = lines
        self.stopped_by_sigterm = False
        self.stop_seconds = 0.0


def kit_start(folder: Path, env: dict[str, str], python: Path, timeout: float = 600) -> Start:
    """``./kit start`` until ``GET /lab`` answers 200; then SIGTERM, as a process manager does.

    The kit runs in a session of its own, so that whatever it leaves behind can be found and
    ended here (and is reported: a kit that needs this has failed the SIGTERM check).
    """
    port = free_port()
    argv = [
        str(python),
        str(folder / "kit"),
        "start",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={TOKEN}",
    ]
    started = time.perf_counter()
    process = subprocess.Popen(
        argv,
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[tuple[float, str]] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append((time.perf_counter() - started, line.rstrip()))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}/lab?token={TOKEN}"
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"./kit start exited with {process.returncode}:\n{_show(lines)}")
            if time.perf_counter() - started > timeout:
                raise SystemExit(f"no lab after {timeout:.0f} s:\n{_show(lines)}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.05)
        result = Start(time.perf_counter() - started, lines)
    finally:
        stopping = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
            freed = _wait_port_free(port, 10)
        except subprocess.TimeoutExpired:
            freed = False
        stop_seconds = time.perf_counter() - stopping
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever the kit left in its session
        process.wait()
        reader.join(timeout=5)
    result.stopped_by_sigterm = freed
    result.stop_seconds = stop_seconds
    return result


def _wait_port_free(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if port_free(port):
            return True
        time.sleep(0.1)
    return False


def _show(lines: list[tuple[float, str]], last: int = 40) -> str:
    return "\n".join(f"  {at:6.2f} s  {text}" for at, text in lines[-last:])


def stop_database(folder: Path, env: dict[str, str]) -> None:
    workshop = folder / ".venv" / ("Scripts" if os.name == "nt" else "bin") / "workshop"
    if workshop.exists():
        subprocess.run([str(workshop), "db", "stop"], cwd=folder, env=env, capture_output=True)


def kit_install(folder: Path, env: dict[str, str], python: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(python), str(folder / "kit"), "install"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"./kit install failed:\n{done.stdout}{done.stderr}")
    return seconds, done.stdout + done.stderr


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=REPO, help="the repository to clone")
    parser.add_argument("--python", type=Path, default=participant_python(),
                        help="the Python that runs ./kit (default: %(default)s)")  # fmt: skip
    parser.add_argument("--second-starts", type=int, default=3, help="how many (default 3)")
    parser.add_argument("--skip-install", action="store_true", help="no uv-against-pip run")
    parser.add_argument(
        "--machine-pip-config",
        action="store_true",
        help="keep this machine's pip and uv settings (mirrors, wheel folders)",
    )
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="kit_bench_"))
    head = subprocess.run(["git", "-C", str(args.source), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    print(f"{time.strftime('%Y-%m-%d %H:%M %Z')}; {args.source} at {head}; ./kit run by "
          f"{args.python}; pip configuration: "
          f"{'this machine' if args.machine_pip_config else 'none (as on a laptop)'}")  # fmt: skip
    load = _load()
    try:
        folder = clone(args.source, scratch / "first")
        env = fresh_env(scratch / "first-env", args.machine_pip_config)
        try:
            first = kit_start(folder, env, args.python)
            seconds = [kit_start(folder, env, args.python) for _ in range(args.second_starts)]
        finally:
            stop_database(folder, env)
        print(f"load average before: {load} on {os.cpu_count()} cores")
        print("./kit start on a fresh clone, empty package caches, until GET /lab answers:")
        print(_show([line for line in first.lines if line[1].startswith("kit:")], last=30))
        print(
            f"fresh clone to a lab answering: {first.seconds:6.2f} s   "
            f"goal <= {FIRST_GOAL:.0f} s: {first.seconds / FIRST_GOAL:.2f}x"
        )
        second = statistics.median(run.seconds for run in seconds)
        each = ", ".join(f"{run.seconds:.2f}" for run in seconds)
        print(
            f"second start, median:           {second:6.2f} s   "
            f"goal <= {SECOND_GOAL:.0f} s: {second / SECOND_GOAL:.2f}x   (each: {each} s)"
        )
        named = [("first start", first)] + [(f"start {n}", r) for n, r in enumerate(seconds, 2)]
        for name, run in named:
            said = "port freed" if run.stopped_by_sigterm else "port NOT freed (lab left running)"
            print(f"SIGTERM to ./kit ({name}): {said}, in {run.stop_seconds:.2f} s")
        if args.skip_install:
            return
        figures = {}
        print(f"\nload average before the install step: {_load()}")
        for installer in ("uv", "pip"):
            target = clone(args.source, scratch / f"install-{installer}")
            env = fresh_env(scratch / f"{installer}-env", args.machine_pip_config,
                            KIT_INSTALLER=installer)  # fmt: skip
            figures[installer], output = kit_install(target, env, args.python)
            said = [line for line in output.splitlines() if line.startswith("kit:")]
            print(f"\n./kit install with KIT_INSTALLER={installer}: {figures[installer]:.2f} s")
            print("\n".join(f"  {line}" for line in said))
        print(
            f"\ninstall step, uv against pip: {figures['uv']:.2f} s against "
            f"{figures['pip']:.2f} s: {figures['uv'] / figures['pip']:.2f}x "
            f"(pip {figures['pip'] / figures['uv']:.1f} times as long)"
        )
        print(f"load average after: {_load()}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
