"""Lesson 05: merge two heads of the main line, and leave the labelled data branch alone."""

from __future__ import annotations

from workshop import checks, commands
from workshop.checks import NotYet, exercise, first_line, no_strays

MERGE = "0006"
PARENTS = ("0005a", "0005b")
DATA_HEAD = "d002"
CREATE = f'!alembic merge -m "merge priority and created at" 0005a 0005b --rev-id {MERGE}'


def _as_tuple(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


@exercise("05.1")
def merge_two_heads() -> str:
    try:
        scripts = {script.revision: script for script in checks.scripts().walk_revisions()}
    except Exception as error:  # noqa: BLE001 - unreadable revision files are a verdict too
        raise NotYet(
            f"Alembic cannot read the revision files: {first_line(error)}", CREATE
        ) from error
    for needed in (*PARENTS, DATA_HEAD):
        if needed not in scripts:
            raise NotYet(
                f"there is no revision {needed}.",
                "Run the lesson's cells before the exercise first: they make it.",
            )
    no_strays(
        {"0001", "0002", "0003a", "0003b", "0004", *PARENTS, "d001", DATA_HEAD, MERGE},
        then="Then run this check again.",
    )
    merge = scripts.get(MERGE)
    if merge is None:
        raise NotYet(f"there is no revision {MERGE} yet.", f"Create the merge: {CREATE}")
    parents = tuple(sorted(_as_tuple(merge.down_revision)))
    if DATA_HEAD in parents:
        raise NotYet(
            f"{MERGE} also merges {DATA_HEAD}, the head of the data branch, which is meant to stay "
            "a branch of its own. (`alembic merge heads` merges every head there is.)",
            "Undo it. If you upgraded to it, `!alembic stamp --purge 0005a 0005b d002` first "
            "(a merge runs no SQL, so that is the truth). Delete "
            f"migrations/versions/{MERGE}_*.py, then name the two revisions: {CREATE}",
        )
    if parents != PARENTS:
        raise NotYet(
            f"{MERGE} merges {', '.join(parents) or 'nothing'}; it should merge "
            f"{' and '.join(PARENTS)}.",
            f"Delete migrations/versions/{MERGE}_*.py and create it again: {CREATE}",
        )
    heads = checks.heads()
    if heads != (MERGE, DATA_HEAD):
        raise NotYet(
            f"the revision files have the heads {', '.join(heads)}; expected {MERGE} (the main "
            f"line) and {DATA_HEAD} (the data branch).",
            "`!alembic heads` lists them. Every other revision needs a revision built on it.",
        )
    current = commands.current_revisions()
    if current != (MERGE, DATA_HEAD):
        raise NotYet(
            f"the database is at {', '.join(current) or 'base'}, not at both heads "
            f"({MERGE} and {DATA_HEAD}).",
            "Upgrade every head: `!alembic upgrade heads` (with an s).",
        )
    return (
        f"{MERGE} joins {' and '.join(PARENTS)}, the data branch stays apart, and the database "
        f"is at both heads, {MERGE} and {DATA_HEAD}."
    )
