"""Handing in: one archive per participant, named after them.

``workshop submit`` packs the participant's lesson notebooks and the revision files they wrote
into ``submissions/<name>.zip``, with a small ``manifest.json`` (who, when, which files, their
SHA-256). Instructors collect these archives, or a folder of them, and grade them with
``workshop grade``. Grading reruns each exercise's code from the notebook, so the revision files
in the archive are there for the instructor to read, not to be trusted.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
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


def submit(name: str | None = None, out_dir: Path | None = None) -> Path:
    """Write the participant's archive and return its path. An older archive is kept as .bak."""
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
    if target.exists():
        target.replace(target.with_suffix(".zip.bak"))
    manifest = {
        "participant": who,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": {
            file.relative_to(root).as_posix(): hashlib.sha256(file.read_bytes()).hexdigest()
            for file in files
        },
    }
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.write(file, f"{who}/{file.relative_to(root).as_posix()}")
        archive.writestr(f"{who}/{MANIFEST}", json.dumps(manifest, indent=2))
    return target
