"""The catalogue of mistakes: each one made for real, explained, and its advice followed.

Every case writes real revision files into a scratch project and runs the real command against
the scratch PostgreSQL of the ``project`` fixture. Then four things are checked, the same way
for every case (:func:`test_mistake`):

1. **The message**: it names the file and line where there is one, says what is wrong, and gives
   a fix. The test then *applies that fix*, as the advice words it, and the command succeeds.
2. **No advice loses data**: every row that was in the database before the mistake is still
   there after the fix was followed, and an advice that names a destructive step (DROP, DELETE,
   TRUNCATE, a downgrade to base) also says that the kit checked it loses nothing.
3. **The database agrees with alembic_version after the failure**: the schema is what the
   revision files make at the recorded revision (:mod:`workshop.drift`, a scratch database
   built from the files). The few cases where it cannot (work committed by an
   ``autocommit_block``, a ``stamp`` the participant ran before) must say so in the message.
4. **Nothing of the participant's is lost**: the failing command changed no file of theirs
   (revision files, the app's models) and no row.

The case list covers the mistakes in issue 12, the twelve explained before it, and a few more
that beginners make. Detailed wording is checked in ``test_friendly_errors.py``; this file
checks the promise that every explanation is followed by a working fix.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from workshop import commands, db, drift, friendly

from .conftest import BIN
from .test_friendly_errors import line_of, write_revision

ACCOUNT = (
    'op.create_table("account", sa.Column("id", sa.Integer, primary_key=True), '
    'sa.Column("email", sa.String(50)))'
)
DROP_ACCOUNT = 'op.drop_table("account")'
TAG = 'op.create_table("tag", sa.Column("id", sa.Integer, primary_key=True))'
DROP_TAG = 'op.drop_table("tag")'
VERSIONS = "migrations/versions"


# --- what a case is ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One mistake: how to make it, the command that then fails, and how to follow the advice.

    ``at`` is text on the line the explanation must point at, in ``file`` (a name in
    migrations/versions/); ``says`` are words of what it says is wrong, ``fix_says`` words of
    the fix that :attr:`fix` applies. ``then`` is the command that must succeed after the fix
    (by default the same command again).
    """

    name: str
    make: Callable[[Path], None]
    command: Callable[[], object]
    says: tuple[str, ...]
    fix_says: tuple[str, ...]
    fix: Callable[[Path], None]
    file: str | None = None
    at: str | None = None
    then: Callable[[], object] | None = None
    spoil: Callable[[], None] | None = None  # after the snapshot: make the setting wrong
    fails: bool = True  # False: a warning after a command that succeeded
    consistent: bool = True  # the failure leaves schema and alembic_version in agreement
    inconsistency_said: str = ""  # when not: the words that tell the participant so


def _file(project: Path, name: str) -> Path:
    return project / VERSIONS / name


def _edit(project: Path, name: str, old: str, new: str) -> None:
    file = _file(project, name)
    text = file.read_text()
    assert old in text, (old, text)
    file.write_text(text.replace(old, new))


def _base(project: Path) -> None:
    """Revision 0001, applied, and three rows the app wrote into it (one email twice)."""
    write_revision(project, "0001", None, ACCOUNT, DROP_ACCOUNT)
    commands.upgrade("head")
    _sql("INSERT INTO account (email) VALUES ('a@x'), ('b@x'), ('a@x')")


def _second(upgrade: str, downgrade: str = "pass", **kwargs) -> Callable[[Path], None]:
    """The base, then a revision 0002 with this body, not applied yet."""

    def make(project: Path) -> None:
        _base(project)
        write_revision(project, "0002", "0001", upgrade, downgrade, **kwargs)

    return make


def _sql(statement: str) -> None:
    with db.engine().begin() as conn:
        conn.execute(sa.text(statement))


def _upgrade_head() -> object:
    return commands.upgrade("head")


R2 = "0002_revision_0002.py"


# --- the cases -----------------------------------------------------------------------------


def _make_pass_downgrade(project: Path) -> None:
    _base(project)
    write_revision(project, "0002", "0001", TAG, "pass")
    commands.upgrade("head")


