"""One source for each lesson: the solved notebook in ``solutions/``.

A lesson is written once, solved, with its answers between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` lines (the nbgrader convention). ``workshop build`` derives everything else
from it, so the participant's version and the solved one can never drift apart:

* ``notebooks/<lesson>.ipynb``: the same cells with each solution region replaced by a stub;
* the stored outputs of both, from real runs in a scratch copy of the project and a scratch
  database, sanitized with ``workshop/sanitize.cfg`` (the file nbval uses too);
* ``solutions/migrations/<lesson id>/``: every revision file the solved lesson writes with
  ``%%writefile``, which later lessons start from and the tests apply.

The tests rebuild in memory and fail when a committed file differs, so never edit a generated
notebook by hand: edit the solution and run ``workshop build``.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from workshop import db, paths
from workshop.lessons import LESSONS, Lesson, lesson

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
WRITEFILE = re.compile(r"^%%writefile\s+(?:-a\s+)?(\S+)")
SANITIZE_CFG = Path(__file__).with_name("sanitize.cfg")
CELL_TIMEOUT = 120


# --- deriving the participant's notebook ---------------------------------------------------


def _stub(cell_source: str, indent: str) -> list[str]:
    first = cell_source.lstrip().splitlines()[0] if cell_source.strip() else ""
    match = WRITEFILE.match(first)
    if match and match.group(1).endswith(".py"):
        # Inside a revision file a function body cannot be only a comment.
        return [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError()"]
    if first.startswith("%%sql"):
        return [f"{indent}-- YOUR SQL HERE"]
    return [f"{indent}# YOUR CODE HERE"]


def strip_source(source: str) -> str:
    """Replace each solution region with a stub at the region's indentation."""
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if inside:
                raise ValueError(f"line {number}: {BEGIN} inside another solution region")
            inside = True
            out.extend(_stub(source, line[: len(line) - len(line.lstrip())]))
        elif marker == END:
            if not inside:
                raise ValueError(f"line {number}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{BEGIN} is never closed")
    return "\n".join(out)


def participant_version(solved: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The participant's notebook: solution regions stubbed, outputs cleared."""
    derived = nbformat.from_dict(solved)
    for cell in derived.cells:
        if cell.cell_type == "code":
            cell.source = strip_source(cell.source)
            cell.outputs = []
            cell.execution_count = None
    return derived


# --- sanitizing stored outputs -------------------------------------------------------------


@cache
def sanitizers() -> tuple[tuple[re.Pattern[str], str], ...]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(SANITIZE_CFG)
    return tuple(
        (re.compile(parser[section]["regex"]), parser[section]["replace"])
        for section in parser.sections()
    )


def sanitize(text: str) -> str:
    for pattern, replacement in sanitizers():
        text = pattern.sub(replacement, text)
    return text


def _coalesce_streams(outputs: list) -> list:
    """Join consecutive writes to the same stream: how a command's output was chunked is timing."""
    joined: list = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and output.output_type == "stream"
            and previous.output_type == "stream"
            and previous.name == output.name
        ):
            previous.text += output.text
        else:
            joined.append(output)
    return joined


def _sanitize_outputs(nb: nbformat.NotebookNode) -> None:
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if "nbval-ignore-output" in cell.metadata.get("tags", []):
            # Machine-specific by definition (versions, names): nbval skips it, so store nothing.
            cell.outputs = []
            cell.execution_count = None
            continue
        cell.outputs = _coalesce_streams(cell.get("outputs", []))
        for output in cell.outputs:
            if "text" in output:
                output.text = sanitize(output.text)
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") and isinstance(value, str):
                    output.data[mime] = sanitize(value)
            if "traceback" in output:
                output.traceback = [sanitize(line) for line in output.traceback]


# --- running a notebook in a scratch project -----------------------------------------------


