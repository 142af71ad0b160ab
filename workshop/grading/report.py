"""The grading report: CSV for spreadsheets, one self-contained HTML page, JUnit XML for CI.

Every row is one participant, lesson and exercise with its status (passed, failed, error,
missing) and, for a failure, the first difference: the answer key's verdict against the
participant's. The class summary gives each exercise's pass rate, hardest first.

Names, details and outputs come from participants' work, so each format is written defensively:
CSV cells cannot start a spreadsheet formula, the XML holds only characters XML 1.0 allows (so it
always parses), every HTML value is escaped (and the page forbids scripts), and text for the
terminal goes through ``terminal_safe``.
"""

from __future__ import annotations

import csv
import html
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path

from workshop.grading.runner import Batch, Result

STATUSES = ("passed", "failed", "error", "missing")
# A spreadsheet runs a cell starting with these as a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 cannot hold: controls other than tab, newline and CR, lone surrogates, U+FFFE/F.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# What a terminal would act on instead of showing: C0 (but newline), DEL, C1, bidi overrides.
_NOT_TERMINAL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def terminal_safe(text: str) -> str:
    """``text`` without control characters (newlines kept), to print on the instructor's terminal.

    A participant's name or error message could otherwise carry escape sequences that recolour
    the terminal, move the cursor over earlier lines, or set the window title. Undecodable bytes
    become U+FFFD, so printing cannot fail either.
    """
    return _NOT_TERMINAL.sub("", _SURROGATE.sub("\ufffd", text))


def csv_safe(value: str) -> str:
    """A CSV cell a spreadsheet shows as text: a leading ' defuses a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def xml_safe(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot hold, so junit.xml always parses."""
    return _NOT_XML.sub("", value)


def pass_rates(results: list[Result]) -> list[tuple[str, int, int]]:
    """(exercise, passed, total) for every exercise, hardest first."""
    totals: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    for result in results:
        if result.exercise == "*":
            continue
        totals[result.exercise] += 1
        passed[result.exercise] += result.status == "passed"
    return sorted(
        ((name, passed[name], totals[name]) for name in totals),
        key=lambda row: (row[1] / row[2], row[0]),
    )


def write_csv(batch: Batch, path: Path) -> None:
    """One row per result; every cell goes through ``csv_safe``."""
    with path.open("w", newline="", encoding="utf-8", errors="replace") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["participant", "lesson", "exercise", "status", "detail", "expected", "got"]
        )
        for r in batch.results:
            row = [r.participant, r.lesson, r.exercise, r.status, r.detail, r.expected, r.got]
            writer.writerow([csv_safe(value) for value in row])


def write_junit(batch: Batch, path: Path) -> None:
    """One suite per participant, one case per exercise; all text goes through ``xml_safe``."""
    x = xml_safe
    suites = ET.Element("testsuites", name="workshop grading")
    by_participant: dict[str, list[Result]] = defaultdict(list)
    for result in batch.results:
        by_participant[result.participant].append(result)
    for participant in batch.participants:
        rows = by_participant.get(participant, [])
        counts = Counter(r.status for r in rows)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=x(participant),
            tests=str(len(rows)),
            failures=str(counts["failed"] + counts["missing"]),
            errors=str(counts["error"]),
        )
        for r in rows:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=x(f"{participant}.lesson{r.lesson}"),
                name=x(r.exercise),
            )
            if r.status in ("failed", "missing"):
                node = ET.SubElement(case, "failure", message=x(r.detail or r.status))
                node.text = x(f"expected: {r.expected}\ngot: {r.got}")
            elif r.status == "error":
                ET.SubElement(case, "error", message=x(r.detail or "error"))
    ET.indent(suites)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:72rem;
