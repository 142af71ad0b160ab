"""Run a participant's code in a bubblewrap sandbox: hostile code, trusted grader (issue 11).

Grading runs code that nobody has read. The grader (trusted code, maybe root) uses this module to
start an IPython kernel or a one-shot command such as ``alembic upgrade 0002`` in a sandbox made
by bubblewrap (``bwrap``, Debian's ``bubblewrap`` package, 0.8 or newer).

What the sandboxed code sees:

- read-only: ``/usr`` (and the ``/bin``, ``/lib*`` links), a few files of ``/etc`` (the dynamic
  linker's cache, the time zone, alternatives), its own ``passwd``, ``group``, ``hosts`` and
  ``nsswitch.conf``, the Python installation (``sys.base_prefix``, only that folder, not the home
  folder around it), the virtualenv (``sys.prefix``) and the caller's ``readonly`` paths;
- read-write, at the same absolute path as outside (so that paths in outputs match): the work
  folder and ``home``;
- connect-only: the ``sockets`` folder (the database's unix sockets), bound read-only, because
  connecting to a unix socket needs no write access and the sandbox must not delete or replace
  the server's socket;
- private: ``/tmp`` and ``/dev/shm`` (size-capped tmpfs), a ``/proc`` of its own PID namespace,
  a minimal ``/dev``, a loopback-only network, its own hostname and IPC;
- nothing else: not ``/root`` or ``$HOME``, not the instructor's checkout (unless passed), not
  other submissions or the output folder, no other process, no network.

Its environment is built from nothing: ``PATH`` (the virtualenv's ``bin`` first), ``HOME``,
``LANG=C.UTF-8`` and what the caller passes. File descriptors the caller leaked are closed. It
runs with no capabilities, in a new session (no ``TIOCSTI`` into the grader's terminal), and
cannot make user namespaces (``--disable-userns``), so it cannot hide processes from
:meth:`Sandbox.freeze` in a nested PID namespace.

Who it runs as: a grader that is not root runs bwrap as itself, with user namespaces. A root
grader switches to an unprivileged uid first: by default a fresh one for each :class:`Sandbox`
(in ``UIDS``, with no passwd entry on the host), so that ``RLIMIT_NPROC``, which counts
processes per user, is this sandbox's alone and parallel submissions cannot starve each other.
(Pass ``uid`` to let several sandboxes of one submission share a user, and so that cap.) The work
folder and home must belong to the sandbox's uid: :meth:`Sandbox.prepare` chowns them.

Why a launcher: bwrap 0.8, run as the unprivileged user, must be able to walk to every folder it
binds (bubblewrap issue 569), and the Python installation may live in root's 0700 home. So
:meth:`Sandbox.command` runs a small launcher first, this file in ``python -I -S``: trusted code
that, when root, binds each source into a staging tmpfs, in a private mount namespace of its own,
then sets the limits, closes inherited file descriptors, drops to the sandbox's uid and execs
bwrap with the clean environment. It costs about 45 ms a start, bwrap itself about 5 ms.

Limits (:class:`Limits`), and what is and is not capped:

- capped, per process: address space (``RLIMIT_AS``), CPU seconds (``RLIMIT_CPU``: SIGXCPU, then
  SIGKILL five seconds later), the size of any one file written (``RLIMIT_FSIZE``: SIGXFSZ, or
  EFBIG in Python, which ignores that signal), open files (``RLIMIT_NOFILE``), no core dumps;
- capped for the whole sandbox: processes and threads (``RLIMIT_NPROC``, per uid; for a grader
  that is not root the cap counts the grader's own processes too, so it is raised by their
  number at start), the size of ``/tmp`` and of ``/dev/shm``;
- not capped: total memory (processes times address space; a cgroup would be needed, e.g.
  ``systemd-run --scope -p MemoryMax=``), total disk used in the work folder and home (many files
  each under the file-size cap), disk I/O and wall-clock time (:meth:`Sandbox.run` has a
  timeout; a kernel is the caller's to stop).

Lifetime: bwrap runs the command under an init process in a new PID namespace and
``--die-with-parent`` kills that init when bwrap or bwrap's parent *thread* ends (Linux's
parent-death signal follows the thread that started the process). When the init dies the kernel
kills every process of the namespace, including ones that double-forked into a new session.
:meth:`Sandbox.kill` does this at once and waits until the namespace is empty.

What the sandbox leaves in the work folder and home is the participant's too: trusted code reading
it must not follow links it finds there, which may point at the grader's own files.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

MiB = 1024 * 1024
GiB = 1024 * MiB
# Uids for a root grader's sandboxes: systemd's UIDS-GIDS.md lists 1879048192 (0x70000000) and up
# as unused by distributions, systemd and containers; newer systemd takes 0x7FFE0000 and up.
UIDS = range(0x7000_0000, 0x7FFE_0000)
NAME = "participant"  # the sandbox user's name in its own /etc/passwd
SYSTEM_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")  # symlinks into /usr, or folders
# Read from the host's /etc: what dynamic linking, time zones and /usr/bin's alternatives need.
# Not passwd (the host's users), not the rest (credentials, configuration).
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives", "mime.types")
STOPPED = frozenset("TtZX")  # /proc/<pid>/stat states of a process that runs no more code


class SandboxError(RuntimeError):
    """The sandbox could not be started, frozen or emptied."""


@dataclass(frozen=True)
class Limits:
    """Resource caps of one sandbox; see the module docstring for what is not capped."""

    memory: int = 2 * GiB  # RLIMIT_AS, bytes of address space per process
    cpu_seconds: int = 600  # RLIMIT_CPU, per process
    file_size: int = 256 * MiB  # RLIMIT_FSIZE, bytes per file written
    processes: int = 256  # RLIMIT_NPROC, processes and threads of the sandbox
    open_files: int = 1024  # RLIMIT_NOFILE, per process
    tmp_size: int = 256 * MiB  # bytes, each of /tmp and /dev/shm (tmpfs, held in memory)


class Completed(subprocess.CompletedProcess):
    """A finished one-shot command, and which limit stopped it, if one seems to have."""

    def __init__(
        self, args: list[str], returncode: int, stdout: str, stderr: str, limit: str | None
    ) -> None:
        super().__init__(args, returncode, stdout, stderr)
        self.limit = limit


def available() -> str | None:
    """None when a sandbox can be made here, else why not (for a skip message or an error)."""
    import tempfile  # here only: the launcher imports this module, and starts faster without

    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (Debian: apt-get install bubblewrap)"
    with tempfile.TemporaryDirectory(prefix="wk_sandbox_") as folder:
        box = Sandbox(Path(folder) / "work", home=Path(folder) / "home")
        box.prepare()
        try:
            result = box.run(["/bin/true"], timeout=60)
        except (OSError, SandboxError) as error:
            return f"bubblewrap cannot start here: {error}"
    if result.returncode != 0:
        detail = " ".join(result.stderr.split()) or f"exit status {result.returncode}"
        needs = "bubblewrap 0.8 or newer, and user namespaces for unprivileged users"
        return f"bubblewrap cannot make a sandbox here: {detail} (it needs {needs})"
    return None


class Sandbox:
    """One participant's sandbox: where its code may write, what it may read, and its processes.

    ``workdir`` and ``home`` are writable, at their own (resolved) paths; ``sockets`` is a folder
    of unix sockets to connect to; ``readonly`` are more paths to show, such as the kit's code;
    ``uid``, for a root grader only, the user to run as (default: a fresh one, see ``UIDS``).

    Each :meth:`popen` or :meth:`run` starts a new bwrap (a fresh PID namespace) with the same
    view of the files; :meth:`freeze`, :meth:`thaw` and :meth:`kill` act on all of them. As a
    context manager it kills them all on exit.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        home: Path,
        sockets: Path | None = None,
        readonly: Sequence[Path] = (),
        limits: Limits = Limits(),
        uid: int | None = None,
    ) -> None:
        self.workdir = _absolute(workdir)
        self.home = _absolute(home)
        self.sockets = _absolute(sockets) if sockets is not None else None
        self.readonly = [_absolute(path) for path in readonly]
        self.limits = limits
        if os.geteuid() != 0:
            if uid not in (None, os.getuid()):
                raise SandboxError("Only root can run a sandbox as another user.")
            self.uid, self.gid = os.getuid(), os.getgid()
        else:
            self.uid = uid if uid is not None else UIDS[int.from_bytes(os.urandom(4)) % len(UIDS)]
            self.gid = self.uid
        self._started: dict[subprocess.Popen, int | None] = {}  # bwrap -> its PID namespace

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()

    # --- files ---------------------------------------------------------------------------------

    def prepare(self, *paths: Path) -> None:
        """Create the work folder and home, and give them (or ``paths``) to the sandbox's user.

        Call it again after copying files in: a root grader's files are not the sandbox's, and
        a connection file that Jupyter wrote 0600 is unreadable to it. Symlinks are changed, never
        followed, so a tree the sandbox has written to is safe to prepare again.
        """
        for folder in (self.workdir, self.home):
            folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return
        for top in paths or (self.workdir, self.home):
            os.chown(top, self.uid, self.gid, follow_symlinks=False)
            for parent, folders, files in os.walk(top):
                for name in folders + files:
                    os.chown(os.path.join(parent, name), self.uid, self.gid, follow_symlinks=False)

    # --- starting ------------------------------------------------------------------------------

    def command(
        self, argv: Sequence[str], env: Mapping[str, str] | None = None, *, cwd: Path | None = None
    ) -> list[str]:
        """The full argv that runs ``argv`` in the sandbox, whatever environment it is run with.

        For launchers that start processes themselves; such processes are not tracked by
        :meth:`freeze` and :meth:`kill` (use :meth:`popen` for that), but still die with their
        parent. The environment's values are on the launcher's command line for an instant, as
        any argument: pass no secrets.
        """
        return self._command(argv, env, cwd, info_fd=None)

    def _command(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None,
        cwd: Path | None,
        info_fd: int | None,
    ) -> list[str]:
        """The launcher's argv; ``info_fd`` is where bwrap tells its PID namespace."""
        root = os.geteuid() == 0
        spec = {
            "bwrap": self._bwrap_args(argv, cwd, info_fd),
            "env": self._environment(env),
            "files": self._etc_files(),
            "limits": self._rlimits(),
            "uid": self.uid if root else None,
            "gid": self.gid if root else None,
            "keep_fd": info_fd,
        }
        return [sys.executable, "-I", "-S", "-c", LAUNCHER, str(HERE), json.dumps(spec)]

    def popen(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        *,
        cwd: Path | None = None,
        **kwargs: object,
    ) -> subprocess.Popen:
        """Start ``argv`` in the sandbox, tracked for :meth:`freeze` and :meth:`kill`.

        ``kwargs`` go to :class:`subprocess.Popen` (stdin, stdout, stderr, text...). It returns
        once bwrap has made the sandbox's PID namespace, or has failed (see its exit status).
        """
        for folder in (self.workdir, self.home):
            if not folder.is_dir():
                raise SandboxError(f"{folder} does not exist: call Sandbox.prepare() first.")
        read_end, write_end = os.pipe()
        try:
            process = subprocess.Popen(
                self._command(argv, env, cwd, info_fd=write_end),
                env={},
                pass_fds=(write_end,),
                **kwargs,  # type: ignore[arg-type]
            )
        finally:
            os.close(write_end)
        with os.fdopen(read_end, "rb") as info:  # bwrap writes it at once, then closes it
            text = info.read()
        info = json.loads(text) if text.strip() else {}  # none: bwrap failed, as its exit says
        namespace = info.get("pid-namespace")
        if info and (namespace is None or namespace in _own_namespaces()):
            process.kill()  # freeze() and kill() would act on the grader's own processes
            process.wait()
            raise SandboxError("bwrap made no PID namespace of its own.")
        self._started[process] = namespace
        return process

    def run(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        *,
        timeout: float | None = None,
        input: str | None = None,  # noqa: A002 - as subprocess.run
        cwd: Path | None = None,
    ) -> Completed:
        """Run a one-shot command; at the timeout, kill everything it started.

        ``limit`` says which limit seems to have stopped it: 'timed out', the CPU, file-size,
        memory or process limit, or another SIGKILL; None when none did.
        """
        process = self.popen(
            argv,
            env,
            cwd=cwd,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        timed_out = False
        try:
            stdout, stderr = process.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            self._kill(process)
            try:
                stdout, stderr = process.communicate(timeout=10)
            except subprocess.TimeoutExpired as error:  # only if the sandbox leaked a process
                raise SandboxError("A process outside the sandbox holds its output.") from error
        finally:
            self._kill(process)  # already over, unless communicate() was interrupted
        limit = limit_hit(process.returncode, stderr, timeout if timed_out else None)
        return Completed(list(argv), process.returncode, stdout, stderr, limit)

    # --- the processes -------------------------------------------------------------------------

    def freeze(self, timeout: float = 5.0) -> None:
        """Stop (SIGSTOP) every process of the sandbox; return once none of them runs.

        Processes are found from outside: every process whose PID namespace is one this sandbox
        made, whatever its session or parent. Scans repeat until a scan finds no process still
        running, so that a process forked during the scan is caught by the next one.
        """
        deadline = time.monotonic() + timeout
        while running := [pid for pid in self._processes() if _state(pid) not in STOPPED]:
            for pid in running:
                _signal(pid, signal.SIGSTOP)
            if time.monotonic() > deadline:
                raise SandboxError(f"Processes {running} of the sandbox did not stop.")
            time.sleep(0.002)

    def thaw(self) -> None:
        """Let every process of the sandbox run again (SIGCONT)."""
        for pid in self._processes():
            _signal(pid, signal.SIGCONT)

    def kill(self, timeout: float = 10.0) -> None:
        """Kill every process of the sandbox, and wait until they are all gone."""
        for process in list(self._started):
            self._kill(process, timeout)

    def _kill(self, process: subprocess.Popen, timeout: float = 10.0) -> None:
        """SIGKILL one bwrap's PID namespace (its init first) and bwrap; wait for all to end."""
        namespace = self._started.pop(process, None)
        deadline = time.monotonic() + timeout
        while members := _members(namespace):
            for pid in members:  # killing the init alone would do; the rest makes sure of it
                _signal(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                raise SandboxError(f"Processes {members} of the sandbox did not die.")
            time.sleep(0.002)
        if process.poll() is None:
            process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(max(0.1, deadline - time.monotonic()))

    isolated = True  # its processes have a PID namespace of their own
    own_processes = 2  # in each PID namespace: bwrap's init and the command

    def members(self) -> int:
        """How many processes run in this sandbox now (bwrap's init included)."""
        return len(self._processes())

    def _processes(self) -> list[int]:
        """The pids of every process in this sandbox's PID namespaces, now."""
        namespaces = {ns for process, ns in self._started.items() if process.poll() is None}
        return _members(*namespaces)

    # --- what bwrap is given -------------------------------------------------------------------

    def _bwrap_args(self, argv: Sequence[str], cwd: Path | None, info_fd: int | None) -> list:
        """bwrap's options, in mount order. Bind sources are marked ``{"src": path}`` so that
        the launcher can stage them."""
        bwrap = shutil.which("bwrap") or "/usr/bin/bwrap"
        args: list = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns"]
        args += ["--die-with-parent", "--new-session", "--cap-drop", "ALL"]
        args += ["--hostname", "sandbox"]
        if info_fd is not None:
            args += ["--info-fd", str(info_fd)]
        args += ["--ro-bind", {"src": "/usr"}, "/usr"]
        for name in SYSTEM_LINKS:
            path = Path("/", name)
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                args += ["--ro-bind", {"src": str(path)}, str(path)]
        for name in ETC:
            if Path("/etc", name).exists():
                args += ["--ro-bind", {"src": f"/etc/{name}"}, f"/etc/{name}"]
        for name in self._etc_files():
            args += ["--perms", "0444", "--ro-bind-data", {"file": name}, f"/etc/{name}"]
        args += ["--proc", "/proc", "--dev", "/dev"]
        args += ["--size", str(self.limits.tmp_size), "--tmpfs", "/dev/shm"]
        args += ["--size", str(self.limits.tmp_size), "--tmpfs", "/tmp"]
        for option, path in self._binds():
            args += [option, {"src": str(path)}, str(path)]
        args += ["--remount-ro", "/dev", "--remount-ro", "/"]  # no writable tmpfs but ours
        args += ["--chdir", str(_absolute(cwd) if cwd is not None else self.workdir)]
        return [*args, "--", *argv]

    def _binds(self) -> list[tuple[str, Path]]:
        """The folders bound at their own path, outer ones first so that inner ones show."""
        binds = [("--ro-bind", Path(sys.base_prefix)), ("--ro-bind", Path(sys.prefix))]
        binds += [("--ro-bind", path) for path in self.readonly]
        binds += [("--bind", self.workdir)]
        if not self.home.is_relative_to(self.workdir):
            binds += [("--bind", self.home)]
        if self.sockets is not None:
            binds += [("--ro-bind", self.sockets)]
        unique = {path: option for option, path in binds}  # a later, writable bind wins
        return sorted(((option, path) for path, option in unique.items()), key=_depth)

    def _environment(self, env: Mapping[str, str] | None) -> dict[str, str]:
        """All the environment the sandbox gets: nothing of the grader's."""
        path = [str(Path(sys.prefix) / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]
        return {"PATH": os.pathsep.join(path), "HOME": str(self.home), "LANG": "C.UTF-8"} | dict(
            env or {}
        )

    def _etc_files(self) -> dict[str, str]:
        """The sandbox's own user database: its user exists, the host's users do not show."""
        return {
            "passwd": (
                "root:x:0:0:root:/root:/usr/sbin/nologin\n"
                f"{NAME}:x:{self.uid}:{self.gid}:{NAME}:{self.home}:/bin/sh\n"
                "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
            ),
            "group": f"root:x:0:\n{NAME}:x:{self.gid}:\nnogroup:x:65534:\n",
            "hosts": "127.0.0.1\tlocalhost sandbox\n::1\tlocalhost sandbox\n",
            "nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files\n",
        }

    def _rlimits(self) -> list[tuple[str, int, int]]:
        """(name, soft, hard) for the launcher's setrlimit()."""
        limits = self.limits
        processes = limits.processes
        if os.geteuid() != 0:  # RLIMIT_NPROC counts all of the grader's own processes too
            processes += _threads_of(os.getuid())
        return [
            ("RLIMIT_AS", limits.memory, limits.memory),
            ("RLIMIT_CPU", limits.cpu_seconds, limits.cpu_seconds + 5),  # SIGXCPU, then SIGKILL
            ("RLIMIT_FSIZE", limits.file_size, limits.file_size),
            ("RLIMIT_NPROC", processes, processes),
            ("RLIMIT_NOFILE", limits.open_files, limits.open_files),
            ("RLIMIT_CORE", 0, 0),
        ]


class Unsandboxed(Sandbox):
    """The same interface with no sandbox at all: ``workshop grade --no-sandbox``.

    Commands run as the grader's own user, in the work folder, with the same clean environment
    and nothing else: no namespaces, no limits, no uid switch. Each command is a process group
    of its own, which :meth:`freeze`, :meth:`thaw` and :meth:`kill` act on; a process that
    leaves its group escapes them. Grading then trusts the submissions, and its report says so.
    """

    isolated = False
    own_processes = 1  # in the command's process group: the command itself

    def __init__(self, workdir: Path, *, home: Path, **_ignored: object) -> None:
        self.workdir = _absolute(workdir)
        self.home = _absolute(home)
        self.uid, self.gid = os.getuid(), os.getgid()
        self._groups: list[subprocess.Popen] = []

    def prepare(self, *paths: Path) -> None:
        for folder in (self.workdir, self.home):
            folder.mkdir(parents=True, exist_ok=True)

    def popen(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        *,
        cwd: Path | None = None,
        **kwargs: object,
    ) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", DIE_WITH_PARENT, *argv],
            env=self._environment(env),
            cwd=cwd or self.workdir,
            start_new_session=True,
            **kwargs,  # type: ignore[arg-type]
        )
        self._groups.append(process)
        return process

    def freeze(self, timeout: float = 5.0) -> None:
        self._signal_groups(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal_groups(signal.SIGCONT)

    def kill(self, timeout: float = 10.0) -> None:
        self._signal_groups(signal.SIGKILL)
        for process in self._groups:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout)
        self._groups.clear()

    def _kill(self, process: subprocess.Popen, timeout: float = 10.0) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)

    def _processes(self) -> list[int]:
        groups = {process.pid for process in self._groups if process.poll() is None}
        found = []
        for entry in os.scandir("/proc") if groups else ():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if entry.name.isdigit():
                    with open(f"{entry.path}/stat") as stat:
                        fields = stat.read().rpartition(")")[2].split()
                    if int(fields[2]) in groups and fields[0] not in "ZX":
                        found.append(int(entry.name))
        return found

    def _signal_groups(self, signum: int) -> None:
        for process in self._groups:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signum)


