"""The single source of truth: participant notebooks and reference migrations are derived."""

from __future__ import annotations

import re

import nbformat
import pytest

from workshop import build
from workshop.lessons import LESSONS

from .conftest import REPO


def test_strip_replaces_regions_at_their_indentation() -> None:
    source = (
        "def upgrade():\n    ### BEGIN SOLUTION\n    op.drop_table('x')\n    ### END SOLUTION\n"
    )
    assert build.strip_source(source) == "def upgrade():\n    # YOUR CODE HERE"
    writefile = "%%writefile migrations/versions/x.py\n" + source
    assert build.strip_source(writefile).endswith(
        "    # YOUR CODE HERE\n    raise NotImplementedError()"
    )


@pytest.mark.parametrize(
    "source",
    [
        "### BEGIN SOLUTION\nx = 1\n",
        "x = 1\n### END SOLUTION\n",
        "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n",
    ],
)
def test_strip_rejects_unbalanced_markers(source: str) -> None:
    with pytest.raises(ValueError):
        build.strip_source(source)


@pytest.mark.parametrize("item", LESSONS, ids=lambda item: item.id)
def test_participant_notebook_is_derived_from_the_solution(item) -> None:
    """Fails when notebooks/ drifted from solutions/: run `workshop build` to regenerate."""
    solved = nbformat.read(REPO / "solutions" / item.notebook, as_version=4)
    committed = nbformat.read(REPO / "notebooks" / item.notebook, as_version=4)
    derived = build.participant_version(solved)
    assert [(c.cell_type, c.source) for c in committed.cells] == [
        (c.cell_type, c.source) for c in derived.cells
    ], f"notebooks/{item.notebook} is out of date: run `workshop build {item.id}`"
    for cell in committed.cells:
        assert build.BEGIN not in cell.source, "a solution leaked into the participant notebook"


@pytest.mark.parametrize("item", LESSONS, ids=lambda item: item.id)
def test_reference_migrations_are_extracted_from_the_solution(item) -> None:
    solved = nbformat.read(REPO / "solutions" / item.notebook, as_version=4)
    expected = build.extracted_migrations(solved)
    folder = REPO / "solutions" / "migrations" / item.id
    found = {p.name: p.read_text() for p in folder.glob("*.py")} if folder.is_dir() else {}
    assert found == expected, f"solutions/migrations/{item.id} is out of date: run workshop build"


@pytest.mark.parametrize("item", LESSONS, ids=lambda item: item.id)
def test_every_lesson_has_the_parts_of_a_lesson(item) -> None:
    nb = nbformat.read(REPO / "solutions" / item.notebook, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "⏱" in text and "By the end of this lesson you can" in text
    assert "Key points" in text and "Hint" in text and "Exercise" in text
    assert f'wk.start_lesson("{item.id}")' in nb.cells[1].source, "first code cell starts it"
    tags = [tag for cell in nb.cells for tag in cell.metadata.get("tags", [])]
    assert "exercise" in tags and "check" in tags
    for cell in nb.cells:
        if "check" in cell.metadata.get("tags", []):
            assert re.search(r'wk\.check_exercise\("\d\d\.\d+"\)', cell.source)


STORED_OUTPUT_LEAKS = {
    "an absolute path": re.compile(r"(^|[\s'\"(=])/(tmp|root|home|work|Users|private|var)/"),
    "a Windows path": re.compile(r"[A-Za-z]:\\\\"),
    "a temporary folder": re.compile(r"\bwk_[a-z0-9_]{6,}|workshop-[a-z0-9_]{8}"),
    "an unsanitized date": re.compile(r"Create Date: \d{4}"),
    # Not orchestrator-core's schema head id, which the kit's schema revision has on purpose, nor
    # the last group of a UUID (lesson 13's fixed product and block ids).
    "a random revision id": re.compile(
        r"(?<![-\w])(?!544fd845554d\b)(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{12}\b"
    ),
    "a socket path": re.compile(r"\.s\.PGSQL"),
    "a scratch database name": re.compile(r"\b(build|test|grade)_[0-9a-f]{12}\b"),
}


def _output_texts(nb) -> list[str]:
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts.extend(v for v in output.get("data", {}).values() if isinstance(v, str))
            texts.extend(output.get("traceback", []))
    return texts


@pytest.mark.parametrize(
    "path",
    sorted((REPO / "notebooks").glob("*.ipynb")) + sorted((REPO / "solutions").glob("*.ipynb")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_stored_outputs_hold_nothing_machine_specific(path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert any(cell.get("outputs") for cell in nb.cells), "outputs must be stored for nbval"
    for text in _output_texts(nb):
        for what, pattern in STORED_OUTPUT_LEAKS.items():
            assert not pattern.search(text), f"{path.name} stores {what}: {text[:200]!r}"


def test_the_leak_scan_catches_what_it_should() -> None:
    """The scan above is only worth something if each pattern fires on a real leak."""
    samples = {
        "an absolute path": "Path: /tmp/wk_abc/migrations/versions/0001_x.py",
        "a Windows path": r"C:\\Users\\ada\\kit",
        "a temporary folder": "Generating wk_x1y2z3a4/migrations",
        "an unsanitized date": "Create Date: 2026-11-21 10:00:00",
        "a random revision id": "Rev: 3f2a9c1b7d4e (head)",
        "a socket path": "host=/x/.s.PGSQL.5432",
        "a scratch database name": 'database "build_a2ec112b5981"',
    }
    for what, sample in samples.items():
        assert STORED_OUTPUT_LEAKS[what].search(sample), what
    fixed = "Schema: 544fd845554d; Key (product_id)=(b20823c5-6447-445a-a6bb-0ef37333d766)"
    assert not STORED_OUTPUT_LEAKS["a random revision id"].search(fixed)
