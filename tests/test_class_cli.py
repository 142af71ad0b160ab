"""``workshop class``: the instructor's commands, run as the instructor runs them (issue 15)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from .class_support import Cluster, debian_bin, running_cluster
from .conftest import BIN, REPO


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with running_cluster(debian_bin()) as started:
        yield started


def workshop(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "workshop"), "class", *args], capture_output=True, text=True, timeout=300,
        env={**os.environ, **(env or {})}, cwd=REPO,
    )  # fmt: skip


def test_add_status_and_url_on_a_real_server(cluster: Cluster, tmp_path: Path) -> None:
    env = {"WORKSHOP_CLASS_ADMIN_URL": cluster.admin_url}
    roster = tmp_path / "roster.txt"
    roster.write_text("ada\n# a comment\nada.l\nada-l\n")
    added = workshop("add", "李雷", "--roster", str(roster), env=env)
    assert added.returncode == 0, added.stderr
    assert "ada.l: role and database workshop_ada_l__8debcb8d" in added.stdout
    status = workshop("status", env=env)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0].split() == ["participant", "role", "and", "database", "name", "isolation"]
    assert any(line.split()[:3] == ["ada", "workshop_ada", "kept"] for line in lines)
    assert any(line.startswith("李雷") and "user__3a47328a" in line for line in lines)
    assert lines[-1] == "4 participants, all isolated"
    url = workshop("url", "ada-l", env=env)
    assert url.returncode == 0, url.stderr
    engine = sa.create_engine(url.stdout.strip(), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert (
            conn.exec_driver_sql("SELECT current_database()").scalar() == "workshop_ada_l__5e549be5"
        )
    refused = workshop("remove", "ada", env=env)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    removed = workshop("remove", "ada", "--yes", env=env)
    assert removed.returncode == 0 and "3 participants" in workshop("status", env=env).stdout


def test_without_a_server_the_command_says_what_to_set() -> None:
    env = {"WORKSHOP_CLASS_ADMIN_URL": ""}
    done = workshop("status", env=env)
    assert done.returncode == 2 and "WORKSHOP_CLASS_ADMIN_URL" in done.stderr


def test_install_handin_folder_collect_and_hub_config(tmp_path: Path) -> None:
    installed = workshop("install", str(tmp_path / "kit"), "--no-venv")
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout.startswith(f"Installed the kit in {tmp_path / 'kit'}: ")
    assert (tmp_path / "kit" / "lesson-starts" / "README.md").is_file()
    assert not (tmp_path / "kit" / "solutions").exists()
    made = workshop("handin-folder", str(tmp_path / "drop"))
    assert made.returncode == 0 and (tmp_path / "drop").stat().st_mode & 0o7777 == 0o1733
    collected = workshop("collect", str(tmp_path / "drop"), "--out", str(tmp_path / "out"))
    assert collected.returncode == 0, collected.stderr
    assert collected.stdout.strip().endswith(f"workshop grade {tmp_path / 'out'}")
    config = workshop("hub-config")
    assert Path(config.stdout.strip()) == REPO / "workshop" / "classroom" / "jupyterhub_config.py"
    assert workshop("collect", str(tmp_path / "drop")).returncode == 2  # --out is needed
