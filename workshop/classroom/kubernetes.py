"""A class larger than one machine: Zero to JupyterHub (Kubernetes), with the same isolation.

Zero to JupyterHub runs each participant's server in a pod of its own, from a single-user image,
and the hub from its own image, which has JupyterHub, SQLAlchemy and psycopg2 but not the kit.
So:

* **The single-user image** (``deploy/z2jh/Dockerfile``) holds the class's installation, made by
  ``workshop class install /opt/workshop-kit`` in a first build stage; the image keeps only
  that folder, so the answer key, which the first stage had, is in none of its layers. Its
  command is :mod:`workshop.classroom.singleuser`, as on one machine: the participant's copy
  in their home volume, terminals with the kit's ``PATH``, lesson 00 first.
* **The hub** gets the few modules :func:`workshop.classroom.hub.configure` needs
  (:data:`HUB_MODULES`: the standard library, SQLAlchemy and psycopg2 only) as mounted files
  (``hub.extraFiles``), and a ``hub.extraConfig`` that calls it for ``KubeSpawner``: the same
  role, database and password per participant, made by the instructor's role, whose URL comes
  from a Kubernetes secret. Participants' pods reach the class's server at
  ``WORKSHOP_CLASS_SERVER_URL``.

:func:`values` writes the chart's values for all of this (``workshop class z2jh-values``).
There is no drop folder there (participants share no file system); they hand in with
``workshop submit`` and the archive stays in their home volume.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: What the hub imports of the kit, relative to the kit's root: nothing that needs more than
#: the standard library, SQLAlchemy and psycopg2 (a test checks their imports).
HUB_MODULES = (
    "workshop/__init__.py",
    "workshop/errors.py",
    "workshop/classroom/__init__.py",
    "workshop/classroom/names.py",
    "workshop/classroom/provision.py",
    "workshop/classroom/install.py",
    "workshop/classroom/handin.py",
    "workshop/classroom/hub.py",
)
HUB_FOLDER = "/usr/local/etc/jupyterhub/workshop-kit"
KIT = "/opt/workshop-kit"
SECRET = "workshop-class"  # the Kubernetes secret holding the instructor's URL, key admin-url

HUB_CONFIG = f"""\
import sys

sys.path.insert(0, {HUB_FOLDER!r})
from workshop.classroom import hub as workshop_hub

workshop_hub.configure(c, spawner="KubeSpawner", kit={KIT!r}, handin_folder=None)
"""


def values(image: str, tag: str, server_url: str, kit_root: Path) -> dict[str, Any]:
    """Zero to JupyterHub's values for a class (see the module's docstring)."""
    files = {
        _key(module): {
            "mountPath": f"{HUB_FOLDER}/{module}",
            "stringData": (kit_root / module).read_text(encoding="utf-8"),
        }
        for module in HUB_MODULES
    }
    return {
        "hub": {
            "extraFiles": files,
            "extraEnv": {
                "WORKSHOP_CLASS_ADMIN_URL": {
                    "valueFrom": {"secretKeyRef": {"name": SECRET, "key": "admin-url"}}
                },
                "WORKSHOP_CLASS_SERVER_URL": server_url,
            },
            "extraConfig": {"workshop-class": HUB_CONFIG},
        },
        "singleuser": {
            "image": {"name": image, "tag": tag},
            "cmd": [f"{KIT}/.venv/bin/python", "-m", "workshop.classroom.singleuser"],
            "defaultUrl": "/lab/tree/notebooks/00-welcome-and-setup.ipynb",
            "uid": 1000,
            "storage": {"homeMountPath": "/home/jovyan"},
        },
    }


def _key(module: str) -> str:
    """A name for the file in ``hub.extraFiles`` (a Kubernetes key: letters, digits, ``-``)."""
    return "workshop-" + module.removesuffix(".py").replace("/", "-").replace("_", "")


def to_yaml(value: Any, indent: int = 0) -> str:
    """``value`` (dicts, lists, strings, numbers) as YAML, multi-line strings as ``|`` blocks,
    so that the mounted modules read as code in the values file. Everything else is written as
    JSON, which is YAML too."""
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            plain = str(key).replace("-", "").replace("_", "").isalnum()
            name = key if plain else json.dumps(key)
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{name}:\n{to_yaml(item, indent + 2)}")
            else:
                lines.append(f"{pad}{name}: {_scalar(item, indent + 2)}")
        return "\n".join(lines)
    if isinstance(value, list):
        return "\n".join(f"{pad}- {_scalar(item, indent + 2)}" for item in value)
    return f"{pad}{_scalar(value, indent)}"


def _scalar(value: Any, indent: int) -> str:
    if isinstance(value, str) and "\n" in value and value.strip() and value[0] != "\n":
        # "|" keeps one final newline, "|-" none, "|+" all; a first line starting with a space
        # needs the indentation said (the "2").
        chomp = "-" if not value.endswith("\n") else ("+" if value.endswith("\n\n") else "")
        said = "2" if value.startswith(" ") else ""
        body = value[:-1] if value.endswith("\n") else value
        block = "\n".join(f"{' ' * indent}{line}" if line else "" for line in body.split("\n"))
        return f"|{said}{chomp}\n{block}"
    return json.dumps(value, ensure_ascii=False)


def dump(value: Any) -> str:
    """A YAML document of ``value`` (:func:`to_yaml`), ending with a newline, as files do."""
    return to_yaml(value) + "\n"
