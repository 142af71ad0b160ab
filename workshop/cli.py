"""The ``workshop`` command: start the lab, look after the database, rebuild the lessons.

    workshop lab [jupyter options]   start the database, then JupyterLab on notebooks/
    workshop db status|start|stop    the database the kit uses
    workshop lessons                 the lessons and their checks
    workshop reset [LESSON]          files and database to a lesson's start (backups first)
    workshop restore [BACKUP|--list] put a backup's files and database back (backup first)
    workshop update                  take the instructor's kit update, keeping your work
    workshop doctor                  diagnose files and database, and propose the fix
    workshop build [LESSON...]       regenerate participant notebooks and stored outputs
    workshop submit [--name NAME]    hand in: submissions/<name>.zip
    workshop grade SUBMISSION...     grade archives or folders against the answer key
    workshop sample-class DIR        a sample class to try grading on
    workshop class ...               a class on a shared server and a JupyterHub (instructors)

Each verb is a few lines over the modules that do the work; errors the user can act on are
printed as a message and a fix, with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from workshop import db, paths
from workshop.errors import WorkshopError


def _lab(args: argparse.Namespace, extra: list[str]) -> int:
    """JupyterLab on the lessons: the same terminals and no pop-up, however it was started
    (a terminal, nohup, a hub): see :mod:`workshop.labsetup`."""
    from workshop import labsetup, process_tree

    root = paths.root()
    print(f"Database: {db.where()}")
    db.url()  # start (or create) it now, so the first cell is instant
    argv = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.default_url=/lab/tree/notebooks/{args.open}",
        *labsetup.server_arguments(),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # containers and CI machines often run as root
    labsetup.quiet_notifications()
    env = labsetup.environment(dict(os.environ))
    # Ctrl+C, SIGTERM and SIGHUP stop JupyterLab and everything it started (issue 16).
    return process_tree.run([*argv, *extra], cwd=root, env=env)


def _db(args: argparse.Namespace, _extra: list[str]) -> int:
    embedded = not os.environ.get(db.URL_ENV)
    if args.action == "unblock":
        ended = db.unblock()
        for session in ended:
            print(f"Ended {session}: its open transaction was rolled back.")
        print("Nothing else holds this database up." if ended else "Nothing holds it up.")
        return 0
    if args.action == "stop":
        if not embedded:
            print(f"{db.URL_ENV} is set: the kit does not run that server, so it leaves it alone.")
            return 0
        print("Stopped the embedded PostgreSQL." if db.stop_embedded() else "It was not running.")
        return 0
    if args.action == "start" or not embedded:
        db.url()
    state = "running" if (not embedded or db.embedded_running()) else "not running"
    print(f"Database: {db.where()} ({state})")
    if args.action == "url":
        print(db.url().render_as_string(hide_password=True))
    return 0


def _lessons(_args: argparse.Namespace, _extra: list[str]) -> int:
    from workshop.checks import CHECKS
    from workshop.lessons import LESSONS

    width = max(len(item.title) for item in LESSONS)
    for item in LESSONS:
        exercises = ", ".join(key for key in sorted(CHECKS) if key.startswith(f"{item.id}."))
        print(
            f"{item.id}  {item.title:<{width}}  ~{item.minutes:>3} min  "
            f"exercises: {exercises or '-'}"
        )
    return 0


def _reset(args: argparse.Namespace, _extra: list[str]) -> int:
    from workshop import lessons

    saved = lessons.reset_to(args.lesson)
    lessons.describe_start(lessons.lesson(args.lesson), saved)
    return 0


def _restore(args: argparse.Namespace, _extra: list[str]) -> int:
    from workshop import restore

    if args.list:
        print(restore.listing())
        return 0
    print(restore.report(restore.restore(args.backup)))
    return 0


def _doctor(_args: argparse.Namespace, _extra: list[str]) -> int:
    from workshop import doctor

    return doctor.report()


def _build(args: argparse.Namespace, _extra: list[str]) -> int:
    from workshop import build

    build.build(args.lessons or None, execute=not args.no_execute)
    return 0


def _update(_args: argparse.Namespace, _extra: list[str]) -> int:
    from workshop import update

    print(update.update().report())
    return 0


def _submit(args: argparse.Namespace, _extra: list[str]) -> int:
    from workshop import submit

    handed = submit.hand_in(args.name, Path(args.out) if args.out else None)
    print(f"Handed in: {paths.relative(str(handed.archive))}")
    note = handed.earlier_note()
    if note is not None:
        print(note)
    class_folder = os.environ.get("WORKSHOP_CLASS_HANDIN")
    if class_folder:  # on the class's hub: straight to the instructor (workshop.classroom.handin)
        from workshop.classroom import handin

        delivered = handin.deliver(handed.archive, Path(class_folder))
        print(f"Handed in to your instructor as {delivered.name} (only they can open it).")
        return 0
    print("Give this file to your instructor (upload it, or copy it to the shared folder).")
    return 0


def _grade(args: argparse.Namespace, _extra: list[str]) -> int:
    """Exit 0 when every submission was graded, whatever the grades; 1 when grading failed."""
    from workshop.grading import report
    from workshop.grading import runner as grade

    batch = grade.grade(
        [Path(p) for p in args.submissions], jobs=args.jobs, timeout=args.timeout,
        progress=not args.quiet, sandboxed=not args.no_sandbox,
    )  # fmt: skip
    if not batch.sandboxed:
        print(f"workshop grade: {report.NO_SANDBOX}", file=sys.stderr)
    written = report.write_all(batch, Path(args.out))
    counts = {s: sum(r.status == s for r in batch.results) for s in report.STATUSES}
    print(
        f"Graded {len(batch.participants)} submissions: "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
    )
    for kind, path in written.items():
        print(f"  {kind:5} {path}")
    for problem in batch.grader_errors:
        print(f"workshop grade: could not grade {report.terminal_safe(problem)}", file=sys.stderr)
    return 1 if batch.grader_errors else 0


def _class(args: argparse.Namespace, _extra: list[str]) -> int:
    """``workshop class``: the instructor's side of a class on a hub (workshop.classroom)."""
    from workshop.classroom import handin, install, provision

    action = args.action
    if action == "install":
        done = install.install(
            Path(_one(args, "FOLDER")), graded=not args.not_graded, make_venv=not args.no_venv,
            python=args.python,
        )  # fmt: skip
        print(
            f"Installed the kit in {done.folder}: {done.files} files, {len(done.changed)} changed"
            + (f", commit {done.commit[:10]}" if done.commit else ", nothing new to commit")
            + (", virtual environment made" if done.venv_made else "")
            + ("." if done.graded else "; with the answer key (the class is not graded).")
        )
        for warning in done.warnings:
            print(f"Warning: {warning}", file=sys.stderr)
        return 0
    if action == "handin-folder":
        made = handin.make_drop_folder(Path(_one(args, "FOLDER")))
        print(f"Hand-in folder ready (mode 1733): {made}")
        return 0
    if action == "collect":
        if not args.out:
            raise WorkshopError("collect needs a folder to collect into.", fix="Add --out DIR.")
        out = Path(args.out)
        print(handin.collect_report(handin.collect(Path(_one(args, "FOLDER")), out), out))
        return 0
    if action == "hub-config":
        print(Path(provision.__file__).with_name("jupyterhub_config.py"))
        return 0
    if action == "z2jh-values":
        from workshop.classroom import kubernetes

        if not (args.image and args.server_url):
            raise WorkshopError(
                "z2jh-values needs the single-user image and the class's server.",
                fix="Add --image REGISTRY/workshop-kit:TAG --server-url postgresql://HOST:5432/",
            )
        image, _, tag = args.image.rpartition(":")
        if not image or "/" in tag:  # no tag given ("registry:5000/kit" is a port, not a tag)
            image, tag = args.image, ""
        values = kubernetes.values(image, tag or "latest", args.server_url, paths.root())
        print(kubernetes.dump(values), end="")
        return 0
    server = provision.ClassServer(args.admin_url)
    if action == "add":
        wanted = list(args.names)
        if args.roster:
            wanted += provision.read_roster(Path(args.roster).read_text("utf-8"))
        if not wanted:
            raise WorkshopError("No participants named.", fix="Name them, or pass --roster FILE.")
        for name in wanted:
            made = server.add(name)
            print(f"{name}: role and database {made.role}")
        return 0
    if action == "url":
        print(server.open_for(_one(args, "NAME")))
        print("(A new password: the one given before no longer works.)", file=sys.stderr)
        return 0
    if action == "remove":
        if not args.yes:
            raise WorkshopError(
                "Removing drops each named participant's database, with all their work.",
                fix="Add --yes to do it.",
            )
        for name in args.names:
            server.remove(name)
            print(f"{name}: database and role dropped")
        return 0
    print(provision.status_table(server.status()))
    return 0


