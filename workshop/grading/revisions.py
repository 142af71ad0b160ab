"""A participant's revision files, read as text: what Alembic would see, without importing them.

Trusted grading code must never execute participant Python in its own process, and Alembic's
``ScriptDirectory`` imports every revision file to read its ``revision`` and ``down_revision``.
So this module parses each file with :mod:`ast` and takes those four assignments as literals,
then hands them to Alembic's own :class:`~alembic.script.revision.RevisionMap`: heads, branches,
``depends_on`` and the order of ``walk_revisions()`` come from Alembic's code, not a copy of it.

A file whose revision headers are not plain literals is reported as unreadable; in a lesson such
a file would import fine, but nothing the course teaches writes one.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from alembic.script.revision import Revision, RevisionMap
from alembic.util import CommandError

from workshop.checks import read_text
from workshop.orchestrator import versions as orchestrator_versions

# Alembic's own rule for which files in versions/ are revision files (Script._from_filename).
_REVISION_FILE = re.compile(r"^(?!\.\#|__init__)(.*\.py)$")
_HEADERS = ("revision", "down_revision", "branch_labels", "depends_on")


class ParsedScript(Revision):
    """One revision file: Alembic's Revision plus what the checks read (``doc``, ``path``)."""

    def __init__(self, path: Path, headers: dict[str, object], longdoc: str) -> None:
        super().__init__(
            str(headers["revision"]),
            _ids(headers.get("down_revision")),
            dependencies=_ids(headers.get("depends_on")),
            branch_labels=_ids(headers.get("branch_labels")),
        )
        self.path = str(path)
        self.longdoc = longdoc.strip()

    @property
    def doc(self) -> str:
        """The first paragraph of the docstring, as Alembic's ``Script.doc`` gives it."""
        return re.split("\n\n", self.longdoc)[0]


def _as_ids(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _ids(value: object) -> str | tuple[str, ...] | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise CommandError(f"a revision header holds {value!r}, not an id or a list of ids")


def parse(path: Path) -> ParsedScript:
    """Read one revision file's headers and docstring as literals."""
    source = read_text(path)
    try:
        tree = ast.parse(source, filename=path.name)
    except SyntaxError as error:
        raise CommandError(f"{path.name}, line {error.lineno}: {error.msg}") from None
    headers: dict[str, object] = {}
    for node in tree.body:
        target, value = _assignment(node)
        if target in _HEADERS and value is not None:
            try:
                headers[target] = ast.literal_eval(value)
            except ValueError:
                raise CommandError(
                    f"{path.name}: {target} is computed, not written as a literal"
                ) from None
    if not isinstance(headers.get("revision"), str):
        raise CommandError(
            f"Could not determine revision id from filename {path.name}. Be sure the 'revision' "
            "variable is declared inside the script."
        )
    return ParsedScript(path, headers, ast.get_docstring(tree, clean=False) or "")


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


class StaticScripts:
    """The part of ``ScriptDirectory`` the checks use, built from parsed files.

    When a file builds on or depends on the products track's schema revision, which the kit
    keeps in a version location of its own (:mod:`workshop.orchestrator.versions`), that
    location's files are read too, as Alembic would see them in the lesson. They are the kit's,
    not the participant's.
    """

    def __init__(self, versions: Path) -> None:
        files = (
            sorted(p for p in versions.iterdir() if _REVISION_FILE.match(p.name))
            if versions.is_dir() and not versions.is_symlink()
            else []
        )
        self.scripts = [parse(path) for path in files]
        kits = orchestrator_versions.revision_ids()
        named = {
            rev
            for script in self.scripts
            for rev in (*_as_ids(script.down_revision), *_as_ids(script.dependencies))
        }
        if kits & named:
            location = sorted(orchestrator_versions.LOCATION.glob("*.py"))
            self.scripts += [parse(path) for path in location if _REVISION_FILE.match(path.name)]
        self.revision_map = RevisionMap(lambda: self.scripts)

    def walk_revisions(self) -> Iterator[ParsedScript]:
        yield from self.revision_map.iterate_revisions("heads", "base")

    def get_revision(self, revision_id: str) -> ParsedScript | None:
        return self.revision_map.get_revision(revision_id)

    def get_heads(self) -> list[str]:
        return list(self.revision_map.heads)
