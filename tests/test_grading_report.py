"""The reports, fed hostile names and outputs: nothing in them runs, and every file stays valid.

A participant chooses their name and what their cells print, and both reach a spreadsheet
(grades.csv), a browser (report.html), a CI parser (junit.xml) and the instructor's terminal.
These tests write the reports for such a class and read them back with real parsers. No database
is needed.
"""

from __future__ import annotations

import argparse
import csv
import json
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from workshop import cli
from workshop.grading import report, runner
from workshop.grading.intake import find_submissions
from workshop.grading.runner import Batch, Result

FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
SCRIPT = "<script>alert(1)</script>"
QUOTES = "\" onmouseover=\"alert(1)\" x='y' onfocus='alert(2)'"


def batch_of(*results: Result, errors: list[str] | None = None) -> Batch:
    participants = list(dict.fromkeys(r.participant for r in results))
    return Batch(list(results), participants, errors or [])


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.reader(file))


# --- the terminal --------------------------------------------------------------------------


def test_terminal_safe_strips_control_characters_but_keeps_newlines() -> None:
    text = "ada\x1b]0;pwned\x07\x1b[2J\r\x08\x7f\x9b31m\u202eevil\nnext line: Zoë 李"
    assert report.terminal_safe(text) == "ada]0;pwned[2J31mevil\nnext line: Zoë 李"


def test_terminal_safe_makes_undecodable_bytes_printable() -> None:
    shown = report.terminal_safe("caf\udce9")
    assert shown == "caf\ufffd"
    shown.encode("utf-8")


def test_grade_prints_problems_through_terminal_safe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = "mallory: WorkshopError: \x1b]0;owned\x07\x1b[1A\x1b[2Kall good"
    monkeypatch.setattr(runner, "grade", lambda *args, **kwargs: batch_of(errors=[hostile]))
    arguments = argparse.Namespace(
        submissions=[], jobs=1, timeout=1, quiet=True, out=tmp_path, no_sandbox=False
    )
    assert cli._grade(arguments, []) == 1
    printed = capsys.readouterr()
    assert "could not grade mallory" in printed.err
    assert "\x1b" not in printed.err + printed.out and "\x07" not in printed.err


# --- CSV -----------------------------------------------------------------------------------


def test_csv_cells_cannot_start_a_formula(tmp_path: Path) -> None:
    results = [
        Result(formula, "02", "02.1", "failed", detail=formula, expected=formula, got=formula)
        for formula in FORMULAS
    ]
    results.append(Result("a=b", "02", "02.1", "passed", detail="1-2", got="x@y"))
    report.write_csv(batch_of(*results), tmp_path / "grades.csv")
    header, *rows = read_csv(tmp_path / "grades.csv")
    assert header[0] == "participant"
    for row, formula in zip(rows, FORMULAS, strict=False):
        assert row[0] == row[4] == row[5] == row[6] == "'" + formula
    assert rows[-1][:5] == ["a=b", "02", "02.1", "passed", "1-2"], "harmless cells unchanged"
    for row in rows:
        for cell in row:
            assert not cell.startswith(report.FORMULA_START), cell


def test_csv_survives_undecodable_text(tmp_path: Path) -> None:
    result = Result("caf\udce9", "02", "02.1", "error", detail="path /tmp/\udcff")
    report.write_csv(batch_of(result), tmp_path / "grades.csv")
    assert read_csv(tmp_path / "grades.csv")[1][0] == "caf?"


# --- JUnit XML -----------------------------------------------------------------------------


HOSTILE_XML = "ada\x00\x01\x08\x0b\x0c\x1b[31m\x7f\ud800\udfff\ufffe\uffff tab\tend"


def test_junit_parses_whatever_the_names_and_outputs_hold(tmp_path: Path) -> None:
    results = [
        Result(HOSTILE_XML, "02", "02.1\x00", "failed", HOSTILE_XML, "exp\x1b", "got\x02 😀"),
        Result(HOSTILE_XML, "02", "02.2", "error", detail="died \x04"),
        Result("bob", "02", "02.1", "missing"),
    ]
    report.write_junit(batch_of(*results), tmp_path / "junit.xml")
    suites = ET.parse(tmp_path / "junit.xml").getroot()
    names = [suite.get("name") for suite in suites.iter("testsuite")]
    assert names == ["ada[31m\x7f tab\tend", "bob"]
    failure = suites.find("testsuite/testcase/failure")
    assert failure is not None and failure.text == "expected: exp\ngot: got 😀"
    assert failure.get("message") == "ada[31m\x7f tab\tend"
    error = suites.find("testsuite/testcase/error")
    assert error is not None and error.get("message") == "died "


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x0b", "\ud800", "\udfff", "\ufffe", "\uffff"])
def test_xml_safe_removes_what_xml_cannot_hold(char: str) -> None:
    assert report.xml_safe(f"a{char}b\t\n\r\u00e9\U0001f600") == "ab\t\n\r\u00e9\U0001f600"


