"""One migration step of a graded submission, run INSIDE the sandbox: ``python -m ... VERB TARGET``.

``VERB`` is ``upgrade``, ``downgrade`` or ``stamp``; or ``call`` with a ``module:function`` of the
kit that reads participant code (lesson 14's models) and returns data as JSON.

This is the untrusted side. It imports the participant's revision files, as Alembic must, so it
runs in a fresh sandboxed process that trusted code starts for each step and discards after. Its
report (the last ``STEP-FAILED`` line on stderr) only describes a failure in the verdict; whether
the step really did its work, the trusted check finds out by reading the database itself.

``WORKSHOP_STEP_DATABASE`` names another database to run on (a check's throwaway one).
"""

from __future__ import annotations

import os
import sys

MARK = "STEP-FAILED"
RESULT = "STEP-RESULT"


def main(argv: list[str]) -> int:
    verb, target = argv
    if verb == "call":
        return call(target)
    import sqlalchemy as sa

    from workshop import checks

    database = os.environ.get("WORKSHOP_STEP_DATABASE")
    try:
        checks.InProcess().step(verb, target, database=sa.make_url(database) if database else None)
    except BaseException as error:  # noqa: BLE001 - every failure is reported, none is fatal here
        kind = type(error).__name__
        print(f"{MARK}\t{kind}\t{checks.first_line(error)}", file=sys.stderr, flush=True)
        return 1
    return 0


def call(target: str) -> int:
    """``call module:function``: print the function's JSON result on the last line of stdout."""
    import json

    from workshop import checks

    try:
        result = checks.InProcess().call(target)
    except BaseException as error:  # noqa: BLE001 - every failure is reported, none is fatal here
        print(f"{MARK}\t{type(error).__name__}\t{checks.first_line(error)}", file=sys.stderr)
        return 1
    print(f"\n{RESULT}\t{json.dumps(result)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