# Without a sandbox, nothing kills a command when the grader ends: nbval stops the grading kernel
# with SIGKILL, so the participant's kernel would live on as the grader's user. This asks Linux to
# kill the command when the thread that started it ends (PR_SET_PDEATHSIG), then runs it.
DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys; "
    "ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0); "
    "os.execvp(sys.argv[1], sys.argv[1:]) if os.getppid() != 1 else sys.exit(137)"
)

# --- reading /proc ---------------------------------------------------------------------------


def _members(*namespaces: int | None) -> list[int]:
    """Every live process (its pid as the host sees it) in the given PID namespaces.

    A process counts while any of its threads lives. Its main thread may have exited (the leader
    is then a zombie, with no readable ``ns/pid`` of its own) while other threads run on: such a
    process is found through its threads and counts, or it would escape :meth:`Sandbox.freeze`.
    Processes that are wholly zombies are left out: they run no code, and an orphaned one waits
    for the host's init to reap it, which may take seconds.
    """
    wanted = {ns for ns in namespaces if ns is not None} - _own_namespaces()  # never the host's
    found = []
    for entry in os.scandir("/proc") if wanted else ():
        if entry.name.isdigit() and _namespace(int(entry.name)) in wanted:
            found.append(int(entry.name))
    return [pid for pid in found if _state(pid) not in "ZX"]


