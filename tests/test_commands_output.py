"""Issue 12: what Alembic prints reaches the participant with every character it had.

A French message, a Chinese name or an emoji must not turn into ``?`` anywhere the kit shows
Alembic's output, nor in the terminal ``alembic`` under the bare C locale.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from workshop import commands

from .conftest import BIN

MESSAGE = "créer table événements 李 🎉"
COMMENT = "événements du calendrier 李 🎉"


def _revision_with_a_comment(project: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Make revision 0001 with MESSAGE, whose upgrade creates a table with COMMENT; its output."""
    commands.revision(MESSAGE, rev_id="0001")
    out = capsys.readouterr().out
    (script,) = (project / "migrations" / "versions").glob("0001_*.py")
    text = script.read_text(encoding="utf-8")
    body = (
        f"    # {COMMENT}\n"
        f"    op.create_table('evenement', sa.Column('id', sa.Integer, primary_key=True),"
        f" comment={COMMENT!r})\n"
    )
    text = text.replace("def upgrade() -> None:\n", "def upgrade() -> None:\n" + body, 1)
    text = text.replace(
        "def downgrade() -> None:\n",
        "def downgrade() -> None:\n    op.drop_table('evenement')\n",
        1,
    )
    script.write_text(text, encoding="utf-8")
    return out


def test_the_kits_verbs_print_non_ascii_text_unchanged(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    generated = _revision_with_a_comment(project, capsys)
    (script,) = (project / "migrations" / "versions").glob("0001_*.py")
    assert f"Generating migrations/versions/{script.name} ...  done" in generated
    assert "é" in script.name and "李" in script.name, script.name

    commands.history()
    assert f"<base> -> 0001 (head), {MESSAGE}" in capsys.readouterr().out

    commands.history(verbose=True)
    verbose = capsys.readouterr().out
    assert f"Path: migrations/versions/{script.name}" in verbose
    assert f"    {MESSAGE}\n" in verbose

    commands.upgrade(sql=True)
    offline = capsys.readouterr().out
    assert f"COMMENT ON TABLE evenement IS '{COMMENT}'" in offline, offline

    commands.upgrade()
    assert f"Running upgrade  -> 0001, {MESSAGE}" in capsys.readouterr().out

    commands.current(verbose=True)
    current = capsys.readouterr().out
    assert "Rev: 0001 (head)" in current and f"    {MESSAGE}\n" in current

    commands.show("0001")
    assert f"    {MESSAGE}\n" in capsys.readouterr().out
    for out in (generated, verbose, offline, current):
        assert "?" not in out.replace("?host=", ""), out


def test_the_terminal_alembic_prints_non_ascii_text_under_the_c_locale(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``LANG=C`` with nothing else set: Python's UTF-8 mode keeps the terminal's text whole."""
    _revision_with_a_comment(project, capsys)
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"PYTHONIOENCODING", "PYTHONUTF8"} and not name.startswith("LC_")
    }
    env.update(LANG="C", LC_ALL="C")
    done = subprocess.run(
        [str(BIN / "alembic"), "history", "--verbose"],
        cwd=project,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode("utf-8")
    assert f"    {MESSAGE}\n" in out, out
    assert "?" not in out, out
