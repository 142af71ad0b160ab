"""A class on Zero to JupyterHub (Kubernetes), tested as far as a machine without Kubernetes or
a container engine can (issue 15): the image's build file, read; the chart values, parsed; and
the hook those values give the hub, run for real against PostgreSQL from the mounted files
alone, in a Python where the kit is not installed (as in the hub's image)."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from workshop.classroom import kubernetes, names

from .class_support import Cluster, debian_bin, running_cluster
from .conftest import BIN, REPO

DOCKERFILE = REPO / "deploy" / "z2jh" / "Dockerfile"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with running_cluster(debian_bin()) as started:
        yield started


def chart_values() -> dict:
    done = subprocess.run(
        [str(BIN / "workshop"), "class", "z2jh-values", "--image", "reg.example/kit:2026-11",
         "--server-url", "postgresql://db.internal:5432/"],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    return yaml.safe_load(done.stdout)


def test_the_values_mount_the_hub_modules_and_run_the_kits_server() -> None:
    values = chart_values()
    assert values == kubernetes.values(
        "reg.example/kit", "2026-11", "postgresql://db.internal:5432/", REPO
    )
    files = values["hub"]["extraFiles"]
    assert len(files) == len(kubernetes.HUB_MODULES)
    for key, file in files.items():
        assert re.fullmatch(r"[-._a-zA-Z0-9]+", key), key
        module = file["mountPath"].removeprefix(kubernetes.HUB_FOLDER + "/")
        assert file["stringData"] == (REPO / module).read_text()
    secret = values["hub"]["extraEnv"]["WORKSHOP_CLASS_ADMIN_URL"]["valueFrom"]["secretKeyRef"]
    assert secret == {"name": "workshop-class", "key": "admin-url"}
    single = values["singleuser"]
    assert single["cmd"] == ["/opt/workshop-kit/.venv/bin/python", "-m",
                             "workshop.classroom.singleuser"]  # fmt: skip
    assert single["image"] == {"name": "reg.example/kit", "tag": "2026-11"}
    assert single["defaultUrl"].endswith("/00-welcome-and-setup.ipynb")


def test_the_hub_modules_import_only_what_the_hub_image_has() -> None:
    """JupyterHub's image has SQLAlchemy and psycopg2 (its own database drivers), not the kit:
    at module level the mounted files import the standard library, those, and each other."""
    mounted = {m.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
               for m in kubernetes.HUB_MODULES}  # fmt: skip
    allowed = set(sys.stdlib_module_names) | {"sqlalchemy", "psycopg2", "__future__"}
    for module in kubernetes.HUB_MODULES:
        tree = ast.parse((REPO / module).read_text())
        for node in tree.body:
            if isinstance(node, ast.Import):
                found = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                found = [node.module or ""]
                found += [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in found:
                top = name.split(".")[0]
                if top == "workshop":
                    assert name in mounted or name.rsplit(".", 1)[0] in mounted, (module, name)
                else:
                    assert top in allowed, (module, name)


HOOK = """
import asyncio, json, os, sys
from traitlets.config import Config

c = Config()
c.KubeSpawner.environment = {"SET_IN_VALUES": "1"}   # z2jh's own, from singleuser.extraEnv
exec(open(sys.argv[1]).read())                      # the values' hub.extraConfig

import workshop
class User:
    def __init__(self, name):
        self.name = name
class Spawner:
    def __init__(self, name):
        self.user = User(name)
        self.environment = c.KubeSpawner.environment  # one dict, as the configuration gives
spawners = [Spawner("ada.l"), Spawner("ada-l")]
for spawner in spawners:
    asyncio.run(c.KubeSpawner.pre_spawn_hook(spawner))
print(json.dumps({
    "workshop": workshop.__file__,
    "cmd": c.KubeSpawner.cmd,
    "config environment": c.KubeSpawner.environment,
    "environments": [s.environment for s in spawners],
}))
"""


def test_the_hub_hook_gives_each_pod_its_own_database_from_the_mounted_files(
    cluster: Cluster, tmp_path: Path
) -> None:
    values = chart_values()
    root = tmp_path / "hub-image"
    for file in values["hub"]["extraFiles"].values():
        target = root / file["mountPath"].lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(file["stringData"])
    config = values["hub"]["extraConfig"]["workshop-class"]
    (tmp_path / "config.py").write_text(
        config.replace(kubernetes.HUB_FOLDER, str(root) + kubernetes.HUB_FOLDER)
    )
    # -S: no site-packages processing, so the kit's own installation (a .pth finder) is not
    # there; its libraries (SQLAlchemy, psycopg2, traitlets) are, as in JupyterHub's image.
    site = sysconfig.get_paths()["purelib"]
    code = (
        f"import sys; sys.path.append({site!r}); exec(open({str(tmp_path / 'hook.py')!r}).read())"
    )
    (tmp_path / "hook.py").write_text(HOOK)
    env = {
        "PATH": os.environ["PATH"],
        "WORKSHOP_CLASS_ADMIN_URL": cluster.admin_url,
        # the values' db.internal, here: the pods reach the server elsewhere than the hub
        "WORKSHOP_CLASS_SERVER_URL": f"postgresql://127.0.0.1:{cluster.port}/",
    }
    done = subprocess.run(
        [sys.executable, "-S", "-c", code, str(tmp_path / "config.py")],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["workshop"].startswith(str(root)), seen["workshop"]
    assert seen["cmd"] == values["singleuser"]["cmd"]
    assert "WORKSHOP_DATABASE_URL" not in seen["config environment"]  # not shared
    for name, environment in zip(("ada.l", "ada-l"), seen["environments"], strict=True):
        assert environment["SET_IN_VALUES"] == "1"
        assert environment["WORKSHOP_CLASS_KIT"] == "/opt/workshop-kit"
        assert environment["WORKSHOP_SCRATCH_SERVER"] == "embedded"
        assert "WORKSHOP_CLASS_HANDIN" not in environment
        url = sa.make_url(environment["WORKSHOP_DATABASE_URL"])
        assert (url.host, url.port) == ("127.0.0.1", cluster.port)
        assert url.username == url.database == names.database_name(name)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT current_user").scalar() == url.username


def test_the_image_keeps_the_installation_only_and_runs_as_a_user() -> None:
    """The build file, read: two stages; the image copies /opt/workshop-kit from the first and
    nothing from the checkout (the answer key is in none of its layers); the first stage
    installs with ``workshop class install``, as the hub test does; the server runs as a user."""
    lines = [
        line.strip()
        for line in DOCKERFILE.read_text().replace("\\\n", " ").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    stages: list[list[str]] = []
    for line in lines:
        if line.startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    assert len(stages) == 2
    build, image = stages
    assert build[0].endswith(" AS build") and build[0].split()[1] == image[0].split()[1]
    assert "COPY . /src" in build
    run = " ".join(line for line in build if line.startswith("RUN "))
    assert "python3 /src/kit install" in run
    assert "/src/.venv/bin/workshop class install /opt/workshop-kit" in run
    copies = [line for line in image if line.startswith(("COPY", "ADD"))]
    assert copies == ["COPY --from=build /opt/workshop-kit /opt/workshop-kit"]
    assert "USER 1000" in image
    command = json.loads(next(line for line in image if line.startswith("CMD "))[4:])
    assert command == chart_values()["singleuser"]["cmd"]
    ignored = (REPO / ".dockerignore").read_text().split()
    assert ".venv/" in ignored and ".workshop/" in ignored and ".git/" not in ignored
