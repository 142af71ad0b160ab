"""The workshop command starts JupyterLab on the lessons, with the database ready."""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path

import pytest

from workshop import commands

from .labserver import TOKEN, get


def run_in_lab_kernel(base: str, code: str) -> str:
    """Start a kernel through the server's REST API and run one cell over its websocket."""
    import websocket  # websocket-client, a dependency of jupyter_server

    request = urllib.request.Request(
        f"{base}/api/kernels",
        data=b"{}",
        method="POST",
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        kernel = json.loads(response.read())["id"]
    ws_url = base.replace("http", "ws") + f"/api/kernels/{kernel}/channels?token={TOKEN}"
    connection = websocket.create_connection(ws_url, timeout=60)
    msg_id = uuid.uuid4().hex
    connection.send(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "msg_type": "execute_request",
                    "username": "test",
                    "session": uuid.uuid4().hex,
                    "version": "5.3",
                },
                "parent_header": {},
                "metadata": {},
                "channel": "shell",
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": False,
                    "user_expressions": {},
                    "allow_stdin": False,
                },
            }
        )
    )
    printed = []
    try:
        while True:
            message = json.loads(connection.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            if kind == "stream":
                printed.append(message["content"]["text"])
            elif kind == "error":
                printed.append("\n".join(message["content"]["traceback"]))
            elif kind == "status" and message["content"]["execution_state"] == "idle":
                return "".join(printed)
    finally:
        connection.close()


@pytest.mark.slow
def test_workshop_lab_serves_the_lessons_on_localhost(lab: str, tmp_path: Path) -> None:
    status, page = get(f"{lab}/lab")
    assert status == 200 and b"JupyterLab" in page
    _, listing = get(f"{lab}/api/contents/notebooks")
    names = {item["name"] for item in json.loads(listing)["content"]}
    assert {"00-welcome-and-setup.ipynb", "01-your-first-revision.ipynb"} <= names
    # The command made the database ready before the lab opened ...
    assert "Database: " in (tmp_path / "lab.log").read_text()
    assert commands.current_revisions() == ()
    # ... and lesson 00's first cell reaches it, in a kernel of this very lab server.
    output_of_first_cell = run_in_lab_kernel(lab, 'import workshop as wk\nwk.start_lesson("00")')
    assert "Database: PostgreSQL, ready" in output_of_first_cell
