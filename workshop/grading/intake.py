"""Intake: finding the submissions, naming their authors, and unpacking them safely.

Everything read here comes from participants, and so is hostile until proven otherwise: an archive
or a folder can carry symbolic links to the answer key, paths that climb out of the destination
(zip slip), devices and FIFOs, zip bombs, names full of terminal escapes, or a manifest that claims
somebody else's name. So:

- a participant's **name** comes from the archive's ``manifest.json`` (``workshop submit`` writes
  it) when that is usable, else from the file or folder name. It is cleaned for display (no
  control characters, bounded length), and two submissions that would share a name are told apart
  by their paths, never by a counter, so that the same inputs always give the same, unique names;
- **unpacking** takes regular files only, writes only under the destination, with fixed
  permissions, and stops as soon as a size or count limit is passed, counting the bytes it
  actually writes rather than the sizes an archive declares.
"""

from __future__ import annotations

import json
import os
import re
import stat
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import BinaryIO, NoReturn

from workshop.errors import WorkshopError

MAX_TOTAL_BYTES = 64 * 1024 * 1024  # a class's notebooks are a few MiB at most
MAX_FILES = 2000  # files and folders together
MAX_FILE_BYTES = 16 * 1024 * 1024
NAME_LIMIT = 80  # characters of a participant's name, as shown
LABEL_LIMIT = 60  # characters of the path that tells two same-named submissions apart
MANIFEST = "manifest.json"
MANIFEST_LIMIT = 1024 * 1024  # a manifest lists file hashes: kilobytes, not megabytes
CHUNK = 64 * 1024
FILE_MODE = 0o644
FOLDER_MODE = 0o755
UNNAMED = "(unnamed)"

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)  # a symlink swapped in after the check is not followed
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in does not hang the grader
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_CREATE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
# Characters that move the cursor, recolour the terminal, or reorder text when shown: C0 and C1
# controls, DEL, line and paragraph separators, and bidirectional overrides and isolates.
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SPACING = re.compile("[\t\n\r\v\f]")
_SURROGATE = re.compile("[\ud800-\udfff]")  # undecodable bytes of a file name
_SPECIAL_FILES = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
}
_REFUSED_FIX = (
    "Ask the participant to hand in again with `workshop submit`, which packs only their "
    "notebooks and revision files, as regular files."
)


# --- names ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """One participant's work: ``source`` is an archive or a folder, read and never written."""

    name: str
    source: Path


def display_text(text: str) -> str:
    """``text`` made safe to show: no control characters, undecodable bytes shown as �.

    Names end up in terminals, spreadsheets and web pages; an escape sequence in a file name
    must not recolour the instructor's terminal, and a newline must not forge a report line.
    """
    text = _SURROGATE.sub("\ufffd", text)
    text = _HIDDEN.sub("", _SPACING.sub(" ", text))
    return " ".join(text.split())


def _cut(text: str, limit: int, *, keep_end: bool = False) -> str:
    """At most ``limit`` characters, marking a cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return "…" + text[-(limit - 1) :] if keep_end else text[: limit - 1] + "…"


def display_name(text: str) -> str:
    """A participant's name as shown: cleaned, at most NAME_LIMIT characters, maybe empty."""
    return _cut(display_text(text[: NAME_LIMIT * 10]), NAME_LIMIT)


def _escaped(text: str) -> str:
    """``text`` with every invisible character spelled out, reversibly.

    Backslash and ``[`` are escaped too, so the text never holds `` [``: a name built as
    ``base [escaped]`` can be split back at its last `` [``, which makes distinct paths give
    distinct names whatever the bases are.
    """
    out = []
    for char in text:
        code = ord(char)
        if char in "\\[":
            out.append("\\" + char)
        elif 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as os.fsdecode keeps it
            out.append(f"\\x{code - 0xDC00:02x}")
        elif _HIDDEN.match(char) or _SURROGATE.match(char):
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def find_submissions(inputs: Iterable[Path]) -> list[Submission]:
    """Archives, submission folders, and folders of either, each with a unique, stable name.

    The result depends only on the set of submissions found, not on the order of ``inputs``:
    it is sorted by name, and a name never depends on which submission was seen first.
    """
    sources = sorted({_absolute(found) for given in inputs for found in _collect(Path(given))})
    bases = {source: _base_name(source) for source in sources}
    names = _unique_names(bases)
    return sorted(
        (Submission(names[source], source) for source in sources),
        key=lambda submission: (submission.name, str(submission.source)),
    )


