"""Issue 12: handing in again keeps every earlier archive, and writes nothing but archives.

``workshop submit`` used to move ``<name>.zip`` to ``<name>.zip.bak``, so a third hand-in
destroyed the first. Earlier archives now go to ``submissions/earlier/``, one per hand-in, and
grading a folder of submissions still sees one participant per person.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from workshop import submit
from workshop.errors import WorkshopError
from workshop.grading.intake import find_submissions

WHO = "Ada Lovelace"
MINE = "migrations/versions/0001_mine.py"


def _hand_in(project: Path, version: int, out_dir: Path | None = None) -> Path:
    """Hand in with revision file content that says which hand-in this is; the archive."""
    (project / MINE).write_text(f"# version {version}\n")
    return submit.submit(WHO, out_dir)


def _version(archive: Path) -> str:
    with zipfile.ZipFile(archive) as content:
        return content.read(f"Ada-Lovelace/{MINE}").decode()


def _snapshot(*folders: Path) -> dict[Path, str]:
    """Every file under ``folders`` (symbolic links as where they point), by content hash."""
    seen: dict[Path, str] = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_symlink():
                seen[path] = "-> " + os.readlink(path)
            elif path.is_file():
                seen[path] = hashlib.sha256(path.read_bytes()).hexdigest()
    return seen


def test_three_hand_ins_keep_three_archives_each_with_its_own_content(project: Path) -> None:
    for version in (1, 2, 3):
        archive = _hand_in(project, version)
    assert archive == project / "submissions" / "Ada-Lovelace.zip"
    assert _version(archive) == "# version 3\n"

    everything = [p for p in (project / "submissions").rglob("*") if p.is_file()]
    assert sorted(_version(p) for p in everything) == [f"# version {n}\n" for n in (1, 2, 3)]
    earlier = sorted((project / "submissions" / "earlier").iterdir())
    assert len(earlier) == 2 and all(p.name.startswith("Ada-Lovelace-") for p in earlier)
    assert {_version(p) for p in earlier} == {"# version 1\n", "# version 2\n"}

    (graded,) = find_submissions([project / "submissions"])
    assert (graded.name, graded.source) == ("Ada-Lovelace", archive), "one participant"


def test_the_participant_is_told_where_the_earlier_archive_went(project: Path) -> None:
    (project / MINE).write_text("# first\n")
    first = submit.hand_in(WHO)
    assert first.earlier is None and first.earlier_note() is None
    os.utime(first.archive, (1_700_000_000, 1_700_000_000))  # 2023-11-14 22:13:20 UTC

    second = submit.hand_in(WHO)
    kept = project / "submissions" / "earlier" / "Ada-Lovelace-20231114T221320Z.zip"
    assert second.earlier == kept and _version(kept) == "# first\n"
    assert second.earlier_note() == (
        "Your earlier archive is kept as submissions/earlier/Ada-Lovelace-20231114T221320Z.zip; "
        "only Ada-Lovelace.zip is graded."
    )

    # The command says it too.
    said = subprocess.run(
        [sys.executable, "-m", "workshop.cli", "submit", "--name", WHO],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert said.returncode == 0, said.stderr
    assert "Handed in: submissions/Ada-Lovelace.zip" in said.stdout
    assert "Your earlier archive is kept as submissions/earlier/Ada-Lovelace-" in said.stdout


def test_handing_in_writes_nothing_but_the_new_archive_and_the_moved_one(
    project: Path, tmp_path: Path
) -> None:
    """A shared folder: other people's archives, other files, an earlier archive of the same
    second (which must get a name of its own) all stay byte for byte as they were."""
    shared = tmp_path / "shared"
    (shared / "earlier").mkdir(parents=True)
    (shared / "Bob.zip").write_bytes(b"Bob's archive")
    (shared / "notes.txt").write_text("instructor's notes\n")
    first = _hand_in(project, 1, shared)
    os.utime(first, (1_700_000_000, 1_700_000_000))
    taken = shared / "earlier" / "Ada-Lovelace-20231114T221320Z.zip"
    taken.write_bytes(b"not to be replaced")
    first_bytes = first.read_bytes()
    before = _snapshot(project, shared)

    _hand_in(project, 2, shared)

    after = _snapshot(project, shared)
    moved = shared / "earlier" / "Ada-Lovelace-20231114T221320Z-2.zip"
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    assert changed == {project / MINE, first, moved}, sorted(map(str, changed))
    assert moved.read_bytes() == first_bytes and _version(first) == "# version 2\n"
    assert taken.read_bytes() == b"not to be replaced"
    assert not list(shared.glob(".*.partial")), "no half-written file is left behind"


def test_an_archive_name_that_is_a_symlink_is_moved_not_written_through(
    project: Path, tmp_path: Path
) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("not an archive\n")
    (project / "submissions").mkdir()
    (project / "submissions" / "Ada-Lovelace.zip").symlink_to(precious)

    archive = _hand_in(project, 1)

    assert precious.read_text() == "not an archive\n"
    assert not archive.is_symlink() and _version(archive) == "# version 1\n"
    (kept,) = (project / "submissions" / "earlier").iterdir()
    assert kept.is_symlink() and kept.resolve() == precious


def test_a_folder_where_the_archive_goes_is_left_alone(project: Path) -> None:
    folder = project / "submissions" / "Ada-Lovelace.zip"
    folder.mkdir(parents=True)
    (folder / "draft.txt").write_text("mine\n")
    before = _snapshot(project)

    with pytest.raises(WorkshopError, match="is a folder, where the archive goes"):
        _hand_in(project, 1)

    (project / MINE).unlink()
    assert _snapshot(project) == before
    assert sorted(p.name for p in (project / "submissions").iterdir()) == ["Ada-Lovelace.zip"]
