"""Lessons and their starting points.

Every lesson can be started on its own: its first cell calls :func:`start_lesson`, which brings
``migrations/versions/`` and the database to the state the lesson expects. Whatever of the
participant's is in the way is copied to a timestamped folder under ``.workshop/backups/`` first,
and the cell says where it went.
"""

from __future__ import annotations

import filecmp
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from workshop import commands, db, paths
from workshop.errors import WorkshopError


@dataclass(frozen=True)
class Lesson:
    """One notebook of the course.

    ``start_files`` are reference revision files, as ``"<folder>/<file>"`` under
    ``solutions/migrations/``, that the lesson starts with; ``start_revision`` is what the
    database is upgraded to after they are in place (``None``: an empty database).
    """

    id: str
    title: str
    notebook: str
    minutes: int
    start_files: tuple[str, ...] = ()
    start_revision: str | None = None


LESSONS: tuple[Lesson, ...] = (
    Lesson("00", "Welcome and setup", "00-welcome-and-setup.ipynb", 15),
    Lesson("01", "Your first revision", "01-your-first-revision.ipynb", 25),
    Lesson("02", "op.create_table", "02-op-create-table.ipynb", 30),
)


def lesson(lesson_id: str) -> Lesson:
    for candidate in LESSONS:
        if candidate.id == lesson_id:
            return candidate
    known = ", ".join(item.id for item in LESSONS)
    raise WorkshopError(f"There is no lesson {lesson_id!r}.", fix=f"Pick one of: {known}.")


def solutions_dir() -> Path:
    return paths.root() / "solutions"


# --- migration files -----------------------------------------------------------------------


def _wanted_files(item: Lesson) -> dict[str, Path]:
    """File name in versions/ -> reference file it must equal."""
    wanted: dict[str, Path] = {}
    for entry in item.start_files:
        source = solutions_dir() / "migrations" / entry
        if not source.is_file():
            raise WorkshopError(
                f"The starting file {entry} of lesson {item.id} is missing from solutions/.",
                fix="Restore it with `git checkout -- solutions/`.",
            )
        wanted[source.name] = source
    return wanted


def _participant_files() -> list[Path]:
    versions = paths.versions_dir()
    return sorted(p for p in versions.iterdir() if p.is_file() and p.name != ".gitkeep")


def backup(files: list[Path], label: str) -> Path:
    """Copy ``files`` to ``.workshop/backups/<timestamp>-<label>/`` (byte for byte)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = paths.state_dir() / "backups" / f"{stamp}-{label}"
    suffix = 1
    while target.exists():
        suffix += 1
        target = target.with_name(f"{stamp}-{label}-{suffix}")
    (target / "versions").mkdir(parents=True)
    for file in files:
        shutil.copy2(file, target / "versions" / file.name)
    return target


def sync_versions(item: Lesson) -> Path | None:
    """Make versions/ hold exactly the lesson's starting files; back up anything else first.

    Returns the backup folder, or ``None`` when nothing of the participant's had to move.
    """
    versions = paths.versions_dir()
    versions.mkdir(parents=True, exist_ok=True)
    wanted = _wanted_files(item)
    in_the_way = [
        file
        for file in _participant_files()
        if file.name not in wanted or not filecmp.cmp(file, wanted[file.name], shallow=False)
    ]
    saved = backup(in_the_way, f"lesson-{item.id}") if in_the_way else None
    for file in in_the_way:
        file.unlink()
    for name, source in wanted.items():
        if not (versions / name).exists():
            shutil.copy2(source, versions / name)
    shutil.rmtree(versions / "__pycache__", ignore_errors=True)
    return saved


# --- the database --------------------------------------------------------------------------


def empty_database(engine: sa.Engine | None = None) -> None:
    """Remove every table (and, on PostgreSQL, every type and sequence) from the database."""
    engine = engine or db.engine()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
            return
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        for name in sa.inspect(conn).get_table_names():
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def reset_database(item: Lesson) -> None:
    """Empty the database and upgrade it to the lesson's starting revision."""
    empty_database()
    if item.start_revision is not None:
        commands.run(command.upgrade, item.start_revision, quiet=True)


# --- the lesson's first cell ---------------------------------------------------------------


def start_lesson(lesson_id: str) -> None:
    """Bring files and database to the lesson's starting point, and say what happened."""
    from workshop import ipython

    item = lesson(lesson_id)
    ipython.prepare()
    saved = sync_versions(item)
    reset_database(item)
    ipython.connect_sql()
    print(f"Lesson {item.id} · {item.title} (about {item.minutes} min)")
    print(f"Database: {db.describe()}, ready at the lesson's starting point.")
    files = [p.name for p in _participant_files()]
    listing = ", ".join(files) if files else "no revision files yet"
    print(f"migrations/versions/: {listing}")
    if saved is not None:
        print(
            f"Your earlier files were copied to {paths.relative(str(saved))}/ "
            "before the folder was reset: nothing is lost."
        )
