"""Intake: what grading takes from participants, who it says they are, and what it refuses.

Submissions are hostile input. These tests hand ``find_submissions`` and ``unpack`` the tricks a
participant could play (clashing and forged names, terminal escapes, symlinks to the answer key,
zip slip, devices, zip bombs, headers that lie) and check that names stay unique and stable,
that only regular files land, and only under the destination. No database is needed.
"""

from __future__ import annotations

import json
import os
import random
import re
import stat
import struct
import warnings
import zipfile
from pathlib import Path

import pytest

from workshop.errors import WorkshopError
from workshop.grading import intake, runner
from workshop.grading.intake import Submission, find_submissions, unpack

NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


# --- helpers -------------------------------------------------------------------------------


def archive(path: Path, who: str = "who", manifest: object = None, **files: bytes) -> Path:
    """An archive laid out as ``workshop submit`` writes it: ``<who>/notebooks/...``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    files = files or {"notebooks/00.ipynb": NOTEBOOK}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name, data in files.items():
            out.writestr(f"{who}/{name}", data)
        if manifest is not None:
            raw = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
            out.writestr(f"{who}/manifest.json", raw)
    return path


def folder(path: Path) -> Path:
    """A submission folder: ``path/notebooks/00.ipynb``."""
    (path / "notebooks").mkdir(parents=True)
    (path / "notebooks" / "00.ipynb").write_bytes(NOTEBOOK)
    return path


def odd_member(path: Path, name: str, data: bytes = b"x", *, mode: int = 0) -> Path:
    """An archive with one member whose name and Unix mode are given as they are."""
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix, so that unzip tools would honour the mode
    info.external_attr = mode << 16
    with zipfile.ZipFile(path, "w") as out, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name, and writes it
        out.writestr("who/notebooks/00.ipynb", NOTEBOOK)
        out.writestr(info, data)
    return path


def patch_central_directory(path: Path, name: str, offset: int, fmt: str, value: int) -> None:
    """Overwrite one field of ``name``'s central directory entry, as a hand-made archive could."""
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")
    while True:
        name_length = struct.unpack_from("<H", data, entry + 28)[0]
        if data[entry + 46 : entry + 46 + name_length] == name.encode():
            break
        entry = data.index(b"PK\x01\x02", entry + 4)
    struct.pack_into(fmt, data, entry + offset, value)
    path.write_bytes(bytes(data))


def names(found: list[Submission]) -> list[str]:
    return [submission.name for submission in found]