def _namespace(pid: int) -> int | None:
    """The PID namespace of a process, from its main thread or, when that has exited, another."""
    with contextlib.suppress(OSError):
        return os.stat(f"/proc/{pid}/ns/pid").st_ino
    with contextlib.suppress(OSError):
        for task in os.scandir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                return os.stat(f"{task.path}/ns/pid").st_ino
    return None


def _own_namespaces() -> set[int]:
    """The grader's PID namespace and the host's (from init's), which no sandbox ever uses."""
    found = set()
    for pid in ("self", "1"):
        with contextlib.suppress(OSError):
            found.add(os.stat(f"/proc/{pid}/ns/pid").st_ino)
    return found


def _state(pid: int) -> str:
    """The process's state letter (R, S, D, T...), or X when it is gone.

    Taken over all its threads: a process runs while any thread runs, so a zombie main thread
    with live threads behind it reads as that running thread's state, not as Z.
    """
    letters = []
    try:
        tasks = list(os.scandir(f"/proc/{pid}/task"))
    except OSError:
        return "X"
    for task in tasks:
        try:
            with open(f"{task.path}/stat") as stat:
                letters.append(stat.read().rpartition(")")[2].split()[0])
        except (OSError, IndexError):
            continue
    for group in ("RDS", "tT", "Z"):  # running first: one running thread makes it run
        for letter in letters:
            if letter in group or (group == "RDS" and letter not in "tTZXx"):
                return letter
    return "X"


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _threads_of(uid: int) -> int:
    """How many processes and threads ``uid`` runs: what RLIMIT_NPROC counts."""
    count = 0
    for entry in os.scandir("/proc"):
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                count += len(os.listdir(f"/proc/{entry.name}/task"))
    return count


