"""Revision files read as text give what Alembic's ScriptDirectory gives, without importing them.

Grading reads a participant's revision files in trusted code, so it must not import them; these
tests check the parsed view against Alembic's own on every reference revision set of the course,
and that parsing runs none of a file's code and follows no link.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from workshop.checks import NotYet
from workshop.grading.revisions import StaticScripts
from workshop.lessons import LESSONS
from workshop.orchestrator import versions as orchestrator_versions

from .conftest import REPO

SOLUTIONS = REPO / "solutions" / "migrations"


def _sets() -> list[tuple[str, list[Path]]]:
    """Every lesson's starting files, and each folder of reference revisions with its start."""
    found = []
    for item in LESSONS:
        start = [SOLUTIONS / entry for entry in item.start_files]
        own = sorted((SOLUTIONS / item.id).glob("*.py")) if (SOLUTIONS / item.id).is_dir() else []
        if start or own:
            found.append(
                (item.id, start + [p for p in own if p.name not in {s.name for s in start}])
            )
    return found


def _alembic(versions: Path) -> ScriptDirectory:
    """Alembic's own view, with the products track's schema location where the files build on
    it, as the kit configures Alembic for them (:mod:`workshop.orchestrator.versions`)."""
    locations = [str(versions)]
    if any(
        orchestrator_versions.SCHEMA_HEAD in file.read_text(encoding="utf-8")
        for file in versions.glob("*.py")
    ):
        locations.append(str(orchestrator_versions.LOCATION))
    config = Config()
    config.set_main_option("script_location", str(REPO / "migrations"))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(locations))
    return ScriptDirectory.from_config(config)


@pytest.mark.parametrize(("lesson", "files"), _sets(), ids=[s[0] for s in _sets()])
def test_parsed_revisions_match_alembic(tmp_path: Path, lesson: str, files: list[Path]) -> None:
    for file in files:
        shutil.copy(file, tmp_path / file.name)
    real, parsed = _alembic(tmp_path), StaticScripts(tmp_path)
    assert sorted(parsed.get_heads()) == sorted(real.get_heads())
    assert [s.revision for s in parsed.walk_revisions()] == [
        s.revision for s in real.walk_revisions()
    ]
    for script in real.walk_revisions():
        mine = parsed.get_revision(script.revision)
        assert mine.down_revision == script.down_revision
        assert mine.branch_labels == script.branch_labels
        assert mine.dependencies == script.dependencies
        assert mine.doc == script.doc
        assert Path(mine.path).name == Path(script.path).name


def test_parsing_runs_no_code_of_the_file(tmp_path: Path) -> None:
    witness = tmp_path / "ran"
    (tmp_path / "0001_x.py").write_text(
        f'"""x"""\nrevision = "0001"\ndown_revision = None\nopen({str(witness)!r}, "w")\n'
    )
    assert StaticScripts(tmp_path).get_heads() == ["0001"]
    assert not witness.exists()


def test_a_linked_revision_file_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text('revision = "0001"\ndown_revision = None\n')
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "0001_x.py").symlink_to(secret)
    with pytest.raises(NotYet, match="link"):
        StaticScripts(versions)


def test_a_computed_header_is_reported_not_evaluated(tmp_path: Path) -> None:
    (tmp_path / "0001_x.py").write_text('revision = "00" + "01"\ndown_revision = None\n')
    with pytest.raises(Exception, match="computed"):
        StaticScripts(tmp_path)
