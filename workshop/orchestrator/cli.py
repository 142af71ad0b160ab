"""``python main.py db <command>``: the database commands of orchestrator-core's CLI.

The orchestrator workshop runs its migrations as ``PYTHONPATH=. python main.py db ...``; so does
this track, with the same commands and options:

    db revision -m MSG [--head H] [--autogenerate]    a new revision (default head: data@head)
    db upgrade [REV]                                   default: heads (both branches)
    db downgrade [REV]                                 default: one step back
    db heads | db current | db history [--verbose]
    db merge REV... -m MSG
    db migrate-domain-models MESSAGE [--inputs JSON] [--updates JSON] [--test]

``db revision`` starts the data branch as orchestrator-core 5.5.0's does: when no revision
carries the label ``data``, it first writes an empty "Create data head." revision (no parent,
branch label ``data``, depending on the schema head), then the revision asked for on top of it.
See :func:`workshop.orchestrator.data_branch.ensure_data_head`.

Differences from orchestrator-core, each on purpose:

* ``WORKSHOP_REV_ID=data0001`` before the command (or ``--rev-id data0001``) fixes the new
  revision's id, so that lesson outputs are the same on every run (the data head then gets
  ``data0000``). The lessons use the variable: orchestrator-core ignores it, so the same command
  line runs in a real app (where ``--rev-id`` is "No such option").
* Mistakes end with a message and a fix (exit status 1, or 2 for a bad command line), never a
  traceback; ``--traceback`` shows it anyway.

The verbs run Alembic in process through :mod:`workshop.commands`, against the database the kit
uses (``WORKSHOP_DATABASE_URL`` or the embedded PostgreSQL), like every other tool of the kit.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Callable, Sequence

from alembic import command
from alembic import util as alembic_util
from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from alembic.util import messaging

from workshop import commands, paths
from workshop.errors import WorkshopError
from workshop.orchestrator import data_branch, domain, domain_models
from workshop.orchestrator import versions as orchestrator_versions

#: A fixed id for the revision a command writes, given before the command as the lessons do.
REV_ID_ENV = "WORKSHOP_REV_ID"
REV_ID_HELP = (
    f"a fixed revision id instead of a random one (the kit's; or {REV_ID_ENV}=ID before the "
    "command, which orchestrator-core ignores)"
)


def _revision(args: argparse.Namespace, _registry: domain.Registry | None) -> None:
    from workshop.orchestrator import schema as orchestrator_schema

    # A --head naming no branch is refused before anything is written (orchestrator-core writes
    # the data head first, then fails).
    data_branch.revision_arguments(args.head)
    # Whatever --head says, as orchestrator-core 5.5.0 does: the data branch first, if missing.
    data_head = data_branch.ensure_data_head(rev_id=args.rev_id)
    if data_head is not None:
        script = commands.script_directory()
        depends = script.get_revision(data_head).dependencies
        print(
            f"Started the data branch with {data_head} ({data_branch.DATA_HEAD_MESSAGE!r}), as "
            "orchestrator-core does: no parent (down_revision = None), the branch label 'data', "
            + (f"and it depends on {depends!r}, the schema head." if depends else "no dependency.")
        )
    target = data_branch.revision_arguments(args.head)
    commands.run(
        command.revision,
        message=args.message,
        rev_id=args.rev_id,
        autogenerate=args.autogenerate,
        metadata=orchestrator_schema.metadata if args.autogenerate else None,
        # Always the project's folder, never the kit's schema location (where Alembic would put
        # a revision on top of 544fd845554d, as orchestrator-core's would go into its package).
        version_path=str(paths.versions_dir()),
        **target,
    )


def _upgrade(args: argparse.Namespace, _registry: domain.Registry | None) -> None:
    commands.run(command.upgrade, args.revision)


def _downgrade(args: argparse.Namespace, _registry: domain.Registry | None) -> None:
    if args.revision is None:
        commands.run(command.downgrade, "-1")
        return
    if args.revision.startswith("-"):
        # orchestrator-core's CLI (typer) reads -1 as an option and stops: "No such option: -1".
        # The kit says so, instead of accepting a command that fails in a real app.
        raise WorkshopError(
            f"`db downgrade {args.revision}`: orchestrator-core's command line reads "
            f"{args.revision} as an option and refuses it (No such option: {args.revision}), so "
            "the kit does too.",
            fix="`PYTHONPATH=. python main.py db downgrade` alone goes one step back. For more, "
            "name the revision to go back to (e.g. `db downgrade data0001`), or count from a "
            f"branch's head: `db downgrade data@{args.revision}`.",
        )
    commands.run(command.downgrade, args.revision)


def _heads(args: argparse.Namespace, _registry: domain.Registry | None) -> None:
    commands.run(command.heads, verbose=args.verbose)


def _current(args: argparse.Namespace, _registry: domain.Registry | None) -> None:
    commands.run(command.current, verbose=args.verbose)


def _history(args: argparse.Namespace, _registry: domain.Registry | None) -> None:
    commands.run(
        command.history, rev_range=args.rev_range, verbose=args.verbose, indicate_current=True
    )


def _merge(args: argparse.Namespace, _registry: domain.Registry | None) -> None:
    def merge(config: Config) -> Script | None:
        # alembic.command.merge, with the project's folder as the place for the file: Alembic
        # would otherwise put it beside the first head, which may be the kit's schema revision.
        return ScriptDirectory.from_config(config).generate_revision(
            args.rev_id or alembic_util.rev_id(),
            args.message,
            refresh=True,
            head=args.revisions,
            version_path=str(paths.versions_dir()),
            config=config,
        )

    commands.run(merge)


def _migrate_domain_models(args: argparse.Namespace, registry: domain.Registry | None) -> None:
    if args.test:
        print("Test mode: no migration file will be written.")
    domain_models.migrate_domain_models(
        args.message,
        registry=registry,
        inputs=args.inputs,
        updates=args.updates,
        test=args.test,
        rev_id=args.rev_id,
    )


class _Parser(argparse.ArgumentParser):
    """argparse, with the kit's wording for a mistake on the command line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: {message}\n  Fix: see `{self.prog} --help`.\n")