def limit_hit(returncode: int, stderr: str, timed_out_after: float | None) -> str | None:
    """Which limit seems to have stopped a command: from its signal, or Python's last words."""
    if timed_out_after is not None:
        return f"timed out after {timed_out_after:g} s"
    # bwrap exits with 128 + the signal that killed the command; a killed bwrap with -signal.
    signum = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
    if signum == signal.SIGXCPU:
        return "CPU time limit"
    tail = stderr[-2000:]
    if signum == signal.SIGXFSZ or "File too large" in tail:  # Python ignores SIGXFSZ
        return "file size limit"
    if signum == signal.SIGKILL:
        return "killed (SIGKILL: the CPU time limit's hard cap, or out of memory)"
    if "MemoryError" in tail or "Cannot allocate memory" in tail:
        return "memory limit"
    if "Resource temporarily unavailable" in tail:
        return "process limit"
    return None


def _absolute(path: Path) -> Path:
    """The real path: the sandbox sees each folder at the path the grader resolves it to."""
    return Path(os.path.realpath(path))


def _depth(bind: tuple[str, Path]) -> int:
    return len(bind[1].parts)


# --- the launcher: trusted code, run as the grader, stdlib only --------------------------------

# Isolated (-I: no PYTHON* variables, no current folder on sys.path) and without site (-S), so it
# starts fast. It imports this file alone, as `sandbox` (after the standard library on sys.path),
# from its cached bytecode, without the `workshop` package around it.
LAUNCHER = "import sys; sys.path.append(sys.argv[1]); import sandbox; sandbox.launch(sys.argv[2])"
HERE = Path(__file__).resolve().parent