def _fix_pass_downgrade(project: Path) -> None:
    _edit(
        project,
        R2,
        "def downgrade() -> None:\n    pass",
        f"def downgrade() -> None:\n    {DROP_TAG}",
    )
    commands.stamp("0002")


def _make_deleted(project: Path) -> None:
    _base(project)
    write_revision(project, "0002", "0001", TAG, DROP_TAG)
    commands.upgrade("head")
    (project / "kept_by_git.py").write_text(_file(project, R2).read_text())
    _file(project, R2).unlink()


def _make_stamped_behind(project: Path) -> None:
    _base(project)
    write_revision(
        project,
        "0002",
        "0001",
        'op.add_column("account", sa.Column("phone", sa.String(20)))',
        'op.drop_column("account", "phone")',
    )
    commands.upgrade("head")
    commands.stamp("0001")


def _make_stamped_ahead(project: Path) -> None:
    _base(project)
    write_revision(
        project,
        "0002",
        "0001",
        'op.add_column("account", sa.Column("phone", sa.String(20)))',
        'op.drop_column("account", "phone")',
    )
    commands.stamp("0002")


def _make_constraint_stamped_behind(project: Path) -> None:
    _base(project)
    write_revision(
        project,
        "0002",
        "0001",
        'op.create_unique_constraint("id_unique", "account", ["id"])',
        'op.drop_constraint("id_unique", "account", type_="unique")',
    )
    commands.upgrade("head")
    commands.stamp("0001")


def _make_table_by_hand(project: Path) -> None:
    _base(project)
    write_revision(project, "0002", "0001", TAG, DROP_TAG)
    _sql("CREATE TABLE tag (id integer)")


def _make_table_by_hand_with_rows(project: Path) -> None:
    _make_table_by_hand(project)
    _sql("INSERT INTO tag VALUES (1), (2)")


def _fix_rename_tag(project: Path) -> None:
    _sql("ALTER TABLE tag RENAME TO tag_old")


AUTOCOMMIT = (
    'op.add_column("account", sa.Column("phone", sa.String(20)))\n'
    "    with op.get_context().autocommit_block():\n"
    '        op.execute("CREATE INDEX CONCURRENTLY ix_account_phone ON account (phone)")\n'
    '    op.execute("SELEC 1")'
)


def _fix_autocommit(project: Path) -> None:
    _edit(project, R2, "SELEC 1", "SELECT 1")
    _edit(project, R2, "sa.String(20)))", "sa.String(20)), if_not_exists=True)")
    _edit(project, R2, "CREATE INDEX CONCURRENTLY ix", "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix")


class _Holder:
    """Another session of the same database that read account and left its transaction open,
    like a %sql cell with BEGIN and no COMMIT. It holds a lock until its transaction ends."""

    connection: sa.Connection | None = None

    @classmethod
    def start(cls) -> None:
        engine = sa.create_engine(db.url(), poolclass=sa.pool.NullPool)
        cls.connection = engine.connect()
        cls.connection.execute(sa.text("SET application_name = 'a notebook (%sql)'"))
        cls.connection.execute(sa.text("SELECT count(*) FROM account"))


def _make_locked(project: Path) -> None:
    _base(project)
    write_revision(
        project,
        "0002",
        "0001",
        'op.add_column("account", sa.Column("phone", sa.String(20)))',
        'op.drop_column("account", "phone")',
    )
    _Holder.start()


def _fix_unblock(project: Path) -> None:
    ended = db.unblock()
    assert any("a notebook (%sql)" in line for line in ended), ended


def _make_two_at_once(project: Path) -> None:
    _base(project)
    write_revision(
        project, "0002", "0001", TAG + '\n    op.execute("SELECT pg_sleep(3)")', DROP_TAG
    )


def _two_upgrades_at_once() -> object:
    """A terminal `alembic upgrade head` runs; the notebook's upgrade starts a moment later."""
    other = subprocess.Popen(
        [str(BIN / "alembic"), "upgrade", "head"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not _busy() and time.monotonic() < deadline:
            time.sleep(0.1)
        return commands.upgrade("head")
    finally:
        assert other.wait(timeout=60) == 0


def _busy() -> bool:
    with db.engine_for_admin().connect() as conn:
        return bool(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()"
                )
            ).scalar()
        )


