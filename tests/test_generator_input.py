"""The generator never waits for an answer that cannot come, and takes product types as written.

Issue 14: in lesson 14, a typo in a model field (``emial``) plus ``--inputs`` left the cell on
``[emial] Resource type description:``, waiting on a pty that nobody can type into, until Kernel ->
Interrupt. These tests run the generator as a lesson cell runs it (``!`` in a real kernel, with a
cell timeout that the old code ran into), as ``subprocess.run`` from a cell, and in a real
terminal, where it must still ask.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import nbformat
import pexpect
import pytest
from nbclient import NotebookClient

from workshop.orchestrator import domain_models

from .conftest import BIN
from .products_support import WORKSHOP_ANSWERS, version_files, with_workshop_products

GENERATOR = "PYTHONPATH=. python main.py db migrate-domain-models"
USER_BLOCK = "products/product_blocks/user.py"
EMAIL_ANSWER = json.dumps({"email": {"description": "email address of the user"}})
CELL_TIMEOUT = 60  # the old code waits for ever: nbclient ends the cell here, and the test fails


def with_a_typo(root: Path) -> None:
    """Exercise 14.1 with the field misspelled: ``emial`` is a new resource type to the models."""
    block = root / USER_BLOCK
    text = block.read_text()
    assert "    group: UserGroupBlock\n" in text
    block.write_text(
        text.replace(
            "    group: UserGroupBlock\n",
            "    group: UserGroupBlock\n    emial: str | None = None\n",
        )
    )


def run_in_kernel(root: Path, *sources: str) -> list[tuple[str, float]]:
    """Run cells in a real kernel at root/notebooks, as a lesson does: (text, seconds) per cell."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(root / "notebooks")}},
    )
    timings: list[float] = []
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            started = time.monotonic()
            client.execute_cell(cell, index)
            timings.append(time.monotonic() - started)
    return [
        (
            "".join(
                o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.outputs
            ),
            seconds,
        )
        for cell, seconds in zip(nb.cells, timings, strict=True)
    ]


@pytest.mark.slow
def test_a_typo_in_a_model_with_inputs_fails_at_once_in_a_notebook_cell(project: Path) -> None:
    with_workshop_products(project)
    with_a_typo(project)
    before = version_files(project)

    _, (text, seconds) = run_in_kernel(
        project,
        "import os; os.chdir('..')",
        f"!echo y | {GENERATOR} \"Add email to UserBlock\" --inputs '{EMAIL_ANSWER}' "
        "--rev-id data0002",
    )

    assert seconds < 20, f"the cell took {seconds:.0f} s"
    assert "+ resource type 'emial'" in text
    assert (
        'No answer to "Supply description for new resource type emial:": --inputs has no '
        '"emial" -> "description", and it cannot be asked: its input ended. Nothing was '
        "written." in text
    ), text
    assert 'If "emial" should not be new (a typo in products/?), correct the model' in text
    assert version_files(project) == before
    assert "Traceback" not in text


@pytest.mark.slow
def test_without_inputs_a_notebook_cell_and_a_silent_pipe_fail_at_once(project: Path) -> None:
    """No --inputs at all: a ``!`` cell (a pty) fails at once; ``subprocess.run`` from a cell
    (the kernel's stdin: closed, or a pipe that never speaks) fails in seconds, not never."""
    with_workshop_products(project)
    with_a_typo(project)
    argv = [sys.executable, "main.py", "db", "migrate-domain-models", "Add email", "--rev-id", "x1"]
    code = (
        "import os, subprocess\n"
        f"done = subprocess.run({argv!r}, env=dict(os.environ, PYTHONPATH='.'), "
        "capture_output=True, text=True)\n"
        "print(done.returncode, done.stderr)"
    )
    _, (bang, bang_seconds), (piped, piped_seconds) = run_in_kernel(
        project, "import os; os.chdir('..')", f'!{GENERATOR} "Add email" --rev-id x1', code
    )
    # The first question is orchestrator-core's "Confirm the above actions [y/n]:".
    expected = (
        'No answer to "Confirm the above actions [y/n]:", and it cannot be asked: it runs in a '
        "notebook cell, where nothing can be typed."
    )
    assert expected in bang and bang_seconds < 20, (bang, bang_seconds)
    assert "put `echo y | ` before the command" in bang
    # The kernel's stdin may be closed (then "its input ended") or silent (then the notebook).
    assert piped.startswith("1 ") and 'No answer to "Confirm the above actions [y/n]:' in piped
    assert piped_seconds < domain_models.STDIN_WAIT_SECONDS + 20, piped_seconds
    assert version_files(project)[-1] != "x1_add_email.py"


@pytest.mark.slow
def test_in_a_terminal_it_still_asks_and_takes_the_typed_answer(project: Path) -> None:
    """Outside a kernel, on a terminal, the question is asked and the answer typed is used."""
    with_workshop_products(project)
    with_a_typo(project)
    env = {k: v for k, v in os.environ.items() if k != "JPY_PARENT_PID"}
    env.update(PYTHONPATH=".", PATH=f"{BIN}{os.pathsep}{env['PATH']}")
    child = pexpect.spawn(
        "python",
        ["main.py", "db", "migrate-domain-models", "Add emial", "--rev-id", "data0002"],
        cwd=project,
        env=env,
        encoding="utf-8",
        timeout=60,
    )
    try:
        child.expect_exact("Confirm the above actions [y/n]: ")
        child.sendline("y")
        child.expect_exact("Supply description for new resource type emial: ")
        child.sendline("a misspelt email address")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    written = project / "migrations" / "versions" / "data0002_add_emial.py"
    assert "a misspelt email address" in written.read_text()


def test_the_product_type_is_the_class_name_and_a_different_one_in_inputs_is_said(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As in orchestrator-core 5.5.0, the product type is the model's class name: there is no
    question for it, and ``product_type`` in --inputs is not used. The kit says so when that
    answer differs (issue 14's ``user`` for ``User`` can no longer make a second type)."""
    from .products_support import install_schema

    install_schema(project)
    wrong = json.loads(json.dumps(WORKSHOP_ANSWERS))
    wrong["User internal"]["product_type"] = "user"
    domain_models.migrate_domain_models(
        "Add products", inputs=wrong, rev_id="data0001", confirmed=True
    )
    out = capsys.readouterr().out
    assert (
        "  Note: --inputs gives 'User internal' the product type 'user'; the product type is "
        "the model's class name, 'User', as in orchestrator-core." in out
    )
    assert out.count("Note:") == 1  # the others match their class names
    text = (project / "migrations/versions/data0001_add_products.py").read_text()
    assert "'User internal', 'user administration - internal', 'User', 'USER_INT'" in text
    assert "'user'" not in text
