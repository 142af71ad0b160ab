"""One migration step of a graded submission, run INSIDE the sandbox: ``python -m ... VERB TARGET``.

``VERB`` is ``upgrade``, ``downgrade`` or ``stamp``; or ``call`` with a ``module:function`` of the
kit that reads participant code (lesson 14's models) and returns data as JSON.

This is the untrusted side. It imports the participant's revision files, as Alembic must, so it
runs in a fresh sandboxed process that trusted code starts for each step and discards after. Its
report (the last ``STEP-FAILED`` line on stderr) only describes a failure in the verdict; whether
the step really did its work, the trusted check finds out by reading the database itself.

``WORKSHOP_STEP_DATABASE`` names another database to run on (a check's throwaway one).

``python -I -m workshop.grading.step --serve`` is the same, warm: one sandboxed Python per
submission that imports Alembic, SQLAlchemy and the kit once, then reads one request per line
(JSON: ``argv``, ``env``, ``cwd``) and forks a fresh child for each step. The child runs
:func:`main` and exits; then every other process of the sandbox is killed before the reply
(JSON: ``returncode``, ``stdout``, ``stderr``) goes out. Starting Python and importing the kit
costs about 0.5 s; a fork costs milliseconds. The server runs no participant code itself (it
never imports a revision file), and makes itself undumpable so that a child, which runs as the
same user, can neither trace it nor read its memory or file descriptors. Trusted code still
checks, after every reply, that nothing but the server is left in the sandbox.
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


PRELOAD = (
    "alembic.command",
    "alembic.script",
    "alembic.runtime.migration",
    "alembic.autogenerate",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.dialects.sqlite",
    "psycopg2",
    "workshop.checks",
    "workshop.commands",
    "workshop.db",
)
OUTPUT_LIMIT = 1_000_000  # characters of a step's stdout and stderr sent back, each (the tail)
PR_SET_DUMPABLE = 4


def serve(own_namespace: bool) -> int:
    """Answer step requests on stdin, one forked child each, until stdin closes.

    ``own_namespace``: the server is alone in a PID namespace (the sandbox's), so after each step
    it kills every process it can signal (``kill(-1)``), whatever session or group they joined.
    Outside a sandbox (``--no-sandbox``) that would be every process of the user, so it kills the
    step's process group instead.
    """
    import ctypes
    import importlib
    import json
    import signal
    import tempfile

    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    for module in PRELOAD:
        importlib.import_module(module)
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(2, 1)  # a stray print must not reach the reply channel
    for line in requests:
        request = json.loads(line)
        out = tempfile.TemporaryFile()
        err = tempfile.TemporaryFile()
        pid = os.fork()
        if pid == 0:  # the step: fresh from the server, which never ran participant code
            try:
                os.setpgid(0, 0)
                requests.close()
                replies.close()
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                os.environ.clear()
                os.environ.update(request["env"])
                os.chdir(request["cwd"])
                code = main(request["argv"])
            except BaseException as error:  # noqa: BLE001 - reported like any step failure
                print(f"{MARK}\t{type(error).__name__}\t{error}", file=sys.stderr)
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        try:
            os.kill(-1 if own_namespace else -pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # nothing was left
        _reap()
        reply = {
            "returncode": os.waitstatus_to_exitcode(status),
            "stdout": _tail(out),
            "stderr": _tail(err),
        }
        replies.write(json.dumps(reply).encode() + b"\n")
        replies.flush()
    return 0


def _reap() -> None:
    """Collect every ended child (orphans of a PID namespace's init are not ours to wait for)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _tail(file) -> str:  # noqa: ANN001 - a binary temporary file
    size = file.seek(0, os.SEEK_END)
    file.seek(max(0, size - OUTPUT_LIMIT))
    text = file.read().decode("utf-8", "replace")
    file.close()
    return text


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        sys.exit(serve(own_namespace="--own-namespace" in sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
