"""Exercise 06.1: the check passes on the reference revision 0006 and fails, with a hint, on
realistic wrong ones (autogenerate's drop plus add kept, a downgrade that loses data...)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa

from workshop import commands, db

from .conftest import REPO
from .exercise_support import edited, verdict

MIGRATIONS = REPO / "solutions" / "migrations"
LESSON = REPO / "solutions" / "06-autogenerate.ipynb"


def final_models() -> str:
    """The models the exercise starts from: the lesson's cell that writes them."""
    nb = nbformat.read(LESSON, as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == "06-models-final")
    first, _, rest = cell.source.partition("\n")
    assert first == "%%writefile todo/models.py"
    return rest


def install(project: Path, *, with_0006: bool = True, **replacements: str) -> None:
    """Revisions 0001-0005 (and 0006) of the lesson, its final models, the database at 0005."""
    versions = project / "migrations" / "versions"
    for file in sorted((MIGRATIONS / "03").glob("000[12]_*.py")):
        (versions / file.name).write_text(file.read_text())
    for file in sorted((MIGRATIONS / "06").glob("*.py")):
        text = file.read_text()
        if file.name.startswith("0006"):
            if not with_0006:
                continue
            text = edited(file, **replacements)
        (versions / file.name).write_text(text)
    (project / "todo" / "models.py").write_text(final_models())
    commands.run(commands.command.upgrade, "0005", quiet=True)


def check_rows() -> int:
    with db.engine().connect() as conn:
        return conn.execute(
            sa.text("SELECT count(*) FROM users WHERE email = 'check-06@example.org'")
        ).scalar()


def test_the_reference_solution_passes(project: Path) -> None:
    install(project)
    result = verdict("06.1")
    assert result.passed, result
    assert commands.current_revisions() == ("0006",)
    assert check_rows() == 0, "the check must remove its own rows"


def test_it_also_passes_when_the_participant_upgraded_first(project: Path) -> None:
    install(project)
    commands.run(commands.command.upgrade, "head", quiet=True)
    assert verdict("06.1").passed
    assert verdict("06.1").passed, "running the check twice must work too"


DRAFT_UPGRADE = (
    'op.add_column("todos", sa.Column("due_date", sa.Date(), nullable=True))\n'
    '    op.add_column("todos", sa.Column("notes", sa.String(length=500), nullable=True))\n'
    '    op.drop_column("todos", "description")'
)
DRAFT_DOWNGRADE = (
    'op.add_column("todos", sa.Column("description", sa.VARCHAR(length=500), nullable=True))\n'
    '    op.drop_column("todos", "due_date")\n'
    '    op.drop_column("todos", "notes")'
)
UPGRADE = (
    'op.add_column("todos", sa.Column("due_date", sa.Date(), nullable=True))\n'
    '    op.alter_column("todos", "description", new_column_name="notes")'
)
DOWNGRADE = (
    'op.alter_column("todos", "notes", new_column_name="description")\n'
    '    op.drop_column("todos", "due_date")'
)
STUB = "def upgrade() -> None:\n    raise NotImplementedError()\n"


@pytest.mark.parametrize(
    "replacements,says",
    [
        ({UPGRADE: DRAFT_UPGRADE, DOWNGRADE: DRAFT_DOWNGRADE}, "the to-do's text was lost"),
        ({DOWNGRADE: DRAFT_DOWNGRADE}, "the downgrade lost the notes"),
        ({DOWNGRADE: "pass"}, "the column is not called description again"),
        (
            {DOWNGRADE: 'op.alter_column("todos", "notes", new_column_name="description")'},
            "still has due_date",
        ),
        ({"sa.Date()": "sa.DateTime()"}, "expected Date"),
        (
            {'op.alter_column("todos", "description", new_column_name="notes")': "pass"},
            "no notes column",
        ),
        (
            {UPGRADE: 'op.alter_column("todos", "description", new_column_name="notes")'},
            "no due_date column",
        ),
        ({"sa.Date(), nullable=True": "sa.Date(), nullable=True, unique=True"}, "todos table"),
        (
            {"def upgrade() -> None:\n": STUB},
            "still raises NotImplementedError",
        ),
    ],
    ids=[
        "draft-as-is",
        "draft-downgrade",
        "downgrade-pass",
        "downgrade-keeps-due-date",
        "wrong-type",
        "no-rename",
        "no-due-date",
        "models-differ",
        "not-implemented",
    ],
)
def test_wrong_answers_fail_with_a_hint(project: Path, replacements: dict, says: str) -> None:
    install(project, **replacements)
    result = verdict("06.1")
    assert not result.passed
    assert says in result.message, result
    assert result.hint
    assert check_rows() == 0, "the check must remove its own rows, even when it fails"


def test_without_the_revision_file(project: Path) -> None:
    install(project, with_0006=False)
    result = verdict("06.1")
    assert not result.passed and "no revision 0006" in result.message
    assert "--autogenerate" in result.hint


def test_autogenerate_warnings_are_plain_lines_without_paths(project: Path, capsys) -> None:
    """The kit prints what autogenerate warns about (here: an unnamed constraint) as one plain
    line: Python's own display would start with the absolute path of Alembic's source file."""
    versions = project / "migrations" / "versions"
    for file in sorted((MIGRATIONS / "03").glob("000[12]_*.py")):
        (versions / file.name).write_text(file.read_text())
    (project / "todo" / "models.py").write_text(
        (REPO / "solutions" / "app" / "06" / "todo" / "models.py")
        .read_text()
        .replace("mapped_column(sa.String(20))", "mapped_column(sa.String(20), unique=True)")
    )
    commands.upgrade("head")
    capsys.readouterr()
    commands.revision("phone numbers are unique", rev_id="0003", autogenerate=True)
    out = capsys.readouterr()
    assert "⚠️ UserWarning: Autogenerate rendered a drop_constraint()" in out.out
    assert "site-packages" not in out.out + out.err
