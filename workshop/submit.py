"""Handing in: one archive per participant, named after them.

``workshop submit`` packs the participant's lesson notebooks and the revision files they wrote
into ``submissions/<name>.zip``, with a small ``manifest.json`` (who, when, which files, their
SHA-256). Handing in again keeps every earlier archive, in ``submissions/earlier/``, where grading
a folder does not look. Instructors collect these archives, or a folder of them, and grade them with
``workshop grade``. Grading reruns each exercise's code from the notebook, so the revision files
in the archive are there for the instructor to read, not to be trusted.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import secrets
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from workshop import db, paths
from workshop.errors import WorkshopError

MANIFEST = "manifest.json"


def safe_name(name: str) -> str:
    """A file-name-safe version of a participant's name (letters, digits, - and _)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", name.strip()).strip("-")
    if not cleaned:
        raise WorkshopError(
            f"{name!r} cannot name a submission.", fix="Pass --name with letters or digits."
        )
    return cleaned


def submission_files(root: Path) -> list[Path]:
    """What a participant hands in: lesson notebooks and their own revision files."""
    notebooks = sorted((root / "notebooks").glob("*.ipynb"))
    revisions = sorted((root / "migrations" / "versions").glob("*.py"))
    return notebooks + revisions


EARLIER = "earlier"  # where earlier archives go: a subfolder, which grading a folder skips


@dataclass(frozen=True)
class HandedIn:
    """What one ``workshop submit`` wrote: the new archive, and where the one before it went."""

    archive: Path
    earlier: Path | None = None

    def earlier_note(self) -> str | None:
        """The line that tells the participant their previous archive is kept, and where."""
        if self.earlier is None:
            return None
        return (
            f"Your earlier archive is kept as {paths.relative(str(self.earlier))}; "
            f"only {self.archive.name} is graded."
        )


def submit(name: str | None = None, out_dir: Path | None = None) -> Path:
    """Write the participant's archive and return its path (see :func:`hand_in`)."""
    return hand_in(name, out_dir).archive


def hand_in(name: str | None = None, out_dir: Path | None = None) -> HandedIn:
    """Write ``<out_dir>/<name>.zip``; a previous one moves to ``earlier/``, never overwritten.

    Every earlier archive is kept, named after when it was made, so that handing in again never
    loses work. They go into the ``earlier`` subfolder rather than beside the new one because
    ``workshop grade`` takes every ``.zip`` in a folder as a participant's submission. The new
    archive is written in full before anything is moved, so a failure leaves the old one in place.
    """
    root = paths.root()
    who = safe_name(name or db.participant_name())
    files = submission_files(root)
    if not any(file.suffix == ".ipynb" for file in files):
        raise WorkshopError(
            "There are no lesson notebooks in notebooks/ to hand in.",
            fix="Run this from the workshop folder you worked in.",
        )
    target_dir = out_dir or root / "submissions"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{who}.zip"
    _refuse_a_folder(target)
    written = _write_archive(root, who, files, target_dir)
    try:
        earlier = _keep_earlier(target, target_dir / EARLIER, who) if _exists(target) else None
        os.replace(written, target)
    except BaseException:
        written.unlink(missing_ok=True)
        raise
    return HandedIn(target, earlier)


def _exists(path: Path) -> bool:
    """True for anything at ``path``, a broken symbolic link included."""
    return os.path.lexists(path)


def _refuse_a_folder(target: Path) -> None:
    """A folder named like the archive is the participant's; it is neither moved nor replaced."""
    if target.is_dir() and not target.is_symlink():
        raise WorkshopError(
            f"{paths.relative(str(target))} is a folder, where the archive goes.",
            fix="Rename or move that folder, then hand in again.",
        )


def _write_archive(root: Path, who: str, files: list[Path], target_dir: Path) -> Path:
    """The archive, written to a new hidden file in ``target_dir`` (renamed into place after)."""
    manifest = {
        "participant": who,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": {
            file.relative_to(root).as_posix(): hashlib.sha256(file.read_bytes()).hexdigest()
            for file in files
        },
    }
    written = target_dir / f".{who}-{secrets.token_hex(6)}.partial"
    handle = _create_new(written)
    try:
        with os.fdopen(handle, "wb") as out, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for file in files:
                zf.write(file, f"{who}/{file.relative_to(root).as_posix()}")
            zf.writestr(f"{who}/{MANIFEST}", json.dumps(manifest, indent=2))
    except BaseException:
        written.unlink(missing_ok=True)
        raise
    return written


def _create_new(path: Path) -> int:
    """Create ``path``, which must not exist yet, for writing; its descriptor.

    Exclusive creation is what guarantees that nothing already there is written into, a symbolic
    link included. The mode is the usual one for a new file (0666 less the umask), as the
    archive is meant to be copied to the instructor, by a shared folder too.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    return os.open(path, flags, 0o666)


def _make_folder(folder: Path) -> None:
    """Make the ``earlier`` folder; something else by that name is the participant's to move."""
    try:
        folder.mkdir(exist_ok=True)
    except FileExistsError:
        raise WorkshopError(
            f"{paths.relative(str(folder))} is not a folder, and earlier archives go there.",
            fix="Rename or move it, then hand in again.",
        ) from None


def _keep_earlier(previous: Path, folder: Path, who: str) -> Path:
    """Move ``previous`` into ``folder`` as ``<who>-<UTC time it was made>.zip``; its new path.

    The name is reserved by creating it exclusively first, so that no file already there (an
    archive of the same second, anything else) is ever replaced: a taken name gets ``-2``, ``-3``...
    """
    _make_folder(folder)
    made = datetime.fromtimestamp(os.lstat(previous).st_mtime, UTC).strftime("%Y%m%dT%H%M%SZ")
    for number in itertools.count(1):
        kept = folder / (f"{who}-{made}.zip" if number == 1 else f"{who}-{made}-{number}.zip")
        try:
            os.close(_create_new(kept))
        except FileExistsError:
            continue
        try:
            os.replace(previous, kept)
        except BaseException:
            kept.unlink(missing_ok=True)
            raise
        return kept
    raise AssertionError("unreachable")  # itertools.count never ends