def _make_helper_in_versions(project: Path) -> None:
    _base(project)
    (project / VERSIONS / "mail_helpers.py").write_text(
        "def domain_of(column: str) -> str:\n    return f\"split_part({column}, '@', 2)\"\n"
    )
    write_revision(project, "0002", "0001", TAG, DROP_TAG)


def _fix_helper(project: Path) -> None:
    (project / VERSIONS / "mail_helpers.py").rename(project / "migrations" / "mail_helpers.py")
    _edit(
        project,
        R2,
        "import sqlalchemy as sa\n",
        "import sqlalchemy as sa\n\nfrom migrations.mail_helpers import domain_of\n",
    )
    _edit(project, R2, TAG, TAG + "\n    op.execute(f\"SELECT {domain_of('email')} FROM account\")")


def _base_and_tag_then_edit(file: str, old: str, new: str) -> Callable[[Path], None]:
    """The base, a revision 0002 that makes the tag table, and one edit: the mistake."""

    def make(project: Path) -> None:
        _base(project)
        write_revision(project, "0002", "0001", TAG, DROP_TAG)
        _edit(project, file, old, new)

    return make


_make_missing_package = _base_and_tag_then_edit(
    R2, "import sqlalchemy as sa\n", "import sqlalchemy as sa\nimport sqlalchemy_utils\n"
)


_make_cycle = _base_and_tag_then_edit(
    "0001_revision_0001.py",
    "down_revision: str | Sequence[str] | None = None",
    "down_revision: str | Sequence[str] | None = '0002'",
)


_make_branch = _base_and_tag_then_edit(
    R2, "branch_labels: str | Sequence[str] | None = None", "branch_labels = ('feature',)"
)


def _make_convention(project: Path) -> None:
    _base(project)
    write_revision(
        project,
        "0002",
        "0001",
        'op.create_check_constraint("positive_id", "account", "id > 0")',
        'op.drop_constraint("positive_id", "account")',
    )
    commands.upgrade("head")


def _make_stub(project: Path) -> None:
    _base(project)
    write_revision(project, "0002", "0001", "raise NotImplementedError()", DROP_TAG)


def _unreachable() -> None:
    _Url.saved = db.url().render_as_string(hide_password=False)
    _Url.set("postgresql://workshop:secret@127.0.0.1:9/workshop")


class _Url:
    saved = ""
    monkeypatch: pytest.MonkeyPatch | None = None

    @classmethod
    def set(cls, value: str) -> None:
        assert cls.monkeypatch is not None
        cls.monkeypatch.setenv(db.URL_ENV, value)
        db.dispose_engines()


def _no_alembic_ini() -> None:
    assert _Url.monkeypatch is not None
    _Url.monkeypatch.setenv("WORKSHOP_ROOT", str(Path.cwd() / "notebooks"))


def _fix_root(project: Path) -> None:
    assert _Url.monkeypatch is not None
    _Url.monkeypatch.setenv("WORKSHOP_ROOT", str(project))


