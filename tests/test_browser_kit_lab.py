"""Issue 14, acceptance 2: the lab that ``./kit start`` starts, under nohup and in a terminal.

A headless Chromium (the machinery of :mod:`tests.test_browser`) drives that lab as a participant
would, in lesson 00, with a first-time browser profile:

* no news pop-up covers the lesson;
* a ``%sql`` quoting mistake (``VALUES ("hello, migrations")``) fails its cell with the kit's short
  explanation above the database's error;
* the kernel is restarted mid-lesson, and the printed advice is followed (run the first cell
  again): the work is kept and the exercise's check passes in the new kernel;
* a terminal (File -> New -> Terminal) runs ``alembic current``.

``./kit start`` is started the two ways that differ for Jupyter: with its output in a file under
``nohup`` (jupyter_server then starts terminals as login shells), and on a terminal (a pty). Its
``PATH`` is a plain one, without the kit's venv, as a participant's shell has it. Screenshots go to
``test-artifacts/browser-kit-lab-<how>-<step>.png``; on failure ``...-failed.png`` and the console.
"""

from __future__ import annotations

import contextlib
import os
import pty
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from workshop.lessons import RESTART_ADVICE

from .conftest import BIN, REPO
from .labserver import TOKEN, free_port, get, poll, tail
from .test_browser import (  # noqa: F401 - fixtures, used by the test below
    ARTIFACTS,
    OUTPUTS_JS,
    accept_dialogs,
    browser,
    chromium,
    kernel_idle,
    run_all_cells,
)

LESSON = "00-welcome-and-setup.ipynb"
MISTAKE = '%sql INSERT INTO hello (message) VALUES ("hello, migrations")'
FIXED = "%sql INSERT INTO hello (message) VALUES ('hello, migrations')\n%sql SELECT * FROM hello"
EXPLANATION = '🛑 "hello, migrations" is in double quotes, so the database reads it as the name of'
KEPT = "⏸ Lesson 00: your work on it is still here, so this cell kept it"
NEWS = "Would you like to get notified about official Jupyter news?"


def with_the_participants_cells(project: Path) -> None:
    """Lesson 00 as the participant has it: the exercise typed in, the quoting mistake in a cell
    of its own and the corrected line after it; no outputs yet."""
    path = project / "notebooks" / LESSON
    nb = nbformat.read(path, as_version=4)
    (exercise,) = [c for c in nb.cells if "exercise" in c.metadata.get("tags", [])]
    exercise.source = "%sql CREATE TABLE hello (message VARCHAR(50))"
    at = nb.cells.index(exercise) + 1
    nb.cells[at:at] = [nbformat.v4.new_code_cell(MISTAKE), nbformat.v4.new_code_cell(FIXED)]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, path)


def plain_path() -> str:
    """PATH without the kit's venv, as in a participant's own shell."""
    return os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if Path(p) != BIN)


