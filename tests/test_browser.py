"""A real browser drives the lab: headless Chromium runs lesson 01 in `workshop lab`'s JupyterLab.

The browser is Debian's ``chromium`` with its ``chromium-driver``, driven by Selenium. When they are
missing, the module installs them with apt-get (CI machines run as root). Only where that is
impossible (not root, no apt-get, the install failed) is the test skipped, with the reason.

The screenshot goes to ``test-artifacts/browser-lesson-01.png``; when the test fails, to
``browser-lesson-01-failed.png``, with the page's console log beside it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from filelock import FileLock

from .conftest import REPO, apt_get_install
from .labserver import TOKEN, poll

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# The lessons mark exercises, hints and key points with emoji; without a colour emoji font the
# screenshot shows empty boxes where a participant's browser shows them.
EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
APT_PACKAGES = ["chromium", "chromium-driver", "fonts-noto-color-emoji"]
# Headless, no sandbox (root), and nothing that calls out: this network is closed, and Chromium's
# background connections would be refused.
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,2400",  # tall, so that the screenshot shows many cells with their outputs
]

ARTIFACTS = REPO / "test-artifacts"
SCREENSHOT = ARTIFACTS / "browser-lesson-01.png"
FAILED_SCREENSHOT = ARTIFACTS / "browser-lesson-01-failed.png"
FAILED_CONSOLE = ARTIFACTS / "browser-lesson-01-failed-console.txt"  # the page's console log

LESSON = "01-your-first-revision.ipynb"
# What running lesson 01 prints, in cell order: wk.upgrade("head"), !alembic current, and the
# check cell of the exercise, which the participant version leaves unsolved.
EXPECTED = [
    "Running upgrade 0001 -> 0002, add account description",
    "transactional DDL.\n0002 (head)",  # the end of `alembic current`, not "Rev: 0002 (head)"
    "Exercise 01.1 is not done yet",
]


@pytest.fixture(scope="module")
def chromium() -> None:
    """Debian's chromium, chromedriver and emoji font, installed now if missing; skip only if
    impossible."""

    def missing() -> list[str]:
        return [str(path) for path in (CHROMIUM, CHROMEDRIVER, EMOJI_FONT) if not path.exists()]

    if not missing():
        return
    # Parallel workers (pytest-xdist) must not run apt-get at the same time.
    with FileLock(Path(tempfile.gettempdir()) / "workshop-chromium-install.lock"):
        if missing():
            why_not = apt_get_install(*APT_PACKAGES)
            if why_not is None and missing():
                why_not = f"apt-get installed {APT_PACKAGES} but {missing()} still do not exist"
            if why_not is not None:
                reason = (
                    f"headless Chromium is missing ({', '.join(missing())}) and could not be "
                    f"installed: {why_not}. Install it: apt-get install {' '.join(APT_PACKAGES)}"
                )
                print(f"test_browser: SKIPPED: {reason}")
                pytest.skip(reason)


def without_outputs(notebook: Path) -> None:
    """Clear the stored outputs, so that every output on the page comes from this run."""
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, notebook)


@pytest.fixture
def browser(chromium: None, tmp_path: Path) -> Iterator[object]:
    """Headless Chromium through chromedriver, with a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_AVOID_STATS", "true")  # Selenium Manager must not call out
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # kept for failures
    service = Service(str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


# The text of every cell output on the page, one output after another.
OUTPUTS_JS = """
return Array.from(document.querySelectorAll('.jp-Notebook .jp-OutputArea-output'))
    .map((output) => output.textContent).join('\\n');
"""


def accept_dialogs(driver) -> None:
    """Accept any dialog, e.g. "Select Kernel" (it proposes the notebook's own kernel)."""
    from selenium.webdriver.common.by import By

    for button in driver.find_elements(
        By.CSS_SELECTOR, ".jp-Dialog .jp-Dialog-button.jp-mod-accept"
    ):
        if button.is_displayed():
            button.click()


def kernel_idle(driver) -> bool:
    accept_dialogs(driver)
    return bool(
        driver.execute_script(
            "const el = document.querySelector('.jp-Notebook-ExecutionIndicator');"
            "return el !== null && el.dataset.status === 'idle';"
        )
    )


PROMPTS_JS = """
return Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt'))
    .map((prompt) => prompt.textContent.trim());
"""


def run_all_cells(driver, attempts: int = 3) -> None:
    """Run → Run All Cells, through the menu bar, as a participant would.

    Under load a click can land while the menu is still being laid out: then the menu closes and
    nothing runs. Running starts visibly ("[*]" prompts, at once in the page), so click again
    only when nothing started; a second Run All after a first one would run the lesson twice.
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    # The main menu's item runs the command "runmenu:run-all" on the current notebook.
    selector = '.lm-Menu-item[data-command="runmenu:run-all"]:not(.lm-mod-disabled)'
    for attempt in range(1, attempts + 1):
        menus = driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item")
        next(item for item in menus if item.text.strip() == "Run").click()
        item = poll(
            lambda: [
                i for i in driver.find_elements(By.CSS_SELECTOR, selector) if i.is_displayed()
            ],
            30,
            'the Run menu has no enabled "Run All Cells"',
        )[0]
        assert item.text.startswith("Run All Cells"), item.text
        time.sleep(0.5)  # let the menu settle where it opened
        item.click()
        try:
            poll(
                lambda: any(p != "[ ]:" for p in driver.execute_script(PROMPTS_JS)),
                10,
                "Run All Cells started nothing",
            )
            return
        except AssertionError:
            if attempt == attempts:
                raise
            driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)  # a menu left open


@pytest.mark.slow
def test_lesson_01_runs_in_a_real_browser(project: Path, lab: str, browser) -> None:
    from selenium.webdriver.common.by import By

    driver = browser
    ARTIFACTS.mkdir(exist_ok=True)
    for stale in (SCREENSHOT, FAILED_SCREENSHOT, FAILED_CONSOLE):
        stale.unlink(missing_ok=True)
    # The lab reads the notebook when the browser opens it: from the scratch copy, without outputs.
    without_outputs(project / "notebooks" / LESSON)
    try:
        driver.get(f"{lab}/lab/tree/notebooks/{LESSON}?token={TOKEN}")
        poll(
            lambda: driver.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel .jp-Cell"),
            120,
            f"JupyterLab did not show the cells of {LESSON}",
        )
        poll(lambda: kernel_idle(driver), 120, "the notebook's kernel did not become idle")
        assert driver.execute_script(OUTPUTS_JS).strip() == "", "outputs before running"
        before = driver.execute_script(PROMPTS_JS)
        assert before and all(p == "[ ]:" for p in before), f"prompts before running: {before}"

        run_all_cells(driver)

        def all_expected_shown() -> bool:
            accept_dialogs(driver)
            shown = driver.execute_script(OUTPUTS_JS)
            return all(text in shown for text in EXPECTED)

        try:
            poll(all_expected_shown, 120, "lesson 01's outputs did not all appear")
        except AssertionError as error:
            shown = driver.execute_script(OUTPUTS_JS)
            raise AssertionError(
                f"{error}\nmissing: {[t for t in EXPECTED if t not in shown]}\n"
                f"outputs on the page:\n{shown}"
            ) from None

        shown = driver.execute_script(OUTPUTS_JS)
        for text in EXPECTED:
            assert text in shown
        # Outputs of this run, in this scratch project: the real path, not the stored "<project>".
        assert f"{project}/migrations/versions/0001_create_account_table.py" in shown
        assert "<project>" not in shown
        prompts = driver.execute_script(PROMPTS_JS)
        assert prompts and all(p.startswith("[") and p[1:-2].isdigit() for p in prompts), prompts

        # Show the migrations and their outputs: the cell that ran the upgrade, centred.
        driver.execute_script(
            "const outputs = Array.from(document.querySelectorAll('.jp-OutputArea-output'));"
            "const target = outputs.find((o) => o.textContent.includes(arguments[0]));"
            "target.scrollIntoView({block: 'center'});",
            "Running upgrade 0001 -> 0002",
        )
        time.sleep(1)  # let off-screen cells render after the scroll
        assert driver.save_screenshot(str(SCREENSHOT)), "could not save the screenshot"
    except BaseException:
        with contextlib.suppress(Exception):  # a dead browser must not hide the real failure
            driver.save_screenshot(str(FAILED_SCREENSHOT))
            console = "\n".join(str(entry) for entry in driver.get_log("browser"))
            FAILED_CONSOLE.write_text(console + "\n")
        raise
