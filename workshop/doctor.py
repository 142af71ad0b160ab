"""``workshop doctor``: what state are the files and the database in, and what would fix it?

It asks the questions a helper at the participant's side would ask, in order, and stops guessing
where an earlier answer makes later ones meaningless: is this the workshop folder, does the
database answer, can Alembic read the revision files, how many heads are there, which revision is
the database at, does a file for it exist, are its tables what the files make at that revision
(:mod:`workshop.drift`), and is the database at the head? Each line is ✅, ⚠️ or ❌, and every
⚠️ or ❌ comes with the fix. The explanations are :mod:`workshop.friendly`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from workshop import commands, db, drift, friendly, paths


@dataclass(frozen=True)
class Finding:
    level: str  # ok | warn | fail
    text: str
    fix: str = ""

    def __str__(self) -> str:
        mark = {"ok": "✅", "warn": "⚠️ ", "fail": "❌"}[self.level]
        return f"{mark} {self.text}" + (f"\n   Fix: {self.fix}" if self.fix else "")


def _from_error(error: BaseException, fallback: str) -> Finding:
    explanation = friendly.explain(error)
    if explanation is None:
        return Finding("fail", f"{fallback}: {type(error).__name__}: {error}".splitlines()[0])
    where = f"{explanation.file}, line {explanation.line}: " if explanation.line else ""
    if explanation.file and not explanation.line:
        where = f"{explanation.file}: "
    return Finding("fail", where + explanation.what, explanation.fix)


def diagnose() -> list[Finding]:
    """Every finding, in order; stops early when the rest could not be judged."""
    findings: list[Finding] = []
    try:
        root = paths.root()
    except Exception as error:  # noqa: BLE001 - every failure is a finding
        return [_from_error(error, "The workshop folder was not found")]
    findings.append(Finding("ok", f"workshop folder found ({root.name}/, with alembic.ini)"))

    try:
        with db.engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        findings.append(Finding("ok", f"the database answers: {db.where()}"))
    except Exception as error:  # noqa: BLE001
        findings.append(_from_error(error, "The database does not answer"))
        return findings

    try:
        scripts = list(commands.script_directory().walk_revisions())
        known = {script.revision for script in scripts}
        heads = commands.head_revisions()
    except Exception as error:  # noqa: BLE001
        findings.append(_from_error(error, "Alembic cannot read the revision files"))
        return findings
    findings.append(Finding("ok", f"{len(scripts)} revision file(s) in migrations/versions/"))
    heads_at = len(findings)  # the finding on the heads goes here, once it is known what is applied

    current = commands.current_revisions()
    missing = [revision for revision in current if revision not in known]
    if missing:
        findings[heads_at:heads_at] = _heads(heads, pending=True)
        findings.append(
            Finding(
                "fail",
                f"the database is at {', '.join(missing)}, but no file in migrations/versions/ "
                "has that revision (deleted or renamed?)",
                "Restore the file (see .workshop/backups/), or run the lesson's first cell to "
                "reset; `alembic stamp` only with care, as it changes no table.",
            )
        )
        return findings
    # What is left to apply, as Alembic sees it: depends_on counts, so a data branch that
    # depends on the schema head has applied it without naming it in alembic_version.
    pending = commands.pending(current)
    findings[heads_at:heads_at] = _heads(heads, pending=bool(pending))
    # Whether the tables are what alembic_version says comes before whether that is the head:
    # the advice to upgrade holds only when they are.
    tables = None if any(f.level == "fail" for f in findings) else _drift(current)
    if tables is not None:
        findings.append(tables)
    at = ", ".join(current) or "base (no revision applied)"
    if not pending and len(heads) > 1:
        findings.append(
            Finding(
                "ok",
                f"nothing left to apply: the database is at {at}, which has applied every head "
                f"({', '.join(heads)})",
            )
        )
    elif not pending:
        findings.append(Finding("ok", f"the database is at the head: {at}"))
    else:
        catch_up = (
            f"{commands.upgrade_command(heads)} to catch up, or run the lesson's first cell to "
            "reset to its starting point."
        )
        if tables is not None and tables.level == "fail":
            # Upgrading from a revision the tables are not at fails, or does it twice. (Only
            # extra tables, a warning, do not stand in an upgrade's way.)
            catch_up = "Not yet: first the tables, above (they are not what the files make here)."
        findings.append(
            Finding(
                "warn",
                f"the database is at {at}; the files go up to {', '.join(heads) or 'base'} "
                f"(not applied yet: {', '.join(pending)})",
                catch_up,
            )
        )
    return findings


def _heads(heads: tuple[str, ...], *, pending: bool) -> list[Finding]:
    """The finding on several heads, if there are. Named branches (orchestrator-core's schema
    and data) are kept apart on purpose: with everything applied they are as they should be,
    and only while something is left to apply does the advice (`upgrade heads`) matter."""
    if len(heads) < 2:
        return []
    names = friendly.branch_names(heads)
    if names and not pending:
        return [
            Finding(
                "ok",
                f"{len(heads)} heads, {', '.join(heads)}: the named branches {', '.join(names)}, "
                "kept apart on purpose",
            )
        ]
    return [
        Finding(
            "warn",
            f"the revisions have {len(heads)} heads: {', '.join(heads)}",
            friendly.heads_advice(names),
        )
    ]


def _drift(current: tuple[str, ...]) -> Finding | None:
    """Do the tables match what the revision files make at ``current``? (:mod:`workshop.drift`)

    None when there is nothing to compare (an empty database at base). A check that cannot run
    (e.g. the server refuses to create a scratch database) is a warning, never a crash.
    """
    try:
        result = drift.check(current)
    except Exception as error:  # noqa: BLE001 - every failure is a finding
        explanation = friendly.explain(error)
        what = f"{type(error).__name__}: {error}".splitlines()[0]
        return Finding(
            "warn",
            "could not check that the tables match the revision files: "
            + (explanation.what if explanation else what),
            explanation.fix
            if explanation
            else "Run `workshop doctor` again; if it persists, ask for help with this line.",
        )
    if result is None:
        return None
    return Finding(result.level, result.text, result.fix)


def report() -> int:
    """Print the diagnosis; exit status 0 when nothing is wrong, 1 otherwise."""
    findings = diagnose()
    for finding in findings:
        print(finding)
    return 0 if all(finding.level == "ok" for finding in findings) else 1
