"""The kit installed once for a class, where every participant account can run it.

A hub runs each participant's server as that participant, so the kit and its virtual
environment must be readable by all of them and writable by none. The instructor's own checkout
is neither (it is theirs, and it holds the answer key), and cloning a root-owned repository as
another user fails with git's "dubious ownership". So ``workshop class install DEST`` (as root,
from the instructor's checkout) makes a separate installation:

* **The files** git tracks in the checkout, as they are in the working tree. When the class is
  graded, only what participants need, and no ``solutions/`` folder at all: what lessons start
  from is in ``lesson-starts/`` instead (:func:`lesson_starts`; :func:`workshop.lessons.starts_dir`
  reads it there): each solved notebook's metadata (which lessons read: id, title, starting
  files) without a single cell, and the reference revision and application files that some
  lesson starts from. No solved cell, no stored output, no reference migration that no lesson
  starts from, no ``tests/`` (they hold answers), no ``benchmarks/``.
* **A git repository** of them, one commit per install: each participant's copy is a clone
  (:mod:`workshop.classroom.singleuser`), so that ``workshop update`` brings them a later
  install. Its history holds earlier installs only, never the instructor's history.
* **A virtual environment** in ``DEST/.venv`` with the kit (editable, on ``DEST``) and
  JupyterHub (for ``jupyterhub-singleuser``), made again only when ``pyproject.toml``, the
  JupyterHub requirement or the interpreter changes, and JupyterLab's news pop-up turned off
  in it. Its interpreter must be one every account can run (``--python``, e.g. the system's
  ``/usr/bin/python3``): see :func:`interpreter_problem`.
* Everything owned by whoever installs, ``0755``/``0644``: participants read and run, never write.

What a graded class still gives away, by the course's design: every lesson can be started on
its own, so starting lesson N+1 (``workshop reset``) puts the answer key's revision files of the
lessons before it in place. Lesson 04, for example, starts from lesson 03's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from workshop.errors import WorkshopError

KIT_ENV = "WORKSHOP_CLASS_KIT"
JUPYTERHUB = "jupyterhub>=5,<7"
#: What a graded class's participants get of the kit (and ``lesson-starts/``, made apart).
PARTICIPANT_PATHS = (
    ".gitignore", "README.md", "alembic.ini", "environment.yml", "kit", "main.py",
    "pyproject.toml", "docs", "migration_tests", "migrations", "notebooks", "products", "todo",
    "workshop",
)  # fmt: skip
VENV_STAMP = ".workshop-class-venv"
STARTS_README = """\
# Lesson starting points

