"""What the exercise-check tests share: a verdict that must read as one, edited references, and
a hint followed step by step as a participant would."""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from workshop import checks, db


def verdict(exercise: str) -> checks.Verdict:
    """Run one check; its printed form must start with the mark that matches its outcome."""
    result = checks.run_check(exercise)
    assert str(result).startswith("✅" if result.passed else "❌")
    return result


def edited(reference: Path, **replacements: str) -> str:
    """A reference file's text with each ``old=new`` replaced; every ``old`` must be there."""
    text = reference.read_text()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


#: The steps a hint gives, in its order: a command in backticks (``!alembic``, or in the
#: products track ``!PYTHONPATH=. python main.py db`` and ``wk.stamp(...)``), or files to
#: delete, or a down_revision to set in a file.
STEP = re.compile(
    r"`!(?P<alembic>alembic [^`]+)`"
    r"|`!(?P<main>PYTHONPATH=\. python main\.py db [^`]+)`"
    r"|`(?P<wk>wk\.stamp\([^`]+\))`"
    r"|`%sql (?P<sql>[^`]+)`"
    r"|Delete (?P<delete>(?:migrations/versions/\S+\.py(?:, )?)+)"
    r"|In (?P<file>migrations/versions/\S+\.py), set down_revision = (?P<parent>'[^']*'|None)"
)


def follow(
    project: Path,
    hint: str,
    *,
    alembic: Callable[[list[str]], None] | None = None,
    before_each: Callable[[str], None] | None = None,
) -> int:
    """Do what a hint says, step by step in its order, as a participant would; how many steps.

    ``alembic`` runs one `!alembic ...` command (its arguments); by default the real command
    line, in the project, as a notebook's ``!`` does. ``before_each`` sees each step's text
    first (to check the state the steps go through).
    """
    done = 0
    for step in STEP.finditer(hint):
        done += 1
        if before_each is not None:
            before_each(step[0])
        if step["alembic"]:
            argv = shlex.split(step["alembic"])[1:]
            if alembic is None:
                subprocess.run(["alembic", *argv], cwd=project, check=True, capture_output=True)
            else:
                alembic(argv)
        elif step["main"]:  # the products track's command line, as the notebook's ! runs it
            subprocess.run(step["main"], shell=True, cwd=project, check=True, capture_output=True)
        elif step["wk"]:
            import workshop as wk

            eval(step["wk"], {"wk": wk})  # noqa: S307 - a hint's own wk.stamp(...) call
        elif step["sql"]:
            with db.engine().begin() as conn:
                conn.execute(sa.text(step["sql"]))
        elif step["delete"]:
            for name in step["delete"].rstrip(".").split(", "):
                (project / name).unlink()
        else:
            file = project / step["file"]
            text = re.sub(
                r"^(down_revision\b[^=\n]*=).*$",
                rf"\1 {step['parent']}",
                file.read_text(),
                flags=re.MULTILINE,
            )
            file.write_text(text)
    return done
