"""The revision graph and the ER diagram are drawn from real files and a real database."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from workshop import commands, diagrams

from .conftest import REPO

REFERENCE = Path(__file__).resolve().parent.parent / "solutions" / "migrations" / "02"


def test_revision_graph_shows_branches_merges_labels_and_the_current_revision(
    project: Path,
) -> None:
    commands.revision("start", rev_id="a1")
    commands.revision("left side", rev_id="b1", branch_label="left")
    commands.revision("right side", rev_id="c1", head="a1", splice=True)
    commands.merge(["b1", "c1"], "join them", rev_id="d1")
    commands.upgrade("b1")
    source = diagrams.revision_graph().source
    lines = set(source.splitlines())
    assert source.startswith("flowchart LR")
    for edge in ("base --> r_a1", "r_a1 --> r_b1", "r_a1 --> r_c1", "r_b1 --> r_d1",
                 "r_c1 --> r_d1"):  # fmt: skip
        assert f"  {edge}" in lines, edge
    assert '  r_b1["b1<br/>left side<br/>(left)"]' in lines
    assert '  r_d1["d1<br/>join them<br/>head"]' in lines
    assert "  class r_b1 current" in lines
    assert "r_a1 --> r_d1" not in source, "no edge that the files do not have"


def test_revision_graph_shows_what_a_branch_root_depends_on(project: Path) -> None:
    """The products track's data branch starts with a root that depends on the schema head."""
    commands.revision("tables", rev_id="s1", branch_label="schema")
    commands.revision("rows", rev_id="d1", head="base", branch_label="data", depends_on="s1")
    lines = set(diagrams.revision_graph().source.splitlines())
    assert {"  base --> r_s1", "  base --> r_d1", "  r_s1 -.->|depends on| r_d1"} <= lines


def test_revision_graph_of_an_empty_database_marks_base(project: Path) -> None:
    commands.revision("only", rev_id="0001")
    assert "  class base current" in diagrams.revision_graph().source.splitlines()


def test_er_diagram_shows_tables_columns_and_foreign_keys(project: Path) -> None:
    for file in REFERENCE.glob("*.py"):
        shutil.copy(file, project / "migrations" / "versions")
    commands.upgrade("head")
    source = diagrams.er_diagram().source
    lines = source.splitlines()
    assert lines[0] == "erDiagram"
    assert "    integer id PK" in lines
    assert "    varchar_30 name" in lines
    assert "    integer account_id FK" in lines
    assert '  account ||--o{ category : "account_id"' in lines
    assert "alembic_version" not in source
    commands.downgrade("0001")
    assert "category" not in diagrams.er_diagram().source


def test_diagrams_render_as_mermaid_in_jupyterlab(project: Path) -> None:
    commands.revision("only", rev_id="0001")
    bundle = diagrams.revision_graph()._repr_mimebundle_()
    assert bundle["text/markdown"].startswith("```mermaid\nflowchart LR")
    assert bundle["text/vnd.mermaid"] == bundle["text/plain"]


def _diagram_outputs(notebook: str, call: str) -> list[str]:
    nb = nbformat.read(REPO / "solutions" / notebook, as_version=4)
    return [
        output.get("data", {}).get("text/plain", "")
        for cell in nb.cells
        if cell.cell_type == "code" and call in cell.source
        for output in cell.outputs
    ]


@pytest.mark.parametrize(
    "notebook,expected",
    [
        ("04-navigating-revisions.ipynb", ["r_0001 --> r_0002", "class r_"]),
        ("05-branches-and-merges.ipynb", ["r_0002 --> r_0003b", "r_0002 --> r_0003a"]),
        ("11-product-registry.ipynb", ["r_544fd845554d", "(schema)"]),
    ],
)
def test_the_navigation_branches_and_products_lessons_draw_the_revision_graph(
    notebook: str, expected: list[str]
) -> None:
    """The stored pictures come from real runs (nbval re-checks them on every suite run)."""
    graphs = [g for g in _diagram_outputs(notebook, "wk.revision_graph()") if g]
    assert graphs and all(g.startswith("flowchart LR") for g in graphs), graphs
    for text in expected:
        assert any(text in graph for graph in graphs), (notebook, text)


def test_the_products_lesson_draws_the_registry_tables() -> None:
    (diagram,) = _diagram_outputs("11-product-registry.ipynb", "wk.er_diagram()")[:1]
    for table in ("products", "product_blocks", "resource_types", "fixed_inputs", "workflows"):
        assert f"  {table} {{" in diagram, table
    assert "products ||--o{ fixed_inputs" in diagram
