"""Lesson 01: a third revision in the chain, and the database upgraded to it."""

from __future__ import annotations

from workshop import checks, commands
from workshop.checks import NotYet, exercise, no_strays, revision_file

CREATE = '!alembic revision -m "add account owner" --rev-id 0003'


def _create_hint() -> str:
    """How to create 0003, naming the head it will go on only when there is exactly one.

    (Said of a stray revision, "on top of the current head, 0002" would be wrong: the head is
    then the stray, which :func:`no_strays` has already named.)
    """
    try:
        heads = checks.heads()
    except Exception:  # noqa: BLE001 - unreadable files: revision_file says so
        heads = ()
    where = f" (Alembic puts it on top of the current head, {heads[0]})" if len(heads) == 1 else ""
    return f"In a cell: {CREATE}{where}."


def _then() -> str:
    """What follows deleting a stray file: create 0003 if it is not there, then upgrade."""
    try:
        made = {script.revision for script in checks.scripts().walk_revisions()}
    except Exception:  # noqa: BLE001 - unreadable files: revision_file says so
        made = set()
    if "0003" in made:
        return "Then `!alembic upgrade head`, and run this check again."
    return f"Then `{CREATE}`, then `!alembic upgrade head`, and run this check again."


@exercise("01.1")
def third_revision() -> str:
    no_strays({"0001", "0002", "0003"}, then=_then())
    revision_file("0003", parent="0002", hint=_create_hint())
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
