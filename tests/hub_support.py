"""A real JupyterHub for the class test (issue 15): installed, started, and used as a browser does.

* **What it runs on,** installed by the suite where it runs as root, and kept between runs in
  :func:`cache_folder` (per user, like the real orchestrator-core's): the class's installation of
  the kit made by ``workshop class install`` itself, with JupyterHub from PyPI in its virtual
  environment (about 45 s the first time; later runs only sync the kit's files), and
  ``configurable-http-proxy`` from the npm registry (about 2 s). ``node`` and ``npm`` come from
  apt-get when missing. Only when something cannot be fetched does the test skip, saying why.
* **The hub:** the installation's ``jupyterhub`` with the shipped configuration
  (``workshop/classroom/jupyterhub_config.py``), PAM logins of real system users, on localhost.
* **A participant** (:class:`Browser`) logs in with the login form, starts their server through
  the hub's API, and runs code in kernels and terminals through the hub's proxy, as JupyterLab
  does (REST and websockets).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .class_support import free_port
from .conftest import REPO, apt_get_install
from .orchestrator_real import cannot_fetch

CHP = "configurable-http-proxy@5"
NPM_CANNOT_FETCH = ("ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "E404")


def cache_folder() -> Path:
    """Where the installation and the proxy are kept between runs (per user, like /tmp's
    other caches: another user's lock file would not be writable)."""
    return Path(tempfile.gettempdir()) / f"workshop-class-hub-uid{os.geteuid()}"


def skip(reason: str) -> None:
    print(f"class hub test: SKIPPED: {reason}")
    pytest.skip(reason)


def ensure_proxy() -> Path:
    """configurable-http-proxy from the npm registry, installed once into the cache."""
    from filelock import FileLock

    folder = cache_folder() / "chp"
    program = folder / "node_modules" / ".bin" / "configurable-http-proxy"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock", timeout=600):
        if program.exists() and (folder / ".complete").read_text() == CHP:
            return program
        if shutil.which("npm") is None or shutil.which("node") is None:
            why_not = apt_get_install("nodejs", "npm")
            if why_not is not None or shutil.which("npm") is None:
                skip(f"node and npm are needed for configurable-http-proxy: {why_not}")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        done = subprocess.run(
            ["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund", CHP],
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if done.returncode != 0:
            said = " | ".join((done.stdout + done.stderr).strip().splitlines()[-4:])
            if any(sign in said for sign in NPM_CANNOT_FETCH):
                skip(f"npm cannot fetch {CHP}: {said}")
            raise AssertionError(f"npm install {CHP} failed: {said}")
        (folder / ".complete").write_text(CHP)
    return program


def python_for_everyone() -> str:
    """A Python 3.11+ every account can run: this one's base if others can read it, else the
    system's (with its venv module, installed when missing). Skips when there is none."""
    from workshop.classroom import install

    mine = install.base_python()
    problems = {mine: install.interpreter_problem(mine)}
    if problems[mine] is None:
        return mine
    system = "/usr/bin/python3"
    problems[system] = install.interpreter_problem(system)
    if problems[system] is None:
        venv_ok = subprocess.run([system, "-c", "import ensurepip, venv"], capture_output=True)
        if venv_ok.returncode != 0 and (why_not := apt_get_install("python3-venv")):
            skip(f"the system's Python has no venv module, and it cannot be installed: {why_not}")
        return system
    skip("no Python that every account can run: " + "; ".join(problems.values()))
    raise AssertionError("unreachable")


def ensure_kit() -> tuple[Path, str]:
    """The class's installation of this checkout, made by ``workshop class install`` (graded).

    The files are synced from the checkout at every run (a second or two); the virtual
    environment is made only when it is missing or pyproject.toml changed.
    """
    from filelock import FileLock

    from workshop.classroom import install
    from workshop.errors import WorkshopError

    folder = cache_folder() / "kit"
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.parent.chmod(0o755)  # participants run the kit from inside it
    python = python_for_everyone()
    with FileLock(str(folder) + ".lock", timeout=1800):
        try:
            done = install.install(folder, source=REPO, graded=True, python=python)
        except WorkshopError as error:
            if cannot_fetch(str(error)):
                skip(f"JupyterHub or the kit's packages cannot be installed: {error}")
            raise
    return folder, ("venv made" if done.venv_made else "venv cached")


# --- the hub ---------------------------------------------------------------------------------


@dataclass
class Hub:
    """A running JupyterHub: the shipped configuration, on 127.0.0.1."""

    kit: Path
    folder: Path
    process: subprocess.Popen
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.folder / "hub.log"

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def running_hub(kit: Path, proxy: Path, folder: Path, environment: dict[str, str]) -> Iterator[Hub]:
    """The hub, started as root in ``folder`` (its database and secrets), stopped afterwards
    with every server it started."""
    import requests

    port, hub_port, api_port = free_port(), free_port(), free_port()
    env = {
        "PATH": f"{proxy.parent}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(folder),
        **environment,
    }
    argv = [
        str(kit / ".venv" / "bin" / "jupyterhub"),
        "-f", str(kit / "workshop" / "classroom" / "jupyterhub_config.py"),
        f"--JupyterHub.bind_url=http://127.0.0.1:{port}/",
        f"--JupyterHub.hub_bind_url=http://127.0.0.1:{hub_port}",
        f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{api_port}",
        f"--ConfigurableHTTPProxy.command={json.dumps([str(proxy)])}",
        f"--JupyterHub.db_url=sqlite:///{folder / 'jupyterhub.sqlite'}",
        f"--JupyterHub.cookie_secret_file={folder / 'cookie_secret'}",
        "--Spawner.start_timeout=120",
        "--Spawner.http_timeout=120",
    ]  # fmt: skip
    log = (folder / "hub.log").open("w")
    process = subprocess.Popen(
        argv, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    hub = Hub(kit, folder, process, port)
    deadline = time.monotonic() + 60
    try:
        while True:
            if process.poll() is not None:
                raise AssertionError(f"jupyterhub exited at start:\n{hub.tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{hub.base}/hub/api", timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"jupyterhub did not answer in 60 s:\n{hub.tail()}")
            time.sleep(0.3)
        yield hub
    finally:
        process.send_signal(signal.SIGTERM)  # the hub stops the servers it started, then exits
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


# --- a participant, as their browser and JupyterLab talk to the hub -----------------------------


@dataclass
class Outputs:
    """What one cell printed, and its error (``ename: evalue``) if it raised."""

    text: str
    error: str | None = None


@dataclass
class Browser:
    hub: Hub
    user: pwd.struct_passwd
    password: str
    session: object = None  # a requests.Session once logged in
    token: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.user.pw_name

    @property
    def server(self) -> str:
        return f"{self.hub.base}/user/{self.name}"

    def login(self) -> None:
        """The login form, as a browser posts it (PAM checks the system password)."""
        import requests

        session = requests.Session()
        session.get(f"{self.hub.base}/hub/login", timeout=30)
        xsrf = session.cookies.get("_xsrf", "")
        answer = session.post(
            f"{self.hub.base}/hub/login",
            data={"username": self.name, "password": self.password, "_xsrf": xsrf},
            allow_redirects=False,
            timeout=60,
        )
        if answer.status_code != 302:
            raise AssertionError(f"{self.name} could not log in ({answer.status_code}):\n"
                                 f"{answer.text[-2000:]}\n{self.hub.tail()}")  # fmt: skip
        session.headers["X-XSRFToken"] = session.cookies.get("_xsrf", xsrf)
        self.session = session
        made = session.post(
            f"{self.hub.base}/hub/api/users/{self.name}/tokens",
            json={"note": "class test", "expires_in": 3600},
            timeout=30,
        )
        assert made.status_code in (200, 201), made.text
        self.token = made.json()["token"]

    def api(self, method: str, url: str, **kwargs: object):  # noqa: ANN201 - requests.Response
        import requests

        headers = {"Authorization": f"token {self.token}"}
        return requests.request(method, url, headers=headers, timeout=60, **kwargs)

    def start_server(self) -> float:
        """Start the default server through the hub; seconds until it is ready."""
        began = time.monotonic()
        answer = self.api("POST", f"{self.hub.base}/hub/api/users/{self.name}/server")
        assert answer.status_code in (201, 202), (
            f"{self.name}'s server did not start: {answer.status_code} {answer.text}\n"
            f"{self.hub.tail(80)}"
        )
        deadline = began + 180
        while time.monotonic() < deadline:
            model = self.api("GET", f"{self.hub.base}/hub/api/users/{self.name}").json()
            server = model.get("servers", {}).get("", {})
            if server.get("ready"):
                return time.monotonic() - began
            time.sleep(0.25)
        raise AssertionError(f"{self.name}'s server was not ready in 180 s:\n{self.hub.tail()}")

    def put_notebook(self, path: str, notebook: dict) -> None:
        answer = self.api(
            "PUT", f"{self.server}/api/contents/{path}",
            json={"type": "notebook", "format": "json", "content": notebook},
        )  # fmt: skip
        assert answer.status_code in (200, 201), answer.text

    @contextlib.contextmanager
    def kernel(self, notebook_path: str) -> Iterator[Kernel]:
        """A kernel for ``notebook_path`` (its folder as the working directory), as JupyterLab
        opens one: a session through the server's API, then the kernel's websocket."""
        import websocket

        answer = self.api(
            "POST", f"{self.server}/api/sessions",
            json={"path": notebook_path, "type": "notebook", "name": "",
                  "kernel": {"name": "python3"}},
        )  # fmt: skip
        assert answer.status_code == 201, answer.text
        session = answer.json()
        kernel_id = session["kernel"]["id"]
        url = self.server.replace("http", "ws") + f"/api/kernels/{kernel_id}/channels"
        connection = websocket.create_connection(
            url, header=[f"Authorization: token {self.token}"], timeout=300
        )
        try:
            yield Kernel(connection)
        finally:
            connection.close()
            self.api("DELETE", f"{self.server}/api/sessions/{session['id']}")

    def terminal(self, command: str, timeout: float = 300) -> tuple[str, int]:
        """Type ``command`` in a new lab terminal; what it showed, and its exit status."""
        import websocket

        answer = self.api("POST", f"{self.server}/api/terminals", json={})
        assert answer.status_code == 200, answer.text
        name = answer.json()["name"]
        url = self.server.replace("http", "ws") + f"/terminals/websocket/{name}"
        connection = websocket.create_connection(
            url, header=[f"Authorization: token {self.token}"], timeout=timeout
        )
        marker = f"END-{uuid.uuid4().hex[:8]}"
        shown: list[str] = []
        try:
            connection.send(json.dumps(["stdin", f"{command}; echo {marker}-$?\r"]))
            while True:
                kind, *content = json.loads(connection.recv())
                if kind == "stdout":
                    shown.append(content[0])
                    found = re.search(rf"{marker}-(\d+)", "".join(shown))
                    if found:
                        return "".join(shown), int(found.group(1))
        finally:
            connection.close()
            self.api("DELETE", f"{self.server}/api/terminals/{name}")


@dataclass
class Kernel:
    """A kernel's websocket, speaking the Jupyter messaging protocol as JupyterLab does."""

    connection: object
    session: str = field(default_factory=lambda: uuid.uuid4().hex)

    def run(self, code: str) -> Outputs:
        msg_id = uuid.uuid4().hex
        self.connection.send(  # type: ignore[attr-defined]
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "session": self.session,
                        "username": "",
                        "version": "5.3",
                        "date": datetime.datetime.now(datetime.UTC).isoformat(),
                    },
                    "parent_header": {},
                    "metadata": {},
                    "buffers": [],
                    "channel": "shell",
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": True,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "stop_on_error": True,
                    },
                }  # fmt: skip
            )
        )
        text: list[str] = []
        error = None
        idle = replied = False
        while not (idle and replied):
            message = json.loads(self.connection.recv())  # type: ignore[attr-defined]
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                text.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                text.append(content.get("data", {}).get("text/plain", ""))
            elif kind == "error":
                error = f"{content['ename']}: {content['evalue']}"
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            elif kind == "execute_reply":
                replied = True
        return Outputs("".join(text), error)
