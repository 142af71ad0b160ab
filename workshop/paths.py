"""Where the project is.

Everything the kit touches (alembic.ini, migrations/, the embedded database) is found from one
root folder. Lesson kernels start in notebooks/, terminals usually at the root, and tests and
grading work in temporary copies, so the root is looked up rather than fixed:

1. ``WORKSHOP_ROOT`` when set (tests and grading point it at their copy);
2. else the nearest folder, from the current directory upwards, that holds ``alembic.ini`` and
   ``migrations/``;
3. else the folder this package was installed from (an editable install of the kit).
"""

from __future__ import annotations

import os
from pathlib import Path

from workshop.errors import WorkshopError

ROOT_ENV = "WORKSHOP_ROOT"


def _is_root(folder: Path) -> bool:
    return (folder / "alembic.ini").is_file() and (folder / "migrations").is_dir()


def root() -> Path:
    """The project root: the folder with alembic.ini and migrations/."""
    configured = os.environ.get(ROOT_ENV)
    if configured:
        folder = Path(configured).expanduser().resolve()
        if not _is_root(folder):
            raise WorkshopError(
                f"{ROOT_ENV}={configured} does not look like the workshop folder "
                "(no alembic.ini or migrations/ there).",
                fix=f"Unset {ROOT_ENV}, or point it at the folder that holds alembic.ini.",
            )
        return folder
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if _is_root(folder):
            return folder
    installed = Path(__file__).resolve().parent.parent
    if _is_root(installed):
        return installed
    raise WorkshopError(
        "Cannot find the workshop folder (the one with alembic.ini and migrations/).",
        fix="Run this from inside the cloned kit, or set WORKSHOP_ROOT to its folder.",
    )


def versions_dir() -> Path:
    """Where revision files live: migrations/versions/."""
    return root() / "migrations" / "versions"


def state_dir() -> Path:
    """The kit's git-ignored local state: the embedded database, backups, locks."""
    folder = root() / ".workshop"
    folder.mkdir(exist_ok=True)
    return folder


def relative(text: str) -> str:
    """Write paths inside the project relative to its root, so output reads the same everywhere."""
    base = str(root())
    return text.replace(base + os.sep, "").replace(base, ".")
