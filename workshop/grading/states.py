"""Each exercise's starting state: captured once from the answer key, restored per submission.

Grading used to replay every teaching cell of a lesson to bring a submission to its exercise:
about 70% of the time went into the lessons' ``!alembic`` cells, 2% into the checks that decide
the grade. What an exercise needs is only the state the answer key was in just before its
exercise cells ran: the project's files and the database. So the key is run once per kit version
through the same grading kernel, sandbox and server as the submissions, and before each exercise
the trusted side saves (:meth:`workshop.grading.verdicts.Grading.save_state`):

- ``files/``: every regular file of the work folder (revision files, the app's models, a
  lesson's SQLite database), but not the notebooks or the kernel's sockets;
- ``database.sql``: ``pg_dump`` of the database, without owners or grants, so that loading it as
  the submission's role makes the role the owner, as its own migrations would have;
- ``state.json``: the lesson, and which database the lesson uses.

Every submission's exercise then starts from that state (``restore_state``): its own exercise
cells and the trusted check are all that run. An exercise no longer depends on what the
participant did in the exercises before it.

Where: ``.workshop/grading-states/<digest>/<exercise>/`` in the instructor's checkout, out of
every sandbox's reach. ``digest`` covers every file the states come from (the key, the kit's code,
the project files) and the versions of Python, Alembic and SQLAlchemy, so a changed key gets new
states. A capture is written to a temporary folder and renamed into place when every check of the
key has passed, so a half-made or failing capture is never used.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import sys
import time
from importlib import metadata
from pathlib import Path

from workshop import paths

STORE = "grading-states"
FORMAT = 3  # raise when what a state holds, or how it is captured, changes
EXERCISE_ID = re.compile(r"^\d\d\.\d+$")
# What the states are made from: the key, the kit's code and the project's files.
SOURCES = ("solutions", "workshop", "migrations", "products", "todo", "migration_tests")
SOURCE_FILES = ("alembic.ini", "main.py", "pyproject.toml")
NOT_SAVED = ("notebooks", ".workshop/kernel")  # graded separately / the live kernel's sockets
STATE_FILE = "state.json"
DUMP_FILE = "database.sql"


def digest(root: Path | None = None) -> str:
    """What the states depend on, hashed: a change to any of it means new states."""
    root = root or paths.root()
    hasher = hashlib.sha256(f"format {FORMAT}".encode())
    for name in (sys.version, *(metadata.version(p) for p in ("alembic", "sqlalchemy"))):
        hasher.update(name.encode() + b"\0")
    files = [root / name for name in SOURCE_FILES if (root / name).is_file()]
    for folder in SOURCES:
        files += sorted(path for path in (root / folder).rglob("*") if _source(root, path))
    for path in files:
        hasher.update(str(path.relative_to(root)).encode() + b"\0")
        hasher.update(hashlib.sha256(path.read_bytes()).digest())
    return hasher.hexdigest()[:20]


def _source(root: Path, path: Path) -> bool:
    """Whether ``path`` is one the states are made from.

    Not grading's own code (``workshop/grading``), which changes often and decides nothing
    about the key's states: :data:`FORMAT` is raised when the way states are saved changes.
    """
    relative = path.relative_to(root)
    skipped = {"__pycache__", ".ipynb_checkpoints"}
    if not path.is_file() or skipped & set(relative.parts):
        return False
    if relative.parts[:2] == ("workshop", "grading"):
        return False
    return relative.parts[:2] != ("migrations", "versions")


def store(root: Path | None = None) -> Path:
    """The folder of this kit version's states (it may not exist yet)."""
    root = root or paths.root()
    return root / ".workshop" / STORE / digest(root)


def new_capture(final: Path) -> Path:
    """A private folder to capture into, beside ``final``."""
    final.parent.mkdir(parents=True, exist_ok=True)
    folder = final.parent / f".capture-{secrets.token_hex(6)}"
    folder.mkdir(mode=0o700)
    return folder


def publish(capture: Path, final: Path) -> None:
    """Move a finished capture into place; another grader's identical capture may have won."""
    try:
        capture.rename(final)
    except OSError:
        if not final.is_dir():
            raise
        shutil.rmtree(capture, ignore_errors=True)
    prune(final)


def prune(current: Path, age: float = 86400.0) -> None:
    """Remove states of other kit versions, and captures that never finished, once a day old.

    Not at once: a grading that started before the key changed may still be reading them.
    """
    now = time.time()
    for other in current.parent.iterdir():
        try:
            old = now - other.stat().st_mtime > age
        except OSError:
            continue
        if other != current and old and other.is_dir() and not other.is_symlink():
            shutil.rmtree(other, ignore_errors=True)


def state_folder(states: Path, exercise_id: str) -> Path:
    if not EXERCISE_ID.match(exercise_id):
        raise ValueError(f"not an exercise id: {exercise_id!r}")
    return states / exercise_id


def save_files(root: Path, target: Path, database: Path | None = None) -> None:
    """Copy every regular file of the work folder (but ``NOT_SAVED``) into ``target``.

    Of the kit's own ``.workshop`` folder only ``database`` (the lesson's SQLite file) is kept:
    an earlier lesson's database, left by a capture that ran several lessons, is no part of this
    exercise's state. Run by trusted code while the sandbox is frozen and after its links were
    removed; links are skipped anyway, never followed.
    """
    skipped = {root / name for name in NOT_SAVED}
    for parent, folders, files in os.walk(root):
        here = Path(parent)
        folders[:] = [name for name in folders if here / name not in skipped]
        for name in files:
            source = here / name
            if source.parent == root / ".workshop" and source != database:
                continue
            if not stat.S_ISREG(source.lstat().st_mode):
                continue
            destination = target / source.relative_to(root)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination, follow_symlinks=False)


def saved_files(state: Path) -> list[Path]:
    """The saved files of a state, relative to the work folder."""
    files = state / "files"
    return sorted(p.relative_to(files) for p in files.rglob("*") if p.is_file())


def write_meta(state: Path, lesson: str, sqlite: str | None) -> None:
    (state / STATE_FILE).write_text(json.dumps({"lesson": lesson, "sqlite": sqlite}))


def read_meta(state: Path) -> dict:
    return json.loads((state / STATE_FILE).read_text(encoding="utf-8"))
