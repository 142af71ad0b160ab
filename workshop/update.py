"""``workshop update``: take the instructor's kit update mid-course without losing any work.

A participant's work sits in files the kit also ships: saved lesson notebooks, the domain models
of lesson 14 in ``products/``. So a plain ``git pull`` stops with "your local changes would be
overwritten", and the usual ways past it (``git stash``, ``git checkout --``) are where work gets
lost. This verb does what a careful helper would do, with git doing the merging:

1. Save a copy of every file of the participant's (changed, deleted or new) in a new
   ``.workshop/backups/<time>-update/`` before anything changes.
2. Put those files back to the last update's version, and fast-forward to the new kit.
3. Put each of the participant's files back in place. Where the update changed the same file,
   the participant's version stays in place (it is what their JupyterLab tab shows) and the kit's
   new version is written beside it as ``<name>.kit-update<suffix>``: both are there, and the
   participant chooses. This is the rule nbgitpuller applies on JupyterHub (local changes win).

If any step fails, the participant's files are put back from the backup, and the message says
where it is. Their own revision files (``migrations/versions/``), the database and ``.workshop/``
are git-ignored, and an update never touches them.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from workshop import lessons, paths
from workshop.errors import WorkshopError

KIT_UPDATE = ".kit-update"


@dataclass
class Updated:
    """What one update did, for the report."""

    commits: int = 0
    files: list[str] = field(default_factory=list)  # changed by the update
    kept: list[str] = field(default_factory=list)  # the participant's, back in place
    beside: list[tuple[str, str]] = field(default_factory=list)  # (theirs, the kit's copy)
    backup: Path | None = None

    def report(self) -> str:
        if not self.commits:
            return "The kit is up to date: there was nothing new."
        lines = [f"Updated the kit: {self.commits} new commit(s), {len(self.files)} file(s)."]
        if self.kept:
            lines.append(f"Your work is in place: {', '.join(self.kept)}.")
        for theirs, kits in self.beside:
            lines.append(
                f"The update also changed {theirs}. Your version stays in place; the kit's new "
                f"one is beside it, as {kits}."
            )
        if self.backup is not None:
            saved = paths.relative(str(self.backup))
            lines.append(f"A copy of your files from before the update: {saved}/")
        return "\n".join(lines)


def _git(*args: str, root: Path, check: bool = True) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=300)
    except FileNotFoundError as error:
        raise WorkshopError(
            "`workshop update` needs git, and git is not installed.",
            fix="Install git, or download the new kit and copy your notebooks across.",
        ) from error
    if check and done.returncode != 0:
        raise _GitFailed(args, done.stderr.strip() or done.stdout.strip())
    return done.stdout


class _GitFailed(Exception):
    def __init__(self, args: tuple[str, ...], said: str) -> None:
        super().__init__(f"git {' '.join(args)}: {said}")
        self.said = said


def _status(root: Path) -> dict[str, str]:
    """The participant's changes: path -> git's two-letter status ("??" for a new file)."""
    out = _git("status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", root=root)
    changes = {}
    for entry in filter(None, out.split("\0")):
        changes[entry[3:]] = entry[:2]
    return changes


def _changed_upstream(root: Path) -> set[str]:
    out = _git("diff", "--name-only", "-z", "--no-renames", "HEAD", "@{u}", root=root)
    return set(filter(None, out.split("\0")))


def _upstream(root: Path) -> str:
    try:
        return _git("rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}", root=root).strip()
    except _GitFailed as error:
        raise WorkshopError(
            "This copy of the kit does not follow a branch to update from.",
            fix="Run `git branch --set-upstream-to origin/main` (or the branch the class uses) "
            "in the workshop folder, then `workshop update` again.",
        ) from error


def _check_repository(root: Path) -> None:
    try:
        top = Path(_git("rev-parse", "--show-toplevel", root=root).strip()).resolve()
    except _GitFailed as error:
        raise WorkshopError(
            "This copy of the kit is not a git clone, so it cannot be updated in place.",
            fix="Download the new kit into another folder and copy your notebooks (and products/"
            ") across; your revision files are in migrations/versions/.",
        ) from error
    if top != root.resolve():
        raise WorkshopError(
            f"The workshop folder is inside another git repository ({top.name}/), not a clone "
            "of the kit.",
            fix="Update that repository with git yourself.",
        )


def _save(root: Path, changes: dict[str, str], folder: Path) -> None:
    """Copy every file of the participant's that exists into the backup, byte for byte."""
    for relative in changes:
        source = root / relative
        if source.is_file() or source.is_symlink():
            target = folder / "files" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)


