"""workshop lab's settings override (no news pop-up): written once, found again without
importing jupyterlab.commands, which took 1.7 s of every start (issue 16's second start)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workshop import labsetup


def test_the_override_is_written_once_and_then_found_without_jupyterlab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.prefix", str(tmp_path))
    monkeypatch.delenv("JUPYTERLAB_DIR", raising=False)
    folder = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.d"
    asked: list[int] = []

    def app_dir() -> Path:
        asked.append(1)
        return folder

    monkeypatch.setattr(labsetup, "settings_overrides_dir", app_dir)
    written = labsetup.quiet_notifications()
    assert written == folder / labsetup.OVERRIDES_NAME and len(asked) == 1
    assert json.loads(written.read_text()) == labsetup.QUIET

    assert labsetup.quiet_notifications() == written
    assert len(asked) == 1, "the second start looked the folder up again"

    written.write_text("{}")  # changed by hand: written again, where JupyterLab reads it
    assert labsetup.quiet_notifications() == written and len(asked) == 2
    assert json.loads(written.read_text()) == labsetup.QUIET


def test_with_jupyterlab_dir_set_the_folder_is_always_looked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.prefix", str(tmp_path / "prefix"))
    usual = tmp_path / "prefix" / "share" / "jupyter" / "lab" / "settings" / "overrides.d"
    usual.mkdir(parents=True)
    (usual / labsetup.OVERRIDES_NAME).write_text(json.dumps(labsetup.QUIET, indent=2) + "\n")
    elsewhere = tmp_path / "lab" / "settings" / "overrides.d"
    monkeypatch.setenv("JUPYTERLAB_DIR", str(tmp_path / "lab"))
    monkeypatch.setattr(labsetup, "settings_overrides_dir", lambda: elsewhere)
    assert labsetup.quiet_notifications() == elsewhere / labsetup.OVERRIDES_NAME
    assert (elsewhere / labsetup.OVERRIDES_NAME).is_file()
