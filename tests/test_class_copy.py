"""A participant's own copy of the lessons, made as they start their server (issue 15).

The copy is made by the participant's own process (never root's), as a ``git clone`` of the
class's root-owned installation, which git refuses without ``safe.directory`` ("dubious
ownership"); the home folder and the copy become private. Real system users, so only as root.
"""

from __future__ import annotations

import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from workshop.classroom import install, singleuser

from .class_support import (
    as_user,
    ensure_user,
    machine_lock,
    python_as,
    remove_user,
    require_root,
)
from .conftest import REPO

USER = "wkcopy1"
PREPARE = (
    "from pathlib import Path\nfrom workshop.classroom import singleuser\n"
    "print(singleuser.prepare(singleuser.kit_folder(), singleuser.copy_folder()))"
)


@pytest.fixture(scope="module")
def kit() -> Iterator[Path]:
    """A class installation (files and git, no venv), root's, readable by all."""
    parent = Path(tempfile.mkdtemp(prefix="wk_kit_"))
    parent.chmod(0o755)
    try:
        yield install.install(parent / "kit", source=REPO, make_venv=False).folder
    finally:
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def user() -> Iterator[pwd.struct_passwd]:
    require_root("A participant's copy")
    with machine_lock("copy-users"):
        try:
            yield ensure_user(USER)
        finally:
            remove_user(USER)


def test_the_copy_is_the_participants_own_private_clone_and_updates_from_the_kit(
    kit: Path, user: pwd.struct_passwd
) -> None:
    home = Path(user.pw_dir)
    assert stat.S_IMODE(home.stat().st_mode) == 0o755  # Debian's default: others may look in
    # Without the setting, git refuses a clone of root's repository for this user.
    plain = as_user(user, ["git", "clone", "--quiet", str(kit), str(home / "plain")])
    assert plain.returncode != 0 and "dubious ownership" in plain.stderr
    env = {singleuser.KIT_ENV: str(kit)}
    done = python_as(user, PREPARE, env=env)
    assert done.returncode == 0, done.stderr
    copy = Path(done.stdout.strip())
    assert copy == home / "workshop"
    for folder in (home, copy):
        assert folder.stat().st_uid == user.pw_uid
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert (copy / "notebooks" / "02-op-create-table.ipynb").is_file()
    assert (copy / "migrations" / "versions").is_dir()
    new_file = copy / "notebooks" / "mine.txt"
    assert not (copy / "solutions").exists()
    assert not (copy / "lesson-starts" / "02-op-create-table.ipynb").read_text().count('"source"')
    # The participant's work stays at the next start; the kit's next install reaches them.
    as_user(user, ["sh", "-c", f"echo mine > {new_file}"])
    again = python_as(user, PREPARE, env=env)
    assert again.returncode == 0, again.stderr
    assert new_file.read_text() == "mine\n"
    (kit / "notebooks" / "99-added.ipynb").write_text("{}")
    try:
        subprocess.run(["git", "-C", str(kit), "add", "--all"], check=True, capture_output=True)
        subprocess.run(
            ["git", "-C", str(kit), "-c", "user.name=t", "-c", "user.email=t@t", "commit",
             "--quiet", "-m", "another install"],
            check=True, capture_output=True,
        )  # fmt: skip
        pulled = as_user(user, ["git", "-C", str(copy), "pull", "--quiet", "--ff-only"])
        assert pulled.returncode == 0, pulled.stderr
        assert (copy / "notebooks" / "99-added.ipynb").is_file()
    finally:
        (kit / "notebooks" / "99-added.ipynb").unlink()


def test_the_server_environment_puts_the_kit_first_and_opens_lesson_00(tmp_path: Path) -> None:
    env = singleuser.environment(tmp_path, {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    bin_dir = str(Path(sys.executable).parent)
    assert env["PATH"].split(":")[0] == bin_dir == env["WORKSHOP_BIN"]
    assert env["WORKSHOP_ROOT"] == env["JUPYTERHUB_ROOT_DIR"] == str(tmp_path)
    assert env["JUPYTERHUB_DEFAULT_URL"] == "/lab/tree/notebooks/00-welcome-and-setup.ipynb"
    # A private runtime folder, with pgserver's folder in it (else its lock is /tmp/.lockfile)
    runtime = Path(env["XDG_RUNTIME_DIR"])
    assert runtime.parent == tmp_path and (runtime / "python_PostgresServer").is_dir()
    assert stat.S_IMODE(runtime.stat().st_mode) == 0o700
    chosen = singleuser.environment(tmp_path, {"JUPYTERHUB_DEFAULT_URL": "/lab/tree/x"})
    assert chosen["JUPYTERHUB_DEFAULT_URL"] == "/lab/tree/x"  # the hub's choice wins