def _put_back(root: Path, changes: dict[str, str], folder: Path) -> None:
    """Every saved file back at its place, as it was (used when the update fails)."""
    for relative, state in changes.items():
        saved = folder / "files" / relative
        place = root / relative
        if saved.exists() or saved.is_symlink():
            place.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(saved, place, follow_symlinks=False)
        elif "D" in state and place.exists():
            place.unlink()


def _beside(path: Path) -> Path:
    """``notebooks/02-x.ipynb`` -> ``notebooks/02-x.kit-update.ipynb``, never an existing file."""
    candidate = path.with_name(f"{path.stem}{KIT_UPDATE}{path.suffix}")
    number = 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}{KIT_UPDATE}-{number}{path.suffix}")
    return candidate


def update() -> Updated:
    """Fast-forward the kit to its upstream, keeping every file of the participant's."""
    root = paths.root()
    _check_repository(root)
    upstream = _upstream(root)
    remote = upstream.split("/", 1)[0]
    try:
        _git("fetch", "--quiet", remote, root=root)
    except _GitFailed as error:
        raise WorkshopError(
            f"The kit's update could not be fetched from {remote}: {error.said}. Nothing was "
            "changed.",
            fix="Check the network (or the shared folder the class updates from), then run "
            "`workshop update` again.",
        ) from error
    if int(_git("rev-list", "--count", "@{u}..HEAD", root=root)) > 0:
        raise WorkshopError(
            "You have git commits of your own, so the kit cannot simply move to the new "
            "version. Nothing was changed.",
            fix=f"Merge it with git yourself: `git pull {remote}`.",
        )
    result = Updated(commits=int(_git("rev-list", "--count", "HEAD..@{u}", root=root)))
    if not result.commits:
        return result
    changes = _status(root)
    upstream_files = _changed_upstream(root)
    result.files = sorted(upstream_files)
    if changes:
        result.backup = lessons.new_backup_folder("update")
        _save(root, changes, result.backup)
    try:
        _clear_the_way(root, changes, upstream_files)
        _git("merge", "--ff-only", "--quiet", "@{u}", root=root)
    except (_GitFailed, OSError) as error:
        _git("reset", "--quiet", "--hard", "HEAD", root=root, check=False)
        if result.backup is not None:
            _put_back(root, changes, result.backup)
        where = f" Your files are as they were; a copy is in {result.backup}." if changes else ""
        raise WorkshopError(
            f"The update could not be applied: {error}.{where}",
            fix="Try again; if it fails again, show this message to the instructor.",
        ) from error
    _restore_work(root, changes, upstream_files, result)
    return result


def _clear_the_way(root: Path, changes: dict[str, str], upstream_files: set[str]) -> None:
    """Tracked files back to the last update's version; new files the update also brings,
    moved out (they are in the backup). Then git can fast-forward."""
    tracked = [path for path, state in changes.items() if state != "??"]
    if tracked:
        _git("reset", "--quiet", "HEAD", "--", *tracked, root=root)
        _git("checkout", "--quiet", "HEAD", "--", *tracked, root=root)
    for path, state in changes.items():
        if state == "??" and path in upstream_files:
            (root / path).unlink()


def _restore_work(
    root: Path, changes: dict[str, str], upstream_files: set[str], result: Updated
) -> None:
    """Each file of the participant's back in place; the kit's new version beside it where the
    update changed the same file."""
    assert result.backup is not None or not changes
    for relative, state in sorted(changes.items()):
        place = root / relative
        saved = result.backup / "files" / relative if result.backup else None
        theirs = saved is not None and (saved.exists() or saved.is_symlink())
        if relative in upstream_files and place.exists() and theirs:
            kits = _beside(place)
            shutil.copy2(place, kits)
            result.beside.append((relative, kits.relative_to(root).as_posix()))
        if theirs:
            place.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(saved, place, follow_symlinks=False)
            result.kept.append(relative)
        elif "D" in state and place.exists() and relative not in upstream_files:
            place.unlink()  # deleted by the participant, and the update left it alone
