"""Alembic's verbs, run in the notebook's own process, with clean output.

Each function here is the same verb as ``alembic <verb>`` in a terminal, with the same arguments
as :mod:`alembic.command` (which this module only wraps). Running in process makes a migration
step take milliseconds instead of the second a fresh ``alembic`` process needs to import
SQLAlchemy, and lets the kit tidy the output:

* paths inside the project are shown relative to its root, so outputs read the same on every
  machine and never reveal a home folder;
* Alembic's log lines (``Running upgrade 0001 -> 0002``) are printed as plain lines below the
  command's own output, without the logger prefix.

Lessons use these and the real CLI (``!alembic ...``) side by side; both read ``alembic.ini`` at
the project root and so act on the same database.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData

from workshop import paths


class Output(io.StringIO):
    """An in-memory buffer for Alembic's output that declares the encoding UTF-8.

    Alembic writes its output with ``util.write_outstream``, which first encodes each line to the
    stream's ``encoding`` with ``errors="replace"``, and takes ASCII when the stream has none. A
    plain :class:`io.StringIO` has ``encoding = None``, so a revision message such as "créer
    table événements" came out as "cr?er table ?v?nements". Declaring UTF-8, which encodes every
    character, lets the text through unchanged; it stays ``str`` in memory all along.
    """

    @property
    def encoding(self) -> str:  # type: ignore[override]  # StringIO's: None, read-only
        """What Alembic encodes to before writing here: UTF-8, which loses nothing."""
        return "utf-8"


def config(*, stdout: io.TextIOBase | None = None, metadata: MetaData | None = None) -> Config:
    """The project's alembic.ini as a :class:`~alembic.config.Config`.

    ``metadata`` becomes ``target_metadata`` in env.py, for autogenerate. Without ``stdout``,
    the output goes to a fresh :class:`Output` and is dropped. When the products track is in
    use, its schema revision's folder is a version location too
    (:func:`workshop.orchestrator.versions.configure`).
    """
    cfg = Config(str(paths.root() / "alembic.ini"), stdout=stdout or Output())
    cfg.attributes["configure_logger"] = False
    if metadata is not None:
        cfg.attributes["target_metadata"] = metadata
    # The products track's schema revision, kept in the kit as orchestrator-core keeps its own.
    from workshop.orchestrator import versions as orchestrator_versions

    return orchestrator_versions.configure(cfg)


class _ToBuffer(logging.Handler):
    def __init__(self, buffer: Output) -> None:
        super().__init__(logging.INFO)
        self.buffer = buffer

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.name == "alembic.runtime.plugins":  # "setting up autogenerate plugin ..."
            return
        # "Context impl PostgresqlImpl." and "Will assume transactional DDL." are noise here.
        if record.name == "alembic.runtime.migration" and message.startswith(
            ("Context impl", "Will assume")
        ):
            return
        self.buffer.write(message.strip() + "\n")


@contextmanager
def _captured() -> Iterator[Output]:
    """Collect what Alembic prints and logs during one command.

    Most output goes through ``Config.stdout``, but status lines such as "Generating ... done"
    are written straight to ``sys.stdout``, so that is redirected too; both are the one
    :class:`Output`, so neither loses a non-ASCII character.
    """
    buffer = Output()
    handler = _ToBuffer(buffer)
    logger = logging.getLogger("alembic")
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with redirect_stdout(buffer):
            yield buffer
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


def run(verb: Callable[..., Any], *args: Any, quiet: bool = False, **kwargs: Any) -> Any:
    """Run one ``alembic.command`` verb in process and print its output, paths made relative.

    The output is printed even when the command fails, so that what happened before the error is
    not lost. Then, for a mistake the kit knows, a plain-words explanation with the fix
    (:mod:`workshop.friendly`); the error itself is raised unchanged below it. A downgrade that
    ran a ``pass``-only ``downgrade()`` gets a warning, as it changes nothing without failing.
    ``quiet=True`` prints nothing at all: the exercise checks give their own verdicts.
    """
    from workshop import friendly

    def show_output() -> None:
        captured = buffer.getvalue()
        # Relativise only when there is something to print: when the project root itself cannot
        # be found, paths.relative would raise and hide the command's real error.
        text = paths.relative(captured) if captured.strip() else ""
        # Status lines come in two writes ("Generating x ..." then "done"); keep them on one line.
        text = re.sub(r" \.\.\.\n\s*done", " ...  done", text).rstrip()
        if text:
            print(text)

    metadata = kwargs.pop("metadata", None)
    buffer = Output()
    try:
        with _captured() as buffer:
            result = verb(config(stdout=buffer, metadata=metadata), *args, **kwargs)
    except BaseException as error:
        if not quiet:
            show_output()
            explanation = friendly.explain(error)
            if explanation is not None:
                print(explanation)
        raise
    if not quiet:
        show_output()
        if verb is command.downgrade and not kwargs.get("sql"):
            for note in friendly.downgrade_notes(buffer.getvalue()):
                print(note)
    return result


# --- the verbs -----------------------------------------------------------------------------


def revision(
    message: str,
    *,
    rev_id: str | None = None,
    head: str = "head",
    autogenerate: bool = False,
    branch_label: str | Sequence[str] | None = None,
    depends_on: str | Sequence[str] | None = None,
    splice: bool = False,
    metadata: MetaData | None = None,
) -> None:
    """``alembic revision -m MESSAGE [--rev-id ID]``.

    Lessons pass ``rev_id`` so their outputs are the same on every run; without it Alembic picks a
    random 12-character id, which is what you want in a real project.
    """
    with _autogenerate_warnings():
        run(
            command.revision,
            message=message,
            rev_id=rev_id,
            head=head,
            autogenerate=autogenerate,
            branch_label=branch_label,
            depends_on=depends_on,
            splice=splice,
            metadata=metadata,
        )


@contextmanager
def _autogenerate_warnings() -> Iterator[None]:
    """Print what autogenerate warns about (an unnamed constraint...) as a plain line.

    Python's own display of a warning starts with the absolute path of Alembic's source file.
    Other warnings are passed on unchanged.
    """
    passed_on: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            try:
                yield
            finally:
                for warning in caught:
                    if "/alembic/autogenerate/" in warning.filename.replace("\\", "/"):
                        print(f"⚠️ {warning.category.__name__}: {warning.message}")
                    else:
                        passed_on.append(warning)
    finally:
        for warning in passed_on:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )


def upgrade(revision: str = "head", *, sql: bool = False) -> None:
    """``alembic upgrade REVISION`` (``head``, ``heads``, an id, ``+1``, ``<id>+1``...)."""
    run(command.upgrade, revision, sql=sql)


def downgrade(revision: str = "-1", *, sql: bool = False) -> None:
    """``alembic downgrade REVISION`` (``-1``, ``base``, an id...)."""
    run(command.downgrade, revision, sql=sql)


def current(*, verbose: bool = False) -> None:
    """``alembic current``: the revision(s) the database is at."""
    run(command.current, verbose=verbose)


def history(rev_range: str | None = None, *, verbose: bool = False) -> None:
    """``alembic history [-r RANGE] [--verbose]``, newest first."""
    run(command.history, rev_range=rev_range, verbose=verbose, indicate_current=True)


def heads(*, verbose: bool = False) -> None:
    """``alembic heads``: revisions that nothing builds on yet."""
    run(command.heads, verbose=verbose)


def branches(*, verbose: bool = False) -> None:
    """``alembic branches``: revisions that more than one revision builds on."""
    run(command.branches, verbose=verbose)


def show(revision: str) -> None:
    """``alembic show REVISION``."""
    run(command.show, revision)


def stamp(revision: str, *, purge: bool = False) -> None:
    """``alembic stamp REVISION``: rewrite alembic_version without running any migration."""
    run(command.stamp, revision, purge=purge)


def merge(revisions: str | Sequence[str], message: str, *, rev_id: str | None = None) -> None:
    """``alembic merge -m MESSAGE REV REV``."""
    run(command.merge, revisions, message=message, rev_id=rev_id)


def check(metadata: MetaData) -> None:
    """``alembic check``: fail when ``metadata`` and the database have drifted apart."""
    run(command.check, metadata=metadata)


# --- questions the lessons and checks ask --------------------------------------------------


def script_directory() -> ScriptDirectory:
    """The revision files as Alembic sees them (read fresh each time)."""
    return ScriptDirectory.from_config(config())


def current_revisions() -> tuple[str, ...]:
    """The ids in alembic_version, sorted; ``()`` for an empty database."""
    from alembic.runtime.migration import MigrationContext

    from workshop import db

    with db.engine().connect() as conn:
        return tuple(sorted(MigrationContext.configure(conn).get_current_heads()))


def head_revisions() -> tuple[str, ...]:
    """The ids of the head revisions among the files, sorted."""
    return tuple(sorted(script_directory().get_heads()))


def pending(current: Sequence[str], script: ScriptDirectory | None = None) -> list[str]:
    """The revisions a database at ``current`` (its alembic_version) has not applied, oldest first.

    Applied means Alembic's own notion: the revisions in ``current`` and everything they build on
    *or depend on* (``iterate_revisions`` follows ``depends_on``). A data branch whose first
    revision depends on the schema head has applied that head without naming it in
    alembic_version, so "the database is at data0001, the heads are data0001 and 544fd845554d" is
    nothing left to do, not a database behind. Raises for a revision in ``current`` that no file
    has.
    """
    script = script or script_directory()
    applied = (
        {rev.revision for rev in script.revision_map.iterate_revisions(tuple(current), "base")}
        if current
        else set()
    )
    return [
        rev.revision
        for rev in reversed(list(script.walk_revisions()))
        if rev.revision not in applied
    ]


def upgrade_command(heads: Sequence[str]) -> str:
    """``alembic upgrade head``, or ``heads`` when there are several (``head`` then fails)."""
    return "`alembic upgrade heads`" if len(heads) > 1 else "`alembic upgrade head`"
