"""The grading kernel: what nbval talks to. Trusted; the participant's kernel sits behind it.

nbval stays the grading engine: it runs the graded notebook cell by cell and compares each check
cell's output with the answer key's. But the outputs it compares must not come from participant
code, which could print the key's verdict, replace ``check_exercise`` or rewrite the check cell
with an input transformer. So nbval starts this kernel (``--nbval-kernel-name``), and this kernel:

- passes every ordinary cell to a real IPython kernel **inside the sandbox** and relays only that
  cell's own outputs back (by the parent message id, and only while the cell runs);
- answers the lesson's start cell and every check cell **itself**, in trusted code: it freezes
  every process of the sandbox, runs the check with :class:`~workshop.grading.verdicts.Trusted`
  (revision files parsed as text, migrations run in fresh sandboxes, the database read over its
  own connection), prints the verdict, then lets the sandbox go on;
- keeps its own cell timeout, so a cell that ignores SIGINT is reported as timed out, and watches
  the sandbox, so a dead kernel is noticed at once, not after the timeout.

The graded notebook marks start and check cells with a random token that only the trusted side
knows (``workshop.grading.runner``), so no participant cell can pass for one.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from queue import Empty
from typing import Any

from ipykernel.kernelapp import IPKernelApp
from ipykernel.kernelbase import Kernel

CONFIG_ENV = "WORKSHOP_GRADER_CONFIG"
OUTPUT_LIMIT = 1_000_000  # characters relayed per cell; beyond that a note says it was cut
START, CHECK, SAVE, RESTORE = "start", "check", "save", "restore"
MARKERS = (START, CHECK, SAVE, RESTORE)


class GradingKernel(Kernel):
    implementation = "workshop-grader"
    implementation_version = "1"
    banner = "Workshop grading kernel (trusted checks, sandboxed participant code)"
    language_info = {  # noqa: RUF012 - ipykernel's own class attribute
        "name": "python",
        "mimetype": "text/x-python",
        "file_extension": ".py",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from workshop.grading import verdicts

        config = json.loads(Path(os.environ[CONFIG_ENV]).read_text(encoding="utf-8"))
        self.token: str = config["token"]
        self.timeout: float = float(config["cell_timeout"])
        self.grading = verdicts.Grading.from_config(config)
        self.sandboxed: verdicts.SandboxedKernel | None = None
        self.prelude = ""  # what the lesson's start cell ran in the participant's kernel
        # Both take a second or so to start: start them while nbval sends the first cells.
        self._early = ThreadPoolExecutor(2, thread_name_prefix="warm-up")
        self._starting: Future | None = self._early.submit(self.grading.start_kernel)
        self._early.submit(self.grading.stepper.warm)

    # --- the cells ------------------------------------------------------------------------

    def do_execute(  # noqa: PLR0913 - ipykernel's signature
        self,
        code: str,
        silent: bool,
        store_history: bool = True,
        user_expressions: dict | None = None,
        allow_stdin: bool = False,
        *,
        cell_meta: dict | None = None,
        cell_id: str | None = None,
    ) -> dict:
        marker = self._marker(code)
        kind, argument = marker if marker is not None else ("", "")
        box = self.sandboxed.sandbox if self.sandboxed else None
        try:
            if kind == START:  # capturing the key: the lesson's first cell
                self.grading.start_lesson(argument)
            elif kind == RESTORE:  # grading: an exercise's starting state
                self.grading.restore_state(argument, frozen=box)
            elif kind == SAVE:  # capturing the key: the state before an exercise
                self.grading.save_state(argument, frozen=box)
                return self._ok()
            elif kind == CHECK:
                return self._check(argument)
            else:
                return self._relay(code)
            self.prelude = self.grading.kernel_prelude()
            return self._relay(self.prelude)
        except Exception as error:  # noqa: BLE001 - a grading failure is reported, never fatal
            return self._error("GradingError", f"{type(error).__name__}: {error}")

    def _marker(self, code: str) -> tuple[str, str] | None:
        """('start', lesson) or ('check', exercise) for a cell the trusted side marked."""
        parts = code.strip().split()
        if len(parts) == 4 and parts[0] == "#workshop-grader" and parts[1] == self.token:
            if parts[2] in MARKERS:
                return parts[2], parts[3]
        return None

    def _check(self, exercise_id: str) -> dict:
        sandbox = self.sandboxed.sandbox if self.sandboxed else None
        verdict = self.grading.check(exercise_id, frozen=sandbox)
        self._stream("stdout", f"{verdict}\n")
        return self._ok()

    def _relay(self, code: str) -> dict:
        """Run ``code`` in the sandboxed kernel and pass on that cell's outputs, and only those."""
        self._ensure_kernel(code)
        client = self.sandboxed.client
        msg_id = client.execute(code, allow_stdin=False, store_history=True)
        deadline = time.monotonic() + self.timeout
        relayed = 0
        reply_content: dict | None = None
        while True:
            if not self.sandboxed.alive():
                self.sandboxed = None
                return self._error("KernelDied", "the kernel died (the code crashed or exited)")
            if time.monotonic() > deadline:
                self.sandboxed.stop()
                self.sandboxed = None
                return self._error(
                    "CellTimeout", f"the cell did not finish in {self.timeout:g} s and was stopped"
                )
            try:
                msg = client.get_iopub_msg(timeout=0.2)
            except Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue  # output of an earlier cell's thread, or not ours: never relayed
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                break
            if kind in ("stream", "display_data", "execute_result", "error", "clear_output"):
                relayed += len(json.dumps(content))
                if relayed > OUTPUT_LIMIT:
                    continue
                if kind == "execute_result":
                    content = dict(content, execution_count=self.execution_count)
                if kind == "error":
                    reply_content = content
                self.send_response(self.iopub_socket, kind, content)
        if relayed > OUTPUT_LIMIT:
            self._stream("stderr", f"[output cut at {OUTPUT_LIMIT} characters by grading]\n")
        if reply_content is not None:
            return {
                "status": "error",
                "execution_count": self.execution_count,
                "ename": reply_content.get("ename", "Error"),
                "evalue": reply_content.get("evalue", ""),
                "traceback": reply_content.get("traceback", []),
            }
        return self._ok()

    def _ensure_kernel(self, code: str) -> None:
        """A live participant kernel; a new one (set up as the lesson's start did) after a death.

        A cell that crashed or hung ended the last kernel; the cells after it still deserve to
        run, as they would after the participant restarted their kernel and ran the first cell.
        """
        if self._starting is not None:
            starting, self._starting = self._starting, None
            try:
                self.sandboxed = starting.result()
            except Exception:  # noqa: BLE001 - started again below, where a failure is reported
                self.sandboxed = None
        if self.sandboxed is not None and self.sandboxed.alive():
            return
        self.sandboxed = self.grading.start_kernel()
        if self.prelude and code != self.prelude:
            client = self.sandboxed.client
            msg_id = client.execute(self.prelude, silent=True, allow_stdin=False)
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline and self.sandboxed.alive():
                try:
                    reply = client.get_shell_msg(timeout=0.2)
                except Empty:
                    continue
                if reply["parent_header"].get("msg_id") == msg_id:
                    break

    # --- replies --------------------------------------------------------------------------

    def _stream(self, name: str, text: str) -> None:
        self.send_response(self.iopub_socket, "stream", {"name": name, "text": text})

    def _ok(self) -> dict:
        return {
            "status": "ok",
            "execution_count": self.execution_count,
            "payload": [],
            "user_expressions": {},
        }

    def _error(self, ename: str, evalue: str) -> dict:
        traceback = [f"{ename}: {evalue}"]
        content = {"ename": ename, "evalue": evalue, "traceback": traceback}
        self.send_response(self.iopub_socket, "error", content)
        return {"status": "error", "execution_count": self.execution_count, **content}

    def do_shutdown(self, restart: bool) -> dict:
        self._early.shutdown(wait=True)
        if self._starting is not None:
            self._ensure_kernel("")
        if self.sandboxed is not None:
            self.sandboxed.stop()
        self.grading.close()
        return {"status": "ok", "restart": restart}


def kernel_spec(python: str = sys.executable) -> dict:
    """The kernel.json that makes nbval start this kernel."""
    return {
        "argv": [python, "-m", "workshop.grading.kernel", "-f", "{connection_file}"],
        "display_name": "Workshop grader",
        "language": "python",
        "interrupt_mode": "message",
    }


if __name__ == "__main__":
    IPKernelApp.launch_instance(kernel_class=GradingKernel)
