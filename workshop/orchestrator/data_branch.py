"""The two branches of the products track: ``schema`` (the tables) and ``data`` (the rows).

orchestrator-core keeps its own table definitions in a ``schema`` branch and each project's
product data in a ``data`` branch. The data branch starts with a revision that has no parent
(``down_revision = None``) but *depends on* the schema head, so that Alembic always creates the
tables before it fills them. There are then two heads, which is why ``upgrade heads`` matters.

orchestrator-core 5.5.0's ``db revision`` starts the data branch itself: when no revision carries
the label ``data``, it first writes an empty revision "Create data head." (``down_revision =
None``, ``branch_labels = ("data",)``, ``depends_on`` the schema head), then the revision asked
for, on top of it. :func:`ensure_data_head` does the same for the kit's ``main.py db revision``,
so the files a participant gets are the files a real app gets. (Plain ``alembic revision
--head=data@head`` cannot: no revision carries ``data`` yet, so there is nothing to build on.)
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory

from workshop import commands, db, paths
from workshop.errors import WorkshopError

DATA = "data"
SCHEMA = "schema"


def labels(script: ScriptDirectory) -> set[str]:
    """Every branch label that some revision file carries."""
    return {label for rev in script.walk_revisions() for label in rev.branch_labels}


def on_branch(script: ScriptDirectory, label: str) -> list[Script]:
    """The revisions of the branch ``label``: its labelled root and everything above it."""
    roots = [rev for rev in script.walk_revisions() if label in rev.branch_labels]
    found: dict[str, Script] = {}
    stack = list(roots)
    while stack:
        rev = stack.pop()
        if rev.revision in found:
            continue
        found[rev.revision] = rev
        stack.extend(script.get_revision(child) for child in rev.nextrev)
    return list(found.values())


def schema_heads(script: ScriptDirectory) -> tuple[str, ...]:
    """What a new data branch should depend on: the schema branch's head.

    Without a ``schema`` label (a project that keeps its tables elsewhere), every head that is not
    on the data branch; ``()`` when there are no revisions at all.
    """
    if SCHEMA in labels(script):
        return tuple(sorted(rev.revision for rev in on_branch(script, SCHEMA) if rev.is_head))
    data = {rev.revision for rev in on_branch(script, DATA)}
    return tuple(sorted(head for head in script.get_heads() if head not in data))


#: The message of the data branch's first revision, as orchestrator-core 5.5.0 writes it.
DATA_HEAD_MESSAGE = "Create data head."
#: The id the kit gives that revision when the revision asked for has a fixed id (``--rev-id``,
#: the kit's option for lesson outputs that are the same every run); otherwise it is random, as
#: in orchestrator-core.
DATA_HEAD_REV_ID = "data0000"


def ensure_data_head(*, rev_id: str | None = None) -> str | None:
    """Start the data branch as orchestrator-core 5.5.0's ``db revision`` does, if it is missing.

    Writes an empty revision "Create data head." into ``migrations/versions/``: no parent, the
    branch label ``data``, depending on the schema head (:func:`schema_heads`). Returns its id,
    or ``None`` when the data branch is already there (then nothing is written). ``rev_id`` is the
    id of the revision the caller makes next: when it is fixed, the data head's is too
    (:data:`DATA_HEAD_REV_ID`).
    """
    script = commands.script_directory()
    if DATA in labels(script):
        return None
    head_id = None
    if rev_id is not None:
        if rev_id == DATA_HEAD_REV_ID:
            raise WorkshopError(
                f"{DATA_HEAD_REV_ID} is the id the kit gives the data branch's first revision "
                f'("{DATA_HEAD_MESSAGE}"), which this command writes first.',
                fix="Choose another --rev-id, e.g. data0001.",
            )
        head_id = DATA_HEAD_REV_ID
        if _exists(script, head_id):
            raise WorkshopError(
                f"There is already a revision {head_id!r}, but it does not start the data branch.",
                fix=f"Rename or delete migrations/versions/{head_id}_*.py, then run this again.",
            )
    depends_on = schema_heads(script)
    made = commands.run(
        command.revision,
        message=DATA_HEAD_MESSAGE,
        rev_id=head_id,
        head="base",
        branch_label=DATA,
        depends_on=depends_on[0] if len(depends_on) == 1 else list(depends_on) or None,
        version_path=str(paths.versions_dir()),
    )
    return made.revision


def _exists(script: ScriptDirectory, rev_id: str) -> bool:
    return rev_id in {rev.revision for rev in script.walk_revisions()}


def revision_arguments(head: str) -> dict[str, Any]:
    """Alembic ``revision`` arguments for ``--head=head``, creating the data branch on demand.

    ``data@head`` with no data branch yet becomes ``head="base"`` (no parent),
    ``branch_label=("data",)`` and ``depends_on=<schema head>``: the revision then starts the
    branch itself. (``main.py db revision`` calls :func:`ensure_data_head` first, as
    orchestrator-core 5.5.0 does, so there the branch is always there by now.) Any other unknown
    branch label is a clear error rather than Alembic's "Can't locate revision".
    """
    script = commands.script_directory()
    label, at, _where = head.partition("@")
    if not at or label in labels(script):
        return {"head": head}
    if label == DATA:
        depends_on = schema_heads(script)
        return {
            "head": "base",
            "branch_label": (DATA,),
            "depends_on": depends_on[0] if len(depends_on) == 1 else list(depends_on) or None,
        }
    known = ", ".join(sorted(labels(script))) or "none yet"
    raise WorkshopError(
        f"There is no branch labelled {label!r}, so --head={head} names no revision.",
        fix=f"Use a branch that exists (branch labels here: {known}), e.g. --head=data@head.",
    )


# --- where the database is -----------------------------------------------------------------


def _ancestors(script: ScriptDirectory, ids: Iterable[str]) -> set[str]:
    """``ids`` and every revision they build on or depend on."""
    seen: set[str] = set()
    stack = list(ids)
    while stack:
        rev = script.get_revision(stack.pop())
        if rev is None or rev.revision in seen:
            continue
        seen.add(rev.revision)
        for parent in (*_as_tuple(rev.down_revision), *_as_tuple(rev.dependencies)):
            stack.append(parent)
    return seen


def _as_tuple(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def pending_revisions(script: ScriptDirectory | None = None) -> list[Script]:
    """The revision files that the database has not applied yet, oldest first.

    ``script`` is the revision files as read elsewhere (grading passes them parsed as text).
    """
    script = script or commands.script_directory()
    with db.engine().connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    applied = _ancestors(script, current)
    return [rev for rev in reversed(list(script.walk_revisions())) if rev.revision not in applied]


def changes_nothing(rev: Script) -> bool:
    """Whether a revision's ``upgrade()`` is empty (``pass``, a docstring, ``...``)."""
    try:
        tree = ast.parse(Path(rev.path).read_text())
    except (OSError, SyntaxError):
        return False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "upgrade":
            return all(
                isinstance(statement, ast.Pass)
                or (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
                for statement in node.body
            )
    return False