# --- HTML ----------------------------------------------------------------------------------


class Page(HTMLParser):
    """Every tag and attribute of a page, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.first_cells: list[str] = []
        self._row_start = False
        self._in_first_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += attrs
        if tag == "tr":
            self._row_start = True
        elif tag == "td" and self._row_start:
            self._row_start, self._in_first_cell = False, True
            self.first_cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_first_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_first_cell:
            self.first_cells[-1] += data


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_html_escapes_every_value(tmp_path: Path) -> None:
    detail = f"{SCRIPT} {QUOTES} </td></tr></table><img src=x onerror=alert(3)>"
    results = [
        Result(SCRIPT, "02", "02.1", "failed", detail=detail, expected=SCRIPT, got=QUOTES),
        Result(QUOTES, "02", "02.1", "error", detail=QUOTES),
        Result(QUOTES, "02", f"02.2{SCRIPT}", "passed"),
    ]
    report.write_html(batch_of(*results, errors=[f"{SCRIPT}: {QUOTES}"]), tmp_path / "r.html")
    page = parse(tmp_path / "r.html")
    assert "script" not in page.tags and "img" not in page.tags
    assert not [name for name, _ in page.attributes if name.startswith("on") or name == "x"]
    titles = [value for name, value in page.attributes if name == "title"]
    assert detail in titles and QUOTES in titles, "an attribute holds exactly the text"
    assert SCRIPT in page.first_cells and QUOTES in page.first_cells


def test_html_forbids_scripts_even_if_one_slipped_through(tmp_path: Path) -> None:
    report.write_html(batch_of(Result("ada", "02", "02.1", "passed")), tmp_path / "r.html")
    page = parse(tmp_path / "r.html")
    policy = dict(page.attributes).get("content") or ""
    assert "default-src 'none'" in policy and "script-src" not in policy


def test_html_survives_undecodable_text(tmp_path: Path) -> None:
    result = Result("caf\udce9", "02", "02.1", "error", detail="\udcff")
    report.write_html(batch_of(result), tmp_path / "r.html")
    assert "caf?" in (tmp_path / "r.html").read_text(encoding="utf-8")


# --- one row per participant ---------------------------------------------------------------


def archive(path: Path, participant: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as out:
        out.writestr("who/notebooks/00.ipynb", "{}")
        if participant is not None:
            out.writestr("who/manifest.json", json.dumps({"participant": participant}))


def test_no_participant_repeats_in_any_report(tmp_path: Path) -> None:
    """Clashing names from intake, reported: each file shows each participant once."""
    collected = tmp_path / "collected"
    archive(collected / "groupA" / "ada.zip")
    archive(collected / "groupB" / "ada.zip")
    archive(collected / "groupB" / "ada-2.zip")
    archive(collected / "groupB" / "x.zip", participant="ada [groupA/ada.zip]")
    archive(collected / "groupB" / "ada\x1b.zip")
    found = find_submissions([collected / "groupA", collected / "groupB"])
    participants = [s.name for s in found]
    assert len(participants) == 5
    results = [
        Result(name, "02", exercise, status, detail="=1+1")
        for name in participants
        for exercise, status in (("02.1", "passed"), ("02.2", "failed"))
    ]
    written = report.write_all(Batch(results, participants, []), tmp_path / "out")

    rows = read_csv(written["csv"])[1:]
    assert {row[0] for row in rows} == set(participants)
    assert len({(row[0], row[2]) for row in rows}) == len(rows) == 2 * len(participants)

    suites = [s.get("name") for s in ET.parse(written["junit"]).getroot().iter("testsuite")]
    assert sorted(suites) == sorted(participants) and len(set(suites)) == len(participants)

    first_cells = parse(written["html"]).first_cells
    grid = [cell for cell in first_cells if cell in participants]
    for name in participants:  # once in the grid, once in "What went wrong" (02.2 failed)
        assert grid.count(name) == 2, name


def test_exercises_nobody_handed_in_get_one_line_not_rows(tmp_path: Path) -> None:
    batch = batch_of(
        Result("ada", "00", "00.1", "passed"),
        Result("bob", "00", "00.1", "failed", "wrong"),
        Result("ada", "05", "05.1", "missing", "the lesson's notebook was not handed in"),
        Result("bob", "05", "05.1", "missing", "the lesson's notebook was not handed in"),
        Result("ada", "02", "02.1", "passed"),
        Result("bob", "02", "02.1", "missing", "the exercise cell was deleted or not found"),
    )
    path = tmp_path / "report.html"
    report.write_html(batch, path)
    page = path.read_text(encoding="utf-8")
    assert "Not handed in by anyone, so left out below: 05.1." in page
    assert "<td>05.1</td>" not in page and "<th>05.1</th>" not in page
    assert "<th>02.1</th>" in page, "an exercise one participant handed in stays"
    assert "2 exercises handed in · 2 passed · 1 failed · 0 error · 1 missing" in page
