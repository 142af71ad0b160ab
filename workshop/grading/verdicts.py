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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import sqlalchemy as sa
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from workshop import checks, db
from workshop.grading import revisions, sandbox
from workshop.grading.step import MARK, RESULT
from workshop.lessons import Lesson, _read_lesson

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
        }


class Trusted:
    """The checks' runtime during grading (see :class:`workshop.checks.Runtime`)."""

    def __init__(self, grading: Grading) -> None:
        self.grading = grading

    def _run(self, *args: str, database: sa.URL | None = None) -> sandbox.Completed:
        """``python -m workshop.grading.step ARGS`` in a fresh sandbox; then defuse what it left."""
        env = self.grading.sandbox_env()
        if database is not None:
            env["WORKSHOP_STEP_DATABASE"] = database.render_as_string(hide_password=False)
        argv = [sys.executable, "-m", "workshop.grading.step", *args]
        done = self.grading.new_sandbox().run(argv, env=env, timeout=self.grading.cell_timeout)
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
        from workshop.grading.server import GradingServer

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
        os.environ[db.URL_ENV] = settings.database_url
        os.environ["WORKSHOP_ROOT"] = str(settings.root)
        sys.addaudithook(refuse_code_from(settings.root))
        self.runtime = Trusted(self)
        self.current_exercise = ""
        self._private: list[Path] = []

    @classmethod
    def from_config(cls, config: dict) -> Grading:
        return cls(Settings.load(config))

    # --- sandboxes ------------------------------------------------------------------------

    def new_sandbox(self) -> sandbox.Sandbox:
        return make_sandbox(self.settings.sandbox)

    def sandbox_env(self) -> dict[str, str]:
        return {
            "WORKSHOP_ROOT": str(self.root),
            db.URL_ENV: os.environ[db.URL_ENV],
            "PYTHONDONTWRITEBYTECODE": "1",
            "JUPYTERHUB_USER": "graded",
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
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
        except RuntimeError:
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
            os.environ[db.URL_ENV] = f"sqlite:///{target}"
        else:
            os.environ[db.URL_ENV] = self.settings.database_url
        db.dispose_engines()
        from workshop.lessons import empty_database

        empty_database()
        self.new_sandbox().prepare(self.root)
        if item.start_revision is not None:
            self.runtime.step("upgrade", item.start_revision)

    def kernel_prelude(self, lesson_id: str) -> str:
        """What the participant's kernel runs instead of ``wk.start_lesson``: the same setup."""
        return (
            "import os\n"
            f"os.environ[{db.URL_ENV!r}] = {os.environ[db.URL_ENV]!r}\n"
            "import workshop as wk\n"
            "from workshop import ipython as _wk_ipython\n"
            "_wk_ipython.prepare()\n"
            "_wk_ipython.connect_sql()\n"
            "del _wk_ipython\n"
        )

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
        folder = Path(tempfile.mkdtemp(prefix="wk_key_"))
        self._private.append(folder)
        target = folder / Path(relative).name
        target.write_text(text, encoding="utf-8")
        return target

    def check(self, exercise_id: str, *, frozen: sandbox.Sandbox | None) -> checks.Verdict:
        """The verdict, from trusted code, with the participant's processes stopped meanwhile."""
        self.current_exercise = exercise_id
        if frozen is not None:
            try:
                frozen.freeze()
            except sandbox.SandboxError:
                frozen.kill()  # what cannot be stopped must not run beside the check
        try:
            defuse(self.root)
            with checks.using(self.runtime):
                return checks.run_check(exercise_id)
        finally:
            db.dispose_engines()
            if frozen is not None:
                frozen.thaw()

    def close(self) -> None:
        db.dispose_engines()
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
    """A sandbox of the submission, from the JSON options the runner wrote (same user for all)."""
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
