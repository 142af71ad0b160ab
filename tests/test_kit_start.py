"""Issue 16: ``./kit start`` says each step with its time, and a signal stops everything.

A process manager or a hub spawner stops a program with SIGTERM; a closed terminal sends SIGHUP;
a participant presses Ctrl+C, which the terminal sends to the whole foreground process group.
Each must stop JupyterLab and everything it started: here a kernel that started a process in a
session of its own, and a terminal that started one with nohup. The test starts the real
``./kit start`` (its venv installed) on a copy of the project, with the copy's own embedded
server, sends the signal, and then checks that the port is free and that not one process
below the kit is left. (The database stays up, as designed: it is stopped afterwards.)
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from .conftest import BIN, REPO
from .labserver import TOKEN, free_port, get, lab_settings, poll, tail
from .test_lab import run_in_lab_kernel
from .test_lab_terminals import in_a_lab_terminal

SIGNALS = {
    "SIGTERM": lambda pid: os.kill(pid, signal.SIGTERM),
    "SIGHUP": lambda pid: os.kill(pid, signal.SIGHUP),
    "ctrl-c": lambda pid: os.killpg(pid, signal.SIGINT),  # as the terminal sends Ctrl+C
}
CODES = {"SIGTERM": 128 + signal.SIGTERM, "SIGHUP": 128 + signal.SIGHUP, "ctrl-c": 130}


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
@pytest.mark.parametrize("how", list(SIGNALS))
def test_kit_start_shows_its_steps_and_a_signal_stops_everything(
    how: str, project: Path, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "kit.log"
    env = dict(os.environ, **lab_settings(tmp_path / "jupyterlab"), PYTHONUNBUFFERED="1")
    env.pop("WORKSHOP_DATABASE_URL")  # the copy's own embedded server, as on a participant's
    with log.open("w") as output:
        kit = subprocess.Popen(
            [sys.executable, str(REPO / "kit"), "start", "--no-browser", f"--port={port}",
             "--ServerApp.port_retries=0", "--ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}"],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    below: list[psutil.Process] = []
    try:
        poll(lambda: "kit: the workshop is ready" in tail(log, 400) or kit.poll() is not None,
             180, "the kit never said the lab was ready")  # fmt: skip
        assert kit.poll() is None, tail(log)
        assert get(f"{base}/api/status")[0] == 200
        said = log.read_text()
        for step in ("starting the database", "starting JupyterLab"):
            assert f"kit: {step} ...\n" in said, said
        assert re.search(r"^kit:   the embedded PostgreSQL is ready \(\d+\.\d s\)$", said,
                         re.MULTILINE), said  # fmt: skip
        answers = re.search(rf"^kit:   JupyterLab answers on \S+:{port}/\?token={TOKEN} "
                            r"\(\d+\.\d s\)$", said, re.MULTILINE)  # fmt: skip
        assert answers, said

        # What JupyterLab starts: a kernel, which starts a process in a session of its own, and a
        # terminal, which starts one with nohup in the background.
        printed = run_in_lab_kernel(
            base,
            "import subprocess\n"
            "p = subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
            "print('PID', p.pid)",
        )
        from_kernel = int(re.search(r"PID (\d+)", printed).group(1))
        shown, _ = in_a_lab_terminal(base, "nohup sleep 601 >/dev/null 2>&1 & echo PID=$!")
        from_terminal = int(re.findall(r"PID=(\d+)", shown)[-1])
        below.extend(psutil.Process(kit.pid).children(recursive=True))
        pids = {process.pid for process in below}
        assert {from_kernel, from_terminal} <= pids, (from_kernel, from_terminal, pids)
        assert len(below) >= 5  # workshop lab, jupyter-lab, a kernel, bash, and the two sleeps

        SIGNALS[how](kit.pid)
        assert kit.wait(timeout=60) == CODES[how], tail(log)
        poll(lambda: _port_free(port), 10, f"port {port} still answers after {how}")
        _, alive = psutil.wait_procs(below, timeout=10)
        assert not alive, [(p.pid, p.cmdline()) for p in alive if p.is_running()]
        assert "kit: stopping JupyterLab and everything it started" in log.read_text()
    finally:
        if kit.poll() is None:
            os.killpg(kit.pid, signal.SIGKILL)
            kit.wait()
        for process in below:  # whatever a failed run left
            if process.is_running():
                process.kill()
        subprocess.run([str(BIN / "workshop"), "db", "stop"], env=env, capture_output=True)