CASES: list[Case] = [
    # --- the twelve explained before issue 12 ---
    Case(
        "syntax error",
        _second(TAG[:-1], DROP_TAG),
        _upgrade_head,
        ("Python cannot read this file",),
        ("Correct that line",),
        lambda p: _edit(p, R2, TAG[:-1], TAG),
        R2,
        TAG[:-1],
    ),
    Case(
        "down_revision that does not exist",
        lambda p: (_base(p), write_revision(p, "0002", "0009", TAG, DROP_TAG)),
        _upgrade_head,
        ("down_revision = '0009'", "no file"),
        ("down_revision",),
        lambda p: _edit(p, R2, "= '0009'", "= '0001'"),
        R2,
        "down_revision:",
    ),
    Case(
        "two files with one revision id",
        lambda p: (
            _base(p),
            write_revision(p, "0002", "0001", TAG, DROP_TAG),
            write_revision(p, "0002", "0001", file_name="0003_revision_0003.py"),
        ),
        _upgrade_head,
        ("both say revision = '0002'",),
        ("give the newer one another id",),
        lambda p: (
            _edit(p, "0003_revision_0003.py", "revision: str = '0002'", "revision: str = '0003'"),
            _edit(p, "0003_revision_0003.py", "= '0001'", "= '0002'"),
        ),
        "0003_revision_0003.py",
    ),
    Case(
        "multiple heads",
        lambda p: (
            _base(p),
            write_revision(p, "0002", "0001", TAG, DROP_TAG),
            write_revision(p, "0003", "0001"),
        ),
        _upgrade_head,
        ("split into branches",),
        ("alembic upgrade heads",),
        lambda p: None,
        then=lambda: commands.upgrade("heads"),
    ),
    Case(
        "revision file deleted after it was applied",
        _make_deleted,
        lambda: commands.downgrade("-1"),
        ("no file in migrations/versions/ has revision = '0002'",),
        ("Restore the file",),
        lambda p: (p / "kept_by_git.py").rename(_file(p, R2)),
    ),
    Case(
        "a revision id that is a typo",
        _second(TAG, DROP_TAG),
        lambda: commands.upgrade("0020"),
        ("There is no revision '0020'",),
        ("alembic history",),
        lambda p: None,
        then=lambda: commands.upgrade("0002"),
    ),
    Case(
        "an SQL error in the middle of an upgrade",
        _second(TAG + '\n    op.execute("SELEC 1")', DROP_TAG),
        _upgrade_head,
        ('syntax error at or near "SELEC"', "PostgreSQL undid the whole command"),
        ("Correct the statement at that line",),
        lambda p: _edit(p, R2, "SELEC 1", "SELECT 1"),
        R2,
        "SELEC 1",
    ),
    Case(
        "a downgrade that is only pass",
        _make_pass_downgrade,
        lambda: commands.downgrade("0001"),
        ("downgrade() of revision 0002 is only `pass`",),
        ("Write downgrade()", "alembic stamp 0002"),
        _fix_pass_downgrade,
        R2,
        "    pass",
        then=lambda: commands.downgrade("0001"),
        fails=False,
        consistent=False,
        inconsistency_said="claims to be at a revision its tables are not",
    ),
    Case(
        "a table that is already there, made by hand and empty",
        _make_table_by_hand,
        _upgrade_head,
        ('The table "tag" already exists',),
        ("it is empty and no table refers to it", "DROP TABLE tag"),
        lambda p: _sql("DROP TABLE tag"),
        R2,
        "op.create_table",
        consistent=False,
        inconsistency_said="If it was made by hand",
    ),
    Case(
        "a table that is already there, made by hand, with rows",
        _make_table_by_hand_with_rows,
        _upgrade_head,
        ('The table "tag" already exists',),
        ("do not drop it: it holds 2 rows", "ALTER TABLE tag RENAME TO tag_old"),
        _fix_rename_tag,
        R2,
        "op.create_table",
        consistent=False,
        inconsistency_said="If it was made by hand",
    ),
    Case(
        "a forgotten import",
        lambda p: (
            _base(p),
            write_revision(p, "0002", "0001", TAG, DROP_TAG, without="import sqlalchemy as sa"),
        ),
        _upgrade_head,
        ("uses the name 'sa'",),
        ("import sqlalchemy as sa",),
        lambda p: _edit(
            p, R2, "from alembic import op\n", "from alembic import op\nimport sqlalchemy as sa\n"
        ),
        R2,
        "op.create_table",
    ),
    Case(
        "execute with keyword arguments",
        _second(
            'op.get_bind().execute(sa.text("UPDATE account SET email = :e WHERE id = 2"), e="c@x")'
        ),
        _upgrade_head,
        ("SQLAlchemy 1.x",),
        ("Pass a dict",),
        lambda p: _edit(p, R2, ', e="c@x")', ', {"e": "c@x"})'),
        R2,
        "op.get_bind()",
    ),
    Case(
        "execute a plain string",
        _second('op.get_bind().execute("UPDATE account SET email = lower(email)")'),
        _upgrade_head,
        ("plain string",),
        ("sa.text",),
        lambda p: _edit(
            p,
            R2,
            '.execute("UPDATE account SET email = lower(email)")',
            '.execute(sa.text("UPDATE account SET email = lower(email)"))',
        ),
        R2,
        "op.get_bind()",
    ),
    Case(
        "a lesson stub still raises NotImplementedError",
        _make_stub,
        _upgrade_head,
        ("NotImplementedError",),
        ("Replace `raise NotImplementedError()` with your code",),
        lambda p: _edit(p, R2, "raise NotImplementedError()", TAG),
        R2,
        "raise NotImplementedError",
    ),
    Case(
        "the database does not answer",
        _second(TAG, DROP_TAG),
        _upgrade_head,
        ("cannot connect to the database", "Nothing was run"),
        ("WORKSHOP_DATABASE_URL", "right host, port"),
        lambda p: _Url.set(_Url.saved),
        spoil=_unreachable,
    ),
    Case(
        "no alembic.ini where the kit looks",
        _second(TAG, DROP_TAG),
        _upgrade_head,
        ("cannot find them", "Nothing was run"),
        ("WORKSHOP_ROOT",),
        _fix_root,
        spoil=_no_alembic_ini,
    ),
    # --- issue 12: advice that used to destroy data ---
    Case(
        "a column that is already there (alembic stamp behind the tables)",
        _make_stamped_behind,
        _upgrade_head,
        ('The column "phone" is already there',),
        ("The tables match revision 0002", "alembic stamp 0002", "Nothing needs to be dropped"),
        lambda p: commands.stamp("0002"),
        R2,
        "op.add_column",
        consistent=False,
        inconsistency_said="but alembic_version says 0001",
    ),
    Case(
        "a constraint that is already there (alembic stamp behind the tables)",
        _make_constraint_stamped_behind,
        _upgrade_head,
        ('The constraint "id_unique" is already there',),
        ("The tables match revision 0002", "alembic stamp 0002"),
        lambda p: commands.stamp("0002"),
        R2,
        "op.create_unique_constraint",
        consistent=False,
        inconsistency_said="but alembic_version says 0001",
    ),
    Case(
        "a downgrade after an alembic stamp ahead of the tables",
        _make_stamped_ahead,
        lambda: commands.downgrade("0001"),
        ('column "phone" of relation "account" does not exist', "not at the revision"),
        ("The tables match revision 0001", "alembic stamp 0001"),
        lambda p: commands.stamp("0001"),
        R2,
        'op.drop_column("account", "phone")',
        then=_upgrade_head,
        consistent=False,
        inconsistency_said="but alembic_version says 0002",
    ),
    Case(
        "a failure after an autocommit_block",
        _second(
            AUTOCOMMIT,
            'op.drop_index("ix_account_phone", "account")\n    op.drop_column("account", "phone")',
        ),
        _upgrade_head,
        ("what ran there before the error stays",),
        ("IF NOT EXISTS", "if_not_exists=True"),
        _fix_autocommit,
        R2,
        "SELEC 1",
        consistent=False,
        inconsistency_said="what ran there before the error stays",
    ),
    # --- issue 12: another session in the way ---
    Case(
        "a lock held by an open %sql transaction",
        _make_locked,
        _upgrade_head,
        ("another session is using", "a notebook (%sql)"),
        ("workshop db unblock",),
        _fix_unblock,
        R2,
        "op.add_column",
    ),
    Case(
        "two upgrades at once",
        _make_two_at_once,
        _two_upgrades_at_once,
        ("Another command applied revision 0002", "this command changed nothing"),
        ("Run the command again",),
        lambda p: None,
        R2,
        "op.create_table",
    ),
    # --- issue 12: raw tracebacks before ---
    Case(
        "op.create_tabel",
        _second(TAG.replace("create_table", "create_tabel"), DROP_TAG),
        _upgrade_head,
        ("op.create_tabel does not exist",),
        ("Write op.create_table instead",),
        lambda p: _edit(p, R2, "create_tabel", "create_table"),
        R2,
        "create_tabel",
    ),
    Case(
        "a column type given as text",
        _second('op.create_table("tag", sa.Column("id", "Integer"))', DROP_TAG),
        _upgrade_head,
        ('given as the text "Integer"',),
        ("sa.Integer",),
        lambda p: _edit(p, R2, '"Integer"', "sa.Integer"),
        R2,
        '"Integer"',
    ),
    Case(
        "a bound parameter without a value",
        _second('op.execute(sa.text("UPDATE account SET email = :email WHERE id = 2"))'),
        _upgrade_head,
        ("placeholder :email",),
        (".bindparams(email=",),
        lambda p: _edit(p, R2, 'WHERE id = 2"))', 'WHERE id = 2").bindparams(email="c@x"))'),
        R2,
        "op.execute",
    ),
    Case(
        "down_revision as a number",
        lambda p: (
            _base(p),
            write_revision(p, "0002", "0001", TAG, DROP_TAG),
            _edit(p, R2, "= '0001'", "= 1"),
        ),
        _upgrade_head,
        ("down_revision = 1 is a number",),
        ('down_revision = "0001"',),
        lambda p: _edit(p, R2, "= 1\n", '= "0001"\n'),
        R2,
        "down_revision:",
    ),
    Case(
        "a helper module in versions/",
        _make_helper_in_versions,
        _upgrade_head,
        ("mail_helpers.py is in migrations/versions/ but is not a revision",),
        ("migrations/mail_helpers.py", "from migrations.mail_helpers import"),
        _fix_helper,
        "mail_helpers.py",
    ),
    Case(
        "a package that is not installed",
        _make_missing_package,
        _upgrade_head,
        ("imports 'sqlalchemy_utils', which is not installed",),
        ("remove the import",),
        lambda p: _edit(p, R2, "import sqlalchemy_utils\n", ""),
        R2,
        "import sqlalchemy_utils",
    ),
    Case(
        "a data migration run with --sql",
        _second(
            'rows = op.get_bind().execute(sa.text("SELECT id FROM account")).fetchall()\n'
            "    for row in rows:\n"
            '        op.execute(f"UPDATE account SET email = lower(email) WHERE id = {row.id}")'
        ),
        lambda: commands.upgrade("0001:0002", sql=True),
        ("reads rows through op.get_bind()", "with --sql Alembic only writes SQL"),
        ("Run this revision without --sql", "context.is_offline_mode()"),
        lambda p: None,
        R2,
        ".fetchall()",
        then=_upgrade_head,
    ),
    Case(
        "down_revisions in a circle",
        _make_cycle,
        _upgrade_head,
        ("point at each other in a circle",),
        ("The first revision of all has down_revision = None",),
        lambda p: _edit(p, "0001_revision_0001.py", "= '0002'", "= None"),
        "0001_revision_0001.py",
        "down_revision:",
    ),
    Case(
        "a NOT NULL column added to a table with rows",
        _second('op.add_column("account", sa.Column("role", sa.String(20), nullable=False))'),
        _upgrade_head,
        ('"role" is NOT NULL', "already has rows (3 of them)"),
        ("server_default", "lesson 08"),
        lambda p: _edit(p, R2, "nullable=False)", 'nullable=False, server_default="member")'),
        R2,
        "op.add_column",
    ),
    Case(
        "a NOT NULL column added with raw SQL to a table with rows",
        _second('op.execute("ALTER TABLE account ADD COLUMN role varchar(20) NOT NULL")'),
        _upgrade_head,
        ('"role" is NOT NULL', "already has rows (3 of them)"),
        ("in raw SQL: ... NOT NULL DEFAULT",),
        lambda p: _edit(p, R2, 'NOT NULL")', "NOT NULL DEFAULT 'member'\")"),
        R2,
        "op.execute",
    ),
    Case(
        "a unique index the data already breaks",
        _second('op.create_index("ix_account_email", "account", ["email"], unique=True)'),
        _upgrade_head,
        ("Key (email)=(a@x) is duplicated", "the data is in the way"),
        ("GROUP BY email HAVING count(*) > 1", "change or merge"),
        lambda p: _sql("UPDATE account SET email = 'c@x' WHERE id = 3"),
        R2,
        "op.create_index",
    ),
    Case(
        "a data migration inserting a row that is already there",
        _second("op.execute(\"INSERT INTO account (id, email) VALUES (1, 'z@x')\")"),
        _upgrade_head,
        ("A row with the same unique key is already there", "Key (id)=(1) already exists"),
        ("ON CONFLICT DO NOTHING",),
        lambda p: _edit(p, R2, "'z@x')", "'z@x') ON CONFLICT DO NOTHING"),
        R2,
        "op.execute",
    ),
    Case(
        "an f-string SQL with a quote in the value",
        _second(
            'name = "O\'Brien"\n    op.execute(f"INSERT INTO account (email) VALUES (\'{name}\')")'
        ),
        _upgrade_head,
        ("a value broke it", "A quote (')"),
        ("bound parameters", ".bindparams(name=name)"),
        lambda p: _edit(
            p,
            R2,
            "op.execute(f\"INSERT INTO account (email) VALUES ('{name}')\")",
            'op.execute(sa.text("INSERT INTO account (email) VALUES (:name)")'
            ".bindparams(name=name))",
        ),
        R2,
        "op.execute(f",
    ),
    Case(
        "a branch label typo",
        _make_branch,
        lambda: commands.upgrade("featuer@head"),
        ("the branch labels are feature", "Did you mean 'feature'?"),
        ("feature@head",),
        lambda p: None,
        then=lambda: commands.upgrade("feature@head"),
    ),
    Case(
        "a constraint renamed by the naming convention",
        _make_convention,
        lambda: commands.downgrade("0001"),
        ('it was created as "ck_account_positive_id"', "naming convention in todo/models.py"),
        ('op.drop_constraint(op.f("ck_account_positive_id"), "account")',),
        lambda p: _edit(
            p,
            R2,
            'op.drop_constraint("positive_id"',
            'op.drop_constraint(op.f("ck_account_positive_id")',
        ),
        R2,
        "op.drop_constraint",
    ),
    # --- more that beginners make ---
    Case(
        "a misspelt table name",
        _second('op.add_column("acount", sa.Column("phone", sa.String(20)))'),
        _upgrade_head,
        ('There is no table "acount"', "Did you mean 'account'?"),
        ("Use the name of a table that exists",),
        lambda p: _edit(p, R2, '"acount"', '"account"'),
        R2,
        "op.add_column",
    ),
    Case(
        "a misspelt column name",
        _second('op.alter_column("account", "emial", type_=sa.String(200))'),
        _upgrade_head,
        ('no column "emial"', "Did you mean 'email'?"),
        ("Use the column's real name",),
        lambda p: _edit(p, R2, '"emial"', '"email"'),
        R2,
        "op.alter_column",
    ),
    Case(
        "an operation with an argument missing",
        lambda p: (_second(TAG, 'op.drop_column("phone")')(p), commands.upgrade("head")),
        lambda: commands.downgrade("0001"),
        ("op.drop_column() was called with the wrong arguments",),
        ("op.drop_column(table_name, column_name)",),
        lambda p: _edit(p, R2, 'op.drop_column("phone")', DROP_TAG),
        R2,
        'op.drop_column("phone")',
        then=lambda: commands.downgrade("0001"),
    ),
    Case(
        "a column's name where a column is needed",
        _second('op.add_column("account", "phone")'),
        _upgrade_head,
        ("given a name (text) where it needs a column object",),
        ("sa.Column(",),
        lambda p: _edit(p, R2, '"phone")', 'sa.Column("phone", sa.String(20)))'),
        R2,
        "op.add_column",
    ),
]