def _absolute(path: Path) -> Path:
    """An absolute, normalised path (symlinks not resolved): one spelling per submission."""
    return Path(os.path.normpath(os.path.abspath(path)))


def _is_submission(path: Path) -> bool:
    return (path.is_file() and path.suffix == ".zip") or (
        path.is_dir() and (path / "notebooks").is_dir()
    )


def _collect(path: Path) -> list[Path]:
    """The submissions ``path`` names: itself, or the archives and folders in it."""
    if _is_submission(path):
        return [path]
    if path.is_dir():
        inner = sorted(p for p in path.iterdir() if _is_submission(p))
        if not inner:
            raise WorkshopError(
                f"{display_text(str(path))} holds no submissions "
                "(no .zip archives, no folders with notebooks/).",
                fix="Pass the archives, or the folder you collected them in.",
            )
        return inner
    raise WorkshopError(
        f"{display_text(str(path))} is neither a submission archive (.zip) nor a folder.",
        fix="Pass archives made by `workshop submit`, or folders of them.",
    )


def _base_name(source: Path) -> str:
    """The name the submission claims: its manifest's participant, else its file name."""
    if source.suffix == ".zip" and not source.is_dir():
        return _manifest_participant(source) or display_name(source.stem) or UNNAMED
    return display_name(source.name) or UNNAMED


def _manifest_participant(archive_path: Path) -> str | None:
    """The manifest's ``participant``, cleaned; None when it is absent or unusable."""
    try:
        with _open_regular(archive_path) as file, zipfile.ZipFile(file) as archive:
            manifests = [
                info
                for info in archive.infolist()
                if info.filename.split("/")[-1] == MANIFEST and info.filename.count("/") <= 1
            ]
            if len(manifests) != 1:
                return None
            with archive.open(manifests[0]) as stream:
                raw = stream.read(MANIFEST_LIMIT + 1)
        if len(raw) > MANIFEST_LIMIT:
            return None
        manifest = json.loads(raw)
    # A hostile archive can raise almost anything here (bad zip, CRC, encryption, unknown
    # compression, broken or deeply nested JSON); the file name is always there to fall back on.
    except Exception:  # noqa: BLE001
        return None
    participant = manifest.get("participant") if isinstance(manifest, dict) else None
    if not isinstance(participant, str):
        return None
    return display_name(participant) or None


def _unique_names(bases: dict[Path, str]) -> dict[Path, str]:
    """A distinct name for every source, promoting clashing names until none clash.

    Level 0 is the claimed name; level 1 adds the source's path, shortened and cleaned, which is
    readable and nearly always enough; level 2 adds the whole path, spelled out reversibly, which
    is distinct for distinct sources whatever the names (see ``_escaped``). When a name is
    shared, the submissions holding it at the lowest level move one level up. A level-2 name
    only clashes with lower ones, so this ends, with unique names, and since it works on groups
    and never on the order of arrival, the same inputs always give the same names.
    """
    labels = _path_labels(list(bases))
    level = dict.fromkeys(bases, 0)
    while True:
        names = {source: _name_at(level[source], bases[source], labels[source]) for source in bases}
        holders: dict[str, list[Path]] = defaultdict(list)
        for source, name in names.items():
            holders[name].append(source)
        clashes = [group for group in holders.values() if len(group) > 1]
        if not clashes:
            return names
        for group in clashes:
            lowest = min(level[source] for source in group)
            if lowest >= 2:
                raise RuntimeError(f"two submissions have the same path: {group}")  # cannot be
            for source in group:
                if level[source] == lowest:
                    level[source] += 1