@contextlib.contextmanager
def kit_start(project: Path, folder: Path, how: str) -> Iterator[str]:
    """``./kit start`` for the scratch project, under nohup or on a pty; the lab's base URL."""
    port = free_port()
    settings = folder / "jupyterlab"  # a first-time participant: nothing chosen in Settings yet
    terminal = settings / "settings" / "@jupyterlab" / "terminal-extension"
    terminal.mkdir(parents=True)
    # ... but for the terminal's screen-reader mode: xterm draws on a canvas, and this mode keeps
    # the text in the page too, where the test can read it. It changes nothing else.
    (terminal / "plugin.jupyterlab-settings").write_text('{"screenReaderMode": true}')
    (settings / "workspaces").mkdir()
    env = dict(
        os.environ,
        PATH=plain_path(),
        JUPYTERLAB_SETTINGS_DIR=str(settings / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(settings / "workspaces"),
    )
    env.pop("VIRTUAL_ENV", None)
    start = [
        str(REPO / "kit"),
        "start",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--ip=127.0.0.1",
        f"--IdentityProvider.token={TOKEN}",
    ]
    log = folder / "kit-start.log"
    leader = None
    if how == "nohup":
        with log.open("w") as output:
            process = subprocess.Popen(
                ["nohup", *start], cwd=project, stdin=subprocess.DEVNULL, stdout=output,
                stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip
    else:
        leader, follower = pty.openpty()
        process = subprocess.Popen(
            start, cwd=project, stdin=follower, stdout=follower, stderr=follower, env=env,
            start_new_session=True,
        )  # fmt: skip
        os.close(follower)

        def copy() -> None:
            with log.open("wb") as out, contextlib.suppress(OSError):
                while chunk := os.read(leader, 4096):
                    out.write(chunk)
                    out.flush()

        threading.Thread(target=copy, daemon=True).start()
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"./kit start exited:\n{tail(log)}")
        try:
            return get(f"{base}/api/status")[0] == 200
        except OSError:
            return False

    try:
        poll(answers, 180, "the lab of ./kit start did not answer")
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if leader is not None:
            os.close(leader)


# --- driving JupyterLab ------------------------------------------------------------------------


def shown(driver) -> str:
    accept_dialogs(driver)
    return driver.execute_script(OUTPUTS_JS)


def wait_for_output(driver, text: str, what: str, timeout: float = 120) -> None:
    try:
        poll(lambda: text in shown(driver), timeout, what)
    except AssertionError as error:
        raise AssertionError(f"{error}\noutputs on the page:\n{shown(driver)}") from None


def code_cells(driver) -> list:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell")


def cell_output(driver, index: int) -> str:
    """The text code cell ``index`` shows as output (a table as its rendered text)."""
    from selenium.webdriver.common.by import By

    accept_dialogs(driver)
    return code_cells(driver)[index].find_element(By.CSS_SELECTOR, ".jp-OutputArea").text


def run_cell(driver, index: int) -> None:
    """Select code cell ``index`` (by its prompt, as a click beside the cell does) and press
    Shift+Enter."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    cell = code_cells(driver)[index]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", cell)
    cell.find_element(By.CSS_SELECTOR, ".jp-InputPrompt").click()
    ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()


def menu(driver, top: str, command: str, submenu: str | None = None) -> None:
    """Click a main-menu command: ``top`` (e.g. "Kernel"), then the item running ``command``."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    bar = driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item")
    next(item for item in bar if item.text.strip() == top).click()
    if submenu is not None:
        items = poll(
            lambda: [
                i
                for i in driver.find_elements(By.CSS_SELECTOR, ".lm-Menu-item")
                if i.is_displayed() and i.text.strip().startswith(submenu)
            ],
            30,
            f"no {top} -> {submenu} menu",
        )
        ActionChains(driver).move_to_element(items[0]).perform()
    selector = f'.lm-Menu-item[data-command="{command}"]:not(.lm-mod-disabled)'
    item = poll(
        lambda: [i for i in driver.find_elements(By.CSS_SELECTOR, selector) if i.is_displayed()],
        30,
        f"no enabled {command} in the {top} menu",
    )[0]
    time.sleep(0.5)  # let the menu settle where it opened
    item.click()


def restart_kernel(driver) -> None:
    """Kernel -> Restart Kernel..., and "Restart" in the dialog that asks."""
    from selenium.webdriver.common.by import By

    menu(driver, "Kernel", "kernelmenu:restart")
    button = poll(
        lambda: [
            b
            for b in driver.find_elements(By.CSS_SELECTOR, ".jp-Dialog .jp-Dialog-button")
            if b.is_displayed() and b.text.strip() == "Restart"
        ],
        30,
        "no Restart button in the dialog",
    )[0]
    button.click()
    time.sleep(2)  # the indicator goes busy (restarting), then idle again
    poll(lambda: kernel_idle(driver), 120, "the kernel did not come back after the restart")


TERMINAL_TEXT_JS = """
const terminals = Array.from(document.querySelectorAll('.jp-Terminal'))
    .filter((t) => t.offsetParent !== null);
if (terminals.length === 0) { return null; }
const rows = terminals[terminals.length - 1].querySelector('.xterm-accessibility-tree');
return rows === null ? '' : rows.innerText;
"""


def in_a_new_terminal(driver, command: str, until: str) -> str:
    """File -> New -> Terminal, type ``command`` and Enter; the terminal's text once ``until``
    shows in it."""
    from selenium.webdriver.common.by import By

    menu(driver, "File", "terminal:create-new", submenu="New")
    poll(
        lambda: driver.execute_script(TERMINAL_TEXT_JS) not in (None, ""),
        60,
        "the terminal did not open (or shows no text)",
    )
    time.sleep(2)  # the shell's prompt
    typing = [
        box
        for box in driver.find_elements(By.CSS_SELECTOR, ".jp-Terminal .xterm-helper-textarea")
        if box.is_enabled()
    ][-1]
    typing.send_keys(command + "\n")
    try:
        poll(lambda: until in (driver.execute_script(TERMINAL_TEXT_JS) or ""), 60, "no output")
    except AssertionError as error:
        raise AssertionError(f"{error}:\n{driver.execute_script(TERMINAL_TEXT_JS)}") from None
    return driver.execute_script(TERMINAL_TEXT_JS)