#: Steps that lose rows when run on the participant's database (not code advice such as writing
#: op.drop_table into a downgrade, which undoes what its own upgrade made).
DESTRUCTIVE = ("DROP TABLE", "DROP SCHEMA", "DELETE FROM", "TRUNCATE", "downgrade base", "rm -")


# --- the four checks -----------------------------------------------------------------------


def _rows() -> dict[str, int]:
    """Every table's row count, in every schema the participant can see."""
    engine = db.engine()
    inspector = sa.inspect(engine)
    counts = {}
    with engine.connect() as conn:
        for table in inspector.get_table_names():
            quoted = engine.dialect.identifier_preparer.quote(table)
            counts[table] = conn.execute(sa.text(f"SELECT count(*) FROM {quoted}")).scalar_one()
    return counts


def _same_rows(before: dict[str, int]) -> None:
    """Every table that was there holds the same rows (another command may have made more)."""
    now = _rows()
    assert {table: now.get(table) for table in before} == before, (before, now)


def _files(project: Path) -> dict[str, bytes]:
    """The participant's own files: revision files and the app's models."""
    found = {}
    for folder in (project / "migrations", project / "todo"):
        for file in folder.rglob("*.py"):
            if "__pycache__" not in file.parts:
                found[file.relative_to(project).as_posix()] = file.read_bytes()
    return found