def copy_project(destination: Path) -> Path:
    """Copy what a lesson needs into ``destination``: no state, no participant revision files."""
    root = paths.root()
    ignore = shutil.ignore_patterns(
        ".workshop", ".venv", "__pycache__", ".ipynb_checkpoints", "*.db", "*.sqlite"
    )
    for name in ("alembic.ini", "main.py"):
        if (root / name).exists():
            shutil.copy2(root / name, destination / name)
    for name in ("migrations", "notebooks", "solutions", "products", "todo", "migration_tests"):
        if (root / name).is_dir():
            shutil.copytree(root / name, destination / name, ignore=ignore)
    for stray in (destination / "migrations" / "versions").glob("*.py"):
        stray.unlink()
    return destination


@contextlib.contextmanager
def patched_environ(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def scratch_project() -> Iterator[tuple[Path, str]]:
    """A temporary copy of the project and a fresh database: (root, database URL)."""
    with tempfile.TemporaryDirectory(prefix="workshop-") as folder:
        root = copy_project(Path(folder))
        with db.scratch_database("build", folder=root) as url:
            yield root, url.render_as_string(hide_password=False)


def run_notebook(nb: nbformat.NotebookNode, root: Path, url: str) -> None:
    """Run every cell in a kernel whose project is ``root`` and database ``url``, as a lesson."""
    with patched_environ(WORKSHOP_ROOT=str(root), WORKSHOP_DATABASE_URL=url):
        NotebookClient(
            nb,
            timeout=CELL_TIMEOUT,
            kernel_name="python3",
            record_timing=False,
            resources={"metadata": {"path": str(root / "notebooks")}},
        ).execute()


def execute(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run a notebook for real in a scratch project and database; return it with outputs."""
    with scratch_project() as (root, url):
        run_notebook(nb, root, url)
    _sanitize_outputs(nb)
    return nb


# --- the build -----------------------------------------------------------------------------


def extracted_migrations(solved: nbformat.NotebookNode) -> dict[str, str]:
    """Revision files the solved lesson writes: file name -> content (last write wins)."""
    files: dict[str, str] = {}
    for cell in solved.cells:
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        match = WRITEFILE.match(lines[0]) if lines else None
        if match and "migrations/versions/" in match.group(1):
            body = [line for line in lines[1:] if line.strip() not in (BEGIN, END)]
            files[Path(match.group(1)).name] = "\n".join(body) + "\n"
    return files


def source_path(item: Lesson) -> Path:
    return paths.root() / "solutions" / item.notebook


def build_lesson(item: Lesson, *, execute_cells: bool = True) -> list[Path]:
    """Regenerate one lesson's derived files; return the paths written."""
    root = paths.root()
    solved = nbformat.read(source_path(item), as_version=4)
    participant = participant_version(solved)
    written: list[Path] = []
    if execute_cells:
        solved = execute(solved)
        participant = execute(participant)
    else:
        existing = root / "notebooks" / item.notebook
        if existing.exists():
            old = nbformat.read(existing, as_version=4)
            if [c.source for c in old.cells] == [c.source for c in participant.cells]:
                participant = old
    for nb, target in (
        (solved, source_path(item)),
        (participant, root / "notebooks" / item.notebook),
    ):
        nbformat.write(nb, target)
        written.append(target)
    migrations = root / "solutions" / "migrations" / item.id
    shutil.rmtree(migrations, ignore_errors=True)
    files = extracted_migrations(solved)
    if files:
        migrations.mkdir(parents=True)
        for name, content in files.items():
            (migrations / name).write_text(content)
            written.append(migrations / name)
    return written


def build(lesson_ids: list[str] | None = None, *, execute: bool = True) -> None:
    items = [lesson(i) for i in lesson_ids] if lesson_ids else list(LESSONS)
    for item in items:
        print(f"building lesson {item.id} · {item.title} ...", flush=True)
        for path in build_lesson(item, execute_cells=execute):
            print(f"  wrote {paths.relative(str(path))}")
