"""A class on a real JupyterHub, from login to grades, and what one participant can do to
another (issue 15).

Installed by the suite where it runs as root (see :mod:`tests.hub_support`): JupyterHub from PyPI
in the class's installation of this kit (``workshop class install``), configurable-http-proxy
from the npm registry, Debian's PostgreSQL as the class's shared server (with an instructor role
that is no superuser), and three system users. Their names are chosen so that two of them,
``hub.bob`` and ``hub-bob``, shared one database under the old naming rule.

The hub runs the kit's own ``jupyterhub_config.py``. Each participant logs in with the login
form (PAM), their server starts through the hub, and, all three at once, each runs lesson 02 in
a kernel of their own through the hub's proxy: two with the answer, one with the exercise left
as it is. Each checks ``alembic current`` and hands in lesson 02 from a lab terminal. Then two
of them attack the others: their databases, files, hand-ins, server and environment. The
instructor collects the hand-ins with ``workshop class collect`` and grades them with
``workshop grade``.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from workshop.classroom import names
from workshop.grading import states

from .class_support import (
    debian_bin,
    ensure_user,
    machine_lock,
    remove_user,
    require_root,
    running_cluster,
    set_password,
)
from .conftest import BIN, REPO
from .hub_support import Browser, Outputs, ensure_kit, ensure_proxy, running_hub

ADA, DOTTED, DASHED = "hubada", "hub.bob", "hub-bob"
USERS = (ADA, DOTTED, DASHED)
LESSON = "notebooks/02-op-create-table.ipynb"
PASSED = "✅ Exercise 02.1 passed"


def run_lesson(browser: Browser, notebook: dict) -> list[Outputs]:
    """Every code cell of ``notebook``, in order, in a new kernel of the participant's, as
    JupyterLab's Run All does (a failing cell does not stop the rest here: the check must run)."""
    browser.put_notebook(LESSON, notebook)
    with browser.kernel(LESSON) as kernel:
        return [
            kernel.run("".join(cell["source"]))
            for cell in notebook["cells"]
            if cell["cell_type"] == "code"
        ]


def check_output(notebook: dict, outputs: list[Outputs]) -> str:
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    for cell, output in zip(code, outputs, strict=True):
        if "check" in cell.get("metadata", {}).get("tags", []):
            return output.text + (output.error or "")
    raise AssertionError("lesson 02 has no check cell")


ATTACK = r"""
import json, os, pwd, subprocess, sys
import sqlalchemy as sa
me = pwd.getpwuid(os.getuid()).pw_name
victims = json.loads(sys.argv[1])
drop = sys.argv[2]
results = {}

def attempt(what, action):
    try:
        action()
        results[what] = "DONE"
    except Exception as error:  # what the refusal says, first line
        results[what] = f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"

mine = sa.make_url(os.environ["WORKSHOP_DATABASE_URL"])

def connect(url):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()

def run(sql):
    engine = sa.create_engine(mine, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()

def kit(*argv, **env):
    done = subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True)
    said = (done.stdout + done.stderr).strip()
    return said[-600:] if said else f"(nothing said, exit status {done.returncode})"

for v in victims:
    n = v["name"]
    attempt(f"{n}: my role, their database", lambda: connect(mine.set(database=v["database"])))
    attempt(f"{n}: their role, my password",
            lambda: connect(mine.set(username=v["role"], database=v["database"])))
    attempt(f"{n}: their role, a guess",
            lambda: connect(mine.set(username=v["role"], password="secret",
                                     database=v["database"])))
    attempt(f"{n}: drop their database", lambda: run(f'DROP DATABASE "{v["database"]}"'))
    results[f"{n}: workshop db url with JUPYTERHUB_USER"] = kit(
        "workshop", "db", "url", JUPYTERHUB_USER=n)
    nameless = mine._replace(database=None).render_as_string(hide_password=False)
    results[f"{n}: the kit, no database in the URL, JUPYTERHUB_USER"] = kit(
        sys.executable, "-c", "from workshop import db; db.engine().connect()",
        JUPYTERHUB_USER=n, WORKSHOP_DATABASE_URL=nameless)
    attempt(f"{n}: list their home", lambda: os.listdir(v["home"]))
    attempt(f"{n}: read their lesson",
            lambda: open(os.path.join(v["home"], "workshop", "notebooks",
                                      "02-op-create-table.ipynb")).read())
    attempt(f"{n}: read their IPython history",
            lambda: open(os.path.join(v["home"], ".ipython", "profile_default",
                                      "history.sqlite"), "rb").read())
    attempt(f"{n}: read their hand-in", lambda: open(v["handin"], "rb").read())
    attempt(f"{n}: delete their hand-in", lambda: os.unlink(v["handin"]))
    attempt(f"{n}: hard link to their hand-in",
            lambda: os.link(v["handin"], os.path.join(drop, f"link-{me}-{n}.zip")))
    attempt(f"{n}: symbolic link to their hand-in",
            lambda: os.symlink(v["handin"], os.path.join(drop, f"symlink-{me}-{n}.zip")))
    attempt(f"{n}: read their server's environment",
            lambda: open(f"/proc/{v['server_pid']}/environ", "rb").read())
attempt("create a database", lambda: run("CREATE DATABASE mine_too"))
attempt("create a role", lambda: run("CREATE ROLE mine_too"))
attempt("list the drop folder", lambda: os.listdir(drop))
results["the instructor's URL in my environment"] = str(
    any("ADMIN_URL" in key for key in os.environ))
print(json.dumps(results))
"""