def _one(args: argparse.Namespace, what: str) -> str:
    """The one positional argument ``workshop class <action>`` takes."""
    if len(args.names) != 1:
        raise WorkshopError(
            f"`workshop class {args.action}` takes one {what}.",
            fix=f"Run `workshop class {args.action} {what}`.",
        )
    return args.names[0]


def _sample_class(args: argparse.Namespace, _extra: list[str]) -> int:
    from workshop.grading import sample_class

    target = Path(args.folder)
    if target.exists():
        raise WorkshopError(f"{target} already exists.", fix="Name a new folder.")
    made = sample_class.build_sample_class(target)
    print(f"Wrote {len(made)} submissions to {target}/: " + ", ".join(p.name for p in made))
    print(f"Grade them: workshop grade {target} --out grading-report")
    return 0


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(
        prog="workshop", description="The Migration Workshop Kit's command."
    )
    verbs = main_parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    lab = verbs.add_parser("lab", help="start the database and JupyterLab on the lessons")
    lab.add_argument("--open", default="00-welcome-and-setup.ipynb", help="notebook to open first")
    lab.set_defaults(run=_lab)

    database = verbs.add_parser(
        "db", help="the workshop database: status, start, stop, url, unblock"
    )
    database.add_argument(
        "action",
        choices=["status", "start", "stop", "url", "unblock"],
        nargs="?",
        default="status",
        help="unblock: end this database's sessions that hold others up (an open transaction)",
    )
    database.set_defaults(run=_db)

    lessons = verbs.add_parser("lessons", help="list the lessons and their exercises")
    lessons.set_defaults(run=_lessons)

    reset = verbs.add_parser(
        "reset", help="bring files and database to a lesson's starting point (backups first)"
    )
    reset.add_argument("lesson", nargs="?", default="00", help="lesson id (default: 00)")
    reset.set_defaults(run=_reset)

    restore_parser = verbs.add_parser(
        "restore",
        help="put a backup's files and database back as saved (what is there now is backed up "
        "first)",
    )
    restore_parser.add_argument(
        "backup",
        nargs="?",
        help="a folder name in .workshop/backups/, or its path (default: the newest)",
    )
    restore_parser.add_argument(
        "--list", action="store_true", help="list the backups and what each holds"
    )
    restore_parser.set_defaults(run=_restore)

    doctor = verbs.add_parser("doctor", help="diagnose the files and the database")
    doctor.set_defaults(run=_doctor)

    build_parser = verbs.add_parser(
        "build", help="regenerate participant notebooks and stored outputs from solutions/"
    )
    build_parser.add_argument("lessons", nargs="*", help="lesson ids, e.g. 01 02 (default: all)")
    build_parser.add_argument(
        "--no-execute", action="store_true", help="only derive the notebooks; keep outputs"
    )
    build_parser.set_defaults(run=_build)

    update_parser = verbs.add_parser(
        "update", help="take the instructor's kit update (git), keeping every file of yours"
    )
    update_parser.set_defaults(run=_update)
    submit_parser = verbs.add_parser("submit", help="hand in your notebooks and revision files")
    submit_parser.add_argument("--name", help="your name (default: JUPYTERHUB_USER or login)")
    submit_parser.add_argument("--out", help="folder for the archive (default: submissions/)")
    submit_parser.set_defaults(run=_submit)

    grade_parser = verbs.add_parser(
        "grade", help="grade submissions (archives, folders, or folders of them) with nbval"
    )
    grade_parser.add_argument("submissions", nargs="+", metavar="SUBMISSION")
    grade_parser.add_argument("--out", default="grading-report", help="report folder")
    grade_parser.add_argument("--jobs", type=int, help="parallel submissions (default: cores)")
    grade_parser.add_argument("--timeout", type=int, default=60, help="seconds per cell")
    grade_parser.add_argument("--quiet", action="store_true", help="no progress bar")
    grade_parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run participants' code without the sandbox, as you (only for code you trust)",
    )
    grade_parser.set_defaults(run=_grade)

    klass = verbs.add_parser(
        "class",
        help="a class on a shared PostgreSQL and a JupyterHub: participants' roles and "
        "databases, the kit's installation, hand-ins",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""actions:
  add NAME... [--roster FILE]  make participants' roles and databases (else made at first login)
  status                       each participant's role and database, and what is wrong
  url NAME                     a new password for NAME; prints their database URL
  remove NAME... --yes         drop participants' databases and roles
  install FOLDER [--python P]  install the kit for every account, no answer key unless
                               --not-graded
  handin-folder FOLDER         make the class drop folder (mode 1733)
  collect FOLDER --out DIR     each participant's newest hand-in, checked, for workshop grade
  hub-config                   the path of the JupyterHub configuration the kit ships
  z2jh-values --image IMAGE:TAG --server-url URL
                               Zero to JupyterHub's values for a class on Kubernetes

The server: --admin-url, or WORKSHOP_CLASS_ADMIN_URL (a role with CREATEROLE and CREATEDB).""",
    )
    klass.add_argument(
        "action",
        choices=["add", "status", "url", "remove", "install", "handin-folder", "collect",
                 "hub-config", "z2jh-values"],
    )  # fmt: skip
    klass.add_argument("names", nargs="*", metavar="NAME|FOLDER")
    klass.add_argument("--roster", help="add: a file of user names, one a line")
    klass.add_argument("--admin-url", help="the instructor's role on the class's server")
    klass.add_argument("--out", help="collect: the folder to collect into")
    klass.add_argument("--yes", action="store_true", help="remove: really drop their work")
    klass.add_argument(
        "--not-graded", action="store_true", help="install: keep the answer key (self-study)"
    )
    klass.add_argument(
        "--no-venv", action="store_true", help="install: the files only, no virtual environment"
    )
    klass.add_argument(
        "--python", help="install: the Python every account runs the kit with (/usr/bin/python3)"
    )
    klass.add_argument("--image", help="z2jh-values: the single-user image, NAME:TAG")
    klass.add_argument(
        "--server-url", help="z2jh-values: the class's server as pods reach it, without a user"
    )
    klass.set_defaults(run=_class)

    sample = verbs.add_parser("sample-class", help="write a sample class to try grading on")
    sample.add_argument("folder", help="a new folder for the submissions")
    sample.set_defaults(run=_sample_class)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    known, extra = parser().parse_known_args(arguments)
    if extra and known.verb != "lab":
        parser().error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return known.run(known, extra)
    except WorkshopError as error:
        print(f"workshop: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