CLONE_NEWNS = 0x0002_0000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x1000, 0x4000, 0x4_0000
STAGE = "/tmp"  # where the launcher's own mount namespace holds the bind sources


def launch(spec_json: str) -> None:
    """Set up what bwrap cannot, then become bwrap: the launcher's entry point."""
    spec = json.loads(spec_json)
    # Close every inherited fd but bwrap's --info-fd: a leaked one could open a way out. 1 << 20
    # is Linux's default fs.nr_open, above any fd number.
    keep = spec["keep_fd"]
    os.closerange(3, keep if keep is not None else 1 << 20)
    if keep is not None:
        os.closerange(keep + 1, 1 << 20)
    staged = _stage(spec) if spec["uid"] is not None else None
    argv = [_argument(arg, staged, spec["files"]) for arg in spec["bwrap"]]
    for name, soft, hard in spec["limits"]:
        resource.setrlimit(getattr(resource, name), (soft, hard))
    if spec["uid"] is not None:
        os.setgroups([])
        os.setgid(spec["gid"])
        os.setuid(spec["uid"])  # real, effective and saved: no way back to root
    os.chdir("/")
    os.execve(argv[0], argv, spec["env"])


def _stage(spec: dict) -> dict[str, str]:
    """Bind every source into a tmpfs the sandbox's user can walk; return source -> stage.

    Only in a mount namespace of the launcher's own, private, so the host sees none of it. The
    sources are opened before the tmpfs covers the staging folder, which may hold some of them.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]

    def check(result: int, what: str) -> None:
        if result != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"{what}: {os.strerror(error)}")

    check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "making / private")
    sources = [arg["src"] for arg in spec["bwrap"] if isinstance(arg, dict) and "src" in arg]
    opened = {
        source: os.open(source, os.O_PATH | os.O_CLOEXEC) for source in dict.fromkeys(sources)
    }
    flags = MS_NOSUID | MS_NODEV
    check(libc.mount(b"wk-stage", STAGE.encode(), b"tmpfs", flags, b"mode=0755"), "staging tmpfs")
    staged = {}
    for index, (source, fd) in enumerate(opened.items()):
        target = f"{STAGE}/{index}"
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.mkdir(target)
        else:
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o444))
        via = f"/proc/self/fd/{fd}".encode()
        check(libc.mount(via, target.encode(), None, MS_BIND | MS_REC, None), f"binding {source}")
        os.close(fd)
        staged[source] = target
    return staged


def _argument(arg: str | dict, staged: dict[str, str] | None, files: dict[str, str]) -> str:
    """One bwrap argument: a bind source (staged, when root), or a file's content in a pipe."""
    if isinstance(arg, str):
        return arg
    if "src" in arg:
        return staged[arg["src"]] if staged is not None else arg["src"]
    read_end, write_end = os.pipe()  # a few hundred bytes: the pipe's buffer holds them
    os.write(write_end, files[arg["file"]].encode())
    os.close(write_end)
    os.set_inheritable(read_end, True)
    return str(read_end)
