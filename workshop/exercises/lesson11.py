"""Lesson 11: a data revision and a schema revision, both applied with `upgrade heads`."""

from __future__ import annotations

from workshop import checks, commands
from workshop.checks import NotYet, exercise, first_line, no_strays, revision_file
from workshop.exercises._products import CLI, cli, require_product_tables
from workshop.orchestrator.versions import SCHEMA_HEAD

HEADS = ("data0002", "schema0002")
UPGRADE = f"Run {CLI} upgrade heads (heads, plural: it applies both branches)."


@exercise("11.1")
def two_heads() -> str:
    require_product_tables()
    no_strays({SCHEMA_HEAD, "data0000", "data0001", *HEADS}, then="Then run this check again.")
    revision_file(
        "data0000",
        parent=None,
        hint="Run the lesson's cells from `WORKSHOP_REV_ID=data0001 ... db revision ...` on "
        "first: it starts the data branch with data0000 (the data head), then writes data0001 "
        "on top.",
    )
    revision_file(
        "data0001",
        parent="data0000",
        hint="Run the lesson's cells from `WORKSHOP_REV_ID=data0001 ... db revision ...` on first.",
    )
    revision_file(
        "data0002",
        parent="data0001",
        hint=f'Create it with: {cli("data0002")} revision --message "Register more products" '
        "--head=data@head",
    )
    revision_file(
        "schema0002",
        parent=SCHEMA_HEAD,
        hint=f'Create it with: {cli("schema0002")} revision --message "New orchestrator release" '
        "--head=schema@head",
    )
    try:
        heads = checks.heads()
    except Exception as error:  # noqa: BLE001 - unreadable revision files are a verdict too
        raise NotYet(f"Alembic cannot read the revision files: {first_line(error)}") from error
    if heads != HEADS:
        raise NotYet(
            f"the heads are {', '.join(heads)}; there should be exactly two, data0002 and "
            "schema0002.",
            "Delete any other revision file you made in this exercise from migrations/versions/.",
        )
    current = commands.current_revisions()
    if current != HEADS:
        missing = [head for head in HEADS if head not in current]
        raise NotYet(
            f"the database is at {', '.join(current) or 'base'}: {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not applied yet.",
            UPGRADE,
        )
    return (
        f"data0002 builds on data0001 and schema0002 on {SCHEMA_HEAD}, and the database has "
        "applied both heads."
    )
