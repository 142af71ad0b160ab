"""`workshop doctor` on the products track (issue 14, item 2): no false alarm after a lesson.

The data branch's first revision depends on the schema head, so a database at data0002 has
applied 544fd845554d without naming it in alembic_version. Doctor used to compare alembic_version
with the heads as sets, reported "the database is at data0002; the files go up to data0002,
544fd845554d" (then called schema0001), advised `alembic upgrade head` (which fails with two
heads) and exited 1.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from alembic import command

from workshop import commands, doctor

from .conftest import REPO
from .products_support import install_lesson_start, with_workshop_products
from .test_checks_14 import do_14_1, do_14_2

LESSON_12 = REPO / "solutions" / "migrations" / "12"


def lesson_12_solved(project: Path, *, upgrade: bool = True) -> None:
    """Lesson 12 done with the reference files: the schema, data0000 (the data head the lesson
    starts with), data0001 and data0002 applied."""
    install_lesson_start(project, "12")
    for file in LESSON_12.glob("*.py"):
        shutil.copy(file, project / "migrations" / "versions")
    if upgrade:
        commands.run(command.upgrade, "heads", quiet=True)


def assert_all_ok(project: Path) -> None:
    """Every finding ✅, and `workshop doctor` in a terminal says so and exits 0."""
    findings = doctor.diagnose()
    assert {finding.level for finding in findings} == {"ok"}, "\n".join(map(str, findings))
    done = subprocess.run(
        [sys.executable, "-m", "workshop.cli", "doctor"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "⚠️" not in done.stdout and "❌" not in done.stdout, done.stdout
    assert "nothing left to apply" in done.stdout, done.stdout


def test_doctor_is_all_ok_after_lesson_12(project: Path) -> None:
    lesson_12_solved(project)
    assert commands.current_revisions() == ("data0002",)
    assert commands.head_revisions() == ("544fd845554d", "data0002")
    assert_all_ok(project)


def test_doctor_is_all_ok_after_lesson_14(project: Path) -> None:
    with_workshop_products(project)
    do_14_1(project)
    do_14_2(project)
    assert commands.current_revisions() == ("data0003",)
    assert_all_ok(project)


def test_behind_on_two_branches_advises_upgrade_heads(project: Path) -> None:
    """Something left to apply with two heads: `upgrade heads`, never `upgrade head`."""
    lesson_12_solved(project, upgrade=False)
    commands.run(command.upgrade, "data0001", quiet=True)
    findings = doctor.diagnose()
    last = findings[-1]
    assert last.level == "warn" and "not applied yet: data0002" in last.text, last
    assert "`alembic upgrade heads`" in last.fix and "`alembic upgrade head`" not in last.fix
    # ... and the advice works: afterwards there is nothing left to apply.
    commands.run(command.upgrade, "heads", quiet=True)
    assert {finding.level for finding in doctor.diagnose()} == {"ok"}
