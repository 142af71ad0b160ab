"""One submission graded in the sandbox: two folders, one database, nbval with the grading kernel.

Two folders per submission, side by side in the batch's private work folder:

- the **work folder** (``work``): a copy of the project with only what the lessons need (no
  ``solutions/``, no answer key, no ``workshop/`` sources: the kit's code is mounted read-only).
  It is the only place the sandbox may write, besides its private ``/tmp`` and home;
- the **trusted folder** (``trusted``, mode 0700): the graded notebooks, the grading kernel's
  settings (with the database passwords), its kernel spec, and nbval's JUnit file. No sandbox
  ever sees it, so nothing read back from it can come from participant code.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import sqlalchemy as sa

from workshop import build, paths
from workshop.grading import kernel, verdicts

KERNEL_NAME = "workshop-grader"
PROJECT_FILES = ("alembic.ini", "main.py")
PROJECT_FOLDERS = ("migrations", "products", "todo", "migration_tests")
CHECK_CALL = re.compile(r'check_exercise\(\s*["\'](\d\d\.\d+)["\']\s*\)')
ANSI = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*m")  # JUnit XML spells ESC as #x1B
START_CALL = re.compile(r'start_lesson\(\s*["\'](\d\d)["\']\s*\)')
MARKER_KEY = "workshop_grader"  # cell metadata: [kind, argument] of a marker cell


def work_folder(destination: Path) -> Path:
    """The project as the sandbox gets it: lesson files only, never the key."""
    root = paths.root()
    destination.mkdir(parents=True)
    ignore = shutil.ignore_patterns(
        ".workshop", ".venv", "__pycache__", ".ipynb_checkpoints", "*.db", "*.sqlite"
    )
    for name in PROJECT_FILES:
        if (root / name).is_file():
            shutil.copy2(root / name, destination / name)
    for name in PROJECT_FOLDERS:
        if (root / name).is_dir():
            shutil.copytree(root / name, destination / name, ignore=ignore)
    versions = destination / "migrations" / "versions"
    for stray in versions.glob("*.py"):
        stray.unlink()
    (destination / "notebooks").mkdir()
    (destination / ".workshop").mkdir()
    return destination


def mark_cells(notebook: nbformat.NotebookNode, token: str) -> None:
    """Turn the cells a trusted builder marked into markers only the grading kernel answers.

    Only cells whose *metadata* says so (set by :func:`capture_notebook` or the runner, never
    copied from a submission) become markers; a participant's cell that looks like one stays
    an ordinary cell.
    """
    for cell in notebook.cells:
        marker = cell.metadata.get(MARKER_KEY) if cell.cell_type == "code" else None
        if marker:
            kind, argument = marker
            cell.source = f"#workshop-grader {token} {kind} {argument}"


def marker_cell(kind: str, argument: str, outputs: list | None = None) -> nbformat.NotebookNode:
    """A cell the grading kernel answers itself; only check cells' outputs are compared."""
    cell = nbformat.v4.new_code_cell("", metadata={MARKER_KEY: [kind, argument]})
    if kind == kernel.CHECK:
        cell.outputs = outputs or []
        cell.execution_count = 1  # nbval skips a cell that looks never run
    else:
        cell.metadata["tags"] = ["nbval-ignore-output"]
    return cell


def capture_notebook(key: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The answer key, marked to save each exercise's starting state (see ``states``).

    Its start cell and check cells are answered by trusted code, as when grading, so the key's
    own checks must pass for the capture to count; a save cell goes before the first exercise
    cell of each exercise. Only the checks' outputs are compared.
    """
    marked = nbformat.from_dict(key)
    cells = []
    group_open = False
    for cell in marked.cells:
        if cell.cell_type != "code":
            cells.append(cell)
            continue
        tags = cell.metadata.setdefault("tags", [])
        check = CHECK_CALL.search(cell.source) if "check" in tags else None
        start = START_CALL.search(cell.source)
        if check:
            cell.metadata[MARKER_KEY] = [kernel.CHECK, check.group(1)]
            group_open = False
        else:
            if "nbval-ignore-output" not in tags:
                tags.append("nbval-ignore-output")
            if start:
                cell.metadata[MARKER_KEY] = [kernel.START, start.group(1)]
            if "exercise" in tags and not group_open:
                following = _next_check(marked.cells, cell)
                if following is not None:
                    cells.append(marker_cell(kernel.SAVE, following))
                    group_open = True
        cells.append(cell)
    marked.cells = cells
    return marked


def _next_check(cells: list, after: nbformat.NotebookNode) -> str | None:
    """The exercise id of the first check cell after ``after``."""
    seen = False
    for cell in cells:
        if cell is after:
            seen = True
        elif seen and cell.cell_type == "code" and "check" in cell.metadata.get("tags", []):
            match = CHECK_CALL.search(cell.source)
            if match:
                return match.group(1)
    return None


def install_kernel_spec(trusted: Path) -> Path:
    """A private Jupyter data folder that holds only the grading kernel's spec."""
    data = trusted / "jupyter"
    spec = data / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps(kernel.kernel_spec()), encoding="utf-8")
    return data


