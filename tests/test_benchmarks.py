"""Every benchmark script still imports, and the grading ones still build their classes.

Benchmarks are run by hand and print figures, so nothing else would notice when a change to the
kit breaks one. This runs only their cheap setup, never the timed part.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
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
    assert solved[0].startswith("00-") and solved[-1].startswith("14-")
    killer = nbformat.read(
        classes["killer"] / "bob" / "notebooks" / "01-your-first-revision.ipynb", as_version=4
    )
    assert any("os._exit" in cell.source for cell in killer.cells)


def test_the_nbgrader_benchmark_builds_its_course(tmp_path: Path, monkeypatch, capsys) -> None:
    """The course nbgrader grades: lesson 01 as source and as a submission, and the kit's class.

    nbgrader itself is not installed here (it takes half a minute): this checks what the script
    hands it, and that a failed check makes the test cell raise, which is what scores 0 points.
    """
    bench = _load(REPO / "benchmarks" / "grading_nbgrader.py", monkeypatch)
    lesson = "01-your-first-revision.ipynb"
    setup = bench.make_class(tmp_path, 1, [lesson])
    (student,) = setup.students
    assert (setup.kit_class / student / "notebooks" / lesson).is_file()
    assert [p.name for p in setup.warm_up.glob("*/notebooks/*")] == [lesson]
    source = setup.course / "source" / bench.ASSIGNMENT / lesson
    submitted = setup.course / "submitted" / student / bench.ASSIGNMENT / lesson
    shapes = []
    for path in (source, submitted):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata.kernelspec.name == bench.KERNEL
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        assert all(cell.metadata.nbgrader["schema_version"] == 3 for cell in code)
        (solution,) = [c for c in code if c.metadata.nbgrader["solution"]]
        assert "--rev-id 0003" in solution.source and not solution.metadata.nbgrader["locked"]
        (test,) = [c for c in code if c.metadata.nbgrader["grade"]]
        assert test.metadata.nbgrader["grade_id"] == "check_01_1"
        assert test.metadata.nbgrader["points"] == 1 and test.metadata.nbgrader["locked"]
        assert 'wk.check_exercise("01.1")' in test.source
        assert all(c.metadata.nbgrader["locked"] for c in code if c not in (solution, test))
        shapes.append([(c.metadata.nbgrader["grade_id"], c.source) for c in code])
    assert shapes[0] == shapes[1], "a submission is the source notebook with its own answers"
    compile((setup.course / "nbgrader_config.py").read_text(), "nbgrader_config.py", "exec")
    spec = json.loads((setup.jupyter / "kernels" / bench.KERNEL / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable
    assert (setup.project / "alembic.ini").is_file() and (setup.project / "solutions").is_dir()

    # The test cell runs the lesson's own check, prints its verdict, and raises unless it passed.
    test_cell = next(c for c in nbformat.read(source, as_version=4).cells if "check_01_1" in str(c))
    passes = types.SimpleNamespace(check_exercise=lambda _: print("✅ Exercise 01.1 passed: ok"))
    exec(test_cell.source, {"wk": passes})
    assert "✅ Exercise 01.1 passed: ok" in capsys.readouterr().out
    fails = types.SimpleNamespace(check_exercise=lambda _: print("❌ Exercise 01.1 is not done"))
    with pytest.raises(AssertionError):
        exec(test_cell.source, {"wk": fails})
    assert "❌ Exercise 01.1 is not done" in capsys.readouterr().out

    assert len(bench.lesson_notebooks("01-03")) == 3
    assert bench.lesson_notebooks("02,00") == [
        "00-welcome-and-setup.ipynb",
        "02-op-create-table.ipynb",
    ]
    with pytest.raises(SystemExit) as done:
        bench.main(["--help"])
    assert done.value.code == 0 and "--lessons" in capsys.readouterr().out


def test_the_first_start_benchmark_starts_from_empty_caches(tmp_path: Path, monkeypatch) -> None:
    """The fresh-clone figure means "no package cache": the caches must be its own, empty, and
    nothing of this suite's (its project copy, its database) may leak into the clone's kit."""
    bench = _load(REPO / "benchmarks" / "first_start.py", monkeypatch)
    monkeypatch.setenv("WORKSHOP_DATABASE_URL", "sqlite:///x.db")
    env = bench.fresh_env(tmp_path, KIT_INSTALLER="pip")
    for name in ("PIP_CACHE_DIR", "UV_CACHE_DIR", "XDG_CACHE_HOME"):
        assert Path(env[name]).is_relative_to(tmp_path) and not Path(env[name]).exists()
    assert "WORKSHOP_DATABASE_URL" not in env and "WORKSHOP_ROOT" not in env
    assert env["KIT_INSTALLER"] == "pip"
    port = bench.free_port()
    assert bench.port_free(port)
