"""Trusted verdicts: the lesson checks, run outside the sandbox on what the participant left.

The checks in ``workshop/exercises`` are the same ones participants run for instant feedback.
Here they run in the grading kernel's own (trusted) process with :class:`Trusted` as their
runtime, which changes three things and nothing else:

- revision files are parsed as text (:mod:`workshop.grading.revisions`), never imported;
- each ``upgrade``/``downgrade``/``stamp`` runs in a fresh sandbox (:mod:`workshop.grading.step`),
  one process per step, discarded afterwards;
- the database is read over the check's own connection, as the submission's own role.

While a check runs, every process of the participant's sandbox is frozen (SIGSTOP), so nothing
of theirs can change files or rows between what the check does and what it reads.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
import sqlalchemy as sa
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from workshop import checks, db
from workshop.grading import revisions, sandbox, states
from workshop.grading.server import CHECK_OPTIONS, GradingServer
from workshop.grading.step import MARK, RESULT
from workshop.lessons import Lesson, _read_lesson
from workshop.orchestrator import versions as orchestrator_versions

_KIND = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,60}$")


class StepFailed(Exception):
    """A sandboxed step failed; its class name is the participant's exception's name."""


def step_failure(kind: str, message: str) -> StepFailed:
    """An exception that reads like the one the step raised, for the verdict's wording.

    The checks word a failure as ``type(error).__name__: first line``; a class of that name keeps
    the trusted verdict identical to the participant's own. ``NotImplementedError`` stays one, as
    the checks treat a stub that still raises it specially.
    """
    kind = kind if _KIND.match(kind) else "Error"
    bases: tuple[type, ...] = (StepFailed,)
    if kind == "NotImplementedError":
        bases = (StepFailed, NotImplementedError)
    return type(kind, bases, {})(message)


def _failure_from(stderr: str) -> tuple[str, str]:
    for line in reversed(stderr.splitlines()):
        if line.startswith(MARK + "\t"):
            _, kind, message = (line.split("\t", 2) + ["", ""])[:3]
            return kind, "".join(ch for ch in message if ch.isprintable())[:300]
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return "Error", (lines[-1][:300] if lines else "the step ended without saying why")


@dataclass
class Settings:
    """What the grading kernel of one submission knows; written by the runner, read here."""

    token: str
    cell_timeout: float
    root: Path  # the submission's work folder, as the sandbox sees it (same path outside)
    kit: Path  # the instructor's kit, for the answer key's starting files; never sandboxed
    database_url: str  # the submission's own role and database
    admin_url: str  # the grading server's superuser, for throwaway databases
    sandbox: dict[str, Any]  # keyword arguments of sandbox.Sandbox, paths as strings
    states: Path  # the exercises' starting states: read when grading, written when capturing
    scratch: Path  # trusted, private, removed with the submission: the key's files for checks

    @classmethod
    def load(cls, config: dict) -> Settings:
        return cls(
            token=config["token"],
            cell_timeout=float(config["cell_timeout"]),
            root=Path(config["root"]),
            kit=Path(config["kit"]),
            database_url=config["database_url"],
            admin_url=config["admin_url"],
            sandbox=config["sandbox"],
            states=Path(config["states"]),
            scratch=Path(config["scratch"]),
        )

    def dump(self) -> dict:
        return {
            "token": self.token,
            "cell_timeout": self.cell_timeout,
            "root": str(self.root),
            "kit": str(self.kit),
            "database_url": self.database_url,
            "admin_url": self.admin_url,
            "sandbox": self.sandbox,
            "states": str(self.states),
            "scratch": str(self.scratch),
        }


class Trusted:
    """The checks' runtime during grading (see :class:`workshop.checks.Runtime`)."""

    def __init__(self, grading: Grading) -> None:
        self.grading = grading

    def _run(self, *args: str, database: sa.URL | None = None) -> sandbox.Completed:
        """One step (``workshop.grading.step ARGS``) in a fresh sandboxed process; then defuse
        what it left."""
        env = self.grading.sandbox_env()
        if database is not None:
            env["WORKSHOP_STEP_DATABASE"] = database.render_as_string(hide_password=False)
        done = self.grading.stepper.run(list(args), env, timeout=self.grading.cell_timeout)
        defuse(self.grading.root)  # what the step left is read by trusted code next
        return done

    def step(self, verb: str, target: str, *, database: sa.URL | None = None) -> None:
        done = self._run(verb, target, database=database)
        if done.returncode != 0:
            kind, message = _failure_from(done.stderr or "")
            if done.limit:
                kind, message = "SandboxLimit", done.limit
            raise step_failure(kind, message)

    def scripts(self) -> revisions.StaticScripts:
        return revisions.StaticScripts(self.grading.root / "migrations" / "versions")

    @contextlib.contextmanager
    def scratch_database(self) -> Iterator[sa.URL]:
        if db.backend() == "sqlite":
            name = f"check_{secrets.token_hex(6)}.db"
            file = self.grading.root / ".workshop" / name
            try:
                yield sa.URL.create("sqlite", database=str(file))
            finally:
                file.unlink(missing_ok=True)
            return
        server = GradingServer.attached(sa.make_url(self.grading.settings.admin_url))
        url = server.create_participant("a check's throwaway database")
        try:
            yield url
        finally:
            db.dispose_engines()
            server.drop_participant(url)
            server.detach()

    def app_file(self, relative: str) -> Path:
        return self.grading.key_app_file(relative)

    def call(self, target: str) -> Any:
        """The function's data, computed in a fresh sandbox; None when it gave none."""
        done = self._run("call", target)
        if done.returncode != 0:
            return None  # the participant's models crashed the reading: the check says so
        lines = [line for line in (done.stdout or "").splitlines() if line.startswith(RESULT)]
        if not lines or len(lines[-1]) > 1_000_000:
            return None
        try:
            return json.loads(lines[-1].partition("\t")[2])
        except ValueError:
            return None