def sandbox_options(work: Path, home: Path, socket_dir: Path | None, sandboxed: bool) -> dict:
    """How each sandbox of this submission is made (kept as JSON for the grading kernel)."""
    kit_code = Path(__file__).resolve().parent.parent  # the installed workshop package
    return {
        "sandboxed": sandboxed,
        "workdir": str(work),
        "home": str(home),
        "sockets": str(socket_dir) if socket_dir else None,
        "readonly": [str(kit_code)],
    }


def run(
    notebooks: dict[str, nbformat.NotebookNode],
    folder: Path,
    *,
    database_url: sa.URL,
    admin_url: sa.URL,
    socket_dir: Path | None,
    timeout: int,
    states: Path,
    sandboxed: bool = True,
) -> dict[str, dict[int, tuple[str, str]]]:
    """Run the graded notebooks (by file name) under nbval: each cell's outcome, by notebook.

    ``states`` is where the exercises' starting states are read from (restore cells), or
    written to when the notebooks are the key's capture notebooks (save cells).
    """
    folder.mkdir(exist_ok=True)
    trusted = folder / "trusted"
    trusted.mkdir(mode=0o700)
    work = work_folder(folder / "work")
    home = folder / "home"
    home.mkdir()
    options = sandbox_options(work, home, socket_dir, sandboxed)
    box = verdicts.make_sandbox(options)
    options["uid"] = box.uid  # every sandbox of this submission runs as the same user
    box.prepare(work, home)
    token = secrets.token_hex(16)
    (trusted / "notebooks").mkdir()
    for name, notebook in notebooks.items():
        mark_cells(notebook, token)
        nbformat.write(notebook, trusted / "notebooks" / name)
    settings = verdicts.Settings(
        token=token,
        cell_timeout=timeout,
        root=work,
        kit=paths.root(),
        database_url=database_url.render_as_string(hide_password=False),
        admin_url=admin_url.render_as_string(hide_password=False),
        sandbox=options,
        states=states,
        scratch=trusted / "scratch",
    )
    settings.scratch.mkdir(mode=0o700)
    config = trusted / "grader.json"
    verdicts.write_config(config, settings)
    junit = trusted / "nbval.xml"
    env = dict(
        os.environ,
        JUPYTER_PATH=str(install_kernel_spec(trusted)),
        JUPYTER_DATA_DIR=str(trusted / "jupyter"),
        JUPYTER_RUNTIME_DIR=str(trusted / "runtime"),
        **{kernel.CONFIG_ENV: str(config)},
    )
    env.pop("WORKSHOP_DATABASE_URL", None)
    cells = sum(len([c for c in nb.cells if c.cell_type == "code"]) for nb in notebooks.values())
    with open(trusted / "nbval.log", "w") as log:
        try:
            subprocess.run(
                [sys.executable, "-m", "pytest", "-p", "workshop.nbval_plugin", "--nbval",
                 "-p", "no:cacheprovider", "-p", "no:randomly",
                 "--nbval-sanitize-with", str(build.SANITIZE_CFG),
                 "--nbval-kernel-name", KERNEL_NAME,
                 f"--nbval-cell-timeout={timeout + 30}", f"--junitxml={junit}", "-q",
                 "--rootdir", str(trusted),
                 *[str(trusted / "notebooks" / name) for name in notebooks]],
                cwd=trusted, env=env, stdout=log, stderr=subprocess.STDOUT,
                timeout=(timeout + 30) * cells + 120,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            pass  # whatever ran is in the JUnit file; the rest is recorded as not run
    return cell_outcomes(junit, list(notebooks)) if junit.exists() else {}


def cell_outcomes(junit: Path, names: list[str]) -> dict[str, dict[int, tuple[str, str]]]:
    """nbval's verdict on each cell, by notebook name and code-cell index."""
    found: dict[str, dict[int, tuple[str, str]]] = {}
    for testcase in ET.parse(junit).iter("testcase"):
        index = _cell_index(testcase)
        classname = testcase.get("classname", "")
        for name in names:
            if index is not None and classname.endswith(name):
                found.setdefault(name, {})[index] = _outcome(testcase)
    return found


def _cell_index(testcase: ET.Element) -> int | None:
    match = re.search(r"Cell (\d+)", testcase.get("name", ""))
    return int(match.group(1)) if match else None


def _outcome(testcase: ET.Element) -> tuple[str, str]:
    """(passed | failure | error | skipped, message) for one nbval cell."""
    for tag in ("failure", "error"):
        node = testcase.find(tag)
        if node is not None:
            return tag, ANSI.sub("", node.text or node.get("message") or "")
    if testcase.find("skipped") is not None:
        return "skipped", ""
    return "passed", ""
