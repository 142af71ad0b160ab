"""Starting `workshop lab` for tests, as the README's workshop command does, and talking to it."""

from __future__ import annotations

import functools
import http.client
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from .conftest import BIN

T = TypeVar("T")

TOKEN = "kit-test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def poll(check: Callable[[], T], timeout: float, what: str, interval: float = 0.5) -> T:
    """Call ``check`` until it returns something true; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} (waited {timeout:.0f} s)")
        time.sleep(interval)


def lab_settings(folder: Path) -> dict[str, str]:
    """Fresh JupyterLab user settings and workspaces, without the news toast (it would fetch)."""
    notification = folder / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false"})
    )
    (folder / "workspaces").mkdir()
    return {
        "JUPYTERLAB_SETTINGS_DIR": str(folder / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(folder / "workspaces"),
    }


def tail(path: Path, lines: int = 30) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


@pytest.fixture
def lab(project: Path, tmp_path: Path) -> Iterator[str]:
    """`workshop lab` in the scratch project, as the README starts it. Yields its base URL.

    The port is free when picked, but another process (a kernel of a test running beside this
    one) may take it before the lab binds it. Jupyter would then quietly move to another port,
    and this fixture would talk to whatever took it. So the lab may not move
    (``port_retries=0``): it exits instead, and the fixture starts it again on a new port.
    """
    env = dict(os.environ, **lab_settings(tmp_path / "jupyterlab"))
    for _attempt in range(3):
        port = free_port()
        log = tmp_path / "lab.log"  # the last attempt's, which the tests read
        process = _start_lab(project, port, log, env)
        base = f"http://127.0.0.1:{port}"
        try:
            poll(functools.partial(_answers, process, base, log), 120, "JupyterLab did not answer")
        except _PortTaken:
            _stop(process)
            continue
        try:
            yield base
        finally:
            _stop(process)
        return
    raise AssertionError(f"JupyterLab found no free port in 3 tries:\n{tail(log)}")


class _PortTaken(Exception):
    pass


def _start_lab(project: Path, port: int, log: Path, env: dict[str, str]) -> subprocess.Popen:
    with log.open("w") as output:
        return subprocess.Popen(
            [
                str(BIN / "workshop"),
                "lab",
                "--no-browser",
                f"--port={port}",
                "--ServerApp.port_retries=0",
                "--ip=127.0.0.1",
                f"--IdentityProvider.token={TOKEN}",
            ],
            cwd=project,
            stdout=output,  # a file, not a pipe: nobody reads it while the lab runs
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            env=env,
        )


def _answers(process: subprocess.Popen, base: str, log: Path) -> bool:
    if process.poll() is not None:
        if "already in use" in tail(log, 200):
            raise _PortTaken
        raise AssertionError(f"workshop lab exited:\n{tail(log)}")
    try:
        return get(f"{base}/api/status")[0] == 200
    except (OSError, http.client.HTTPException):
        return False  # not listening yet (or, for a moment, someone else is)


def _stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
