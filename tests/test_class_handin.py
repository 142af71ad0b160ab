"""The class drop folder, with real system users (issue 15).

Participants hand in into one folder that they may write to but not read from (nbgrader's
exchange is the model); the instructor collects each one's newest hand-in by its owner, which
only root can set. The attacks are a participant's: listing the folder, reading, deleting or
replacing another's hand-in, planting a symbolic or hard link to it, a FIFO that would hang the
collector, and an archive whose manifest names someone else. Only as root (useradd).
"""

from __future__ import annotations

import io
import json
import os
import pwd
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from workshop.classroom import handin

from .class_support import (
    as_user,
    ensure_user,
    machine_lock,
    python_as,
    remove_user,
    require_root,
)

USERS = ("wkhand1", "wkhand.2")


@pytest.fixture(scope="module")
def users() -> Iterator[list[pwd.struct_passwd]]:
    require_root("The drop folder test")
    with machine_lock("handin-users"):
        made = [ensure_user(name) for name in USERS]
        try:
            yield made
        finally:
            for name in USERS:
                remove_user(name)


@pytest.fixture
def drop() -> Iterator[Path]:
    parent = Path(tempfile.mkdtemp(prefix="wk_drop_"))
    parent.chmod(0o755)
    try:
        yield handin.make_drop_folder(parent / "handin")
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def archive(participant: str, note: str = "") -> bytes:
    """A hand-in as ``workshop submit`` writes it: a folder with a manifest naming them."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as zf:
        zf.writestr(f"{participant}/manifest.json", json.dumps({"participant": participant}))
        zf.writestr(f"{participant}/notebooks/02.ipynb", note or participant)
    return data.getvalue()


def note_in(path: Path) -> str:
    """The text an :func:`archive` was made with."""
    with zipfile.ZipFile(path) as zf:
        return next(zf.read(n).decode() for n in zf.namelist() if n.endswith("02.ipynb"))


def hand_in(user: pwd.struct_passwd, drop: Path, data: bytes) -> Path:
    """``handin.deliver`` run as ``user``, from an archive in their home."""
    source = Path(user.pw_dir) / "mine.zip"
    source.write_bytes(data)
    os.chown(source, user.pw_uid, user.pw_gid)
    code = (
        "from pathlib import Path\nfrom workshop.classroom import handin\n"
        f"print(handin.deliver(Path({str(source)!r}), Path({str(drop)!r})))"
    )
    done = python_as(user, code)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


ATTACK = """
import json, os, sys
drop, theirs = sys.argv[1], sys.argv[2]
results = {}
def attempt(what, action):
    try:
        action()
        results[what] = "DONE"
    except OSError as error:
        results[what] = type(error).__name__
attempt("list the folder", lambda: os.listdir(drop))
attempt("read theirs", lambda: open(theirs, "rb").read())
attempt("delete theirs", lambda: os.unlink(theirs))
mine = os.path.join(drop, "mine-to-swap.zip")
open(mine, "x").close()
attempt("replace theirs", lambda: os.rename(mine, theirs))
attempt("hard link to theirs", lambda: os.link(theirs, os.path.join(drop, "linked.zip")))
attempt("symbolic link to theirs", lambda: os.symlink(theirs, os.path.join(drop, "sym.zip")))
attempt("a FIFO", lambda: os.mkfifo(os.path.join(drop, "fifo.zip")))
print(json.dumps(results))
"""


def test_a_participant_can_hand_in_but_not_see_or_touch_anothers(
    users: list[pwd.struct_passwd], drop: Path
) -> None:
    first, second = users
    assert drop.stat().st_mode & 0o7777 == 0o1733 and drop.stat().st_uid == 0
    theirs = hand_in(second, drop, archive(second.pw_name.replace(".", "-")))
    assert theirs.stat().st_uid == second.pw_uid and theirs.stat().st_mode & 0o777 == 0o600
    done = as_user(first, [sys.executable, "-c", ATTACK, str(drop), str(theirs)])
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert results == {
        "list the folder": "PermissionError",
        "read theirs": "PermissionError",
        "delete theirs": "PermissionError",
        "replace theirs": "PermissionError",
        # fs.protected_hardlinks (Debian's default) refuses it; a link would change nothing
        # anyway: the collector goes by the file's owner, theirs (below)
        "hard link to theirs": "PermissionError",
        "symbolic link to theirs": "DONE",  # made, and refused when collected (below)
        "a FIFO": "DONE",
    }
    assert note_in(theirs) == second.pw_name.replace(".", "-")  # untouched


def test_collecting_takes_each_owners_newest_good_hand_in_and_says_what_it_refused(
    users: list[pwd.struct_passwd], drop: Path, tmp_path: Path
) -> None:
    first, second = users
    first_name, second_name = (u.pw_name.replace(".", "-") for u in users)
    hand_in(first, drop, archive(first_name, "first, early"))
    time.sleep(0.05)  # mtimes in nanoseconds: the order is the order of hand-ins
    theirs = hand_in(second, drop, archive(second_name, "second"))
    hand_in(first, drop, archive(first_name, "first, final"))
    time.sleep(0.05)  # mtimes in nanoseconds: the order is the order of hand-ins
    # Later, the first hands in work in the second's name, then plants a link and a FIFO.
    hand_in(first, drop, archive(second_name, "forged"))
    os.symlink(theirs, drop / "sym.zip")
    os.mkfifo(drop / "fifo.zip")
    for name in ("sym.zip", "fifo.zip"):
        os.chown(drop / name, first.pw_uid, first.pw_gid, follow_symlinks=False)
    os.link(theirs, drop / "hardlink.zip")  # root may; it is still the second's file, once

    out = tmp_path / "collected"
    found = handin.collect(drop, out)
    collected = {item.owner: item for item in found if item.collected}
    assert sorted(collected) == sorted(u.pw_name for u in users)
    assert note_in(out / f"{first.pw_name}.zip") == "first, final"
    assert note_in(out / f"{second.pw_name}.zip") == "second"
    assert collected[first.pw_name].earlier == 1  # "first, early", left in the drop folder
    assert collected[second.pw_name].earlier == 0  # its hard link is the same file
    problems = {item.file: item.problem for item in found if item.problem}
    assert problems == {
        "sym.zip": "not a regular file (a link, a folder or a device)",
        "fifo.zip": "not a regular file (a link, a folder or a device)",
        **{
            item.file: f"says it is {second_name!r}'s, but {first.pw_name} handed it in"
            for item in found
            if item.owner == first.pw_name and item.problem and "says" in item.problem
        },
    }
    assert sum("says it is" in p for p in problems.values()) == 1
    report = handin.collect_report(found, out)
    assert "REFUSED" in report and f"2 hand-ins collected into {out}" in report
    assert out.stat().st_mode & 0o777 == 0o700
