"""JupyterHub settings for a class: what ``jupyterhub_config.py`` beside this file applies.

:func:`configure` sets the spawner (LocalProcessSpawner on one machine, KubeSpawner on
Kubernetes) so that each participant's server:

* starts as :mod:`workshop.classroom.singleuser`: their own private copy of the lessons
  (``~/workshop``, mode 0700), terminals with the kit's ``PATH``, lesson 00 opened first;
* gets, in ``WORKSHOP_DATABASE_URL``, a URL to their own database on the class's server with a
  password made for this start (:meth:`~workshop.classroom.provision.ClassServer.open_for`),
  their role and database made at their first login if the roster did not make them;
* knows the class drop folder (``WORKSHOP_CLASS_HANDIN``), which ``workshop submit`` hands in to;
* makes the throwaway databases of the lessons' checks (their rehearsals) on the participant's
  own embedded PostgreSQL (``WORKSHOP_SCRATCH_SERVER=embedded``): their role may not create
  databases on the class's server, and the rehearsal databases' names are the same for all.

The instructor's URL stays in the hub's own environment: the spawner passes a server only the
variables it is told to keep (``env_keep``), and ``WORKSHOP_CLASS_ADMIN_URL`` is not one of them.

Settings, from the hub's environment unless given as arguments:

``WORKSHOP_CLASS_ADMIN_URL``   the instructor's role on the class's server (required)
``WORKSHOP_CLASS_SERVER_URL``  the server as participants' servers reach it, if not the same
``WORKSHOP_CLASS_KIT``         the installation (default: the one this module runs from)
``WORKSHOP_CLASS_HANDIN``      the drop folder (default ``/srv/workshop/handin``; made if missing)
``WORKSHOP_CLASS_ROSTER``      a file of user names, one a line: the only users allowed in
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from workshop.classroom import handin
from workshop.classroom.install import KIT_ENV
from workshop.classroom.provision import ClassServer, read_roster

DATABASE_URL_ENV = "WORKSHOP_DATABASE_URL"  # workshop.db.URL_ENV (db is not loaded in the hub)
SCRATCH_SERVER_ENV = "WORKSHOP_SCRATCH_SERVER"  # workshop.db.SCRATCH_SERVER_ENV
ROSTER_ENV = "WORKSHOP_CLASS_ROSTER"
DEFAULT_HANDIN = "/srv/workshop/handin"
FIRST_PAGE = "/lab/tree/notebooks/00-welcome-and-setup.ipynb"


def installed_kit() -> Path:
    """The installation this module runs from (``DEST`` of ``workshop class install``)."""
    return Path(__file__).resolve().parents[2]


def pre_spawn_hook(server: ClassServer) -> Callable[[Any], Awaitable[None]]:
    """The hook that gives a starting server its participant's database URL.

    The URL goes into a new ``environment`` dict: the one the spawner has may be the very dict
    from the configuration, shared by every participant's spawner.
    """

    async def give_database(spawner: Any) -> None:
        url = await asyncio.to_thread(server.open_for, spawner.user.name)
        spawner.environment = {**spawner.environment, DATABASE_URL_ENV: url}

    return give_database


def configure(
    c: Any,
    *,
    spawner: str = "Spawner",
    admin_url: str | None = None,
    kit: Path | str | None = None,
    handin_folder: Path | str | None = DEFAULT_HANDIN,
    roster: Path | str | None = None,
) -> ClassServer:
    """Apply the class's settings to JupyterHub's config ``c`` (see the module's docstring).

    ``spawner`` names the spawner class to configure: ``"Spawner"`` reaches every spawner;
    Zero to JupyterHub sets ``KubeSpawner``'s own settings, which win over ``Spawner``'s, so
    there it is ``"KubeSpawner"``. ``handin_folder=None`` leaves the drop folder out (on
    Kubernetes, where participants share no file system).
    """
    server = ClassServer(admin_url)
    kit = Path(kit or os.environ.get(KIT_ENV) or installed_kit())
    python = kit / ".venv" / "bin" / "python"
    settings = c[spawner]
    settings.cmd = [str(python), "-m", "workshop.classroom.singleuser"]
    settings.default_url = FIRST_PAGE
    environment = dict(settings.environment) if "environment" in settings else {}
    environment[KIT_ENV] = str(kit)
    # A check's throwaway databases go to the participant's own embedded server: their role
    # may not create databases on the class's (see workshop.db.server_url).
    environment[SCRATCH_SERVER_ENV] = "embedded"
    handin_folder = os.environ.get(handin.HANDIN_ENV) or handin_folder
    if handin_folder is not None:
        folder = Path(handin_folder)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            handin.make_drop_folder(folder)
        environment[handin.HANDIN_ENV] = str(folder)
    settings.environment = environment
    settings.pre_spawn_hook = pre_spawn_hook(server)
    roster = roster or os.environ.get(ROSTER_ENV)
    if roster:
        c.Authenticator.allowed_users = set(read_roster(Path(roster).read_text("utf-8")))
    return server
