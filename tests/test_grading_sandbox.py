"""The grading sandbox (workshop.grading.sandbox): each attack must fail, and grading must work.

Each attack test fails against a sandbox without the protection it is about (tried by weakening
the module one option at a time), and checks that the attack was really tried: the file exists,
the server listens, the daemon started. Attacks that could harm the machine if the sandbox failed
are bounded: the fork bomb stops at 200 processes, the memory hog asks for 1 GiB once.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from workshop.grading.sandbox import Completed, Limits, MiB, Sandbox, available

from .conftest import REPO

pytestmark = pytest.mark.usefixtures("bubblewrap")

TIMEOUT = 60  # seconds; a run that needs it has failed


@pytest.fixture
def make_box(tmp_path: Path) -> Iterator[Callable[..., Sandbox]]:
    """Sandboxes on fresh folders under tmp_path (root's 0700 folder when root), killed after."""
    made: list[Sandbox] = []

    def make(**options: object) -> Sandbox:
        folder = Path(tempfile.mkdtemp(dir=tmp_path))
        box = Sandbox(folder / "work", home=folder / "home", **options)  # type: ignore[arg-type]
        box.prepare()
        made.append(box)
        return box

    yield make
    for box in made:
        box.kill()


@pytest.fixture
def box(make_box: Callable[..., Sandbox]) -> Sandbox:
    return make_box()


def python(box: Sandbox, code: str) -> Completed:
    """Run Python code in the sandbox, with the virtualenv's python found on its PATH."""
    return box.run(["python", "-c", textwrap.dedent(code)], timeout=TIMEOUT)


def wait_for(condition: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def processes_with(marker: str) -> list[int]:
    """Host pids whose command line holds ``marker``."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                    if marker.encode() in cmdline.read():
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_available_here() -> None:
    assert available() is None


# --- what it can read ---------------------------------------------------------------------------


def test_home_folders_are_invisible(box: Sandbox) -> None:
    """A file in $HOME and in /root: the grader's secrets. Only the Python installation shows."""
    homes = sorted({Path.home(), Path("/root")})
    secrets = []
    try:
        for home in homes:
            if os.access(home, os.W_OK):
                handle, name = tempfile.mkstemp(dir=home, prefix="wk_secret_")
                os.write(handle, b"instructor-token")
                os.close(handle)
                secrets.append(name)
        assert secrets, "no home folder to plant a secret in"
        for secret in secrets:
            result = box.run(["cat", secret], timeout=TIMEOUT)
            assert result.returncode != 0 and "instructor-token" not in result.stdout
        listing = box.run(["ls", "-a", *map(str, homes)], timeout=TIMEOUT)
        for secret in secrets:
            assert Path(secret).name not in listing.stdout
    finally:
        for secret in secrets:
            os.unlink(secret)
    # Of a home folder, only the way down to the Python installation shows, if it is in one.
    code = "import json, os, sys; print(json.dumps([os.listdir(f) for f in sys.argv[1:]]))"
    for prefix in {Path(sys.base_prefix), Path(sys.prefix)}:
        for home in homes:
            if prefix.is_relative_to(home):
                steps = prefix.relative_to(home).parts  # .pyenv, versions, 3.11.7
                folders = [str(home.joinpath(*steps[:i])) for i in range(len(steps))]
                seen = box.run(["python", "-c", code, *folders], timeout=TIMEOUT)
                assert json.loads(seen.stdout) == [[step] for step in steps], seen.stdout


def test_checkout_and_other_folders_are_invisible_unless_passed(
    make_box: Callable[..., Sandbox], tmp_path: Path
) -> None:
    other = tmp_path / "other-submission" / "notebooks"
    other.mkdir(parents=True)
    (other / "answers.ipynb").write_text("{}")
    output = tmp_path / "grading-report"
    output.mkdir()
    (output / "grades.csv").write_text("ada,100\n")
    targets = [REPO / "README.md", REPO / "solutions", REPO / ".workshop", other, output]
    assert all(path.exists() for path in targets)
    probe = "import os, sys; print([os.path.exists(p) for p in sys.argv[1:]])"

    hidden = make_box()
    result = hidden.run(["python", "-c", probe, *map(str, targets)], timeout=TIMEOUT)
    assert result.stdout.strip() == str([False] * len(targets)), result.stderr

    kit = REPO / "workshop"
    shown = make_box(readonly=[kit])
    code = f"""
        import pathlib
        print(len(pathlib.Path({str(kit / "__init__.py")!r}).read_bytes()))
        print(pathlib.Path({str(REPO / "README.md")!r}).exists())
        try:
            open({str(kit / "planted.py")!r}, "w")
        except OSError as error:
            print(type(error).__name__)
    """
    result = python(shown, code)
    size = (kit / "__init__.py").stat().st_size
    assert result.stdout.split() == [str(size), "False", "OSError"], result.stderr
    assert not (kit / "planted.py").exists()


def test_leaked_file_descriptors_are_closed(box: Sandbox) -> None:
    """A directory fd from the grader would be a way out of the sandbox's root."""
    leaked = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.dup2(leaked, 77)  # inheritable
        code = "import os; print(sorted(int(fd) for fd in os.listdir('/proc/self/fd')))"
        result = subprocess.run(
            box.command(["python", "-c", code]),
            close_fds=False,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    finally:
        os.close(77)
        os.close(leaked)
    assert json.loads(result.stdout) == [0, 1, 2, 3], result.stderr  # 3: listdir's own


# --- what it can write --------------------------------------------------------------------------


def test_writes_only_in_work_folder_home_and_private_tmp(
    make_box: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sockets = tmp_path / "sockets"
    sockets.mkdir(mode=0o755)
    kit = REPO / "workshop"
    box = make_box(sockets=sockets, readonly=[kit])
    mark = f"wk_written_{os.getpid()}_{time.monotonic_ns()}"
    refused = ["/", "/root", "/etc", "/usr", "/dev", sys.prefix, sys.base_prefix, kit, sockets]
    allowed = [box.workdir, box.home, "/tmp", "/dev/shm"]
    code = """
        import os, sys
        for folder in sys.argv[2:]:
            try:
                with open(os.path.join(folder, sys.argv[1]), "w") as f:
                    f.write("x")
                print("wrote", folder)
            except OSError as error:
                print("refused", folder)
    """
    argv = ["python", "-c", textwrap.dedent(code), mark, *map(str, refused + allowed)]
    result = box.run(argv, timeout=TIMEOUT)
    expected = [f"refused {p}" for p in refused] + [f"wrote {p}" for p in allowed]
    assert result.stdout.splitlines() == expected, result.stdout + result.stderr
    for folder in [
        *refused,
        "/tmp",
        "/dev/shm",
    ]:  # the private /tmp and /dev/shm are not the host's
        assert not Path(folder, mark).exists()
    written = box.workdir / mark
    assert written.read_text() == "x"
    assert written.stat().st_uid == box.uid  # the grader knows whose it is, and can read it
    assert box.uid != 0


def test_private_tmp_is_capped(make_box: Callable[..., Sandbox]) -> None:
    box = make_box(limits=Limits(tmp_size=8 * MiB))
    code = """
        import sys
        for folder in ("/tmp", "/dev/shm"):
            try:
                with open(folder + "/fill", "wb") as f:
                    for _ in range(16):
                        f.write(b"x" * 1024 * 1024)
                print(folder, "filled")
            except OSError as error:
                print(folder, error.strerror)
    """
    result = python(box, code)
    assert result.stdout.splitlines() == [
        "/tmp No space left on device",
        "/dev/shm No space left on device",
    ], result.stderr


# --- processes and the network ------------------------------------------------------------------


def test_grader_processes_are_invisible_and_unreachable(box: Sandbox) -> None:
    grader = os.getpid()
    code = f"""
        import os
        pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
        try:
            os.kill({grader}, 0)
            print("grader reachable")
        except ProcessLookupError:
            print("no such process")
        try:
            open("/proc/{grader}/environ").read()
            print("environ read")
        except OSError:
            print("no environ")
        print(pids)
    """
    result = python(box, code)
    lines = result.stdout.splitlines()
    assert lines[:2] == ["no such process", "no environ"], result.stdout + result.stderr
    assert max(json.loads(lines[2])) < 50  # its own few processes, counted from 1
    ps = box.run(["ps", "ax", "-o", "pid,args"], timeout=TIMEOUT)
    assert len(ps.stdout.splitlines()) == 3, ps.stdout  # the header, bwrap's init, ps
    assert Path(__file__).name not in ps.stdout  # the grader's command line


def test_environment_holds_nothing_of_the_grader(
    box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"wk-secret-{os.urandom(8).hex()}"
    monkeypatch.setenv("WK_INSTRUCTOR_TOKEN", secret)
    monkeypatch.setenv("WORKSHOP_DATABASE_URL", f"postgresql://instructor:{secret}@host/db")
    # The code looks for the secret without holding it: its own command line is in /proc too.
    code = f"""
        import os, json
        secret = bytes.fromhex({secret.encode().hex()!r})
        found = [k for k, v in os.environ.items() if secret.decode() in v]
        for pid in (p for p in os.listdir("/proc") if p.isdigit()):
            for name in ("environ", "cmdline"):
                try:
                    if secret in open(f"/proc/{{pid}}/{{name}}", "rb").read():
                        found.append(f"/proc/{{pid}}/{{name}}")
                except OSError:
                    pass
        print(json.dumps({{"found": found, "env": dict(os.environ)}}))
    """
    argv = ["python", "-c", textwrap.dedent(code)]
    by_run = box.run(argv, {"WORKSHOP_ROOT": str(box.workdir)}, timeout=TIMEOUT)
    # command() must be safe to exec with the grader's whole environment, as launchers do.
    by_command = subprocess.run(
        box.command(argv), env=os.environ, capture_output=True, text=True, timeout=TIMEOUT
    )
    for result in (by_run, by_command):
        seen = json.loads(result.stdout)
        assert seen["found"] == [], result.stdout
    assert json.loads(by_run.stdout)["env"] == {
        "PATH": f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(box.home),
        "LANG": "C.UTF-8",
        "WORKSHOP_ROOT": str(box.workdir),
        "PWD": str(box.workdir),  # set by bwrap's --chdir
    }


def test_no_network_but_the_sockets_folder(
    make_box: Callable[..., Sandbox], tmp_path: Path
) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    socket.create_connection(("127.0.0.1", port), timeout=5).close()  # it does listen, outside
    sockets = tmp_path / "sockets"
    sockets.mkdir(mode=0o711)  # as PostgreSQL's socket folder: enter, not list
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(sockets / ".s.PGSQL.5432"))
    os.chmod(sockets / ".s.PGSQL.5432", 0o777)
    unix.listen()
    elsewhere = tmp_path / "elsewhere.sock"
    hidden = socket.socket(socket.AF_UNIX)
    hidden.bind(str(elsewhere))
    hidden.listen()

    def answer() -> None:
        connection, _ = unix.accept()
        connection.sendall(b"pong " + connection.recv(100))
        connection.close()

    threading.Thread(target=answer, daemon=True).start()
    box = make_box(sockets=sockets)
    code = f"""
        import socket, os
        print([name for _, name in socket.if_nameindex()])
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=5)
            print("tcp connected")
        except OSError as error:
            print("tcp", type(error).__name__)
        s = socket.socket(socket.AF_UNIX)
        s.connect({str(sockets / ".s.PGSQL.5432")!r})
        s.sendall(b"ping")
        print(s.recv(100).decode())
        try:
            socket.socket(socket.AF_UNIX).connect({str(elsewhere)!r})
            print("elsewhere connected")
        except OSError as error:
            print("elsewhere", type(error).__name__)
        try:
            os.unlink({str(sockets / ".s.PGSQL.5432")!r})
            print("socket deleted")
        except OSError as error:
            print("unlink", type(error).__name__)
    """
    try:
        result = python(box, code)
    finally:
        for sock in (server, unix, hidden):
            sock.close()
    assert result.stdout.splitlines() == [
        "['lo']",
        "tcp ConnectionRefusedError",
        "pong ping",
        "elsewhere FileNotFoundError",
        "unlink OSError",
    ], result.stdout + result.stderr


def test_no_capabilities_and_no_new_user_namespaces(box: Sandbox) -> None:
    status = box.run(["grep", "-E", "^(CapEff|CapBnd|NoNewPrivs)", "/proc/self/status"])
    fields = dict(line.split() for line in status.stdout.splitlines())
    assert fields == {"CapEff:": "0" * 16, "CapBnd:": "0" * 16, "NoNewPrivs:": "1"}, fields
    unshare = box.run(["unshare", "--user", "--map-root-user", "--pid", "--fork", "true"])
    assert unshare.returncode != 0  # no nested namespace in which to hide from freeze()


def test_no_typing_into_the_graders_terminal(box: Sandbox) -> None:
    """TIOCSTI on a terminal it inherited would type commands into the grader's shell."""
    import fcntl
    import termios

    master, terminal = os.openpty()
    code = """
        import fcntl, termios
        try:
            for byte in b"echo pwned\\n":
                fcntl.ioctl(0, termios.TIOCSTI, bytes([byte]))
            print("typed")
        except OSError as error:
            print("refused", error.strerror)
    """
    argv = box.command(["python", "-c", textwrap.dedent(code)])
    pid = os.fork()
    if pid == 0:  # the grader's shell, as it were: the terminal is its controlling terminal
        try:
            os.setsid()
            fcntl.ioctl(terminal, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(terminal, fd)
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    _, status = os.waitpid(pid, 0)
    typed = b""
    try:
        printed = os.read(master, 1000).decode()
        os.set_blocking(terminal, False)
        with contextlib.suppress(BlockingIOError):
            typed = os.read(terminal, 1000)  # what the grader's shell would read next
    finally:
        os.close(master)
        os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == 0, printed
    assert "refused Operation not permitted" in printed
    assert typed == b""


# --- lifetime -----------------------------------------------------------------------------------

DAEMON = """
    import os, sys, time
    marker, ready = sys.argv[1], sys.argv[2]
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            open(ready, "w").close()
            os.execvp("python", ["python", "-c", "import time; time.sleep(600)", marker[::-1]])
        os._exit(0)
    while not os.path.exists(ready):
        time.sleep(0.01)
    if len(sys.argv) > 3:
        time.sleep(600)
"""


def test_double_forked_daemons_die_with_the_sandbox(box: Sandbox) -> None:
    marker = f"wk-daemon-{os.urandom(6).hex()}"
    ready = box.workdir / "ready"
    result = box.run(["python", "-c", textwrap.dedent(DAEMON), marker, str(ready)], timeout=30)
    assert result.returncode == 0 and ready.exists(), result.stderr  # the daemon did start
    wait_for(lambda: not processes_with(marker[::-1]), "the daemon to die", timeout=5)

    # The same, ended by kill() while the command still runs.
    ready.unlink()
    argv = ["python", "-c", textwrap.dedent(DAEMON), marker, str(ready), "stay"]
    process = box.popen(argv)
    wait_for(ready.exists, "the daemon to start")
    wait_for(lambda: processes_with(marker[::-1]), "the daemon")  # marked by its own argument
    box.kill()
    assert processes_with(marker) == processes_with(marker[::-1]) == []
    assert process.returncode is not None


def test_the_sandbox_dies_with_the_grader(box: Sandbox) -> None:
    """A grader killed outright (no cleanup runs) leaves nothing of the sandbox running."""
    marker = f"wk-orphan-{os.urandom(6).hex()}"
    ready = box.workdir / "ready"
    grader = """
        import sys, time
        from pathlib import Path
        from workshop.grading.sandbox import Sandbox
        work, home, uid, *argv = sys.argv[1:]
        Sandbox(Path(work), home=Path(home), uid=int(uid)).popen(argv)
        time.sleep(600)
    """
    daemon = ["python", "-c", textwrap.dedent(DAEMON), marker, str(ready), "stay"]
    argv = [sys.executable, "-c", textwrap.dedent(grader), str(box.workdir), str(box.home)]
    process = subprocess.Popen([*argv, str(box.uid), *daemon], cwd=REPO)
    try:
        wait_for(ready.exists, "the daemon to start")
        wait_for(lambda: processes_with(marker[::-1]), "the daemon")
    finally:
        process.kill()
        process.wait()
    wait_for(lambda: not processes_with(marker), "the sandbox to die", timeout=10)
    assert processes_with(marker[::-1]) == []


def test_timeout_kills_everything(box: Sandbox) -> None:
    marker = f"wk-slow-{os.urandom(6).hex()}"
    started = time.monotonic()
    result = box.run(["sh", "-c", f"sleep 300; : {marker}"], timeout=1)
    assert time.monotonic() - started < 10
    assert result.limit == "timed out after 1 s"
    assert processes_with(marker) == []


def test_freeze_stops_every_process_until_thaw(box: Sandbox) -> None:
    """Two counters, one in a new session of its own; neither advances while frozen."""
    code = """
        import os, time
        def count(path):
            n = 0
            while True:
                n += 1
                with open(path + ".new", "w") as f:
                    f.write(str(n))
                os.replace(path + ".new", path)
                time.sleep(0.005)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                count("daemon")
            os._exit(0)
        count("main")
    """
    marker = f"wk-counter-{os.urandom(6).hex()}"
    box.popen(["python", "-c", textwrap.dedent(code), marker])
    counters = [box.workdir / "main", box.workdir / "daemon"]

    def values() -> list[int]:
        return [int(path.read_text() or 0) for path in counters]

    def advanced(since: list[int]) -> bool:
        return all(now > then for now, then in zip(values(), since, strict=True))

    wait_for(lambda: all(path.exists() for path in counters), "both counters")
    before = values()
    wait_for(lambda: advanced(before), "both counters to advance")
    box.freeze()
    frozen = values()
    time.sleep(0.3)
    assert values() == frozen
    box.thaw()
    wait_for(lambda: advanced(frozen), "both counters to advance after thaw")
    box.freeze()  # as for the trusted checks, which end in kill()
    box.kill()
    assert box._processes() == []
    assert processes_with(marker) == []


def test_freeze_stops_a_process_whose_main_thread_has_exited(box: Sandbox) -> None:
    """A main thread that exits alone (the exit syscall, not exit_group) leaves a zombie leader
    with live threads and no readable ns/pid: it must still be found, counted and stopped."""
    code = """
        import ctypes, os, threading, time
        def count():
            n = 0
            while True:
                n += 1
                with open("beat.new", "w") as f:
                    f.write(str(n))
                os.replace("beat.new", "beat")
                time.sleep(0.005)
        threading.Thread(target=count).start()
        time.sleep(0.2)
        ctypes.CDLL(None).syscall(60, 0)  # SYS_exit on x86-64: this thread only
    """
    box.popen(["python", "-c", textwrap.dedent(code)])
    beat = box.workdir / "beat"
    wait_for(lambda: beat.exists() and int(beat.read_text() or 0) > 50, "the counter thread")
    assert box.members() >= 2, "bwrap's init and the process with the zombie main thread"
    box.freeze()
    frozen = beat.read_text()
    time.sleep(0.3)
    assert beat.read_text() == frozen
    box.thaw()
    box.kill()
    assert box._processes() == []


def test_a_grader_that_is_not_root(tmp_path: Path) -> None:
    """bwrap then runs unprivileged, as the grader, in user namespaces, with nothing to stage.

    The grader here is the system's Python (this virtualenv's lives in root's 0700 home), run as
    a user made up for the test.
    """
    system_python = Path("/usr/bin/python3")
    if os.geteuid() != 0 or not system_python.exists():
        pytest.skip("needs root, to become another user, and /usr/bin/python3 for that user")
    uid = 0x6FFF_0000 + os.getpid() % 0xFFFF  # below the sandboxes' UIDS
    folder = Path(tempfile.mkdtemp())
    os.chown(folder, uid, uid)
    grader = f"""
        import json, sys
        sys.path.append({str(REPO)!r})
        from pathlib import Path
        from workshop.grading.sandbox import Sandbox, available
        box = Sandbox(Path({str(folder)!r}) / "work", home=Path({str(folder)!r}) / "home")
        box.prepare()
        ran = box.run(["sh", "-c", "id -u; echo x > written; ls /proc | grep -c '^[0-9]'"])
        process = box.popen(["sleep", "60"])
        box.freeze()
        box.kill()
        owner = (box.workdir / "written").stat().st_uid
        print(json.dumps([available(), ran.stdout.split(), owner, process.returncode]))
    """
    argv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    argv += ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={folder}", str(system_python), "-c"]
    try:
        result = subprocess.run(
            [*argv, textwrap.dedent(grader)], capture_output=True, text=True, timeout=TIMEOUT
        )
    finally:
        shutil.rmtree(folder)
    assert result.returncode == 0, result.stderr
    why_not, (seen_uid, pids), owner, returncode = json.loads(result.stdout)
    assert why_not is None
    assert int(seen_uid) == owner == uid  # the grader's own uid, inside and on its files
    assert int(pids) < 10  # a PID namespace of its own
    assert returncode == 128 + signal.SIGKILL  # killed while frozen


# --- limits -------------------------------------------------------------------------------------


def test_file_size_limit(make_box: Callable[..., Sandbox]) -> None:
    box = make_box(limits=Limits(file_size=1 * MiB))
    code = "open('big', 'wb').write(b'x' * 4 * 1024 * 1024)"
    result = python(box, code)
    assert result.limit == "file size limit", (result.returncode, result.stderr)
    assert (box.workdir / "big").stat().st_size <= 1 * MiB


def test_fork_bomb_stops_at_the_process_limit(make_box: Callable[..., Sandbox]) -> None:
    box = make_box(limits=Limits(processes=20))
    code = """
        import os, time
        children = 0
        try:
            while children < 200:  # bounded: a broken sandbox must not take the machine down
                if os.fork() == 0:
                    time.sleep(60)
                    os._exit(0)
                children += 1
        finally:
            print(children, flush=True)
    """
    result = python(box, code)
    assert 5 < int(result.stdout) < 20, result.stdout
    assert result.limit == "process limit", result.stderr


def test_memory_hog_stops_at_the_memory_limit(make_box: Callable[..., Sandbox]) -> None:
    box = make_box(limits=Limits(memory=512 * MiB))
    code = """
        small = bytearray(100 * 1024 * 1024)
        print("100 MiB ok", flush=True)
        big = bytearray(1024 * 1024 * 1024)
        print("1 GiB ok")
    """
    result = python(box, code)
    assert result.stdout.splitlines() == ["100 MiB ok"]
    assert result.limit == "memory limit", result.stderr


def test_cpu_limit(make_box: Callable[..., Sandbox]) -> None:
    box = make_box(limits=Limits(cpu_seconds=1))
    result = python(box, "while True: pass")
    assert result.limit == "CPU time limit", (result.returncode, result.stderr)
    assert result.returncode == 128 + signal.SIGXCPU


# --- what grading needs -------------------------------------------------------------------------


def test_the_virtualenv_and_alembic_work(box: Sandbox) -> None:
    code = """
        import getpass, sqlalchemy, alembic, ipykernel, psycopg2, nbformat
        print(getpass.getuser(), sqlalchemy.__version__[:1])
    """
    result = python(box, code)
    assert result.stdout.split() == ["participant", "2"], result.stderr

    assert box.run(["alembic", "init", "migrations"], timeout=TIMEOUT).returncode == 0
    ini = box.workdir / "alembic.ini"
    url = f"sqlite:///{box.workdir / 'app.db'}"
    ini.write_text(ini.read_text().replace("driver://user:pass@localhost/dbname", url))
    assert box.run(["alembic", "revision", "-m", "first"], timeout=TIMEOUT).returncode == 0
    upgraded = box.run(["alembic", "upgrade", "head"], timeout=TIMEOUT)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Running upgrade  ->" in upgraded.stderr
    assert (box.workdir / "app.db").stat().st_uid == box.uid


def test_an_ipython_kernel_runs_inside(box: Sandbox) -> None:
    """Over ZMQ ipc sockets in the work folder, with the default limits."""
    from jupyter_client import BlockingKernelClient
    from jupyter_client.connect import write_connection_file

    connection = box.workdir / "kernel.json"
    write_connection_file(str(connection), transport="ipc", ip=str(box.workdir / "kernel"))
    box.prepare(connection)  # Jupyter writes it 0600, for its owner only
    kernel = box.popen(
        ["python", "-m", "ipykernel_launcher", "-f", str(connection)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    client = BlockingKernelClient(connection_file=str(connection))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
        printed: list[str] = []

        def output(message: dict) -> None:
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])

        code = "import os; print(os.getuid(), os.getcwd(), os.environ['HOME'])"
        reply = client.execute_interactive(code, timeout=TIMEOUT, output_hook=output)
        assert reply["content"]["status"] == "ok"
        assert "".join(printed).split() == [str(box.uid), str(box.workdir), str(box.home)]
        assert kernel.poll() is None
    finally:
        client.stop_channels()
        box.kill()
    assert kernel.returncode is not None
