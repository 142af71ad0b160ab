"""A participant's server on the hub: their own private copy, then JupyterLab on lesson 00.

The hub starts this (``python -m workshop.classroom.singleuser``) as the participant, instead
of ``jupyterhub-singleuser``, which it then becomes. Everything here runs with the participant's
rights, never root's: a participant who planted a link in their home can only mislead
themselves.

1. **Private files.** The home folder becomes ``0700`` (Debian makes homes ``0755``: anyone could
   read a participant's revision files, database backups, hand-in archives and IPython's
   history of every cell they ran), and new files are private (umask ``077``).
2. **Their own copy**, ``~/workshop``, made at the first start: a ``git clone`` of the class's
   installation (:mod:`workshop.classroom.install`), mode ``0700``, so that ``workshop update``
   brings later installs. The installation belongs to root, and git refuses to read another
   user's repository ("dubious ownership") unless it is named in ``safe.directory``; git takes
   that setting only from the user's own configuration (not from the environment: a local
   clone clears it), so it is added to ``~/.gitconfig``, for that one folder.
3. **A private runtime folder** (``XDG_RUNTIME_DIR``) for the embedded PostgreSQL where the
   checks rehearse: see :func:`runtime_folder`.
4. **The lab as ``workshop lab`` makes it:** terminals that are interactive, non-login bash with
   the kit's ``bin`` first on ``PATH`` (a hub spawner's output is no terminal, so jupyter_server
   would start login shells and ``/etc/profile`` would drop the kit's ``alembic``: see
   :mod:`workshop.labsetup`), the copy as the lab's root, and lesson 00 opened first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from workshop import labsetup
from workshop.classroom.install import KIT_ENV

COPY_ENV = "WORKSHOP_CLASS_COPY"
FIRST_PAGE = "/lab/tree/notebooks/00-welcome-and-setup.ipynb"


def kit_folder() -> Path:
    """The class's installation: ``WORKSHOP_CLASS_KIT``, else the folder this kit runs from."""
    configured = os.environ.get(KIT_ENV)
    return Path(configured) if configured else Path(__file__).resolve().parents[2]


def copy_folder() -> Path:
    """The participant's copy: ``WORKSHOP_CLASS_COPY``, else ``~/workshop``."""
    return Path(os.environ.get(COPY_ENV) or Path.home() / "workshop").expanduser()


def trust_the_kit(kit: Path) -> None:
    """Name the installation in the participant's ``safe.directory`` (see the module's doc)."""
    entry = str(kit / ".git")
    listed = subprocess.run(
        ["git", "config", "--global", "--get-all", "safe.directory"],
        capture_output=True, text=True,
    ).stdout.splitlines()  # fmt: skip
    if entry not in listed:
        subprocess.run(
            ["git", "config", "--global", "--add", "safe.directory", entry],
            check=True, capture_output=True, text=True,
        )  # fmt: skip


def prepare(kit: Path, copy: Path) -> Path:
    """Private home, private copy of the lessons (made if missing); returns the copy."""
    os.umask(0o077)
    home = Path.home()
    if home.is_dir() and home.stat().st_uid == os.getuid():
        home.chmod(0o700)
    if not copy.exists():
        if (kit / ".git").is_dir() and shutil.which("git"):
            trust_the_kit(kit)
            subprocess.run(
                ["git", "clone", "--quiet", str(kit), str(copy)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
        else:
            shutil.copytree(kit, copy, ignore=shutil.ignore_patterns(".venv", ".git"))
    elif (kit / ".git").is_dir() and shutil.which("git"):
        trust_the_kit(kit)  # for `workshop update`, also in a copy made before
    copy.chmod(0o700)
    (copy / "migrations" / "versions").mkdir(parents=True, exist_ok=True)
    return copy


def runtime_folder(home: Path) -> Path:
    """A private ``XDG_RUNTIME_DIR`` for a hub's server, which gets none (no login session).

    Without one, the embedded PostgreSQL (where the checks rehearse) takes its start lock in
    ``/tmp/.lockfile``, one file for every user of the machine: whoever made it first owns it,
    and every other participant's server then fails to start ("Permission denied"), or waits
    for as long as one of them holds it. Its own folder must exist beforehand.
    """
    folder = home / ".workshop-runtime"
    (folder / "python_PostgresServer").mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


def environment(copy: Path, base: dict[str, str]) -> dict[str, str]:
    """The server's environment: the lab's (:func:`workshop.labsetup.environment`), the copy as
    its root, a private runtime folder, lesson 00 first unless the hub says otherwise."""
    env = labsetup.environment(base)
    env["WORKSHOP_ROOT"] = str(copy)
    env["JUPYTERHUB_ROOT_DIR"] = str(copy)
    env.setdefault("JUPYTERHUB_DEFAULT_URL", FIRST_PAGE)
    if not env.get("XDG_RUNTIME_DIR"):
        env["XDG_RUNTIME_DIR"] = str(runtime_folder(Path(env.get("HOME") or Path.home())))
    return env


def main(argv: list[str] | None = None) -> None:
    """Prepare the copy, then become ``jupyterhub-singleuser`` with the hub's arguments."""
    copy = prepare(kit_folder(), copy_folder())
    env = environment(copy, dict(os.environ))
    os.chdir(copy)
    server = str(labsetup.bin_dir() / "jupyterhub-singleuser")
    extra = sys.argv[1:] if argv is None else argv
    os.execve(server, [server, *labsetup.server_arguments(), *extra], env)


if __name__ == "__main__":
    main()
