"""The two branches of the products track: ``schema`` (the tables) and ``data`` (the rows).

orchestrator-core keeps its own table definitions in a ``schema`` branch and each project's
product data in a ``data`` branch. The data branch starts with a revision that has no parent
(``down_revision = None``) but *depends on* the schema head, so that Alembic always creates the
tables before it fills them. There are then two heads, which is why ``upgrade heads`` matters.

orchestrator-core's ``db revision --head=data@head`` fails while there is no data branch yet
("Can't locate revision identified by 'data'", its issue #121). The kit creates the branch on
demand instead: :func:`revision_arguments` turns ``data@head`` into "a new root labelled data,
depending on the schema head" when there is no data branch.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory

from workshop import commands, db
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


def revision_arguments(head: str) -> dict[str, Any]:
    """Alembic ``revision`` arguments for ``--head=head``, creating the data branch on demand.

    ``data@head`` with no data branch yet becomes ``head="base"`` (no parent),
    ``branch_label=("data",)`` and ``depends_on=<schema head>``. Any other unknown branch label is
    a clear error rather than Alembic's "Can't locate revision".
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
