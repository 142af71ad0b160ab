"""Every benchmark script still imports, and the grading ones still build their classes.

Benchmarks are run by hand and print figures, so nothing else would notice when a change to the
kit breaks one. This runs only their cheap setup, never the timed part.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

from .conftest import REPO

SCRIPTS = sorted((REPO / "benchmarks").glob("*.py"))


def _load(script: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN202 - a module
    monkeypatch.setattr(sys, "argv", [str(script)])
    spec = importlib.util.spec_from_file_location(f"benchmark_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_each_benchmark_imports_and_has_a_main(script: Path, monkeypatch) -> None:
    assert callable(_load(script, monkeypatch).main)


def test_the_grading_benchmarks_build_their_classes(tmp_path: Path, monkeypatch) -> None:
    grading = _load(REPO / "benchmarks" / "grading.py", monkeypatch)
    grading.make_class(tmp_path / "parallel", 1)
    assert len(list((tmp_path / "parallel" / "participant_00" / "notebooks").iterdir())) == 15
    sandbox = _load(REPO / "benchmarks" / "grading_sandbox.py", monkeypatch)
    classes = sandbox.make_class(tmp_path / "sandbox")
    solved = sorted(p.name for p in (classes["solved"] / "solved" / "notebooks").iterdir())
    assert solved[0].startswith("00-") and solved[-1].startswith("13-")
    killer = nbformat.read(
        classes["killer"] / "bob" / "notebooks" / "01-your-first-revision.ipynb", as_version=4
    )
    assert any("os._exit" in cell.source for cell in killer.cells)
