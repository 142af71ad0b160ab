"""Pictures of the migrations and the schema, drawn from real data as mermaid diagrams.

JupyterLab 4 renders mermaid natively, so a diagram is only its text: the revision graph comes
from the revision files and ``alembic_version``, the ER diagram from the live database's
catalogue. The text is also the plain-text output, which is what nbval compares, so a lesson's
stored diagram is checked like any other output.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from workshop import commands, db


class Mermaid:
    """A diagram for a notebook: rendered by JupyterLab, compared as text by nbval."""

    def __init__(self, source: str) -> None:
        self.source = source

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:  # noqa: ANN001
        return {
            "text/vnd.mermaid": self.source,
            "text/markdown": f"```mermaid\n{self.source}\n```",
            "text/plain": self.source,
        }

    def __repr__(self) -> str:
        return self.source

    def __str__(self) -> str:
        return self.source


def _node(revision: str) -> str:
    return "r_" + re.sub(r"\W", "_", revision)


def _label(text: str) -> str:
    """Mermaid labels are quoted; keep quotes and brackets out of them."""
    return re.sub(r'["<>{}\[\]]', "'", text.strip())[:48]


def revision_graph(*, show_current: bool = True) -> Mermaid:
    """Revisions as boxes, arrows from each revision to the ones built on it.

    Branch labels are shown in the box, heads are marked, and the revision(s) the database is
    at are highlighted (``show_current``).
    """
    scripts = list(reversed(list(commands.script_directory().walk_revisions())))
    current = set(commands.current_revisions()) if show_current else set()
    lines = ["flowchart LR", '  base(("base"))']
    for script in scripts:
        text = f"{script.revision}<br/>{_label(script.doc or '')}"
        # Alembic hands a label down to descendants; show it only where it is declared.
        declared = _as_tuple(getattr(script.module, "branch_labels", None))
        if declared:
            text += f"<br/>({', '.join(sorted(declared))})"
        if script.is_head:
            text += "<br/>head"
        lines.append(f'  {_node(script.revision)}["{text}"]')
    for script in scripts:
        parents = script.down_revision
        if parents is None:
            lines.append(f"  base --> {_node(script.revision)}")
        else:
            for parent in (parents,) if isinstance(parents, str) else parents:
                lines.append(f"  {_node(parent)} --> {_node(script.revision)}")
        # A root can depend on another branch too (the products track's data branch does).
        for dependency in _as_tuple(script.dependencies):
            lines.append(f"  {_node(dependency)} -.->|depends on| {_node(script.revision)}")
    if show_current:
        lines.append("  classDef current fill:#2da44e,color:#fff,stroke:#1a7f37")
        marked = sorted(current) or ["base"]
        lines.append(
            "  class " + ",".join(_node(r) if r != "base" else "base" for r in marked) + " current"
        )
    return Mermaid("\n".join(lines))


def _as_tuple(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _type_name(column_type: sa.types.TypeEngine) -> str:
    """A mermaid-safe type: ``VARCHAR(30)`` becomes ``varchar_30``."""
    return re.sub(r"\W+", "_", str(column_type).lower()).strip("_") or "unknown"


def er_diagram(*, include_alembic_version: bool = False) -> Mermaid:
    """Tables, columns (PK/FK marked) and foreign-key relationships of the current schema."""
    inspector = sa.inspect(db.engine())
    tables = sorted(
        name
        for name in inspector.get_table_names()
        if include_alembic_version or name != "alembic_version"
    )
    lines = ["erDiagram"]
    relationships = []
    for table in tables:
        primary = set(inspector.get_pk_constraint(table)["constrained_columns"])
        foreign = inspector.get_foreign_keys(table)
        foreign_columns = {column for fk in foreign for column in fk["constrained_columns"]}
        lines.append(f"  {table} {{")
        for column in inspector.get_columns(table):
            keys = [
                key
                for key, found in (("PK", column["name"] in primary),
                                   ("FK", column["name"] in foreign_columns))
                if found
            ]  # fmt: skip
            suffix = f" {','.join(keys)}" if keys else ""
            lines.append(f"    {_type_name(column['type'])} {column['name']}{suffix}")
        lines.append("  }")
        for fk in foreign:
            label = ",".join(fk["constrained_columns"])
            relationships.append(f'  {fk["referred_table"]} ||--o{{ {table} : "{label}"')
    return Mermaid("\n".join(lines + sorted(relationships)))
