"""The project's own metadata: dependencies agree, and the code is linted and formatted."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import yaml
from packaging.requirements import Requirement

from .conftest import BIN, REPO


def _normalized(requirements: list[str]) -> set[tuple[str, str]]:
    parsed = (Requirement(text) for text in requirements)
    return {(r.name.lower().replace("_", "-"), str(r.specifier)) for r in parsed}


def test_environment_yml_names_the_same_dependencies_as_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    from_pyproject = project["dependencies"] + project["optional-dependencies"]["dev"]
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    conda = environment["dependencies"]
    pip_section = next(item["pip"] for item in conda if isinstance(item, dict))
    assert _normalized(pip_section) == _normalized(from_pyproject)
    python = next(item for item in conda if isinstance(item, str) and item.startswith("python"))
    assert python.replace("python", "") == project["requires-python"]


def test_ruff_lint() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "."], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "format", "--check", "."], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_kit_script_runs_on_the_standard_library_alone() -> None:
    """./kit must start on a bare Python: it may import nothing outside the standard library."""
    source = (REPO / "kit").read_text()
    imported = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from ")) and "__future__" not in line
    }
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


def test_the_nbval_plugin_skips_the_slow_import_and_notebooks_still_validate() -> None:
    code = (
        "import sys, workshop.nbval_plugin, nbformat\n"
        "nb = nbformat.read('solutions/02-op-create-table.ipynb', as_version=4)\n"
        "nbformat.validate(nb)\n"
        "nb.cells[0]['not_a_field'] = 1\n"
        "try:\n"
        "    nbformat.validate(nb)\n"
        "except nbformat.ValidationError:\n"
        "    print('invalid caught')\n"
        "print(sys.modules.get('rfc3987_syntax'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["invalid", "caught", "None"], done.stdout + done.stderr


def test_the_readme_lists_every_lesson() -> None:
    from workshop.lessons import LESSONS

    readme = (REPO / "README.md").read_text()
    for item in LESSONS:
        assert f"| {item.id} | {item.title} | {item.minutes} min |" in readme, item


def test_import_workshop_loads_the_verbs_on_first_use_and_offers_them_all() -> None:
    """``import workshop`` stays light (the CLI and nbval start with it); ``wk.x`` still works."""
    code = (
        "import sys, workshop as wk\n"
        "print('sqlalchemy' in sys.modules, 'alembic' in sys.modules)\n"
        "assert set(wk.__all__) <= set(dir(wk)), set(wk.__all__) - set(dir(wk))\n"
        "for name in wk.__all__:\n"
        "    assert callable(getattr(wk, name)), name\n"
        "from workshop import upgrade, load_ipython_extension\n"
        "from workshop.commands import upgrade as same\n"
        "print(upgrade is same is wk.upgrade)\n"
        "try:\n"
        "    wk.upgrdae\n"
        "except AttributeError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == [
        "False False",
        "True",
        "module 'workshop' has no attribute 'upgrdae'",
    ], done.stdout + done.stderr


def test_building_the_kit_prints_no_setuptools_deprecation_warning(tmp_path) -> None:
    """Issue 14: ``license = { text = "MIT" }`` made every install print ~30 setuptools warnings.

    The wheel is built as ``./kit install`` builds it (pip, with build isolation, so with the
    setuptools that pyproject.toml asks for). Skipped only when pip cannot download setuptools.
    """
    import pytest

    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-v",
         "-w", str(tmp_path), str(REPO)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    output = done.stdout + done.stderr
    if done.returncode != 0 and "setuptools" in output and "No matching distribution" in output:
        pytest.skip("pip could not download setuptools for the isolated build (offline?)")
    assert done.returncode == 0, output[-3000:]
    warnings = [line for line in output.splitlines() if "deprecat" in line.lower()]
    assert warnings == [], "\n".join(warnings)
    assert list(tmp_path.glob("migration_workshop_kit-*.whl")), output[-2000:]