def _name_at(level: int, base: str, label: str) -> str:
    """The name at a disambiguation level (see ``_unique_names``)."""
    if level == 0:
        return base
    if level == 1:
        return f"{base} [{_cut(display_text(label), LABEL_LIMIT, keep_end=True)}]"
    return f"{base} [{_escaped(label)}]"


def _path_labels(sources: list[Path]) -> dict[Path, str]:
    """Each source's path relative to the common parent of all of them, in / form."""
    try:
        common = os.path.commonpath([str(source.parent) for source in sources])
    except ValueError:  # no common parent (different drives): keep whole paths
        return {source: source.as_posix() for source in sources}
    return {source: Path(os.path.relpath(source, common)).as_posix() for source in sources}


# --- unpacking -----------------------------------------------------------------------------


@dataclass
class _Budget:
    """What one submission may still unpack; counts what is really written, not what is declared."""

    shown: str
    max_total_bytes: int
    max_files: int
    max_file_bytes: int
    entries: int = 0
    total: int = 0

    def add_entry(self, member: str) -> None:
        self.entries += 1
        if self.entries > self.max_files:
            raise WorkshopError(
                f"{self.shown} holds more than {self.max_files} files and folders "
                f"(stopped at {_shown_member(member)}).",
                fix=_TOO_BIG_FIX,
            )

    def add_bytes(self, member: str, file_bytes: int, count: int) -> None:
        """Called before writing ``count`` more bytes, ``file_bytes`` of them in this file."""
        self.total += count
        if file_bytes > self.max_file_bytes:
            raise WorkshopError(
                f"{self.shown}: {_shown_member(member)} expands to more than "
                f"{_size(self.max_file_bytes)}; unpacking stopped there.",
                fix=_TOO_BIG_FIX,
            )
        if self.total > self.max_total_bytes:
            raise WorkshopError(
                f"{self.shown} expands to more than {_size(self.max_total_bytes)} in all; "
                f"unpacking stopped at {_shown_member(member)}.",
                fix=_TOO_BIG_FIX,
            )


_TOO_BIG_FIX = (
    "A submission holds lesson notebooks and revision files, a few MiB at most. Ask the "
    "participant to clear large outputs (Edit > Clear Outputs of All Cells) and hand in again."
)


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:g} MiB" if count >= 1024 * 1024 else f"{count} bytes"


def _shown_member(member: str) -> str:
    """A member's name for an error message: invisible characters spelled out, length bounded."""
    return repr(_cut(member, 200))


