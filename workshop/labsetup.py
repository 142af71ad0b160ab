"""What ``workshop lab`` gives JupyterLab, so that the lab behaves the same however it started.

* **Terminals with the kit's environment.** jupyter_server starts a terminal as a login shell
  (``bash -l``) when its own stdout is not a terminal: under nohup, a JupyterHub spawner or a
  service. A login shell reads ``/etc/profile``, which on Debian and most Linux systems sets
  ``PATH`` anew, so the venv's ``alembic`` and ``workshop`` are "command not found" there, while
  the same lab started from a terminal works. An explicit ``shell_command`` (jupyter_server then
  adds no ``-l``) with the kit's rc file (``terminal.bashrc``) makes every terminal an
  interactive, non-login bash with the venv's ``bin`` first on ``PATH``.
* **No news pop-up.** JupyterLab asks "Would you like to get notified about official Jupyter
  news?" in a toast that covers the lesson, and checks the internet for updates. The kit turns
  both off with a settings override (``overrides.d/``), which the participant can still change
  in Settings; their own choices in Settings win over it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from pathlib import Path

RC_FILE = Path(__file__).with_name("terminal.bashrc")
BIN_ENV = "WORKSHOP_BIN"  # the venv's bin folder, for terminal.bashrc
NOTIFICATIONS = "@jupyterlab/apputils-extension:notification"
QUIET = {NOTIFICATIONS: {"fetchNews": "false", "checkForUpdates": False}}
OVERRIDES_NAME = "workshop-kit.json"


def bin_dir() -> Path:
    """The folder of this Python's scripts: the venv's ``bin`` (``alembic``, ``workshop``)."""
    return Path(sys.executable).parent


def terminal_command() -> list[str] | None:
    """The shell the lab's terminals run: bash with the kit's rc file, interactive, not login.

    Without bash, plain ``sh -i`` (still no ``-l``: the lab's PATH is kept). None on Windows,
    where jupyter_server starts PowerShell and there is no login shell to avoid.
    """
    if os.name == "nt":
        return None
    bash = shutil.which("bash")
    if bash is not None:
        return [bash, "--rcfile", str(RC_FILE), "-i"]
    return [shutil.which("sh") or "/bin/sh", "-i"]


def server_arguments() -> list[str]:
    """``jupyter lab`` options for the terminals (see the module's docstring)."""
    command = terminal_command()
    if command is None:
        return []
    return [f"--ServerApp.terminado_settings=shell_command={json.dumps(command)}"]


def environment(env: dict[str, str]) -> dict[str, str]:
    """The lab's environment: the venv's ``bin`` first on ``PATH``, and named for the terminals.

    Terminals inherit the lab's environment, kernels too: ``!alembic`` and a terminal's
    ``alembic`` are the venv's, whether or not the venv was ever activated.
    """
    folder = str(bin_dir())
    env = dict(env)
    env[BIN_ENV] = folder
    env["PATH"] = folder + os.pathsep + env.get("PATH", "")
    if sys.prefix != sys.base_prefix:
        env["VIRTUAL_ENV"] = sys.prefix
    return env


def settings_overrides_dir() -> Path:
    """Where JupyterLab reads defaults that override its own: ``settings/overrides.d`` in its
    application folder (``share/jupyter/lab`` of this Python's environment, as it finds it)."""
    from jupyterlab.commands import get_app_dir

    return Path(get_app_dir()) / "settings" / "overrides.d"


def quiet_notifications() -> Path | None:
    """Write the override that turns off the news pop-up and the update check (idempotent).

    Returns the file, or None when it cannot be written (a read-only, shared installation): the
    lab still starts, with the pop-up.
    """
    text = json.dumps(QUIET, indent=2) + "\n"
    # Where an earlier start wrote it (JupyterLab's usual folder, in this environment): nothing to
    # do, and no need to import jupyterlab.commands to find the folder (1.3 s at each start).
    usual = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.d"
    if not os.environ.get("JUPYTERLAB_DIR"):
        with contextlib.suppress(OSError):
            if (usual / OVERRIDES_NAME).read_text() == text:
                return usual / OVERRIDES_NAME
    target = settings_overrides_dir() / OVERRIDES_NAME
    try:
        if not target.is_file() or target.read_text() != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    except OSError as error:
        print(f"Note: could not turn off JupyterLab's news pop-up ({error}).", file=sys.stderr)
        return None
    return target
