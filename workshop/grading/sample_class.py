"""A sample class made from the solutions, to try grading before a real class hands in.

``workshop sample-class DIR`` writes one submission per case that grading must handle: a
participant who solved everything, and participants whose work has a wrong column type, no
downgrade, forged outputs, a cell that never ends, a cell that kills the kernel, a deleted
exercise cell, megabytes of output, and a cell that snoops in its environment. Some are folders
and one is an archive, as instructors receive them. The test suite grades this class.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import nbformat

from workshop import paths

Edit = Callable[[nbformat.NotebookNode], None]

L00 = "00-welcome-and-setup.ipynb"
L01 = "01-your-first-revision.ipynb"
L02 = "02-op-create-table.ipynb"

SNOOP = """\
import glob, json, os
found = []
def look(where, text):
    found.extend(f"{canary} in {where}" for canary in CANARIES if canary and canary in text)
look("the environment", json.dumps(dict(os.environ)))
for path in glob.glob("/proc/*/environ"):  # other processes' environments, the grader's too
    try:
        look(path, open(path, "rb").read().decode("utf-8", "replace"))
    except OSError:
        pass
from workshop import db
import sqlalchemy as sa
look("the database URL", db.url().render_as_string(False))
for url in ATTACK:  # the instructor's own database
    try:
        with sa.create_engine(url).connect() as conn:
            found.append(f"connected to {url}: {conn.exec_driver_sql('SELECT 1').scalar()}")
    except Exception:
        pass
try:
    open(SPY, "w").write(json.dumps(found))  # out of the sandbox, beside the class
    found.append("wrote " + SPY)
except OSError:
    pass
print(found)
if not found:  # saw nothing of the instructor's: only then does it solve the exercise
    get_ipython().run_line_magic("sql", "CREATE TABLE hello (message VARCHAR(50))")
    get_ipython().run_line_magic("sql", "INSERT INTO hello (message) VALUES ('hello, migrations')")
"""


def _exercise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if "exercise" in c.metadata.get("tags", []))


def set_exercise(source: str) -> Edit:
    def edit(nb: nbformat.NotebookNode) -> None:
        _exercise(nb).source = source

    return edit


def replace_in_exercise(old: str, new: str) -> Edit:
    def edit(nb: nbformat.NotebookNode) -> None:
        cell = _exercise(nb)
        if old not in cell.source:
            raise ValueError(f"the solution no longer contains {old!r}")
        cell.source = cell.source.replace(old, new)

    return edit


def forge(nb: nbformat.NotebookNode) -> None:
    """Wrong code, with the answer key's outputs pasted into every cell."""
    _exercise(nb).source = "# I did not do it, but my outputs look perfect\n"
    key = nbformat.read(paths.root() / "solutions" / L02, as_version=4)
    for mine, theirs in zip(nb.cells, key.cells, strict=True):
        if mine.cell_type == "code":
            mine.outputs = theirs.outputs
            mine.execution_count = theirs.execution_count


def delete_exercise(nb: nbformat.NotebookNode) -> None:
    nb.cells.remove(_exercise(nb))


def snoop(spy_file: Path | None, canaries: Iterable[str] = (), attack: Iterable[str] = ()) -> Edit:
    """Look for the instructor's secrets and database, and try to write outside the sandbox.

    It solves exercise 00.1 only when it found nothing, so its grade says what it saw: passed
    means that it ran, saw none of ``canaries``, reached none of the ``attack`` URLs and could
    not write ``spy_file``.
    """
    prelude = (
        f"CANARIES = {list(canaries)!r}\nATTACK = {list(attack)!r}\n"
        f"SPY = {str(spy_file or Path.home() / 'workshop-spy.json')!r}\n"
    )
    return set_exercise(prelude + SNOOP)


def cases(
    spy_file: Path | None = None, canaries: Iterable[str] = (), attack: Iterable[str] = ()
) -> dict[str, dict[str, Edit]]:
    """Participant name -> edits to their (otherwise solved) lesson notebooks."""
    return {
        "all_correct": {},
        "wrong_type": {
            L02: replace_in_exercise("sa.String(30), nullable=False", "sa.Integer, nullable=False")
        },
        "no_downgrade": {L02: replace_in_exercise('op.drop_table("category")', "pass")},
        "forger": {L02: forge},
        "hangs": {L00: set_exercise("import time\nwhile True:\n    time.sleep(1)\n")},
        "kills_kernel": {L01: set_exercise("import os\nos._exit(1)\n")},
        "deleted_cell": {L02: delete_exercise},
        "megabytes": {L00: set_exercise("print('x' * 5_000_000)\n")},
        "snoops": {L00: snoop(spy_file, canaries, attack)},
    }


ARCHIVED = ("no_downgrade",)


def write_submission(
    folder: Path, edits: dict[str, Edit], notebooks: Iterable[str] = (L00, L01, L02)
) -> Path:
    """One participant's hand-in: the solved ``notebooks``, with ``edits`` applied.

    The sample class hands in lessons 00-02, which cover every grading case; the grading
    benchmark hands in every lesson, as a class at the end of the course would.
    """
    (folder / "notebooks").mkdir(parents=True)
    for name in notebooks:
        nb = nbformat.read(paths.root() / "solutions" / name, as_version=4)
        if name in edits:
            edits[name](nb)
        nbformat.write(nb, folder / "notebooks" / name)
    return folder


def _zip(folder: Path) -> Path:
    archive = folder.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as out:
        for file in sorted(folder.rglob("*")):
            out.write(file, f"{folder.name}/{file.relative_to(folder)}")
    shutil.rmtree(folder)
    return archive


def build_sample_class(
    target: Path,
    spy_file: Path | None = None,
    canaries: Iterable[str] = (),
    attack: Iterable[str] = (),
) -> list[Path]:
    """Write the sample class into ``target`` (which must not exist yet)."""
    target.mkdir(parents=True)
    made = []
    for name, edits in cases(spy_file, canaries, attack).items():
        folder = write_submission(target / name, edits)
        made.append(_zip(folder) if name in ARCHIVED else folder)
    return made