class Clock:
    """Phases' times, printed as they end (a failure still shows how long each took)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.last = time.monotonic()

    def lap(self, what: str) -> None:
        now = time.monotonic()
        self.times[what] = now - self.last
        self.last = now
        print(f"class hub test: {what}: {self.times[what]:.1f} s", flush=True)


def refused(results: dict[str, str], key: str, *says: str) -> None:
    got = results[key]
    assert got != "DONE" and any(s in got for s in says), f"{key}: {got}"


def server_pid(user: pwd.struct_passwd) -> int:
    found = subprocess.run(
        ["pgrep", "-u", str(user.pw_uid), "-f", "jupyterhub-singleuser"],
        capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    assert found, f"no server process of {user.pw_name}"
    return int(found[0])


@pytest.mark.slow
def test_a_class_on_a_real_jupyterhub(tmp_path: Path) -> None:
    require_root("A real JupyterHub with LocalProcessSpawner")
    # The users and the cached installation are the machine's: one run of this test at a time.
    with machine_lock("hub"):
        the_class_on_a_real_jupyterhub(tmp_path)


def the_class_on_a_real_jupyterhub(tmp_path: Path) -> None:  # noqa: PLR0915 - one story
    clock = Clock()
    proxy = ensure_proxy()
    clock.lap("configurable-http-proxy (npm, cached)")
    kit, made = ensure_kit()
    clock.lap(f"the class's installation ({made})")
    pg_bin = debian_bin()
    passwords = {name: secrets.token_urlsafe(12) for name in USERS}
    shared = Path(tempfile.mkdtemp(prefix="wk_class_"))
    shared.chmod(0o755)  # participants reach the drop folder inside
    hub_folder = tmp_path / "hub"
    hub_folder.mkdir(mode=0o700)
    drop = shared / "handin"
    roster = hub_folder / "roster.txt"
    roster.write_text("".join(f"{name}\n" for name in USERS))
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, shared, ignore_errors=True)
        cluster = stack.enter_context(running_cluster(pg_bin))
        users = {}
        for name in USERS:
            stack.callback(remove_user, name)
            users[name] = ensure_user(name)
            set_password(name, passwords[name])
        env = {
            "WORKSHOP_CLASS_ADMIN_URL": cluster.admin_url,
            "WORKSHOP_CLASS_ROSTER": str(roster),
            "WORKSHOP_CLASS_HANDIN": str(drop),
        }
        clock.lap("PostgreSQL 15 cluster and three users")
        hub = stack.enter_context(running_hub(kit, proxy, hub_folder, env))
        clock.lap("hub started")
        browsers = {name: Browser(hub, users[name], passwords[name]) for name in USERS}

        # --- 1. log in through the hub, all three at once ---------------------------------
        def log_in(browser: Browser) -> float:
            browser.login()
            return browser.start_server()

        with ThreadPoolExecutor(len(USERS)) as pool:
            ready = dict(zip(USERS, pool.map(log_in, browsers.values()), strict=True))
        after = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in ready.items())
        clock.lap(f"three logins, servers ready ({after} after login)")
        intruder = Browser(hub, users[ADA], "wrong password")
        with pytest.raises(AssertionError, match="could not log in"):
            intruder.login()

        # Each has a private copy of the lessons, without the answer key: no solutions/ at
        # all, and of the lessons only their descriptions and starting files (lesson-starts/).
        for name, user in users.items():
            home, copy = Path(user.pw_dir), Path(user.pw_dir) / "workshop"
            for folder in (home, copy):
                assert folder.stat().st_uid == user.pw_uid, folder
                assert stat.S_IMODE(folder.stat().st_mode) == 0o700, (folder, name)
            assert not (copy / "solutions").exists(), name
            starts = sorted((copy / "lesson-starts").glob("*.ipynb"))
            assert starts, name
            for notebook in starts:
                assert json.loads(notebook.read_text())["cells"] == [], notebook
            assert not (copy / "tests").exists()
        assert not (kit / "solutions").exists()

        # --- 2. lesson 02, three kernels at once ------------------------------------------
        solved = json.loads((REPO / "solutions" / "02-op-create-table.ipynb").read_text())
        as_shipped = json.loads((kit / LESSON).read_text())
        notebooks = {ADA: solved, DOTTED: solved, DASHED: as_shipped}
        clock.lap("copies checked")
        with ThreadPoolExecutor(len(USERS)) as pool:
            outputs = dict(
                zip(
                    USERS,
                    pool.map(lambda n: run_lesson(browsers[n], notebooks[n]), USERS),
                    strict=True,
                )
            )
        clock.lap("lesson 02, three participants at once")
        for name in (ADA, DOTTED):
            assert PASSED in check_output(solved, outputs[name]), outputs[name]
            assert not [o.error for o in outputs[name] if o.error], outputs[name]
        assert PASSED not in check_output(as_shipped, outputs[DASHED])
        assert "02.1" in check_output(as_shipped, outputs[DASHED])

        # --- 3. each one's database, and the lab terminal's alembic -----------------------
        databases = {}
        for name, browser in browsers.items():
            shown, status = browser.terminal(
                "alembic current && command -v alembic && workshop db url"
            )
            assert status == 0, shown
            assert "command not found" not in shown, shown
            assert f"{kit}/.venv/bin/alembic" in shown, shown
            expected = names.database_name(name)
            assert f"/{expected}" in shown, shown
            # where lesson 02 left this participant's database: 0002 with the answer, 0001
            # without (the exercise's upgrade() still raises NotImplementedError)
            assert ("\r\n0001\r\n" if name == DASHED else "0002 (head)") in shown, shown
            databases[name] = expected
        assert databases[DOTTED] != databases[DASHED]  # one database under the old rule
        clock.lap("alembic current in three lab terminals")

        # --- 4. hand in, from the terminal ----------------------------------------------
        # Lesson 02's notebook only: grading every lesson of every hand-in is what the grading
        # tests do; here it would triple the test's time and show nothing more about the class.
        only_02 = "find notebooks -maxdepth 1 -name '*.ipynb' ! -name '02-*' -delete && "
        for browser in browsers.values():
            shown, status = browser.terminal(only_02 + "workshop submit")
            assert status == 0 and "Handed in to your instructor as" in shown, shown
        # The intruder hands in work in a victim's name, through the kit's own setting.
        shown, status = browsers[ADA].terminal(f"JUPYTERHUB_USER={DASHED} workshop submit")
        assert status == 0, shown
        handins = {
            pwd.getpwuid(path.stat().st_uid).pw_name: path
            for path in sorted(drop.iterdir(), key=lambda p: p.stat().st_mtime)
        }  # the newest of each (the intruder's forged one for ADA)
        assert drop.stat().st_mode & 0o7777 == 0o1733
        clock.lap("four hand-ins from lab terminals")

        # --- 5. the attacks: ADA on both others, and DOTTED on DASHED -------------------
        def victim(name: str) -> dict[str, object]:
            user = users[name]
            return {
                "name": name, "role": names.role_name(name), "database": databases[name],
                "home": user.pw_dir, "handin": str(handins[name]),
                "server_pid": server_pid(user),
            }  # fmt: skip

        for attacker, targets in ((ADA, [DOTTED, DASHED]), (DOTTED, [DASHED])):
            with browsers[attacker].kernel("notebooks/attack.ipynb") as kernel:
                code = (
                    f"import subprocess, sys, json\nATTACK = {ATTACK!r}\n"
                    "done = subprocess.run([sys.executable, '-c', ATTACK, "
                    f"{json.dumps([victim(t) for t in targets])!r}, {str(drop)!r}], "
                    "capture_output=True, text=True)\nprint(done.stdout or done.stderr)"
                )
                result = kernel.run(code)
            assert result.error is None and result.text.startswith("{"), result
            results = json.loads(result.text)
            print(f"class hub test: {attacker}'s attacks:")
            for what, said in results.items():
                print(f"  {what}: {said.splitlines()[0][:150] if said else said}")
            for target in targets:
                refused(results, f"{target}: my role, their database",
                        "permission denied for database")  # fmt: skip
                refused(results, f"{target}: their role, my password", "password authentication")
                refused(results, f"{target}: their role, a guess", "password authentication")
                refused(results, f"{target}: drop their database", "must be owner")
                url = results[f"{target}: workshop db url with JUPYTERHUB_USER"]
                assert url.splitlines()[-1].endswith(f"/{databases[attacker]}"), url
                nameless = results[f"{target}: the kit, no database in the URL, JUPYTERHUB_USER"]
                assert "permission denied for database" in nameless, nameless
                for what in (
                    "list their home",
                    "read their lesson",
                    "read their IPython history",
                    "read their hand-in",
                    "delete their hand-in",
                    "hard link to their hand-in",
                    "read their server's environment",
                ):
                    refused(results, f"{target}: {what}", "PermissionError")
                # made, and refused when collected (below)
                assert results[f"{target}: symbolic link to their hand-in"] == "DONE"
            refused(results, "create a database", "permission denied to create database")
            refused(results, "create a role", "permission denied to create role")
            refused(results, "list the drop folder", "PermissionError")
            assert results["the instructor's URL in my environment"] == "False"
        # ADA's token does not open another's server.
        answer = browsers[ADA].api("GET", f"{hub.base}/user/{DOTTED}/api/contents")
        assert answer.status_code in (403, 404), answer.status_code
        clock.lap("the attacks")

        # --- 6. the instructor: status, collect, grade ---------------------------------
        admin = {**os.environ, "WORKSHOP_CLASS_ADMIN_URL": cluster.admin_url}
        status_shown = subprocess.run(
            [str(BIN / "workshop"), "class", "status"], env=admin, capture_output=True, text=True
        )
        assert status_shown.returncode == 0, status_shown.stderr
        assert status_shown.stdout.splitlines()[-1] == "3 participants, all isolated"
        for name in USERS:
            assert names.role_name(name) in status_shown.stdout
        collected_folder = tmp_path / "collected"
        collected = subprocess.run(
            [str(BIN / "workshop"), "class", "collect", str(drop), "--out", str(collected_folder)],
            capture_output=True, text=True,
        )  # fmt: skip
        clock.lap("workshop class status and collect")
        assert collected.returncode == 0, collected.stderr
        assert sorted(p.name for p in collected_folder.iterdir()) == sorted(
            f"{name}.zip" for name in USERS
        )
        refusals = [line for line in collected.stdout.splitlines() if line.startswith("REFUSED")]
        assert any(f"says it is '{DASHED}''s, but {ADA} handed it in" in r for r in refusals)
        assert sum("not a regular file" in r for r in refusals) == 3  # the symbolic links
        report = tmp_path / "report"
        captured = not states.store(REPO).is_dir()  # the key's states: once per kit version
        graded = subprocess.run(
            [str(BIN / "workshop"), "grade", str(collected_folder), "--out", str(report),
             "--quiet"],
            capture_output=True, text=True, timeout=1800, cwd=REPO,
        )  # fmt: skip
        clock.lap(
            "workshop grade: 3 hand-ins of lesson 02"
            + (", capturing the key's states first" if captured else ", the key's states cached")
        )
        assert graded.returncode == 0, graded.stdout + graded.stderr
        with (report / "grades.csv").open(encoding="utf-8") as file:
            rows = [row for row in csv.DictReader(file) if row["exercise"] == "02.1"]
        shown = "\n".join(f"{r['participant']}: {r['status']}" for r in rows)
        print(f"grades for 02.1:\n{shown}")

        def grade_of(name: str) -> str:
            # hub.bob and hub-bob both hand in as "hub-bob" (workshop submit's file-safe name);
            # the report tells them apart by the collected file's name.
            mine = [
                r for r in rows if r["participant"] == name or f"{name}.zip" in r["participant"]
            ]
            assert len(mine) == 1, shown
            return mine[0]["status"]

        assert [grade_of(name) for name in USERS] == ["passed", "passed", "failed"], shown
    clock.lap("hub, servers, cluster and users stopped")
    print(f"class hub test: in all {sum(clock.times.values()):.1f} s")