def unpack(
    submission: Submission,
    destination: Path,
    *,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_files: int = MAX_FILES,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> Path:
    """Copy a submission's regular files into ``destination``; return the folder with notebooks/.

    From a folder, only its notebooks/ is taken, as before. Anything that is not a regular file
    (symbolic and hard links, devices, FIFOs), any path leaving ``destination``, and anything past
    the limits is refused with a WorkshopError naming it. On an error, ``destination`` may hold
    part of the submission: the caller throws it away.
    """
    source = submission.source
    budget = _Budget(
        display_text(source.name) or UNNAMED, max_total_bytes, max_files, max_file_bytes
    )
    try:
        mode = os.lstat(source).st_mode
    except OSError as error:
        raise WorkshopError(
            f"{budget.shown} cannot be read: {error.strerror}.",
            fix="Check that the submission is still there and readable by you.",
        ) from error
    if stat.S_ISLNK(mode):
        raise WorkshopError(
            f"{budget.shown} is a symbolic link; a submission must be the archive or folder "
            "itself.",
            fix="Copy the submission itself into the folder you grade.",
        )
    destination.mkdir(parents=True, exist_ok=True)
    os.chmod(destination, FOLDER_MODE)
    if stat.S_ISDIR(mode):
        _copy_folder(source, destination, budget)
    elif stat.S_ISREG(mode):
        _extract_archive(source, destination, budget)
    else:
        raise WorkshopError(
            f"{budget.shown} is {_SPECIAL_FILES.get(stat.S_IFMT(mode), 'a special file')}, "
            "not an archive or a folder.",
            fix=_REFUSED_FIX,
        )
    for candidate in (destination, *sorted(destination.iterdir())):
        if (candidate / "notebooks").is_dir():
            return candidate
    raise WorkshopError(f"{budget.shown} holds no notebooks/ folder.", fix=_REFUSED_FIX)


def _make_folder(folder: Path) -> None:
    """Create ``folder`` (its parent exists) with FOLDER_MODE, whatever the umask."""
    folder.mkdir(exist_ok=True)
    os.chmod(folder, FOLDER_MODE)


def _make_folders(destination: Path, parts: tuple[str, ...]) -> None:
    """Create each missing folder of ``parts`` under ``destination``, one level at a time."""
    folder = destination
    for part in parts:
        folder = folder / part
        if not folder.is_dir():  # nothing under destination is a symlink: unpacking makes none
            _make_folder(folder)


@contextmanager
def _open_regular(path: Path) -> Iterator[BinaryIO]:
    """Open ``path`` for reading only if it is a regular file that is not a symlink."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise WorkshopError(
                f"{display_text(path.name)} is not a regular file.", fix=_REFUSED_FIX
            )
        file = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with file:
        yield file


def _write_file(read: Callable[[int], bytes], target: Path, member: str, budget: _Budget) -> None:
    """Copy ``read``'s bytes to a new file, in chunks, stopping before a limit is passed."""
    fd = os.open(target, _CREATE_FLAGS, FILE_MODE)
    with os.fdopen(fd, "wb") as out:
        written = 0
        while chunk := read(CHUNK):
            written += len(chunk)
            budget.add_bytes(member, written, len(chunk))
            out.write(chunk)
    os.chmod(target, FILE_MODE)  # whatever the umask


# --- from a folder -------------------------------------------------------------------------


def _copy_folder(source: Path, destination: Path, budget: _Budget) -> None:
    """Copy notebooks/, refusing every symlink, hard link and special file on the way."""
    notebooks = source / "notebooks"
    try:
        mode = os.lstat(notebooks).st_mode
    except FileNotFoundError:
        raise WorkshopError(
            f"{budget.shown} holds no notebooks/ folder.", fix=_REFUSED_FIX
        ) from None
    if stat.S_ISLNK(mode):
        _refuse(budget, "notebooks", "is a symbolic link")
    if not stat.S_ISDIR(mode):
        _refuse(budget, "notebooks", "is not a folder")
    pending = [(notebooks, destination / "notebooks", "notebooks")]
    _make_folder(destination / "notebooks")
    while pending:  # a stack, not recursion: a hostile tree may be thousands deep
        folder, target, shown = pending.pop()
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
        for entry in entries:
            member = f"{shown}/{entry.name}"
            budget.add_entry(member)
            if entry.is_symlink():
                _refuse(budget, member, "is a symbolic link")
            elif entry.is_dir(follow_symlinks=False):
                _make_folder(target / entry.name)
                pending.append((Path(entry.path), target / entry.name, member))
            elif entry.is_file(follow_symlinks=False):
                _copy_regular(Path(entry.path), target / entry.name, member, budget)
            else:
                kind = stat.S_IFMT(entry.stat(follow_symlinks=False).st_mode)
                _refuse(budget, member, f"is {_SPECIAL_FILES.get(kind, 'a special file')}")


def _copy_regular(path: Path, target: Path, member: str, budget: _Budget) -> None:
    """Copy one file, checking what was opened, not what was listed a moment before."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as error:  # ELOOP: it became a symlink after the listing
        _refuse(budget, member, f"cannot be opened safely ({error.strerror})")
    with os.fdopen(fd, "rb") as file:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            _refuse(budget, member, "is not a regular file")
        if opened.st_nlink > 1:
            _refuse(budget, member, "is a hard link (it shares its content with another file)")
        _write_file(file.read, target, member, budget)


def _refuse(budget: _Budget, member: str, why: str) -> NoReturn:
    raise WorkshopError(
        f"{budget.shown}: {_shown_member(member)} {why}; only regular files are accepted.",
        fix=_REFUSED_FIX,
    )


# --- from an archive -----------------------------------------------------------------------


def _extract_archive(source: Path, destination: Path, budget: _Budget) -> None:
    """Check every member first, then copy them: a refused archive writes nothing."""
    with _open_regular(source) as file:
        size = os.fstat(file.fileno()).st_size
        if size == 0:
            raise WorkshopError(f"{budget.shown} is empty.", fix=_REFUSED_FIX)
        if size > budget.max_total_bytes:
            raise WorkshopError(
                f"{budget.shown} is {_size(size)}, more than the {_size(budget.max_total_bytes)} "
                "a submission may hold.",
                fix=_TOO_BIG_FIX,
            )
        try:
            archive = zipfile.ZipFile(file)
        except Exception as error:  # noqa: BLE001 - a crafted directory raises all sorts
            raise WorkshopError(
                f"{budget.shown} is not a zip archive ({error}).", fix=_REFUSED_FIX
            ) from error
        with archive:
            plan = _plan(archive.infolist(), budget)
            root = destination.resolve()
            for info, parts, is_folder in plan:
                target = destination.joinpath(*parts)
                if not target.resolve().is_relative_to(root):  # defence in depth
                    _refuse(budget, info.filename, "leaves the destination folder")
                if is_folder:
                    _make_folders(destination, parts)
                else:
                    _make_folders(destination, parts[:-1])
                    _extract_member(archive, info, target, budget)


def _plan(
    members: list[zipfile.ZipInfo], budget: _Budget
) -> list[tuple[zipfile.ZipInfo, tuple[str, ...], bool]]:
    """(member, path parts, is a folder) for every member, or the first reason to refuse."""
    plan = []
    files: set[tuple[str, ...]] = set()
    folders: set[tuple[str, ...]] = set()
    for info in members:
        budget.add_entry(info.filename)
        parts, is_folder = _member_parts(info, budget)
        if not parts:
            continue  # "./" and the like: nothing to create
        if parts in files or (not is_folder and parts in folders):
            _refuse(budget, info.filename, "appears twice in the archive")
        parents = {parts[:n] for n in range(1, len(parts))}
        if parents & files:
            _refuse(budget, info.filename, "is inside a member that is a file")
        (folders if is_folder else files).add(parts)
        folders |= parents
        plan.append((info, parts, is_folder))
    return plan


def _member_parts(info: zipfile.ZipInfo, budget: _Budget) -> tuple[tuple[str, ...], bool]:
    """A member's path as parts under the destination, and whether it is a folder."""
    name = info.filename
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        _refuse(budget, name, "is a symbolic link")
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        _refuse(budget, name, f"is {_SPECIAL_FILES.get(kind, 'a special file')}")
    if info.flag_bits & 0x1:
        _refuse(budget, name, "is encrypted")
    windows = PureWindowsPath(name)  # also catches C:\ and \\server\ when grading on Windows
    if name.startswith(("/", "\\")) or windows.anchor:
        _refuse(budget, name, "has an absolute path")
    if ".." in windows.parts or ".." in name.split("/"):
        _refuse(budget, name, "has an unsafe path (.. leaves the destination)")
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    return parts, info.is_dir() or kind == stat.S_IFDIR


def _extract_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: _Budget
) -> None:
    """One member, in chunks; a damaged one is named in plain words."""
    try:
        with archive.open(info) as stream:
            _write_file(stream.read, target, info.filename, budget)
    except WorkshopError:
        raise
    except Exception as error:  # noqa: BLE001 - CRC, zlib, unknown compression: all "damaged"
        raise WorkshopError(
            f"{budget.shown}: {_shown_member(info.filename)} cannot be unpacked: "
            f"{type(error).__name__}: {error}.",
            fix=_REFUSED_FIX,
        ) from error