def written(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def refused(submission: Path, destination: Path, **limits: int) -> WorkshopError:
    with pytest.raises(WorkshopError) as caught:
        unpack(Submission("someone", submission), destination, **limits)
    assert caught.value.fix, "every refusal says what to do about it"
    return caught.value


# --- names ---------------------------------------------------------------------------------


def test_runner_uses_the_intake() -> None:
    assert runner.find_submissions is intake.find_submissions
    assert runner.unpack is intake.unpack and runner.Submission is intake.Submission


def test_the_manifest_names_the_participant(tmp_path: Path) -> None:
    archive(tmp_path / "upload-17.zip", "Ada-Lovelace", {"participant": "Ada-Lovelace"})
    assert names(find_submissions([tmp_path])) == ["Ada-Lovelace"]


@pytest.mark.parametrize(
    "manifest",
    [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[" * 100_000,  # nesting deep enough to exhaust the JSON parser's recursion
        ["participant", "mallory"],
        {"participant": 42},
        {"participant": "\x1b\x07 \t"},  # nothing left once cleaned
        {"name": "mallory"},
    ],
    ids=["broken", "not-utf8", "deep", "a-list", "a-number", "only-controls", "no-field"],
)
def test_an_unusable_manifest_falls_back_to_the_file_name(tmp_path: Path, manifest) -> None:
    archive(tmp_path / "bob.zip", "bob", manifest)
    assert names(find_submissions([tmp_path])) == ["bob"]


def test_a_huge_manifest_is_not_read(tmp_path: Path) -> None:
    padded = {"participant": "mallory", "padding": "0" * intake.MANIFEST_LIMIT}
    archive(tmp_path / "bob.zip", "bob", padded)
    assert names(find_submissions([tmp_path])) == ["bob"]


def test_two_manifests_are_ambiguous_and_ignored(tmp_path: Path) -> None:
    path = archive(tmp_path / "bob.zip", "bob", {"participant": "alice"})
    with zipfile.ZipFile(path, "a") as out:
        out.writestr("manifest.json", json.dumps({"participant": "carol"}))
    assert names(find_submissions([path])) == ["bob"]


def test_same_names_are_told_apart_by_their_paths_not_by_a_counter(tmp_path: Path) -> None:
    archive(tmp_path / "groupA" / "ada.zip")
    archive(tmp_path / "groupB" / "ada.zip")
    archive(tmp_path / "groupB" / "ada-2.zip")
    found = find_submissions([tmp_path / "groupA", tmp_path / "groupB"])
    assert names(found) == ["ada [groupA/ada.zip]", "ada [groupB/ada.zip]", "ada-2"]
    by_name = {s.name: s.source for s in found}
    assert by_name["ada [groupA/ada.zip]"] == tmp_path / "groupA" / "ada.zip"


def test_a_manifest_claiming_someone_elses_name_is_visible(tmp_path: Path) -> None:
    archive(tmp_path / "alice.zip", "alice", {"participant": "alice"})
    archive(tmp_path / "mallory.zip", "mallory", {"participant": "alice"})
    assert names(find_submissions([tmp_path])) == ["alice [alice.zip]", "alice [mallory.zip]"]


def adversarial_class(root: Path) -> None:
    """Names chosen to collide with each other's disambiguated forms."""
    archive(root / "ada.zip")
    folder(root / "ada")
    archive(root / "ada [ada.zip].zip")  # literally a disambiguated name
    archive(root / "x1.zip", manifest={"participant": "ada [ada]"})
    archive(root / "x2.zip", manifest={"participant": "ada [ada.zip] [ada [ada.zip].zip]"})
    archive(root / "x3.zip", manifest={"participant": "ada [x3.zip]"})
    archive(root / "ada\x01.zip")  # cleaned, both its name and its path label match ada.zip's
    archive(root / "ada\x1b.zip")
    archive(root / "ad\u202ea.zip")  # a bidi override, invisible once cleaned
    archive(root / ("z" * 150 + "1.zip"))  # the same after cutting to the name limit
    archive(root / ("z" * 150 + "2.zip"))
    archive(root / "[ada.zip].zip", manifest={"participant": "ada"})
    archive(root / "ada \\[ada.zip\\].zip")
    folder(root / "sub" / "ada")
    archive(root / "sub" / "ada.zip")


def test_names_are_unique_whatever_the_inputs(tmp_path: Path) -> None:
    adversarial_class(tmp_path)
    inputs = [p for p in tmp_path.iterdir() if p.name != "sub"] + list((tmp_path / "sub").iterdir())
    found = find_submissions(inputs)
    assert len(found) == len(inputs) == 15
    assert len(set(names(found))) == len(found), names(found)
    assert {s.source for s in found} == {p.absolute() for p in inputs}
    for name in names(found):
        assert name.isprintable(), name
        assert "\u202e" not in name


def test_names_do_not_depend_on_the_order_of_the_inputs(tmp_path: Path) -> None:
    adversarial_class(tmp_path)
    inputs = sorted(p for p in tmp_path.iterdir() if p.name != "sub")
    first = find_submissions(inputs)
    shuffler = random.Random(11)
    for _ in range(20):
        shuffler.shuffle(inputs)
        assert find_submissions(inputs) == first
    assert find_submissions([tmp_path]) == first, "a folder or its contents: the same names"


def test_archives_one_folder_down_in_earlier_are_not_graded(tmp_path: Path) -> None:
    """``workshop submit`` keeps a participant's earlier archives in ``earlier/``: grading the
    folder they handed in to must see each participant once, by their latest archive."""
    latest = archive(tmp_path / "Ada.zip", "Ada", {"participant": "Ada"})
    archive(tmp_path / "earlier" / "Ada-20231114T221320Z.zip", "Ada", {"participant": "Ada"})
    archive(tmp_path / "earlier" / "Ada-20231114T221320Z-2.zip", "Ada", {"participant": "Ada"})
    assert find_submissions([tmp_path]) == [Submission("Ada", latest)]


def test_a_submission_given_twice_is_graded_once(tmp_path: Path) -> None:
    path = archive(tmp_path / "ada.zip")
    found = find_submissions([tmp_path, path, tmp_path / "." / "ada.zip"])
    assert names(found) == ["ada"]


def test_names_are_cleaned_for_display(tmp_path: Path) -> None:
    archive(tmp_path / "\x1b[31mred\x1b[0m\x7f\x9b.zip")
    archive(tmp_path / "x.zip", manifest={"participant": "Zoë\nØrsted\t\x00李"})
    archive(tmp_path / ("long" * 50 + ".zip"))
    folder(Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9")))  # a name that is not UTF-8
    found = names(find_submissions([tmp_path]))
    assert "[31mred[0m" in found
    assert "Zoë Ørsted 李" in found
    assert "caf\ufffd" in found
    long = next(name for name in found if name.startswith("long"))
    assert len(long) == intake.NAME_LIMIT and long.endswith("…")
    for name in found:
        name.encode("utf-8")  # no lone surrogates: the reports can always be written


def test_a_disambiguated_name_stays_short_for_ordinary_paths(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 100) / ("e" * 100)
    archive(deep / "ada.zip")
    archive(tmp_path / "ada.zip")
    found = names(find_submissions([deep, tmp_path / "ada.zip"]))
    assert all(len(name) <= intake.NAME_LIMIT + intake.LABEL_LIMIT + 3 for name in found)
    assert any(name.endswith("eee/ada.zip]") for name in found)


def test_nonsense_input_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(WorkshopError, match="holds no submissions"):
        find_submissions([tmp_path / "empty"])
    with pytest.raises(WorkshopError, match="neither a submission archive"):
        find_submissions([tmp_path / "nope.txt"])


# --- unpacking archives --------------------------------------------------------------------


def test_an_archive_unpacks_with_notebooks_one_folder_down(tmp_path: Path) -> None:
    path = archive(
        tmp_path / "ada.zip",
        "Ada",
        {"participant": "Ada"},
        **{"notebooks/00.ipynb": NOTEBOOK, "migrations/versions/0001_mine.py": b"# mine\n"},
    )
    home = unpack(Submission("Ada", path), tmp_path / "out")
    assert home == tmp_path / "out" / "Ada"
    assert (home / "notebooks" / "00.ipynb").read_bytes() == NOTEBOOK
    assert (home / "migrations" / "versions" / "0001_mine.py").read_bytes() == b"# mine\n"


def test_an_archive_with_notebooks_at_the_top_unpacks(tmp_path: Path) -> None:
    path = tmp_path / "flat.zip"
    with zipfile.ZipFile(path, "w") as out:
        out.writestr("notebooks/00.ipynb", NOTEBOOK)
    assert unpack(Submission("flat", path), tmp_path / "out") == tmp_path / "out"


def test_unpacked_files_get_fixed_permissions(tmp_path: Path) -> None:
    path = tmp_path / "modes.zip"
    with zipfile.ZipFile(path, "w") as out:
        folder_info = zipfile.ZipInfo("who/notebooks/")
        folder_info.external_attr = (stat.S_IFDIR | 0o700) << 16
        out.writestr(folder_info, b"")
        file_info = zipfile.ZipInfo("who/notebooks/00.ipynb")
        file_info.external_attr = (stat.S_IFREG | 0o4777) << 16  # setuid, world-writable
        out.writestr(file_info, NOTEBOOK)
    old_umask = os.umask(0o077)  # permissions must not depend on the grader's umask either
    try:
        home = unpack(Submission("modes", path), tmp_path / "out")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((home / "notebooks" / "00.ipynb").stat().st_mode) == 0o644
    assert stat.S_IMODE((home / "notebooks").stat().st_mode) == 0o755
    assert stat.S_IMODE(home.stat().st_mode) == 0o755


@pytest.mark.parametrize(
    ("member", "mode", "reason"),
    [
        ("who/notebooks/key.ipynb", stat.S_IFLNK | 0o777, "symbolic link"),
        ("who/notebooks/tty", stat.S_IFCHR | 0o666, "character device"),
        ("who/notebooks/disk", stat.S_IFBLK | 0o666, "block device"),
        ("who/notebooks/pipe", stat.S_IFIFO | 0o666, "FIFO"),
        ("who/notebooks/sock", stat.S_IFSOCK | 0o666, "socket"),
        ("/tmp/evil.py", stat.S_IFREG | 0o644, "absolute path"),
        ("C:/evil.py", 0, "absolute path"),
        ("../evil.py", 0, r"unsafe path \(\.\."),
        ("who/../../evil.py", 0, r"unsafe path \(\.\."),
        ("who\\..\\..\\evil.py", 0, r"unsafe path \(\.\."),  # zip slip on a Windows grader
        ("who/notebooks/00.ipynb", 0, "appears twice"),
        ("who/notebooks/00.ipynb/inner", 0, "inside a member that is a file"),
    ],
)
def test_an_unsafe_member_is_refused_before_anything_is_written(
    tmp_path: Path, member: str, mode: int, reason: str
) -> None:
    path = odd_member(tmp_path / "bad.zip", member, b"../../solutions/02.ipynb", mode=mode)
    error = refused(path, tmp_path / "out" / "deep")
    assert re.search(reason, str(error)), str(error)
    assert repr(member) in str(error), "the error names the member"
    assert written(tmp_path / "out" / "deep") == [], "a refused archive writes nothing"
    assert not (tmp_path / "evil.py").exists() and not (tmp_path / "out" / "evil.py").exists()


def test_an_encrypted_member_is_refused(tmp_path: Path) -> None:
    path = odd_member(tmp_path / "locked.zip", "who/notebooks/01.ipynb")
    patch_central_directory(path, "who/notebooks/01.ipynb", 8, "<H", 0x1)
    assert "is encrypted" in str(refused(path, tmp_path / "out"))


@pytest.mark.parametrize(
    ("content", "message"), [(b"", "is empty"), (b"hello, not a zip", "is not a zip archive")]
)
def test_an_empty_or_non_zip_archive_is_a_clear_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "ada.zip").write_bytes(content)
    assert names(find_submissions([tmp_path])) == ["ada"]
    assert message in str(refused(tmp_path / "ada.zip", tmp_path / "out"))


def test_a_member_name_that_is_not_utf8_unpacks(tmp_path: Path) -> None:
    path = archive(tmp_path / "ada.zip", **{"notebooks/cafX.ipynb": NOTEBOOK})
    path.write_bytes(path.read_bytes().replace(b"cafX", b"caf\xe9"))  # cp437, no UTF-8 flag
    home = unpack(Submission("ada", path), tmp_path / "out")
    (unpacked,) = (home / "notebooks").iterdir()
    assert unpacked.read_bytes() == NOTEBOOK and unpacked.name.startswith("caf")


# --- limits --------------------------------------------------------------------------------


def zeros(count: int) -> bytes:
    return bytes(count)


def test_too_many_files_are_refused(tmp_path: Path) -> None:
    files = {f"notebooks/{n:02}.ipynb": NOTEBOOK for n in range(5)}
    path = archive(tmp_path / "many.zip", **files)
    error = refused(path, tmp_path / "out", max_files=4)
    assert "more than 4 files and folders" in str(error)
    assert written(tmp_path / "out") == [], "the count is checked before unpacking"


def test_one_file_too_large_is_refused_and_not_written_past_the_limit(tmp_path: Path) -> None:
    path = archive(tmp_path / "big.zip", **{"notebooks/00.ipynb": zeros(300_000)})
    error = refused(path, tmp_path / "out", max_file_bytes=100_000)
    assert "'who/notebooks/00.ipynb' expands to more than 100000 bytes" in str(error)
    assert (tmp_path / "out" / "who" / "notebooks" / "00.ipynb").stat().st_size <= 100_000


def test_too_much_in_all_is_refused_and_not_written_past_the_limit(tmp_path: Path) -> None:
    files = {f"notebooks/{n}.ipynb": zeros(40_000) for n in range(5)}
    path = archive(tmp_path / "wide.zip", **files)
    error = refused(path, tmp_path / "out", max_total_bytes=100_000)
    assert "expands to more than 100000 bytes in all" in str(error)
    on_disk = sum(p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert 0 < on_disk <= 100_000


def test_an_archive_larger_than_the_limit_is_not_opened(tmp_path: Path) -> None:
    path = tmp_path / "stored.zip"
    with zipfile.ZipFile(path, "w") as out:  # stored, not compressed
        out.writestr("who/notebooks/00.ipynb", os.urandom(50_000))
    error = refused(path, tmp_path / "out", max_total_bytes=10_000)
    assert "more than the 10000 bytes a submission may hold" in str(error)


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 MiB of zeros in a member under a megabyte, written in chunks, never held in memory."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    chunk = zeros(1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        with out.open("who/notebooks/00.ipynb", "w", force_zip64=True) as member:
            for _ in range(200):
                member.write(chunk)
    assert path.stat().st_size < 2 * 1024 * 1024
    return path


def test_a_zip_bomb_stops_at_the_default_limit(tmp_path: Path, bomb: Path) -> None:
    error = refused(bomb, tmp_path / "out")
    assert "expands to more than 16 MiB" in str(error)
    on_disk = sum(p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert on_disk <= intake.MAX_FILE_BYTES


def test_a_header_that_understates_a_size_is_not_believed(tmp_path: Path) -> None:
    path = archive(tmp_path / "liar.zip", **{"notebooks/00.ipynb": zeros(1_000_000)})
    patch_central_directory(path, "who/notebooks/00.ipynb", 24, "<I", 10)  # "10 bytes"
    error = refused(path, tmp_path / "out", max_file_bytes=1000)
    assert "cannot be unpacked" in str(error) and "'who/notebooks/00.ipynb'" in str(error)
    assert (tmp_path / "out" / "who" / "notebooks" / "00.ipynb").stat().st_size <= 1000


# --- unpacking folders ---------------------------------------------------------------------


def test_a_folder_is_copied_with_fixed_permissions(tmp_path: Path) -> None:
    source = folder(tmp_path / "ada")
    (source / "notebooks" / "00.ipynb").chmod(0o600)
    (source / "notebooks" / "sub").mkdir(mode=0o700)
    (source / "notebooks" / "sub" / "x.py").write_text("x = 1\n")
    (source / "manifest.json").write_text("{}")  # only notebooks/ is taken, as before
    home = unpack(Submission("ada", source), tmp_path / "out")
    assert home == tmp_path / "out"
    assert written(home) == [
        "notebooks",
        "notebooks/00.ipynb",
        "notebooks/sub",
        "notebooks/sub/x.py",
    ]
    assert stat.S_IMODE((home / "notebooks" / "00.ipynb").stat().st_mode) == 0o644
    assert stat.S_IMODE((home / "notebooks" / "sub").stat().st_mode) == 0o755


def answer_key(tmp_path: Path) -> Path:
    key = tmp_path / "solutions"
    key.mkdir()
    (key / "00.ipynb").write_text('{"the": "answer key"}')
    return key


def test_a_notebooks_folder_linked_to_the_answer_key_is_refused(tmp_path: Path) -> None:
    key = answer_key(tmp_path)
    (tmp_path / "class" / "mallory").mkdir(parents=True)
    (tmp_path / "class" / "mallory" / "notebooks").symlink_to(key)
    (found,) = find_submissions([tmp_path / "class"])
    with pytest.raises(WorkshopError, match="'notebooks' is a symbolic link") as caught:
        unpack(found, tmp_path / "out")
    assert caught.value.fix
    assert "answer key" not in "".join(p.read_text() for p in (tmp_path / "out").rglob("*.ipynb"))


def test_a_submission_folder_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    real = folder(tmp_path / "elsewhere" / "ada")
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "ada").symlink_to(real)
    (found,) = find_submissions([tmp_path / "class"])
    with pytest.raises(WorkshopError, match="is a symbolic link; a submission must be"):
        unpack(found, tmp_path / "out")


def test_a_symlinked_archive_is_refused(tmp_path: Path) -> None:
    real = archive(tmp_path / "elsewhere" / "alice.zip", "alice", {"participant": "alice"})
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "mallory.zip").symlink_to(real)
    (found,) = find_submissions([tmp_path / "class"])
    assert found.name == "mallory", "a link's target does not get to choose the name"
    with pytest.raises(WorkshopError, match="is a symbolic link"):
        unpack(found, tmp_path / "out")


@pytest.mark.parametrize("kind", ["file", "folder", "dangling"])
def test_a_symlink_inside_notebooks_is_refused(tmp_path: Path, kind: str) -> None:
    key = answer_key(tmp_path)
    source = folder(tmp_path / "mallory")
    target = {"file": key / "00.ipynb", "folder": key, "dangling": tmp_path / "nowhere"}[kind]
    (source / "notebooks" / "zz").symlink_to(target)
    error = refused(source, tmp_path / "out")
    assert "'notebooks/zz' is a symbolic link" in str(error)
    assert not (tmp_path / "out" / "notebooks" / "zz").exists()


def test_a_hard_link_is_refused(tmp_path: Path) -> None:
    key = answer_key(tmp_path)
    source = folder(tmp_path / "mallory")
    os.link(key / "00.ipynb", source / "notebooks" / "01.ipynb")
    assert "'notebooks/01.ipynb' is a hard link" in str(refused(source, tmp_path / "out"))


def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    source = folder(tmp_path / "mallory")
    os.mkfifo(source / "notebooks" / "01.ipynb")
    assert "'notebooks/01.ipynb' is a FIFO" in str(refused(source, tmp_path / "out"))


def test_folder_limits_apply_too(tmp_path: Path) -> None:
    source = folder(tmp_path / "ada")
    (source / "notebooks" / "01.ipynb").write_bytes(zeros(5000))
    assert "more than 1 files" in str(refused(source, tmp_path / "a", max_files=1))
    error = refused(source, tmp_path / "b", max_file_bytes=1000)
    assert "'notebooks/01.ipynb' expands to more than 1000 bytes" in str(error)
    assert (tmp_path / "b" / "notebooks" / "01.ipynb").stat().st_size <= 1000
    assert "in all" in str(refused(source, tmp_path / "c", max_total_bytes=len(NOTEBOOK) + 10))
