"""Lesson 01: a third revision in the chain, and the database upgraded to it."""

from __future__ import annotations

from workshop import checks, commands
from workshop.checks import NotYet, exercise, revision_file


@exercise("01.1")
def third_revision() -> str:
    hint = (
        'In a cell: !alembic revision -m "add account owner" --rev-id 0003 '
        "(Alembic puts it on top of the current head, 0002)."
    )
    revision_file("0003", parent="0002", hint=hint)
    script = checks.scripts().get_revision("0003")
    if (script.doc or "").strip().lower() != "add account owner":
        raise NotYet(
            f"revision 0003 has the message {script.doc!r}; expected 'add account owner'.",
            "Pass the message with -m exactly, or edit the first line of the file's docstring.",
        )
    heads = checks.heads()
    if heads != ("0003",):
        raise NotYet(
            f"the revision files have these heads: {', '.join(heads)}; expected only 0003.",
            "Every revision should build on the one before: check the down_revision lines.",
        )
    current = commands.current_revisions()
    if current != ("0003",):
        raise NotYet(
            f"the database is at {', '.join(current) or 'no revision (empty)'}, not at 0003.",
            "Upgrade it: !alembic upgrade head (or wk.upgrade('head')).",
        )
    return "revision 0003 builds on 0002, it is the only head, and the database is at it."