def screenshot(driver, name: str, centre_on: str | None = None) -> Path:
    """Save the page, with the output holding ``centre_on`` in the middle of it."""
    if centre_on is not None:
        driver.execute_script(
            "const outputs = Array.from(document.querySelectorAll('.jp-OutputArea-output'));"
            "const target = outputs.find((o) => o.textContent.includes(arguments[0]));"
            "if (target) { target.scrollIntoView({block: 'center'}); }",
            centre_on,
        )
        time.sleep(1)  # let off-screen cells render after the scroll
    path = ARTIFACTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"could not save {path}"
    return path


@pytest.mark.slow
@pytest.mark.parametrize("how", ["nohup", "terminal"])
def test_the_lab_of_kit_start_in_a_real_browser(
    project: Path,
    tmp_path: Path,
    browser,  # noqa: F811 - the fixture imported above
    how: str,
) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    ARTIFACTS.mkdir(exist_ok=True)
    prefix = f"browser-kit-lab-{how}"
    for stale in ARTIFACTS.glob(f"{prefix}-*"):
        stale.unlink()
    with_the_participants_cells(project)
    with kit_start(project, tmp_path, how) as base:
        try:
            driver.get(f"{base}/lab/tree/notebooks/{LESSON}?token={TOKEN}")
            poll(
                lambda: driver.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel .jp-Cell"),
                120,
                f"JupyterLab did not show the cells of {LESSON}",
            )
            poll(lambda: kernel_idle(driver), 120, "the notebook's kernel did not become idle")

            # 1. No news pop-up: JupyterLab shows it a moment after the page is ready.
            time.sleep(5)
            assert NEWS not in driver.execute_script("return document.body.innerText;")
            screenshot(driver, f"{prefix}-1-opened")

            # 2. Run All stops at the quoting mistake, which the kit explains in a few lines.
            run_all_cells(driver)
            wait_for_output(driver, EXPLANATION, "the %sql mistake got no explanation")
            text = shown(driver)
            assert 'column "hello, migrations" does not exist' in text, "the original error"
            assert "Traceback" not in text and "site-packages" not in text
            screenshot(driver, f"{prefix}-2-sql-mistake", centre_on=EXPLANATION)
            fixed = [i for i, c in enumerate(code_cells(driver)) if "VALUES ('hello" in c.text]
            run_cell(driver, fixed[0])
            poll(
                lambda: "hello, migrations" in cell_output(driver, fixed[0]),
                120,
                "the corrected INSERT and its SELECT showed no row",
            )

            # 3. A kernel restart mid-lesson; then the advice printed by the first cell.
            assert RESTART_ADVICE in shown(driver)
            restart_kernel(driver)
            run_cell(driver, 0)
            wait_for_output(driver, KEPT, "the first cell did not keep the work")
            screenshot(driver, f"{prefix}-3-restarted-and-kept", centre_on=KEPT)
            check = [i for i, c in enumerate(code_cells(driver)) if "check_exercise" in c.text]
            run_cell(driver, check[0])
            wait_for_output(driver, "✅ Exercise 00.1 passed", "the check after the restart")
            screenshot(driver, f"{prefix}-4-check-passed", centre_on="✅ Exercise 00.1 passed")

            # 4. A terminal of the lab runs the kit's alembic.
            terminal = in_a_new_terminal(
                driver, "alembic current", until="Will assume transactional DDL."
            )
            assert "command not found" not in terminal, terminal
            screenshot(driver, f"{prefix}-5-terminal")
            assert NEWS not in driver.execute_script("return document.body.innerText;")
        except BaseException:
            with contextlib.suppress(Exception):  # a dead browser must not hide the failure
                driver.save_screenshot(str(ARTIFACTS / f"{prefix}-failed.png"))
                console = "\n".join(str(entry) for entry in driver.get_log("browser"))
                (ARTIFACTS / f"{prefix}-failed-console.txt").write_text(console + "\n")
            raise
