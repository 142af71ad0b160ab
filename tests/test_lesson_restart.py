"""After a kernel restart, a lesson's first cell keeps the participant's work.

Issue 14: re-running the first cell after a restart reset the lesson (backed up, but every cell
had to be redone). These tests do what a participant does, in a real kernel, on lesson 02's
real cells: run some cells, restart the kernel (as Kernel -> Restart does), run the first cell
again, carry on; and the other cases: Run All after a restart, the first cell run again without
a restart (it starts the lesson over, backing up first, as before), and a restart before any work.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa
from jupyter_client.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from workshop import commands, db
from workshop.lessons import RESTART_ADVICE

from .conftest import REPO

LESSON = REPO / "solutions" / "02-op-create-table.ipynb"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Lesson:
    """A solved lesson's cells (02's by default) in one kernel, run one at a time by index."""

    def __init__(self, project: Path, notebook: Path = LESSON) -> None:
        self.nb = nbformat.read(notebook, as_version=4)
        for cell in self.nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        self.client = NotebookClient(
            self.nb,
            timeout=120,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(project / "notebooks")}},
        )

    @contextlib.contextmanager
    def kernel(self) -> Iterator[Lesson]:
        with self.client.setup_kernel():
            yield self

    def run(self, *indexes: int, allow_errors: bool = True) -> list[str]:
        """Run cells; what each shows (streams, results, and an error as the notebook shows it)."""
        self.client.allow_errors = allow_errors
        shown = []
        for index in indexes:
            cell = self.nb.cells[index]
            cell.outputs = []
            self.client.execute_cell(cell, index)
            parts = []
            for output in cell.outputs:
                if output["output_type"] == "error":
                    parts.append("\n".join(output["traceback"]))
                else:
                    parts.append(
                        output.get("text", "") + output.get("data", {}).get("text/plain", "")
                    )
            shown.append(ANSI.sub("", "".join(parts)))
        return shown

    def restart(self) -> None:
        """Kernel -> Restart Kernel: a new kernel process, the same notebook."""
        run_sync(self.client.km.restart_kernel)(now=True)
        run_sync(self.client.kc.wait_for_ready)(timeout=60)


FIRST = 1
UP_TO_ADA = (3, 5, 7, 9, 11)  # revision 0001 written and applied, then a row inserted by hand


def backups(project: Path) -> list[Path]:
    folder = project / ".workshop" / "backups"
    return sorted(folder.iterdir()) if folder.exists() else []


def ada() -> list[tuple]:
    db.dispose_engines()
    with db.engine().connect() as conn:
        return conn.execute(sa.text("SELECT name FROM account")).all()


@pytest.mark.slow
def test_after_a_restart_the_first_cell_keeps_the_work_and_the_lesson_carries_on(
    project: Path,
) -> None:
    lesson = Lesson(project)
    versions = project / "migrations" / "versions"
    with lesson.kernel():
        (started,) = lesson.run(FIRST)
        assert started.rstrip().endswith(RESTART_ADVICE), started
        lesson.run(*UP_TO_ADA)
        mine = (versions / "0001_create_account_table.py").read_bytes()

        lesson.restart()
        (kept,) = lesson.run(FIRST)

        assert kept.startswith(
            "⏸ Lesson 02: your work on it is still here, so this cell kept it instead of "
            "starting the lesson over."
        ), kept
        assert "migrations/versions/: 0001_create_account_table.py" in kept
        assert (
            "Database: PostgreSQL, at 0001 (the lesson started at an empty database); tables: "
            "account." in kept
        )
        assert 'wk.start_lesson("02", reset=True)' in kept
        assert "Traceback" not in kept and len(kept.splitlines()) == 6, kept
        # Nothing was reset or backed up: the file, the revision and the row are all there.
        assert (versions / "0001_create_account_table.py").read_bytes() == mine
        assert commands.current_revisions() == ("0001",)
        assert ada() == [("Ada",)]
        assert backups(project) == []

        # The kernel works again (wk, %sql, !alembic): the lesson's next cells give their outputs.
        downgraded, tables, upgraded = lesson.run(13, 14, 16)
        assert "Running downgrade 0001 -> , create account table" in downgraded
        assert "[('alembic_version',)]" in tables
        assert upgraded.strip() == "Running upgrade  -> 0001, create account table"


@pytest.mark.slow
def test_run_all_after_a_restart_stops_at_the_first_cell_and_changes_nothing(
    project: Path,
) -> None:
    lesson = Lesson(project)
    with lesson.kernel():
        lesson.run(FIRST, *UP_TO_ADA)
        before = sorted(p.name for p in (project / "migrations" / "versions").iterdir())
        lesson.restart()
        with pytest.raises(CellExecutionError, match="your work on it is still here"):
            lesson.run(FIRST, *UP_TO_ADA, allow_errors=False)  # Run All: stops at the error
    assert sorted(p.name for p in (project / "migrations" / "versions").iterdir()) == before
    assert ada() == [("Ada",)], "cell 11 did not run again (it would insert a second Ada)"


@pytest.mark.slow
def test_without_a_restart_the_first_cell_starts_over_backing_up_first(project: Path) -> None:
    lesson = Lesson(project)
    with lesson.kernel():
        lesson.run(FIRST, *UP_TO_ADA)
        (again,) = lesson.run(FIRST)
    assert "was saved in .workshop/backups/" in again and "nothing is lost" in again
    assert again.rstrip().endswith(RESTART_ADVICE)
    (backup,) = backups(project)
    assert (backup / "versions" / "0001_create_account_table.py").is_file()
    assert "'Ada'" in (backup / "database.sql").read_text()
    assert commands.current_revisions() == ()


@pytest.mark.slow
def test_after_a_restart_an_untouched_lesson_starts_as_usual(project: Path) -> None:
    """Nothing done since the first cell: the restart changes nothing, and no backup is made
    (lesson 05 starts with tables, which a reset would back up each time)."""
    lesson = Lesson(project, REPO / "solutions" / "05-branches-and-merges.ipynb")
    with lesson.kernel():
        (first,) = lesson.run(FIRST)
        lesson.restart()
        (second,) = lesson.run(FIRST)
    assert "Lesson 05" in first and second == first
    assert backups(project) == []


@pytest.mark.slow
def test_after_another_lesson_was_started_the_first_cell_resets_as_before(project: Path) -> None:
    """The work kept is the work on this lesson: another lesson's state is backed up and reset."""
    lesson = Lesson(project)
    with lesson.kernel():
        lesson.run(FIRST, *UP_TO_ADA)
    with Lesson(project).kernel() as other:
        other.nb.cells[FIRST].source = 'import workshop as wk\nwk.start_lesson("01")'
        (started_01,) = other.run(FIRST)
    assert "Lesson 01" in started_01 and "was saved in" in started_01
    with lesson.kernel():  # a new kernel for lesson 02: lesson 01 was started in between
        (started_02,) = lesson.run(FIRST)
    assert "Lesson 02" in started_02 and "kept" not in started_02
    assert commands.current_revisions() == ()


@pytest.mark.parametrize(
    ("lesson_id", "change"),
    [
        ("00", "CREATE TABLE hello (message VARCHAR(50))"),  # lesson 00's work is %sql only
        ("05", "UPDATE users SET username = username || '!'"),  # a changed row, same count
        ("05", "CREATE VIEW v AS SELECT 1 AS one"),
        ("09", "CREATE TABLE notes (x INTEGER)"),  # lesson 09 runs on its own SQLite file
    ],
)
def test_any_change_to_the_database_counts_as_work(
    project: Path, lesson_id: str, change: str
) -> None:
    from workshop import lessons

    item = lessons.lesson(lesson_id)
    lessons.reset_to(lesson_id)
    if lesson_id == "05":
        with db.engine().begin() as conn:
            conn.exec_driver_sql("INSERT INTO users (username, email) VALUES ('ada', 'a@x.org')")
        lessons._record_start(item)  # as if the lesson had started with that row
    assert lessons._own_work(item) is False, "untouched"
    with db.engine().begin() as conn:
        conn.exec_driver_sql(change)
    assert lessons._own_work(item) is True
    (project / "migrations" / "versions" / "x.py").write_text("")
    assert lessons._own_work(item) is True