color:#1f2328;padding:0 1rem}h1{margin-bottom:.2rem}.sub{color:#57606a;margin-top:0}
table{border-collapse:collapse;width:100%;margin:1rem 0 2rem}th,td{border:1px solid #d0d7de;
padding:.35rem .6rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
.scroll{overflow-x:auto}.scroll table{width:auto}
.warning{background:#ffebe9;border:2px solid #cf222e;padding:.6rem 1rem}
.passed{background:#dafbe1}.failed{background:#ffebe9}.error{background:#fff8c5}
.missing{background:#eaeef2}.bar{background:#d0d7de;height:.7rem;border-radius:.35rem;width:10rem}
.bar span{display:block;height:100%;background:#2da44e;border-radius:.35rem}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem;white-space:pre-wrap;
word-break:break-word;margin:0}.legend span{padding:.1rem .5rem;margin-right:.4rem}
"""


# No scripts, no fetches, no forms: only the page's own inline styles. A value that slipped
# through escaping still could not run.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _cell(result: Result | None) -> str:
    if result is None:
        return "<td>—</td>"
    title = html.escape(result.detail, quote=True)
    status = html.escape(result.status, quote=True)
    return f'<td class="{status}" title="{title}">{status}</td>'


NO_SANDBOX = (
    "Graded WITHOUT the sandbox (--no-sandbox): participants' code ran as the instructor's user, "
    "and the checks ran in the participants' own kernels, so these grades can be gamed."
)


def write_html(batch: Batch, path: Path) -> None:
    """The page; every value is escaped (quotes too), and its CSP forbids scripts anyway."""
    e = html.escape
    # An exercise nobody handed in (a lesson the class did not reach) would top "hardest first"
    # at 0% and fill the grid with grey: it gets one line instead.
    untouched = {
        name
        for name, _, _ in pass_rates(batch.results)
        if all(r.status == "missing" for r in batch.results if r.exercise == name)
    }
    rates = [row for row in pass_rates(batch.results) if row[0] not in untouched]
    exercises = sorted(name for name, _, _ in rates)
    grid: dict[tuple[str, str], Result] = {(r.participant, r.exercise): r for r in batch.results}
    counts = Counter(r.status for r in batch.results if r.exercise not in untouched)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">",
        "<title>Workshop grading report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Workshop grading report</h1>",
        "" if batch.sandboxed else f"<p class='warning'><strong>{e(NO_SANDBOX)}</strong></p>",
        f"<p class='sub'>{len(batch.participants)} participants · {len(exercises)} exercises "
        "handed in · " + " · ".join(f"{counts[s]} {s}" for s in STATUSES) + "</p>",
        "<p class='legend'>" + "".join(f"<span class='{s}'>{s}</span>" for s in STATUSES) + "</p>",
    ]
    if batch.grader_errors:
        parts.append("<h2>Grading problems</h2><ul>")
        parts += [f"<li><code>{e(text)}</code></li>" for text in batch.grader_errors]
        parts.append("</ul>")
    parts.append("<h2>Class summary: hardest exercises first</h2><table>")
    parts.append("<tr><th>exercise</th><th>passed</th><th>pass rate</th><th></th></tr>")
    for name, passed, total in rates:
        percent = round(100 * passed / total)
        parts.append(
            f"<tr><td>{e(name)}</td><td>{passed} / {total}</td><td>{percent}%</td>"
            f"<td><div class='bar'><span style='width:{percent}%'></span></div></td></tr>"
        )
    parts.append("</table>")
    if untouched:
        parts.append(
            "<p class='sub'>Not handed in by anyone, so left out below: "
            + ", ".join(e(name) for name in sorted(untouched))
            + ".</p>"
        )
    parts.append("<h2>Participants</h2><div class='scroll'><table><tr><th>participant</th>")
    parts += [f"<th>{e(name)}</th>" for name in exercises]
    parts.append("<th>score</th></tr>")
    for participant in batch.participants:
        row = [grid.get((participant, name)) for name in exercises]
        score = sum(1 for r in row if r is not None and r.status == "passed")
        parts.append(f"<tr><td>{e(participant)}</td>")
        parts += [_cell(r) for r in row]
        parts.append(f"<td>{score} / {len(exercises)}</td></tr>")
    parts.append("</table></div><h2>What went wrong</h2>")
    problems = [r for r in batch.results if r.status != "passed" and r.exercise not in untouched]
    if not problems:
        parts.append("<p>Every exercise passed.</p>")
    else:
        parts.append(
            "<table><tr><th>participant</th><th>exercise</th><th>status</th><th>detail</th>"
            "<th>expected (answer key)</th><th>got</th></tr>"
        )
        for r in problems:
            parts.append(
                f"<tr><td>{e(r.participant)}</td><td>{e(r.exercise)}</td>"
                f"<td class='{e(r.status)}'>{e(r.status)}</td><td>{e(r.detail)}</td>"
                f"<td><pre>{e(r.expected)}</pre></td><td><pre>{e(r.got)}</pre></td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8", errors="replace")


def write_all(batch: Batch, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = {
        "csv": folder / "grades.csv",
        "html": folder / "report.html",
        "junit": folder / "junit.xml",
    }
    write_csv(batch, written["csv"])
    write_html(batch, written["html"])
    write_junit(batch, written["junit"])
    return written
