"""Handing in on a hub: a class drop folder that participants write to and cannot read.

On a laptop, ``workshop submit`` writes ``submissions/<name>.zip`` and the participant sends it.
On a hub the archives should reach the instructor without anyone else seeing them. nbgrader's
exchange is the model: one folder for the class, mode ``1733``.

* ``-wx`` for everyone: a participant may create a file in it, but not list it, so they cannot
  find anyone's hand-in; ``t`` (sticky): nobody may rename or delete a file of someone else's.
* Each hand-in is a new file, created exclusively (never into an existing name or through a
  link), mode ``0600``: only its owner, and root, may read it. Its name holds a random part.

Nothing in a hand-in is believed about who made it except its owner, which only root can set.
:func:`collect` (the instructor, as root) takes each owner's newest regular file, opened without
following links (a file reached twice through hard links counts once, as its owner's), and
refuses one whose manifest names another participant. It writes one archive per
owner, named after them (their slug where the name is no safe file name), for ``workshop grade``.

Not protected: a participant may fill the folder's disk (that needs a quota), and may still
change their own hand-in after the deadline until it is collected.
"""

from __future__ import annotations

import io
import json
import os
import pwd
import re
import secrets
import stat
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workshop.classroom import names
from workshop.errors import WorkshopError

HANDIN_ENV = "WORKSHOP_CLASS_HANDIN"
DROP_MODE = 0o1733
SIZE_LIMIT = 64 * 1024 * 1024  # what `workshop grade` takes in all from one submission
MANIFEST_LIMIT = 1024 * 1024


def make_drop_folder(folder: Path) -> Path:
    """Make (or fix) the class drop folder: owned by whoever runs this, mode 1733."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise WorkshopError(
            f"{folder} is not a folder.", fix="Name a new folder for the class's hand-ins."
        )
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(DROP_MODE)
    return folder


def login_name() -> str:
    """Who this process runs as, from its user id (not from the environment, which they set)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid{os.getuid()}"


def deliver(archive: Path, folder: Path) -> Path:
    """Copy ``archive`` into the drop folder as a new private file; its path there."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"{names.slug(login_name())}+{stamp}+{secrets.token_hex(8)}.zip"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    try:
        handle = os.open(target, flags, 0o600)
    except FileNotFoundError as error:
        raise WorkshopError(
            f"The class's hand-in folder {folder} is not there.",
            fix="Tell your instructor; your archive is saved in submissions/ meanwhile.",
        ) from error
    except PermissionError as error:
        raise WorkshopError(
            f"You may not write into the class's hand-in folder {folder}.",
            fix="Tell your instructor; your archive is saved in submissions/ meanwhile.",
        ) from error
    try:
        with os.fdopen(handle, "wb") as out, archive.open("rb") as source:
            while chunk := source.read(1 << 20):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


# --- collecting (the instructor) ------------------------------------------------------------


@dataclass
class HandIn:
    """One file found in the drop folder, and what collecting did with it."""

    file: str
    owner: str
    handed_in: datetime
    data: bytes = b""
    problem: str | None = None
    collected: Path | None = None
    earlier: int = 0  # older hand-ins of the same owner, left in the drop folder


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _read(path: Path) -> tuple[os.stat_result, bytes | str]:
    """The file's status and bytes, or why it is not a hand-in (a link, a device, too big...)."""
    before = os.lstat(path)
    if not stat.S_ISREG(before.st_mode):
        return before, "not a regular file (a link, a folder or a device)"
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        return before, f"cannot be opened ({error.strerror})"
    with os.fdopen(handle, "rb") as file:
        status = os.fstat(file.fileno())
        if (status.st_dev, status.st_ino) != (before.st_dev, before.st_ino):
            return status, "changed while it was opened"
        if not stat.S_ISREG(status.st_mode):
            return status, "not a regular file"
        if status.st_size > SIZE_LIMIT:
            return status, f"over {SIZE_LIMIT // (1024 * 1024)} MiB"
        return status, file.read(SIZE_LIMIT + 1)[:SIZE_LIMIT]


def manifest_participant(data: bytes) -> str | None:
    """The ``participant`` the archive's manifest names; None when it has no usable one."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            found = [i for i in archive.infolist() if i.filename.endswith("/manifest.json")]
            if len(found) != 1 or found[0].file_size > MANIFEST_LIMIT:
                return None
            manifest = json.loads(archive.read(found[0]))
    except (zipfile.BadZipFile, ValueError, OSError, RuntimeError):
        return None
    participant = manifest.get("participant") if isinstance(manifest, dict) else None
    return participant if isinstance(participant, str) else None


def file_name(owner: str) -> str:
    """The collected archive's name: the user name itself where it is a safe file name (system
    user names are, and they are unique), else its slug."""
    if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*", owner):
        return owner
    return names.slug(owner)


def collect(folder: Path, out: Path) -> list[HandIn]:
    """Each owner's newest good hand-in from ``folder`` into ``out/<user>.zip``.

    Returns every file found, with what was done with it, so that the instructor sees what was
    refused and why. A refused file (a link, another's name in its manifest) is skipped, so a
    participant cannot hide their own good hand-in behind a bad one, nor anyone else's.
    """
    from workshop.submit import safe_name

    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o700)
    found: list[HandIn] = []
    seen: set[tuple[int, int]] = set()
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        status, data = _read(Path(entry.path))
        if not isinstance(data, str) and (status.st_dev, status.st_ino) in seen:
            continue  # another name of a file already read (a hard link)
        seen.add((status.st_dev, status.st_ino))
        item = HandIn(
            entry.name, _owner(status.st_uid), datetime.fromtimestamp(status.st_mtime, UTC)
        )
        if isinstance(data, str):
            item.problem = data
        else:
            claimed = manifest_participant(data)
            if claimed is None:
                item.problem = "not an archive made by `workshop submit` (no manifest)"
            elif claimed != safe_name(item.owner):
                item.problem = f"says it is {claimed!r}'s, but {item.owner} handed it in"
            else:
                item.data = data
        found.append(item)
    newest: dict[str, HandIn] = {}
    for item in found:
        best = newest.get(item.owner)
        if item.problem is None and (
            best is None or (item.handed_in, item.file) > (best.handed_in, best.file)
        ):
            newest[item.owner] = item
    for owner, item in newest.items():
        item.earlier = sum(1 for i in found if i.owner == owner and i is not item and not i.problem)
        target = out / f"{file_name(owner)}.zip"
        partial = out / f".{target.name}.{secrets.token_hex(6)}"
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "wb") as file:
            file.write(item.data)
        os.replace(partial, target)
        item.collected = target
    for item in found:
        item.data = b""
    return found


def collect_report(found: list[HandIn], out: Path) -> str:
    """What ``workshop class collect`` prints: one line per file, collected or refused."""
    lines = []
    for item in found:
        when = item.handed_in.strftime("%Y-%m-%d %H:%M UTC")
        if item.collected is not None:
            more = f" ({item.earlier} earlier left in place)" if item.earlier else ""
            lines.append(f"collected  {item.owner}: {item.file}, {when} -> {item.collected}{more}")
        elif item.problem is not None:
            lines.append(f"REFUSED    {item.owner}: {item.file}, {when}: {item.problem}")
    taken = sum(1 for item in found if item.collected is not None)
    lines.append(f"{taken} hand-ins collected into {out}. Grade them: workshop grade {out}")
    return "\n".join(lines)