What each lesson starts from, read by its first cell and by `workshop reset`: each lesson's
description (its notebook's metadata, without cells), and the revision and application files a
lesson begins with. They are not the answers: this class is graded, so the answer key (the
solved lessons, `solutions/` in the kit) stays with your instructor.
"""


@dataclass
class Installed:
    """What one ``workshop class install`` did."""

    folder: Path
    files: int = 0
    changed: list[str] = field(default_factory=list)
    commit: str | None = None  # the new commit, None when nothing changed
    venv_made: bool = False
    graded: bool = True
    warnings: list[str] = field(default_factory=list)


def tracked_files(root: Path) -> list[str]:
    """The files git tracks in ``root``, as POSIX paths; every file when it is not a checkout."""
    try:
        done = subprocess.run(
            ["git", "-c", f"safe.directory={root}", "-C", str(root), "ls-files", "-z"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    except FileNotFoundError:
        done = None
    if done is not None and done.returncode == 0:
        return sorted(path for path in done.stdout.split("\0") if (root / path).is_file())
    skip = {".git", ".venv", ".workshop", "__pycache__", "submissions", "grading-report"}
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and not skip.intersection(path.relative_to(root).parts)
    )


def lesson_starts(root: Path) -> dict[str, bytes]:
    """What lessons start from, as ``lesson-starts/...`` path -> content (see the module's doc),
    read from the answer key in ``root/solutions/``."""
    from workshop import lessons

    solutions = root / "solutions"
    starts = lessons.LESSON_STARTS
    files: dict[str, bytes] = {f"{starts}/README.md": STARTS_README.encode()}
    saved = os.environ.get("WORKSHOP_ROOT")
    os.environ["WORKSHOP_ROOT"] = str(root)
    try:
        every = lessons.all_lessons()
    finally:
        if saved is None:
            os.environ.pop("WORKSHOP_ROOT", None)
        else:
            os.environ["WORKSHOP_ROOT"] = saved
    for item in every:
        notebook = json.loads((solutions / item.notebook).read_text(encoding="utf-8"))
        bare = {
            "cells": [],
            "metadata": notebook.get("metadata", {}),
            "nbformat": notebook.get("nbformat", 4),
            "nbformat_minor": notebook.get("nbformat_minor", 5),
        }
        files[f"{starts}/{item.notebook}"] = (json.dumps(bare, indent=1) + "\n").encode()
        for entry in item.start_files:
            files[f"{starts}/migrations/{entry}"] = (solutions / "migrations" / entry).read_bytes()
        for entry in item.start_app:
            files[f"{starts}/app/{entry}"] = (solutions / "app" / entry).read_bytes()
    return files


def wanted_files(root: Path, *, graded: bool) -> dict[str, Path | bytes]:
    """Every file of the installation: path -> its source file, or its content."""
    wanted: dict[str, Path | bytes] = {}
    for path in tracked_files(root):
        top = path.split("/", 1)[0]
        if graded and top not in PARTICIPANT_PATHS:
            continue
        wanted[path] = root / path
    if graded:
        wanted.update(lesson_starts(root))
    return wanted


def install(
    destination: Path,
    *,
    source: Path | None = None,
    graded: bool = True,
    make_venv: bool = True,
    python: str | None = None,
) -> Installed:
    """Install the kit from ``source`` (the instructor's checkout) into ``destination``."""
    from workshop import paths

    source = (source or paths.root()).resolve()
    destination = destination.resolve()
    if destination == source or source in destination.parents:
        raise WorkshopError(
            f"{destination} is inside the checkout it would be made from.",
            fix="Install somewhere else, e.g. /opt/workshop-kit.",
        )
    old_umask = os.umask(0o022)
    try:
        destination.mkdir(parents=True, exist_ok=True)
        destination.chmod(0o755)
        result = Installed(destination, graded=graded)
        _sync(destination, wanted_files(source, graded=graded), result)
        result.commit = _commit(destination, source)
        if graded and readable_by_others(source / "solutions"):
            result.warnings.append(
                f"Other accounts can read the answer key in your checkout ({source}/solutions): "
                f"participants could read it there. Make the checkout private: chmod 700 {source}"
            )
        if make_venv:
            result.venv_made = ensure_venv(destination, python)
    finally:
        os.umask(old_umask)
    return result


def readable_by_others(folder: Path) -> bool:
    """Whether an account other than the owner's (and not in its group) can list ``folder``:
    every folder on the way lets others through, and the folder lets them read it."""
    try:
        if not folder.stat().st_mode & 0o004:
            return False
        return all(parent.stat().st_mode & 0o001 for parent in folder.parents)
    except OSError:
        return False


def _sync(destination: Path, wanted: dict[str, Path | bytes], result: Installed) -> None:
    """Make ``destination``'s files exactly ``wanted`` (``.git`` and ``.venv`` aside)."""
    result.files = len(wanted)
    for relative, origin in sorted(wanted.items()):
        content = origin if isinstance(origin, bytes) else origin.read_bytes()
        executable = not isinstance(origin, bytes) and os.access(origin, os.X_OK)
        target = destination / relative
        if target.is_symlink() or (target.exists() and not target.is_file()):
            _remove(target)
        if not target.is_file() or target.read_bytes() != content:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            result.changed.append(relative)
        target.chmod(0o755 if executable else 0o644)
    # Files an earlier install put there and this one does not: what git tracks there, so that
    # what else is in the folder (the venv, pip's build leftovers) stays.
    earlier = tracked_files(destination) if (destination / ".git").is_dir() else []
    for relative in earlier:
        if relative not in wanted:
            (destination / relative).unlink()
            result.changed.append(relative)
    # Empty folders go, deepest first, with the folders above them that they leave empty (an
    # earlier install's solutions/migrations/02/...); the venv and git's own are not looked at.
    found = []
    for top, folders, _files in os.walk(destination):
        if Path(top) == destination:
            folders[:] = [f for f in folders if f not in (".git", ".venv")]
        found.extend(Path(top) / f for f in folders)
    for folder in reversed(found):
        if folder.is_symlink():
            continue
        if not any(folder.iterdir()):
            folder.rmdir()
        else:
            folder.chmod(0o755)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", f"safe.directory={folder}", "-c", "user.name=workshop class install",
         "-c", "user.email=workshop-class@localhost", "-C", str(folder), *args],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip


def _commit(destination: Path, source: Path) -> str | None:
    """Commit the installation's files; the new commit's id, None when nothing changed."""
    if not (destination / ".git").is_dir():
        _git(destination, "init", "--quiet", "--initial-branch=main")
    _git(destination, "add", "--all")
    if subprocess.run(
        ["git", "-c", f"safe.directory={destination}", "-C", str(destination), "diff",
         "--cached", "--quiet"],
        capture_output=True,
    ).returncode == 0 and _has_commits(destination):  # fmt: skip
        return None
    what = _describe(source)
    _git(destination, "commit", "--quiet", "--allow-empty", "-m", f"The kit, installed {what}")
    for path in (destination / ".git").rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return _git(destination, "rev-parse", "HEAD").stdout.strip()


def _has_commits(folder: Path) -> bool:
    return (
        subprocess.run(
            ["git", "-c", f"safe.directory={folder}", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True,
        ).returncode
        == 0
    )


def _describe(source: Path) -> str:
    done = subprocess.run(
        ["git", "-c", f"safe.directory={source}", "-C", str(source), "describe", "--always",
         "--dirty"],
        capture_output=True, text=True,
    )  # fmt: skip
    return f"from {done.stdout.strip()}" if done.returncode == 0 else "from a folder"


def base_python() -> str:
    """The interpreter this kit runs on, not its venv's: what a new environment is made from."""
    return getattr(sys, "_base_executable", sys.executable)


def interpreter_problem(python: str) -> str | None:
    """Why ``python`` cannot run every participant's server; None when it can.

    A virtual environment runs its base interpreter's standard library, wherever that is. An
    instructor's own Python (pyenv, conda, a home folder) often lives where other accounts
    cannot read: their servers then fall back on whatever other Python they find, or fail.
    """
    probe = "import sys; print(sys.base_prefix); print(sys.version_info >= (3, 11))"
    try:
        done = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=60)
    except OSError as error:
        return f"{python} cannot be run: {error}"
    lines = done.stdout.split()
    if done.returncode != 0 or len(lines) != 2:
        return f"{python} does not run: {done.stderr.strip()[-200:]}"
    if lines[1] != "True":
        return f"{python} is older than Python 3.11"
    if not readable_by_others(Path(lines[0]) / "lib"):
        return f"other accounts cannot read {python}'s standard library (in {lines[0]})"
    return None


def venv_stamp(destination: Path, python: str) -> str:
    """What the virtual environment depends on: remade when this changes."""
    digest = hashlib.sha256((destination / "pyproject.toml").read_bytes()).hexdigest()
    return f"{digest} {JUPYTERHUB} {python}\n"


def ensure_venv(destination: Path, python: str | None = None) -> bool:
    """``destination/.venv`` with the kit and JupyterHub; whether it had to be made.

    ``python`` (default: the one running this) must be one every account can run: see
    :func:`interpreter_problem`.
    """
    python = python or base_python()
    folder = destination / ".venv"
    stamp = folder / VENV_STAMP
    if stamp.is_file() and stamp.read_text() == venv_stamp(destination, python):
        return False
    problem = interpreter_problem(python)
    if problem is not None:
        raise WorkshopError(
            f"The kit's environment for the class cannot be made from {python}: {problem}.",
            fix="Name a Python that every account can run, e.g. "
            "`workshop class install --python /usr/bin/python3 FOLDER`.",
        )
    venv_python = folder / "bin" / "python"
    pip = [str(venv_python), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    for step in (
        [python, "-m", "venv", "--clear", str(folder)],
        [*pip, "install", "--upgrade", "pip"],
        [*pip, "install", "--editable", str(destination), JUPYTERHUB],
        [str(venv_python), "-c", "from workshop import labsetup; labsetup.quiet_notifications()"],
    ):
        done = subprocess.run(step, capture_output=True, text=True, cwd=destination)
        if done.returncode != 0:
            tail = " | ".join((done.stdout + done.stderr).strip().splitlines()[-4:])
            raise WorkshopError(
                f"Installing the kit's environment failed: `{' '.join(step[1:])}`: {tail}",
                fix="Check the network (pip must reach the package index), then run "
                "`workshop class install` again.",
            )
    for path in folder.rglob("*"):
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o444 | (0o111 if path.is_dir() else 0))
    stamp.write_text(venv_stamp(destination, python))
    return True