def parser(prog: str = "main.py") -> argparse.ArgumentParser:
    main = _Parser(
        prog=prog,
        description="The workshop's orchestrator-style command line (run it from the project "
        "root as: PYTHONPATH=. python main.py db <command>).",
    )
    main.add_argument("--traceback", action="store_true", help="show the full error, for bugs")
    groups = main.add_subparsers(dest="group", required=True, metavar="db")
    database = groups.add_parser(
        "db", help="database migrations (Alembic)", description="Database migrations (Alembic)."
    )
    verbs = database.add_subparsers(dest="verb", required=True, metavar="COMMAND")

    def verb(
        name: str, run: Callable[..., None], summary: str, description: str | None = None
    ) -> argparse.ArgumentParser:
        sub = verbs.add_parser(name, help=summary, description=description or summary)
        sub.set_defaults(run=run)
        return sub

    revision = verb(
        "revision",
        _revision,
        "create a new revision file",
        "Create a new revision file. --head=data@head (the default) puts it on the data branch. "
        "When there is no data branch yet, it is started first, with an empty 'Create data head.' "
        "revision that depends on the schema head, as orchestrator-core does.",
    )
    revision.add_argument("-m", "--message", required=True, help="what the revision does")
    revision.add_argument(
        "--head",
        default=f"{data_branch.DATA}@head",
        help="the revision to build on (default: data@head); schema@head for table changes",
    )
    revision.add_argument(
        "--autogenerate",
        action="store_true",
        help="compare the product tables with their description and write the difference",
    )
    revision.add_argument("--rev-id", help=REV_ID_HELP)

    upgrade = verb("upgrade", _upgrade, "upgrade the database (default: heads)")
    upgrade.add_argument("revision", nargs="?", default="heads", metavar="REV")

    downgrade = verb(
        "downgrade",
        _downgrade,
        "downgrade the database (default: one step back)",
        "Downgrade the database. REV: a revision id, data@-1, data@base, base... With no REV: "
        "one step back. As in orchestrator-core, REV cannot start with '-' (write data@-1).",
    )
    downgrade.add_argument("revision", nargs="?", metavar="REV")

    heads = verb("heads", _heads, "show the newest revision of each branch")
    heads.add_argument("-v", "--verbose", action="store_true")

    current = verb("current", _current, "show the revision(s) the database is at")
    current.add_argument("-v", "--verbose", action="store_true")

    history = verb("history", _history, "list the revisions, newest first")
    history.add_argument("-v", "--verbose", action="store_true", help="show every detail")
    history.add_argument("-r", "--rev-range", help="e.g. 544fd845554d:heads")

    merge = verb("merge", _merge, "join heads with a merge revision")
    merge.add_argument("revisions", nargs="+", metavar="REV", help="e.g. heads, or two ids")
    merge.add_argument("-m", "--message", required=True, help="what the merge is for")
    merge.add_argument("--rev-id", help=REV_ID_HELP)

    migrate = verb(
        "migrate-domain-models",
        _migrate_domain_models,
        "write the migration that brings the product tables in line with the domain models",
        textwrap.fill(
            "Compare SUBSCRIPTION_MODEL_REGISTRY (products/) with the product tables and write "
            "one migration into the data branch, with an upgrade() and a downgrade() that undoes "
            "it. Questions that the models do not answer are asked on the terminal, or answered "
            "by --inputs.",
            width=98,
        ),
    )
    migrate.formatter_class = argparse.RawDescriptionHelpFormatter
    migrate.epilog = domain_models.INPUTS_HELP
    migrate.add_argument("message", metavar="MESSAGE", help="what the migration does")
    migrate.add_argument(
        "--inputs", metavar="FILE|JSON", help="answers to the questions (format below)"
    )
    migrate.add_argument(
        "--updates", metavar="JSON", help="renames, as orchestrator-core's --updates (below)"
    )
    migrate.add_argument(
        "--test", action="store_true", help="print the SQL of upgrade and downgrade; write no file"
    )
    migrate.add_argument("--rev-id", help=REV_ID_HELP)
    return main