def _agrees(*, extra_tables_allowed: bool = False) -> bool | None:
    """Whether the schema is what the files make at alembic_version; None when that cannot be
    built now (the files cannot be read, or the database cannot be reached). Tables of the
    participant's own that no revision makes (``tag_old``) are allowed when asked."""
    try:
        found = drift.check(commands.current_revisions())
    except Exception:  # noqa: BLE001 - a mistake in the files or settings, fixed later
        return None
    if found is not None and found.text.startswith("could not check"):
        return None
    if found is not None and extra_tables_allowed:
        return all(difference.extra for difference in found.differences)
    return found is None or found.level == "ok"


@pytest.fixture
def case_env(project: Path, monkeypatch: pytest.MonkeyPatch):
    _Url.monkeypatch = monkeypatch
    try:
        yield project
    finally:
        for module in [m for m in sys.modules if m == "migrations" or m.startswith("migrations.")]:
            del sys.modules[module]  # a scratch project's modules must not serve the next one
        if _Holder.connection is not None:
            with contextlib.suppress(sa.exc.DBAPIError):  # ended by `workshop db unblock`
                _Holder.connection.close()
            _Holder.connection = None
        _Url.monkeypatch = None


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_mistake(case: Case, case_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = case_env
    case.make(project)
    rows_before = _rows()
    files_before = _files(project)
    capsys.readouterr()

    if case.spoil is not None:
        case.spoil()

    # The mistake, for real.
    if case.fails:
        with pytest.raises(BaseException) as raised:
            case.command()
        explanation = friendly.explain(raised.value)
    else:
        case.command()
        explanation = friendly.empty_downgrade(_file(project, case.file or ""))
    out = capsys.readouterr().out
    assert explanation is not None, out
    assert str(explanation) in out, "the kit printed it"
    assert str(project) not in out

    # 1. Where, what, and a fix.
    if case.file:
        assert explanation.file == f"{VERSIONS}/{case.file}", explanation
    if case.at:
        assert explanation.line == line_of(_file(project, case.file or ""), case.at), explanation
    for words in case.says:
        assert words in explanation.what, (words, explanation.what)
    for words in case.fix_says:
        assert words in explanation.fix, (words, explanation.fix)

    # 2. No advice that would lose data, unless checked and said so.
    for step in DESTRUCTIVE:
        if step in explanation.fix:
            assert "loses nothing" in explanation.fix, explanation.fix

    # 4. Nothing of the participant's lost by the failure.
    assert _files(project) == files_before
    agrees = _agrees()
    if case.spoil is None:
        _same_rows(rows_before)

    # 3. The database agrees with alembic_version after the failure, or the message says not.
    case.fix(project)
    if agrees is None:  # the files or the settings were the mistake: judge once they are fixed
        agrees = _agrees()
    if case.consistent:
        assert agrees, drift.check(commands.current_revisions())
    else:
        assert agrees is False
        assert case.inconsistency_said in explanation.what + explanation.fix
    if case.spoil is not None:
        _same_rows(rows_before)

    # 1. The fix works: the command succeeds now, without a new explanation.
    capsys.readouterr()
    (case.then or case.command)()
    assert "🛑" not in capsys.readouterr().out
    assert _agrees(extra_tables_allowed=True), drift.check(commands.current_revisions())

    # 2. Following the advice lost no row.
    after = _rows()
    for table, count in rows_before.items():
        renamed = "tag_old" if table == "tag" and "tag_old" in after else table
        assert after.get(renamed, 0) >= count, (table, rows_before, after)
