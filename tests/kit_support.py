"""Running ``./kit`` as a participant would: on a fresh clone, a clean environment, no network.

Shared by the tests of installing (tests/test_kit_install.py) and starting
(tests/test_kit_start.py).
"""

from __future__ import annotations

import getpass
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from filelock import FileLock

from .conftest import BIN, REPO

NETNS_EXEC = Path(__file__).with_name("netns_exec.py")
# The Python a participant has: the one this virtual environment was made from, not the venv's.
BASE_PYTHON = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"


def load_kit() -> ModuleType:
    """The ``kit`` script as a module (it has no ``.py``), without running its ``main``."""
    loader = importlib.machinery.SourceFileLoader("kit_script", str(REPO / "kit"))
    spec = importlib.util.spec_from_loader("kit_script", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def fresh_clone(target: Path) -> Path:
    """What ``git clone`` of this repository gives, with the working tree's changes: every file
    git tracks or would track (not ignored), and nothing else (no .venv/, no .workshop/)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def participant_env(scratch: Path, **extra: str) -> dict[str, str]:
    """A participant's environment: no package source but the ones a test gives, empty caches
    of their own, none of this suite's settings, and no virtual environment on PATH."""
    venv_bins = {str(BIN), str(REPO / ".venv" / "bin")}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "UV_", "WORKSHOP_", "PYTEST", "JUPYTER"))
        and key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE"}
    }
    env["PATH"] = os.pathsep.join(
        part for part in env.get("PATH", "").split(os.pathsep) if part not in venv_bins
    )
    env.update(
        PIP_CONFIG_FILE=os.devnull,  # no pip.conf of this machine's (its mirrors, its links)
        UV_NO_CONFIG="1",
        PIP_CACHE_DIR=str(scratch / "cache" / "pip"),
        UV_CACHE_DIR=str(scratch / "cache" / "uv"),
        **extra,
    )
    return env


def netns_unavailable() -> str | None:
    """Why no network namespace can be made here, or None when ``unshare -n`` works."""
    if shutil.which("unshare") is None:
        return "no `unshare` command (util-linux) on this machine"
    done = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if done.returncode != 0:
        return f"`unshare -n` cannot make a network namespace here: {done.stderr.strip()}"
    return None


def offline(argv: list[str]) -> list[str]:
    """``argv`` run with no network: a new network namespace, its loopback up."""
    return ["unshare", "-n", str(BASE_PYTHON), str(NETNS_EXEC), *argv]


def kit(folder: Path, *args: str) -> list[str]:
    """``./kit ARGS`` in ``folder``, run by the Python a participant has."""
    return [str(BASE_PYTHON), str(folder / "kit"), *args]


def venv_distributions(folder: Path) -> dict[str, str]:
    """Every distribution installed in ``folder``'s .venv/, by normalised name, with its version."""
    code = (
        "import importlib.metadata as m, re\n"
        "for d in m.distributions():\n"
        "    print(re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(), d.version)\n"
    )
    done = subprocess.run(
        [str(folder / ".venv" / "bin" / "python"), "-I", "-c", code],
        cwd=tempfile.gettempdir(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(line.split(" ", 1) for line in done.stdout.splitlines())


WHEELHOUSE = Path(tempfile.gettempdir()) / f"kit-test-wheelhouse-{getpass.getuser()}"


class NoNetwork(Exception):
    """The wheelhouse could not be built: the package index is not reachable from here."""


def wheelhouse_for_this_machine() -> Path:
    """A wheelhouse for this platform and Python, made with ``./kit wheelhouse``.

    Kept between runs in the temporary folder: the command checks each file already there
    against its hash and fetches only what is missing. A lock keeps two pytest workers from
    filling it at once.
    """
    with FileLock(str(WHEELHOUSE) + ".lock"):
        done = subprocess.run(
            [sys.executable, str(REPO / "kit"), "wheelhouse", str(WHEELHOUSE),
             "--platform", "this", "--python", "this"],
            cwd=REPO, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
    output = done.stdout + done.stderr
    if done.returncode != 0 and any(
        sign in output for sign in ("dns error", "Failed to fetch", "Temporary failure")
    ):
        raise NoNetwork(output[-1500:])
    assert done.returncode == 0, output[-4000:]
    return WHEELHOUSE