class Stepper:
    """Where a submission's steps run: a warm sandboxed server that forks one child per step.

    The server (``python -I -m workshop.grading.step --serve``, the untrusted side) has imported
    Alembic, SQLAlchemy and the kit before any step, so each step costs a fork, not a Python
    start. What makes each step as fresh as its own process: the child is forked from a server
    that never ran participant code, and after every reply this trusted side checks that the
    sandbox holds nothing but the server (and bwrap's init), killing the whole sandbox otherwise.
    A server that died, hung or lied about its state is replaced at the next step.
    """

    def __init__(self, grading: Grading) -> None:
        self.grading = grading
        self.box: sandbox.Sandbox | None = None
        self.process: subprocess.Popen | None = None
        self._lock = threading.Lock()  # warmed up in a thread while the first cells run

    def _start(self) -> None:
        self.box = self.grading.new_sandbox()
        argv = [sys.executable, "-I", "-m", "workshop.grading.step", "--serve"]
        if self.box.isolated:
            argv.append("--own-namespace")
        self.process = self.box.popen(
            argv, self.grading.sandbox_env(), cwd=self.grading.root,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def warm(self) -> None:
        """Start the server ahead of the first step (it imports for about half a second)."""
        with self._lock:
            if self.process is None:
                self._start()

    def run(self, argv: list[str], env: dict[str, str], *, timeout: float) -> sandbox.Completed:
        """Run one step; its outcome as :class:`sandbox.Completed` (``limit`` when one hit)."""
        with self._lock:
            return self._run(argv, env, timeout)

    def _run(self, argv: list[str], env: dict[str, str], timeout: float) -> sandbox.Completed:
        if self.process is None or self.process.poll() is not None:
            self.stop()
            self._start()
        assert self.process is not None and self.process.stdin and self.process.stdout
        request = {"argv": argv, "env": env, "cwd": str(self.grading.root)}
        reply: dict | None = None
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
            line = _read_line(self.process.stdout, timeout)
            reply = json.loads(line) if line else None
        except (OSError, ValueError):
            reply = None
        if reply is None or not self.box or self.box.members() > self.box.own_processes:
            timed_out = reply is None and self.process.poll() is None
            self.stop()  # hung, dead, or something of the step's is still running
            if reply is None:
                limit = f"timed out after {timeout:g} s" if timed_out else "the step's server died"
                return sandbox.Completed(argv, -9, "", "", limit)
        code, stdout, stderr = reply["returncode"], reply["stdout"], reply["stderr"]
        return sandbox.Completed(argv, code, stdout, stderr, sandbox.limit_hit(code, stderr, None))

    def stop(self) -> None:
        if self.box is not None:
            self.box.kill()
        self.box = self.process = None


def _read_line(stream: Any, timeout: float, limit: int = 8_000_000) -> bytes:
    """One whole line from a pipe, or b"" when none came within ``timeout`` seconds.

    Read in chunks against a deadline: a server that sends half a line and stops must not make
    trusted code wait forever.
    """
    import selectors

    deadline = time.monotonic() + timeout
    data = b""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while not data.endswith(b"\n") and len(data) < limit:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                return b""
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                return b""
            data += chunk
    return data if data.endswith(b"\n") else b""


def _wait_until_ready(client: BlockingKernelClient, process: Any, timeout: float) -> None:
    """Until the kernel answers a kernel_info request; RuntimeError if it exits or never does.

    Not jupyter_client's ``wait_for_ready``: it calls a kernel dead when a heartbeat is late,
    which a kernel still importing on a busy machine often is. Here the process itself says
    whether it lives.
    """
    deadline = time.monotonic() + timeout
    asked: set[str] = set()
    while True:
        if process.poll() is not None:
            raise RuntimeError("the participant's kernel exited while it started")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the participant's kernel did not start in {timeout:g} s")
        asked.add(client.kernel_info())  # asked again each round, as jupyter_client does
        try:
            reply = client.get_shell_msg(timeout=1.0)
        except Empty:
            continue
        if reply["parent_header"].get("msg_id") in asked:
            return


class SandboxedKernel:
    """The participant's IPython kernel, inside a sandbox, and a client to talk to it."""

    def __init__(self, box: sandbox.Sandbox, process: Any, client: BlockingKernelClient) -> None:
        self.sandbox = box
        self.process = process
        self.client = client

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """End every process of the sandbox."""
        self.client.stop_channels()
        self.sandbox.kill()


class Grading:
    """One submission's grading, as the grading kernel sees it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.root
        self.cell_timeout = settings.cell_timeout
        self.participant_url = ""
        # Whether the lesson being graded uses the kit's orchestrator schema location
        # (workshop.orchestrator.versions): its steps and kernel then see it, as its first cell.
        self.orchestrator_schema = False
        self.use_database(settings.database_url)
        os.environ["WORKSHOP_ROOT"] = str(settings.root)
        sys.addaudithook(refuse_code_from(settings.root))
        self.runtime = Trusted(self)
        self.stepper = Stepper(self)
        self.current_exercise = ""
        self._private: list[Path] = []
        self._attached = None  # the grading server, for dumps and restores

    @classmethod
    def from_config(cls, config: dict) -> Grading:
        return cls(Settings.load(config))

    def use_database(self, url: str) -> None:
        """Point the sandboxes at ``url``, and this process's checks at it with their own options.

        The checks read the participant's database as the participant's role, whose settings the
        participant may have changed (``ALTER ROLE CURRENT_USER SET search_path = ...``, to put
        their own operators before ``pg_catalog``'s). Options in the connection request outrank
        role and database settings, so the checks' sessions get the defaults back.
        """
        self.participant_url = url
        parsed = sa.make_url(url)
        if parsed.get_backend_name() == "postgresql":
            parsed = parsed.update_query_dict({"options": CHECK_OPTIONS})
        os.environ[db.URL_ENV] = parsed.render_as_string(hide_password=False)
        db.dispose_engines()

    # --- sandboxes ------------------------------------------------------------------------

    def new_sandbox(self) -> sandbox.Sandbox:
        return make_sandbox(self.settings.sandbox)

    def sandbox_env(self) -> dict[str, str]:
        return {
            "WORKSHOP_ROOT": str(self.root),
            db.URL_ENV: self.participant_url,
            "PYTHONDONTWRITEBYTECODE": "1",
            "JUPYTERHUB_USER": "graded",
            **({orchestrator_versions.FORCE_ENV: "1"} if self.orchestrator_schema else {}),
        }

    def start_kernel(self) -> SandboxedKernel:
        """A fresh IPython kernel in a fresh sandbox, over unix sockets in the work folder."""
        folder = self.root / ".workshop" / "kernel"
        folder.mkdir(parents=True, exist_ok=True)
        name = secrets.token_hex(4)
        connection = folder / f"{name}.json"
        key = secrets.token_hex(16).encode()
        write_connection_file(str(connection), transport="ipc", ip=str(folder / name), key=key)
        box = self.new_sandbox()
        box.prepare(folder)  # the kernel, running as the sandbox's user, must read its keys
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection)]
        process = box.popen(
            argv, self.sandbox_env(), cwd=self.root, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        client = BlockingKernelClient()
        client.load_connection_file(str(connection))
        client.start_channels(hb=False)
        try:
            _wait_until_ready(client, process, timeout=60)
        except RuntimeError:
            client.stop_channels()
            box.kill()
            raise
        return SandboxedKernel(box, process, client)

    # --- the lesson's first cell ----------------------------------------------------------

    def lesson(self, lesson_id: str) -> Lesson:
        for notebook in sorted((self.settings.kit / "solutions").glob("*.ipynb")):
            item = _read_lesson(notebook)
            if item is not None and item.id == lesson_id:
                return item
        raise ValueError(f"no lesson {lesson_id!r} in the answer key")

    def start_lesson(self, lesson_id: str) -> None:
        """Files and database at the lesson's starting point, by trusted code."""
        item = self.lesson(lesson_id)
        self.orchestrator_schema = item.orchestrator_schema
        solutions = self.settings.kit / "solutions"
        defuse(self.root)
        versions = real_folder(self.root, "migrations/versions")
        for old in versions.iterdir():
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old)
            else:
                old.unlink()
        for entry in item.start_files:
            _copy_in(solutions / "migrations" / entry, versions, Path(Path(entry).name))
        for entry in item.start_app:
            _copy_in(solutions / "app" / entry, self.root, Path(*Path(entry).parts[1:]))
        if item.database == "sqlite":
            target = real_folder(self.root, ".workshop") / f"lesson-{item.id}.sqlite"
            target.unlink(missing_ok=True)
            self.use_database(f"sqlite:///{target}")
        else:
            self.use_database(self.settings.database_url)
        db.dispose_engines()
        from workshop.lessons import empty_database

        empty_database()
        self.new_sandbox().prepare(self.root)
        if item.start_revision is not None:
            self.runtime.step("upgrade", item.start_revision)

    def kernel_prelude(self) -> str:
        """What the participant's kernel runs instead of ``wk.start_lesson``: the same setup.

        Also after each restored state: a clean namespace, and connections made afresh (the
        restore ended the old ones with the database they were connected to).
        """
        return (
            'get_ipython().run_line_magic("reset", "-f")\n'
            "import os\n"
            f"os.environ[{db.URL_ENV!r}] = {self.participant_url!r}\n"
            "import workshop as wk\n"
            "from workshop import db as _wk_db, ipython as _wk_ipython\n"
            "_wk_db.dispose_engines()\n"
            "try:\n"
            "    from sql.connection import Connection as _wk_sql\n"
            "    _wk_sql.connections.clear()\n"
            "    del _wk_sql\n"
            "except ImportError:\n"
            "    pass\n"
            "_wk_ipython.prepare()\n"
            "_wk_ipython.connect_sql()\n"
            "del _wk_db, _wk_ipython\n"
        )

    # --- exercises' starting states ---------------------------------------------------------

    def save_state(self, exercise_id: str, *, frozen: sandbox.Sandbox | None) -> None:
        """Capturing the key: save files and database as they are before this exercise."""
        target = states.state_folder(self.settings.states, exercise_id)
        with self._frozen(frozen):
            defuse(self.root)
            target.mkdir(parents=True)
            url = sa.make_url(self.participant_url)
            sqlite = None
            if url.get_backend_name() == "sqlite":
                sqlite = str(Path(url.database or "").relative_to(self.root))
            else:
                self._server().dump(url.database or "", target / states.DUMP_FILE)
            database = self.root / sqlite if sqlite else None
            states.save_files(self.root, target / "files", database)
            states.write_meta(target, exercise_id.split(".")[0], sqlite)

    def restore_state(self, exercise_id: str, *, frozen: sandbox.Sandbox | None) -> None:
        """Grading: files and database exactly as the key had them before this exercise."""
        state = states.state_folder(self.settings.states, exercise_id)
        meta = states.read_meta(state)
        self.current_exercise = exercise_id
        with self._frozen(frozen):
            defuse(self.root)
            _empty_work_folder(self.root)
            for relative in states.saved_files(state):
                _copy_in(state / "files" / relative, self.root, relative)
            if meta["sqlite"] is not None:
                self.use_database(f"sqlite:///{self.root / meta['sqlite']}")
            else:
                self.use_database(self.settings.database_url)
            dump = state / states.DUMP_FILE
            participant = sa.make_url(self.settings.database_url)
            self._server().reset_participant(participant, dump if dump.is_file() else None)
            self.new_sandbox().prepare(self.root)

    def _server(self) -> GradingServer:
        if self._attached is None:
            self._attached = GradingServer.attached(sa.make_url(self.settings.admin_url))
        return self._attached

    @contextlib.contextmanager
    def _frozen(self, box: sandbox.Sandbox | None) -> Iterator[None]:
        """Nothing of the participant's runs meanwhile: frozen, or killed if it cannot be."""
        if box is not None:
            try:
                box.freeze()
            except sandbox.SandboxError:
                box.kill()
        try:
            yield
        finally:
            if box is not None:
                box.thaw()

    # --- checks ---------------------------------------------------------------------------

    def key_app_file(self, relative: str) -> Path:
        """The answer key's ``relative`` (e.g. ``todo/models.py``) as it is at the current check.

        That is the last ``%%writefile relative`` cell before the check in the key's notebook,
        else the lesson's starting copy in ``solutions/app/``. Written to a private folder.
        """
        lesson_id = self.current_exercise.split(".")[0]
        item = self.lesson(lesson_id)
        key = nbformat.read(self.settings.kit / "solutions" / item.notebook, as_version=4)
        text: str | None = None
        for entry in item.start_app:
            if Path(*Path(entry).parts[1:]) == Path(relative):
                text = (self.settings.kit / "solutions" / "app" / entry).read_text("utf-8")
        for cell in key.cells:
            if cell.cell_type != "code":
                continue
            if f'check_exercise("{self.current_exercise}")' in cell.source:
                break
            first, _, body = cell.source.partition("\n")
            if first.split()[:2] == ["%%writefile", relative]:
                text = body
        if text is None:
            raise LookupError(f"the answer key has no {relative} at {self.current_exercise}")
        folder = Path(tempfile.mkdtemp(prefix="wk_key_", dir=self.settings.scratch))
        self._private.append(folder)
        target = folder / Path(relative).name
        target.write_text(text, encoding="utf-8")
        return target

    def check(self, exercise_id: str, *, frozen: sandbox.Sandbox | None) -> checks.Verdict:
        """The verdict, from trusted code, with the participant's processes stopped meanwhile."""
        self.current_exercise = exercise_id
        with self._frozen(frozen):
            try:
                defuse(self.root)
                self._server().seal(sa.make_url(self.settings.database_url))
                with checks.using(self.runtime):
                    return checks.run_check(exercise_id)
            finally:
                db.dispose_engines()

    def close(self) -> None:
        self.stepper.stop()
        db.dispose_engines()
        if self._attached is not None:
            self._attached.detach()
        for folder in self._private:
            shutil.rmtree(folder, ignore_errors=True)


def refuse_code_from(root: Path) -> Callable[[str, tuple], None]:
    """An audit hook: this process never compiles or runs code from the sandbox's folder.

    The rule that trusted code never imports participant Python holds by design (revision files
    parsed as text, the key's models); this hook makes any slip fail loudly instead of running
    the participant's code here. Every import, ``runpy`` and Alembic's loading of a revision file
    compiles source (``compile``) or runs cached bytecode (``exec``), naming the file.
    """
    base = os.path.realpath(root) + os.sep

    def hook(event: str, args: tuple) -> None:
        if event == "compile" and len(args) > 1:
            filename = args[1]
        elif event == "exec" and args and hasattr(args[0], "co_filename"):
            filename = args[0].co_filename
        else:
            return
        if isinstance(filename, str | bytes) and os.path.realpath(os.fsdecode(filename)).startswith(
            base
        ):
            raise RuntimeError(f"trusted grading code refused to run {os.fsdecode(filename)}")

    return hook


def make_sandbox(options: dict[str, Any]) -> sandbox.Sandbox:
    """A sandbox of the submission, from the JSON options the runner wrote (same user for all).

    ``sandboxed: false`` (``--no-sandbox``) gives :class:`sandbox.Unsandboxed`: the same grading,
    with the participant's code run as the grader's own user.
    """
    if not options.get("sandboxed", True):
        return sandbox.Unsandboxed(Path(options["workdir"]), home=Path(options["home"]))
    return sandbox.Sandbox(
        Path(options["workdir"]),
        home=Path(options["home"]),
        sockets=Path(options["sockets"]) if options.get("sockets") else None,
        readonly=[Path(p) for p in options.get("readonly", ())],
        uid=options.get("uid"),
    )


def real_folder(root: Path, relative: str) -> Path:
    """``root/relative`` as real folders all the way down, never a link the sandbox planted.

    Trusted code deletes and writes files under it: a ``migrations/versions`` that had become a
    link to the instructor's files must be replaced, not followed.
    """
    folder = root
    for part in Path(relative).parts:
        folder = folder / part
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            folder.unlink()
        folder.mkdir(exist_ok=True)
    return folder


def defuse(root: Path) -> None:
    """Remove every link, pipe and device the sandbox left in its work folder.

    Trusted code reads the work folder next (revision files, SQLite files). A link could point it
    at the instructor's files, and a FIFO would make it wait forever; neither is anything a lesson
    makes. Run only while no sandboxed process runs, so nothing can put them back meanwhile. The
    participant kernel's own sockets (``.workshop/kernel``) stay.
    """
    kernel_sockets = root / ".workshop" / "kernel"
    for parent, folders, files in os.walk(root):
        here = Path(parent)
        for name in folders + files:
            path = here / name
            mode = path.lstat().st_mode
            if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
                continue
            if stat.S_ISSOCK(mode) and here == kernel_sockets:
                continue
            path.unlink()


def _empty_work_folder(root: Path) -> None:
    """Remove everything from the work folder but the kernel's sockets (links already defused)."""
    for entry in root.iterdir():
        real_dir = entry.is_dir() and not entry.is_symlink()
        inner = list(entry.iterdir()) if entry.name == ".workshop" and real_dir else None
        if inner is None:
            _remove(entry)
            continue
        for item in inner:
            if item.name != "kernel":
                _remove(item)
    (root / "notebooks").mkdir()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _copy_in(source: Path, root: Path, relative: Path) -> None:
    """Copy a key file to ``root/relative``, replacing (never following) what is there."""
    folder = real_folder(root, str(relative.parent)) if relative.parent != Path() else root
    target = folder / relative.name
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif target.is_symlink() or target.exists():
        target.unlink()
    with source.open("rb") as reader:
        handle = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(handle, "wb") as writer:
            shutil.copyfileobj(reader, writer)


def write_config(path: Path, settings: Settings) -> None:
    path.write_text(json.dumps(settings.dump()), encoding="utf-8")
    path.chmod(0o600)