def main(
    argv: Sequence[str] | None = None,
    *,
    registry: domain.Registry | None = None,
    prog: str = "main.py",
) -> int:
    """Run one command; return the exit status (0 done, 1 failed, 2 bad command line).

    ``registry`` is a ``SUBSCRIPTION_MODEL_REGISTRY`` to compare with, for tests; without it,
    ``migrate-domain-models`` imports ``products`` from the project root when it runs.
    """
    try:
        args = parser(prog).parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as done:  # --help, or a mistake argparse has explained
        return done.code if isinstance(done.code, int) else (1 if done.code else 0)
    if getattr(args, "rev_id", "") is None:
        args.rev_id = os.environ.get(REV_ID_ENV) or None
    # Alembic wraps status lines ("Generating <path> ...  done") to the terminal's width; a path
    # cut in two can no longer be shown relative to the project, and where it is cut depends on
    # the folder's name. Print them whole, as the kit's verbs do in a notebook.
    messaging.TERMWIDTH = None
    try:
        # As orchestrator-core's alembic_cfg(): its schema migrations are a version location.
        with orchestrator_versions.in_use():
            args.run(args, registry)
    except KeyboardInterrupt:
        print("\nStopped: nothing more was done.", file=sys.stderr)
        return 1
    except Exception as error:
        if args.traceback:
            raise
        # commands.run has printed Alembic's output and, for a mistake it knows, the explanation.
        print(f"{prog}: {_one_line(error)}", file=sys.stderr)
        return 1
    return 0


def _one_line(error: BaseException) -> str:
    """The error as the last line of a command's output: the kit's own errors as they are."""
    if isinstance(error, WorkshopError):
        return str(error)
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")
