"""Run code in real Jupyter kernels, as a lesson would."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient


def run_cells(root: Path, *sources: str) -> list[str]:
    """Execute cells in a fresh kernel started in root/notebooks; return each cell's text output."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(root / "notebooks")}},
    )
    client.execute()
    texts = []
    for cell in nb.cells:
        parts = []
        for output in cell.outputs:
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
        texts.append("".join(parts))
    return texts
