"""Run JupyterLab until it exits or is told to stop, then end everything it started.

Why: a SIGTERM to ``./kit start`` (a process manager, a hub spawner) or a closed terminal
(SIGHUP) used to end only the outer process and leave JupyterLab serving on its port, with its
kernels and terminals. And Ctrl+C made JupyterLab ask "Shut down this Jupyter server?" while
``workshop lab`` killed it outright, which skips its own clean-up of kernels.

So ``workshop lab`` runs JupyterLab here, in a process group of its own (a terminal's Ctrl+C
reaches JupyterLab only through this process), and on Ctrl+C, SIGTERM or SIGHUP:

1. notes every process JupyterLab has started by then, however deep (kernels, terminals, what
   runs in them, processes that moved into a session of their own);
2. sends JupyterLab SIGTERM, on which it shuts its kernels and terminals down and exits;
3. once it has exited (or after :data:`GRACE` seconds, when it is killed), ends whatever of
   step 1 still runs: SIGTERM, then SIGKILL after :data:`LEFTOVER_GRACE` seconds.

A second signal ends everything at once. On Linux, JupyterLab also gets SIGTERM when this
process dies, even by SIGKILL. Not followed: a process that detached itself before the signal
(its parent gone, so no longer below JupyterLab). The embedded PostgreSQL is one, on purpose: it
stays up between commands, as after Ctrl+C (``workshop db stop`` stops it).

On Windows there are no such signals: Ctrl+C reaches every process of the console, JupyterLab
too. This waits for JupyterLab to exit, and after a second Ctrl+C ends its processes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

GRACE = 20.0  # s for JupyterLab to shut its kernels down and exit after SIGTERM
LEFTOVER_GRACE = 3.0  # s for a leftover process between SIGTERM and SIGKILL
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def die_with_parent() -> None:
    """Linux, in the child before exec: SIGTERM when its parent dies, however it dies."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def descendants(pid: int) -> list:  # noqa: ANN401 - psutil.Process, imported lazily
    """Every process below ``pid`` now, deepest last; empty when it is gone."""
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def end(processes: list) -> list:
    """SIGTERM to those still running, then SIGKILL to those that outlive the grace; returns
    those that were still running (ended here)."""
    import psutil

    alive = [process for process in processes if _running(process)]
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    _, stubborn = psutil.wait_procs(alive, timeout=LEFTOVER_GRACE)
    for process in stubborn:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(stubborn, timeout=LEFTOVER_GRACE)
    return alive


def _running(process) -> bool:  # noqa: ANN001 - psutil.Process
    """Still the same process (psutil compares start times, so a reused pid is not it)."""
    import psutil

    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@contextlib.contextmanager
def _handlers(handler: Callable[[int, object], None]) -> Iterator[None]:
    previous = {number: signal.signal(number, handler) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def run(argv: list[str], *, cwd: Path, env: dict[str, str]) -> int:
    """Run ``argv`` (JupyterLab) as described in the module's docstring; its exit status, or
    128 + the signal's number when a signal stopped it."""
    if os.name == "nt":
        return _run_windows(argv, cwd=cwd, env=env)
    options: dict = {"process_group": 0}
    if sys.platform.startswith("linux"):
        options["preexec_fn"] = die_with_parent
    child = subprocess.Popen(argv, cwd=cwd, env=env, **options)
    received: list[int] = []
    started: list = []  # what JupyterLab had started when the first signal came

    def stop(signum: int, _frame: object) -> None:
        received.append(signum)
        if len(received) == 1:
            started.extend(descendants(child.pid))
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
        else:  # a second signal: no more waiting
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            _kill_now(started)

    with _handlers(stop):
        status = _wait(child, received)
    end(started)
    return 128 + received[0] if received else status


def _wait(child: subprocess.Popen, received: list[int]) -> int:
    """Wait for ``child``; once a signal came, for :data:`GRACE` seconds at most, then kill it."""
    deadline = None
    while True:
        try:
            return child.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            pass
        if received and deadline is None:
            deadline = time.monotonic() + GRACE
        if deadline is not None and time.monotonic() > deadline:
            print(
                f"JupyterLab did not stop within {GRACE:.0f} s of being asked; killing it.",
                file=sys.stderr,
            )
            child.kill()


def _kill_now(processes: list) -> None:
    import psutil

    for process in processes:
        if _running(process):
            with contextlib.suppress(psutil.Error):
                process.kill()


def _run_windows(argv: list[str], *, cwd: Path, env: dict[str, str]) -> int:
    """Windows: Ctrl+C reached JupyterLab too; wait for it, and on a second Ctrl+C end it all."""
    child = subprocess.Popen(argv, cwd=cwd, env=env)
    started: list = []
    interrupted = 0
    while True:
        try:
            status = child.wait()
            break
        except KeyboardInterrupt:
            interrupted += 1
            if interrupted == 1:
                started.extend(descendants(child.pid))
            else:
                child.kill()
                _kill_now(started)
    end(started)
    return 130 if interrupted else status
