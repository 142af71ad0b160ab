"""The lab that ``workshop lab`` starts behaves the same however it was started.

Issue 14: under nohup, a hub spawner or any start whose output is not a terminal, jupyter_server
starts terminals as login shells; ``/etc/profile`` then rebuilds ``PATH`` and ``alembic`` is
"command not found", while lesson 00 says the terminal "works just the same". And JupyterLab's
news pop-up covers the lesson. These tests start the lab with its output in a file (as nohup does)
and on a terminal (a pty), open a terminal through the server as JupyterLab does, type
``alembic current`` in it, and read the notification settings a fresh browser profile gets.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import subprocess
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import BIN
from .labserver import TOKEN, _stop, free_port, get, poll, tail

MARK = "END-OF-COMMAND"


def fresh_jupyterlab_dirs(folder: Path) -> dict[str, str]:
    """A first-time participant's JupyterLab settings: nothing chosen yet (unlike labserver's,
    which turn the news off for the other tests)."""
    (folder / "settings").mkdir(parents=True)
    (folder / "workspaces").mkdir()
    return {
        "JUPYTERLAB_SETTINGS_DIR": str(folder / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(folder / "workspaces"),
    }


@contextlib.contextmanager
def started_lab(project: Path, folder: Path, on_a_terminal: bool) -> Iterator[str]:
    """``workshop lab`` with its output in a file (as under nohup) or on a pty; its base URL."""
    port = free_port()
    log = folder / "lab.log"
    env = dict(os.environ, **fresh_jupyterlab_dirs(folder / "jupyterlab"))
    argv = [
        str(BIN / "workshop"),
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={TOKEN}",
    ]
    copier = None
    if on_a_terminal:
        leader, follower = pty.openpty()
        process = subprocess.Popen(
            argv, cwd=project, stdin=follower, stdout=follower, stderr=follower, env=env,
            start_new_session=True,
        )  # fmt: skip
        os.close(follower)

        def copy() -> None:
            with log.open("wb") as out, contextlib.suppress(OSError):
                while chunk := os.read(leader, 4096):
                    out.write(chunk)
                    out.flush()

        copier = threading.Thread(target=copy, daemon=True)
        copier.start()
    else:
        with log.open("w") as output:
            process = subprocess.Popen(
                argv, cwd=project, stdin=subprocess.DEVNULL, stdout=output,
                stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"workshop lab exited:\n{tail(log)}")
        try:
            return get(f"{base}/api/status")[0] == 200
        except OSError:
            return False

    try:
        poll(answers, 120, "JupyterLab did not answer")
        yield base
    finally:
        _stop(process)
        if on_a_terminal:
            os.close(leader)


def in_a_lab_terminal(base: str, command: str) -> tuple[str, int]:
    """Open a terminal as JupyterLab's File -> New -> Terminal does, type ``command``; return
    what the terminal showed, and the command's exit status."""
    import websocket  # websocket-client, a dependency of jupyter_server

    request = urllib.request.Request(
        f"{base}/api/terminals",
        data=b"{}",
        method="POST",
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        name = json.loads(response.read())["name"]
    url = base.replace("http", "ws") + f"/terminals/websocket/{name}?token={TOKEN}"
    connection = websocket.create_connection(url, timeout=60)
    marker = f"{MARK}-{uuid.uuid4().hex[:6]}"
    shown: list[str] = []
    try:
        connection.send(json.dumps(["stdin", f"{command}; echo {marker}-$?\r"]))
        while True:
            kind, *content = json.loads(connection.recv())
            if kind == "stdout":
                shown.append(content[0])
                text = "".join(shown)
                # The marker typed is echoed first; the one printed ends the output.
                found = re.search(rf"{marker}-(\d+)", text)
                if found:
                    return text, int(found.group(1))
    finally:
        connection.close()


@pytest.mark.slow
@pytest.mark.parametrize("on_a_terminal", [False, True], ids=["output-in-a-file", "on-a-pty"])
def test_a_lab_terminal_has_the_kits_alembic_however_the_lab_started(
    project: Path, tmp_path: Path, on_a_terminal: bool
) -> None:
    with started_lab(project, tmp_path, on_a_terminal) as base:
        shown, status = in_a_lab_terminal(base, "alembic current && command -v alembic")
    assert "command not found" not in shown, shown
    assert f"\n{BIN / 'alembic'}\r\n" in shown, shown
    assert status == 0, shown


@pytest.mark.slow
def test_a_fresh_browser_profile_gets_no_news_pop_up(project: Path, tmp_path: Path) -> None:
    """The pop-up shows while the setting ``fetchNews`` is "none" (not chosen yet)."""
    with started_lab(project, tmp_path, on_a_terminal=False) as base:
        _, body = get(f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification")
    answer = json.loads(body)
    # Nothing chosen yet, so the browser takes the schema's defaults, which the kit overrides.
    assert answer["settings"] == {}
    defaults = {key: value["default"] for key, value in answer["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false"
    assert defaults["checkForUpdates"] is False
