"""Every exercise's check recovers from any wrong attempt (issue 14, "what to build", 1 and 2).

For each exercise of each lesson: its realistic wrong attempts (every one the lesson's own
tests know, taken from their tables so that a new one counts here too, plus a ``downgrade()``
left as ``pass``, a wrong type, a missing constraint and a stray revision file, where the
exercise has such a thing), all of them one after the other in a shuffled order, each followed by
its check, then the reference answer. A participant also runs their migration by hand now and
then (``alembic upgrade heads``, and back down), which leaves the database in the state the
wrong file made. The properties:

- after each wrong attempt the check fails, with a hint, and says what the lesson's own test
  expects *for that attempt*: the verdict is about the file as it is now, never about what an
  earlier attempt left behind;
- no check loses a row of a table that the exercise's revision does not make;
- after the reference answer the check passes (twice), the database is at the exercise's
  revision, and its tables are what the files make there (:mod:`workshop.drift`).

The order and the moves by hand come from a seeded random generator: the seed is printed when a
case fails, and ``WORKSHOP_PROPERTY_SEED=<n>`` runs other orders. On PostgreSQL, and on SQLite
for the lessons that also run there (and lesson 09, which runs only there).
"""

from __future__ import annotations

import os
import random
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from workshop import commands, db, drift
from workshop.lessons import lesson
from workshop.orchestrator import cli as orchestrator_cli

from . import (
    test_checks,
    test_checks_03,
    test_checks_06,
    test_checks_07,
    test_checks_08,
    test_checks_09,
    test_checks_10,
    test_checks_12,
    test_checks_13,
    test_checks_14,
)
from .conftest import REPO
from .exercise_support import edited, follow, verdict
from .products_support import install_lesson_start, install_schema, with_workshop_products

SEED = int(os.environ.get("WORKSHOP_PROPERTY_SEED", "14"))
MIGRATIONS = REPO / "solutions" / "migrations"
STRAY = "does not make"  # what the check says of a stray revision file


@dataclass(frozen=True)
class Attempt:
    """One wrong attempt: what the participant does, and what the check must then say."""

    name: str
    make: Callable[[Path], None]
    says: str
    on_sqlite: bool = True
    says_on_sqlite: str | None = None  # where SQLite words the same mistake its own way


@dataclass
class Exercise:
    """An exercise: the lesson up to it, its wrong attempts, and the reference answer.

    ``by_hand`` marks an exercise whose attempts are revision files: the participant may then
    also upgrade (and downgrade) by hand. ``between`` is what a participant does before the next
    attempt at an exercise whose check reads a state they made (follow the hint back).
    ``own`` are the tables the exercise's revision makes: only their rows may go.
    """

    id: str
    setup: Callable[[Path], None]
    wrong: list[Attempt]
    right: Callable[[Path], None]
    start: str | None = None
    at_the_end: tuple[str, ...] = ()
    by_hand: bool = False
    between: Callable[[Path], None] | None = None
    own: frozenset[str] = frozenset()
    backends: tuple[str, ...] = ("postgresql",)
    kinds: dict[str, str] = field(default_factory=dict)


# --- what participants do --------------------------------------------------------------------


def versions(project: Path) -> Path:
    return project / "migrations" / "versions"


def quietly(verb: Callable, *args: object, **kwargs: object) -> None:  # type: ignore[type-arg]
    """An alembic command as a participant types it; a failure is theirs to read, not ours."""
    try:
        commands.run(verb, *args, quiet=True, **kwargs)
    except Exception:  # noqa: BLE001, S110 - a wrong file fails by hand as well
        pass


def sql(statement: str) -> None:
    with db.engine().begin() as conn:
        conn.execute(sa.text(statement))


def parametrized(function: Callable) -> list[tuple[str, tuple]]:  # type: ignore[type-arg]
    """(id, values) of each case of a lesson test's ``@pytest.mark.parametrize``."""
    (mark,) = [mark for mark in function.pytestmark if mark.name == "parametrize"]
    _, values = mark.args
    ids = mark.kwargs["ids"]
    assert len(ids) == len(values) > 0
    return [(name, tuple(value)) for name, value in zip(ids, values, strict=True)]


def downgrade_pass(text: str) -> str:
    """The file with its ``downgrade()`` left as ``pass``, as the template writes it."""
    # downgrade() is the file's last function: everything after its line is its body (the
    # generator's SQL lines start at the left margin, inside triple quotes).
    head = "def downgrade() -> None:\n"
    found = text[: text.index(head)] + head + "    pass\n"
    assert found != text
    return found


def write(project: Path, name: str, text: str) -> None:
    (versions(project) / name).write_text(text)


def stray(project: Path) -> None:
    """`alembic revision -m ...` without --rev-id: a random id, on top of the head."""
    commands.run(command.revision, message="my change", quiet=True)


def stray_on_data(project: Path) -> None:
    """`main.py db revision --head=data@head` without --rev-id."""
    argv = ["db", "revision", "--message", "my change", "--head=data@head"]
    assert orchestrator_cli.main(argv) == 0


def alembic(argv: list[str]) -> None:
    """`alembic <argv>` as a hint gives it, run in process (the real command line takes a
    second to start; the dedicated tests of the hints use it)."""
    verb, *rest = argv
    if verb == "revision":
        message = rest[rest.index("-m") + 1]
        rev_id = rest[rest.index("--rev-id") + 1] if "--rev-id" in rest else None
        commands.run(command.revision, message=message, rev_id=rev_id, quiet=True)
        return
    targets = [arg for arg in rest if not arg.startswith("--")]
    options = {"purge": True} if "--purge" in rest else {}
    function = {"upgrade": command.upgrade, "downgrade": command.downgrade, "stamp": command.stamp}
    target = targets[0] if len(targets) == 1 else targets
    commands.run(function[verb], target, quiet=True, **options)


def by_hand(rng: random.Random, start: str | None) -> str:
    """What a participant may do with a revision file before asking the check: nothing, upgrade
    to it, or upgrade and go back down (with whatever downgrade() the file has)."""
    move = rng.choice(["nothing", "upgrade", "upgrade and back"])
    if move != "nothing":
        quietly(command.upgrade, "heads")
    if move == "upgrade and back" and start is not None:
        quietly(command.downgrade, start)
    return move


# --- the exercises -----------------------------------------------------------------------------


def _00_table(definition: str, *values: str) -> Callable[[Path], None]:
    def make(project: Path) -> None:
        sql("DROP TABLE IF EXISTS hello")
        sql(f"CREATE TABLE hello ({definition})")
        for value in values:
            sql(f"INSERT INTO hello VALUES ('{value}')")

    return make


def _00_nothing(project: Path) -> None:
    sql("DROP TABLE IF EXISTS hello")


EX_00 = Exercise(
    id="00.1",
    setup=lambda project: None,
    wrong=[
        Attempt("nothing", _00_nothing, "no table called hello"),
        Attempt("no-comma", _00_table("message VARCHAR(50)", "hello migrations"), "no row"),
        Attempt("wrong-column", _00_table("msg VARCHAR(50)", "hello, migrations"), "no column"),
        Attempt("empty", _00_table("message VARCHAR(50)"), "no row with the message"),
    ],
    right=_00_table("message VARCHAR(50)", "hello, migrations"),
    kinds={
        "downgrade-pass, wrong type, missing constraint, stray file": "no revision in lesson 00",
    },
)


def _01_setup(project: Path) -> None:
    test_checks._chain(project)


def _01_back(project: Path) -> None:
    """Back to the lesson's two revisions, as a participant would: down to 0002, files gone."""
    quietly(command.downgrade, "0002")
    for file in versions(project).glob("*.py"):
        if not file.name.startswith(("0001_", "0002_")):
            file.unlink()


def _01(message: str = "add account owner", *, upgrade: bool = True, **kwargs: object):
    def make(project: Path) -> None:
        commands.run(command.revision, message=message, quiet=True, **kwargs)
        if upgrade:
            quietly(command.upgrade, "head")

    return make


def _01_stray_then_0003(project: Path) -> None:
    """The issue's path: forgot --rev-id, upgraded, then made 0003 on top of the stray."""
    _01()(project)
    _01(rev_id="0003")(project)


def _01_right(project: Path) -> None:
    _01_back(project)
    _01(rev_id="0003")(project)


EX_01 = Exercise(
    id="01.1",
    setup=_01_setup,
    wrong=[
        Attempt("missing", lambda project: None, "no revision 0003"),
        Attempt("not-upgraded", _01(rev_id="0003", upgrade=False), "database is at 0002"),
        Attempt(
            "wrong-parent",
            _01(rev_id="0003", head="0001", splice=True, upgrade=False),
            "should build on '0002'",
        ),
        Attempt("wrong-message", _01("add owner", rev_id="0003"), "has the message"),
        Attempt("stray", _01(), STRAY),
        Attempt("stray-not-upgraded", _01(upgrade=False), STRAY),
        Attempt("stray-then-0003", _01_stray_then_0003, STRAY),
    ],
    right=_01_right,
    between=_01_back,
    at_the_end=("0003",),
    kinds={"downgrade-pass, wrong type, missing constraint": "revision 0003 is empty"},
)


def _02_setup(project: Path) -> None:
    shutil.copy(next((MIGRATIONS / "02").glob("0001_*.py")), versions(project))
    commands.run(command.upgrade, "head", quiet=True)
    sql("INSERT INTO account (name, description) VALUES ('Ada', 'our first customer')")


REFERENCE_0002 = next((MIGRATIONS / "02").glob("0002_*.py"))


def _replacing(reference: Path, **replacements: str) -> Callable[[Path], None]:
    return lambda project: write(project, reference.name, edited(reference, **replacements))


EX_02 = Exercise(
    id="02.1",
    setup=_02_setup,
    wrong=[
        *(
            Attempt(name, _replacing(REFERENCE_0002, **{old: new}), says)
            for name, (old, new, says) in parametrized(
                test_checks.test_02_1_wrong_answers_fail_with_a_hint
            )
        ),
        Attempt(
            "downgrade-pass",
            lambda project: write(
                project, REFERENCE_0002.name, downgrade_pass(REFERENCE_0002.read_text())
            ),
            "category table is still there",
        ),
        Attempt("stray", stray, STRAY),
    ],
    right=lambda project: shutil.copy(REFERENCE_0002, versions(project)),
    start="0001",
    at_the_end=("0002",),
    by_hand=True,
    own=frozenset({"category"}),
    kinds={"wrong type": "wrong-type", "missing constraint": "nullable, no-fk"},
)


REFERENCE_0003 = MIGRATIONS / "03" / "0003_create_active_users_view.py"


def _03_setup(project: Path) -> None:
    for file in sorted((MIGRATIONS / "03").glob("000[12]_*.py")):
        shutil.copy(file, versions(project))
    commands.run(command.upgrade, "head", quiet=True)
    sql("INSERT INTO users (email, username) VALUES ('ada@example.com', 'ada')")


EX_03 = Exercise(
    id="03.1",
    setup=_03_setup,
    wrong=[
        *(
            Attempt(
                name,
                _replacing(REFERENCE_0003, **{old: new}),
                says,
                # SQLite compares a boolean with 1 happily: that mistake is PostgreSQL's.
                on_sqlite=name != "integer-boolean",
            )
            for name, (old, new, says) in parametrized(
                test_checks_03.test_03_1_wrong_answers_fail_with_a_hint_and_a_fix_then_passes
            )
        ),
        Attempt("stray", stray, STRAY),
    ],
    right=lambda project: shutil.copy(REFERENCE_0003, versions(project)),
    start="0002",
    at_the_end=("0003",),
    by_hand=True,
    own=frozenset({"active_users"}),
    backends=("postgresql", "sqlite"),
    kinds={
        "downgrade-pass": "no-downgrade",
        "wrong type": "a-table (a table instead of a view)",
        "missing constraint": "no-where (the view's condition)",
    },
)


def _04_scene(project: Path) -> None:
    """The exercise's scene from scratch: every table gone, then the lesson's set-up cell."""
    sql("DROP VIEW IF EXISTS active_users")
    metadata = sa.MetaData()
    metadata.reflect(db.engine())
    metadata.drop_all(db.engine())
    for file in [*(MIGRATIONS / "03").glob("*.py"), *(MIGRATIONS / "04").glob("*.py")]:
        shutil.copy(file, versions(project))
    commands.run(command.upgrade, "head", quiet=True)
    commands.run(command.downgrade, "-2", quiet=True)
    sql("INSERT INTO users (email, username) VALUES ('ada@example.com', 'ada')")
    sql("INSERT INTO todos (title, owner_id) SELECT 'buy milk', id FROM users")
    commands.run(command.stamp, "0003", quiet=True)


def _04(*moves: tuple[Callable, str]):  # type: ignore[type-arg]
    def make(project: Path) -> None:
        for verb, target in moves:
            commands.run(verb, target, quiet=True)

    return make


def _04_drop(project: Path) -> None:
    sql("DROP TABLE todos")
    commands.run(command.upgrade, "head", quiet=True)


EX_04 = Exercise(
    id="04.1",
    setup=_04_scene,
    wrong=[
        Attempt("nothing", lambda project: None, "the database is at 0003, not at the head"),
        Attempt("stamp-head", _04((command.stamp, "head")), "no column priority, due_date"),
        Attempt(
            "one-too-far",
            _04((command.stamp, "ae52f1"), (command.upgrade, "head")),
            "no column priority",
        ),
        Attempt("drop-table", _04_drop, "'buy milk' is gone"),
    ],
    right=_04((command.stamp, "ae10c4"), (command.upgrade, "head")),
    between=_04_scene,
    at_the_end=("c3d9b7",),
    backends=("postgresql", "sqlite"),
    kinds={"downgrade-pass, wrong type, missing constraint, stray file": "writes no revision"},
)


def _05_setup(project: Path) -> None:
    for name in ("0001_create_users_table.py", "0002_create_phone_number_for_user_column.py"):
        shutil.copy(MIGRATIONS / "03" / name, versions(project))
    for file in (MIGRATIONS / "05").glob("*.py"):
        shutil.copy(file, versions(project))
    commands.run(command.merge, ["0003a", "0003b"], message="merge", rev_id="0004", quiet=True)
    commands.run(command.revision, message="priority", rev_id="0005a", head="0004", quiet=True)
    commands.run(
        command.revision, message="created at", rev_id="0005b", head="0004", splice=True, quiet=True
    )
    commands.run(command.upgrade, "heads", quiet=True)


def _05_back(project: Path) -> None:
    """Undo a merge as the hint says: its parents stamped (a merge runs no SQL), files gone."""
    quietly(command.stamp, ["0005a", "0005b", "d002"], purge=True)
    for file in versions(project).glob("*.py"):
        if not re.match(r"(000[1-5]|d00)", file.name):
            file.unlink()


def _05(*steps: Callable[[], None]) -> Callable[[Path], None]:
    def make(project: Path) -> None:
        for step in steps:
            step()

    return make


def _merge(*parents: str) -> Callable[[], None]:
    target = parents[0] if parents == ("heads",) else list(parents)
    return lambda: commands.run(
        command.merge, target, message="merge priority and created at", rev_id="0006", quiet=True
    )


def _upgrade_heads() -> None:
    commands.run(command.upgrade, "heads", quiet=True)


EX_05 = Exercise(
    id="05.1",
    setup=_05_setup,
    wrong=[
        Attempt("nothing", lambda project: None, "no revision 0006"),
        Attempt("not-upgraded", _05(_merge("0005a", "0005b")), "not at both heads"),
        Attempt("merge-heads", _05(_merge("heads"), _upgrade_heads), "also merges d002"),
        Attempt("wrong-pair", _05(_merge("0005a", "d002")), "also merges d002"),
        Attempt(
            "plain-revision",
            _05(
                lambda: commands.run(
                    command.revision, message="merge", rev_id="0006", head="0005a", quiet=True
                ),
                _upgrade_heads,
            ),
            "0006 merges 0005a; it should merge 0005a and 0005b",
        ),
        Attempt(
            "extra-head",
            _05(
                _merge("0005a", "0005b"),
                lambda: commands.run(
                    command.revision,
                    message="stray",
                    rev_id="0007",
                    head="0005a",
                    splice=True,
                    quiet=True,
                ),
                _upgrade_heads,
            ),
            STRAY,
        ),
    ],
    right=_05(_merge("0005a", "0005b"), _upgrade_heads),
    between=_05_back,
    at_the_end=("0006", "d002"),
    backends=("postgresql", "sqlite"),
    kinds={
        "stray file": "extra-head (a revision the merge does not join)",
        "downgrade-pass, wrong type, missing constraint": "a merge runs no SQL",
    },
)


def _06_setup(project: Path) -> None:
    test_checks_06.install(project, with_0006=False)
    sql("INSERT INTO users (email, username) VALUES ('ada@example.com', 'ada')")
    sql("INSERT INTO todos (title, description, owner_id) SELECT 'plants', 'water', id FROM users")


REFERENCE_0006_AUTOGENERATE = MIGRATIONS / "06" / "0006_add_due_date_and_notes_to_todos.py"

EX_06 = Exercise(
    id="06.1",
    setup=_06_setup,
    wrong=[
        *(
            Attempt(
                name,
                _replacing(REFERENCE_0006_AUTOGENERATE, **replacements),
                says,
                # SQLite cannot add a unique column in place: Alembic says so, and the check too.
                says_on_sqlite="No support for ALTER of constraints"
                if name == "models-differ"
                else None,
            )
            for name, (replacements, says) in parametrized(
                test_checks_06.test_wrong_answers_fail_with_a_hint
            )
        ),
        Attempt("stray", stray, STRAY),
    ],
    right=lambda project: shutil.copy(REFERENCE_0006_AUTOGENERATE, versions(project)),
    start="0005",
    at_the_end=("0006",),
    by_hand=True,
    backends=("postgresql", "sqlite"),
    kinds={
        "downgrade-pass": "downgrade-pass",
        "wrong type": "wrong-type",
        "missing constraint": "models-differ (a unique constraint the models lack)",
    },
)


def _07(upgrade: str | None, downgrade: str | None) -> Callable[[Path], None]:
    def make(project: Path) -> None:
        quietly(command.downgrade, "0002")  # the hint's way back after running it for real
        test_checks_07.write(project, "0003_upgrade.sql", upgrade)
        if downgrade is None:
            (project / "sql" / "0003_downgrade.sql").unlink(missing_ok=True)
        else:
            test_checks_07.write(project, "0003_downgrade.sql", downgrade)

    return make


def _07_for_real(project: Path) -> None:
    _07(test_checks_07.UPGRADE, test_checks_07.DOWNGRADE)(project)
    commands.run(command.upgrade, "0003", quiet=True)


EX_07 = Exercise(
    id="07.1",
    setup=test_checks_07.install,
    wrong=[
        *(
            Attempt(name, _07(upgrade, downgrade), says)
            for name, (upgrade, downgrade, says) in parametrized(
                test_checks_07.test_wrong_scripts_fail_with_a_hint
            )
        ),
        Attempt("a-missing-file", _07(test_checks_07.UPGRADE, None), "no file sql/"),
        Attempt("ran-it-for-real", _07_for_real, "the database is at 0003"),
    ],
    right=_07(test_checks_07.UPGRADE, test_checks_07.DOWNGRADE),
    at_the_end=("0002",),
    backends=("postgresql", "sqlite"),
    kinds={"downgrade-pass, wrong type, missing constraint, stray file": "writes no revision"},
)


def _08_setup(project: Path) -> None:
    test_checks_08.install(project)
    sql(
        "INSERT INTO users (email, username, display_name, role) "
        "VALUES ('ada@example.com', 'ada', 'Ada', 'user')"
    )


REFERENCE_0006_DATA = test_checks_08.REFERENCE

EX_08 = Exercise(
    id="08.1",
    setup=_08_setup,
    wrong=[
        *(
            Attempt(
                name,
                lambda project, text=text: write(project, REFERENCE_0006_DATA.name, text()),
                says,
            )
            for name, (text, says) in parametrized(
                test_checks_08.test_wrong_answers_fail_with_a_hint
            )
        ),
        Attempt(
            "downgrade-pass",
            lambda project: write(
                project, REFERENCE_0006_DATA.name, downgrade_pass(REFERENCE_0006_DATA.read_text())
            ),
            "must turn 'member' back into 'user'",
        ),
        Attempt("stray", stray, STRAY),
    ],
    right=lambda project: shutil.copy(REFERENCE_0006_DATA, versions(project)),
    start="0005",
    at_the_end=("0006",),
    by_hand=True,
    backends=("postgresql", "sqlite"),
    kinds={
        "wrong type": "pasted-values (values as SQL text, not bound)",
        "missing constraint": "no-where (the UPDATE's condition)",
    },
)


REFERENCE_0005 = MIGRATIONS / "09" / test_checks_09.FIFTH


def _09_setup(project: Path) -> None:
    for name in ("0001_create_users_table.py", "0002_create_phone_number_for_user_column.py"):
        shutil.copy(MIGRATIONS / "03" / name, versions(project))
    for file in (MIGRATIONS / "09").glob("000[34]_*.py"):
        shutil.copy(file, versions(project))
    shutil.copy(REPO / "solutions" / "app" / "03" / "todo" / "models.py", project / "todo")
    commands.run(command.upgrade, "0004", quiet=True)
    sql(
        "INSERT INTO users (email, username, role) VALUES "
        "('ada@example.com', 'ada', 'admin'), ('bob@example.com', 'bob', NULL)"
    )


EX_09 = Exercise(
    id="09.1",
    setup=_09_setup,
    wrong=[
        *(
            Attempt(name, _replacing(REFERENCE_0005, **{old: new}), says)
            for name, (old, new, says, _hint) in parametrized(
                test_checks_09.test_09_1_wrong_answers_fail_with_a_hint
            )
        ),
        Attempt(
            "wrong-type",
            _replacing(
                REFERENCE_0005,
                **{
                    "existing_type=sa.String(45), nullable=False": (
                        "existing_type=sa.String(45), type_=sa.String(20), nullable=False"
                    )
                },
            ),
            "users.role is VARCHAR(20); it should stay VARCHAR(45)",
        ),
        Attempt("stray", stray, STRAY),
    ],
    right=lambda project: shutil.copy(REFERENCE_0005, versions(project)),
    start="0004",
    at_the_end=("0005",),
    # By hand, a failed batch copy leaves _alembic_tmp_users behind, which the check names (its
    # own test); that is the one thing it will not remove, so no moves by hand here.
    backends=("sqlite",),
    kinds={"downgrade-pass": "no-downgrade", "missing constraint": "still-nullable, no-default"},
)


REFERENCE_0003_STAIRWAY = MIGRATIONS / "10" / test_checks_10.THIRD


def _10_setup(project: Path) -> None:
    test_checks_10._install(project, third=False)
    commands.run(command.upgrade, "head", quiet=True)


EX_10 = Exercise(
    id="10.1",
    setup=_10_setup,
    wrong=[
        *(
            Attempt(
                name,
                _replacing(REFERENCE_0003_STAIRWAY, **{test_checks_10.SOLVED_DOWNGRADE: new}),
                says,
                # SQLite drops a table others refer to without a word.
                on_sqlite=name not in ("wrong-order", "drops-users-too"),
                says_on_sqlite=says.replace('relation "categories"', "table categories"),
            )
            for name, (new, says, _hint) in parametrized(
                test_checks_10.test_10_1_wrong_downgrades_fail_with_a_hint
            )
        ),
        Attempt(
            "wrong-type",
            _replacing(REFERENCE_0003_STAIRWAY, **{"sa.String(200)": "sa.String(100)"}),
            "differs from todo/models.py",
        ),
        Attempt(
            "missing-foreign-key",
            _replacing(
                REFERENCE_0003_STAIRWAY,
                **{', sa.ForeignKey("categories.id")': ""},
            ),
            "differs from todo/models.py",
        ),
        Attempt("stray", stray, STRAY),
    ],
    right=lambda project: shutil.copy(REFERENCE_0003_STAIRWAY, versions(project)),
    at_the_end=("0002",),  # the check works on a database of its own only
    backends=("postgresql", "sqlite"),
    kinds={"downgrade-pass": "pass", "missing constraint": "missing-foreign-key"},
)


def _products_setup(folder: str) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        install_lesson_start(project, folder)
        shutil.copy(MIGRATIONS / folder / test_checks_12.DATA0001, versions(project))
        commands.run(command.upgrade, "heads", quiet=True)

    return setup


def _data0002(folder: str, name: str, wrong: dict) -> list[Attempt]:  # type: ignore[type-arg]
    reference = MIGRATIONS / folder / name
    return [
        *(
            Attempt(case, _replacing(reference, **replacements), says)
            for case, (replacements, says, _hint) in wrong.items()
        ),
        Attempt(
            "downgrade-pass",
            lambda project: write(project, name, downgrade_pass(reference.read_text())),
            "still",
        ),
        Attempt("stray", stray_on_data, STRAY),
    ]


EX_12 = Exercise(
    id="12.1",
    setup=_products_setup("12"),
    wrong=_data0002("12", test_checks_12.DATA0002, test_checks_12.WRONG),
    right=lambda project: shutil.copy(
        MIGRATIONS / "12" / test_checks_12.DATA0002, versions(project)
    ),
    start="data0001",
    at_the_end=("data0002",),
    by_hand=True,
    kinds={
        "wrong type": "wrong-description (the wrong value)",
        "missing constraint": "not-idempotent (no ON CONFLICT DO NOTHING)",
    },
)

EX_13 = Exercise(
    id="13.1",
    setup=_products_setup("13"),
    wrong=_data0002("13", test_checks_13.DATA0002, test_checks_13.WRONG),
    right=lambda project: shutil.copy(
        MIGRATIONS / "13" / test_checks_13.DATA0002, versions(project)
    ),
    start="data0001",
    at_the_end=("data0002",),
    by_hand=True,
    kinds={"wrong type": "wrong-target", "missing constraint": "not-linked"},
)


LEFTOVERS = (
    "DELETE FROM resource_types WHERE resource_type IN ('email', 'phone')",
    "DELETE FROM products WHERE name = 'User partner'",
)


def _14_back(project: Path) -> None:
    """The hints' way back: downgrade to data0001, delete what the exercise generated, and put
    the course's models back (the participant runs the model cells again). What a ``pass``
    downgrade left in the database goes too, with the command the check names for it (see
    test_14_a_downgrade_left_as_pass_by_hand_then_the_generator)."""
    quietly(command.downgrade, "data0001")
    for file in versions(project).glob("*.py"):
        if not file.name.startswith(("data0000", "data0001")):
            file.unlink()
    for path in test_checks_14.model_cells():
        shutil.copy(REPO / path, project / path)  # where the project copy took them from
    for statement in LEFTOVERS:
        sql(statement)


def _14(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def make(project: Path) -> None:
        for step in steps:
            step(project)

    return make


def _model(path: str, *, participant: bool = False, **replace: str) -> Callable[[Path], None]:
    return lambda project: test_checks_14.write_model(
        project, path, participant=participant, **replace
    )


def _generate(inputs: dict, rev_id: str) -> Callable[[Path], None]:  # type: ignore[type-arg]
    message = "Add email to UserBlock" if rev_id == "data0002" else "Add User partner product"
    return lambda project: test_checks_14.generate(message, inputs, rev_id)


def _upgrade(project: Path) -> None:
    test_checks_14.upgrade()


def _edit_generated(rev_id: str, edit: Callable[[str], str]) -> Callable[[Path], None]:
    def make(project: Path) -> None:
        (file,) = versions(project).glob(f"{rev_id}_*.py")
        file.write_text(edit(file.read_text()))

    return make


BLOCK = "products/product_blocks/user.py"
EMAIL_FIELD = "    email: str | None = None\n"
TYPE = "products/product_types/user.py"
REGISTRY = "products/__init__.py"
EMAIL = test_checks_14.EMAIL
PARTNER = test_checks_14.PARTNER
EMAIL_DONE = (_model(BLOCK), _generate(EMAIL, "data0002"))

EX_14_1 = Exercise(
    id="14.1",
    setup=with_workshop_products,
    wrong=[
        Attempt("stub", _model(BLOCK, participant=True), "products/ cannot be imported"),
        Attempt("nothing", lambda project: None, "UserBlock has no field email"),
        Attempt("no-migration", _model(BLOCK), "no revision data0002"),
        Attempt("not-upgraded", _14(*EMAIL_DONE), "revision data0002 is not applied yet"),
        Attempt(
            "wrong-description",
            _14(
                _model(BLOCK), _generate({"email": {"description": "e-mail"}}, "data0002"), _upgrade
            ),
            "has the description 'e-mail'",
        ),
        Attempt(
            "more-than-email",
            _14(
                _model(
                    BLOCK,
                    **{EMAIL_FIELD: EMAIL_FIELD + "    phone: str\n"},
                ),
                _generate({**EMAIL, "phone": {"description": "phone"}}, "data0002"),
                _upgrade,
            ),
            "exactly the resource types",
        ),
        Attempt(
            "downgrade-pass",
            _14(*EMAIL_DONE, _edit_generated("data0002", downgrade_pass), _upgrade),
            "email is still there",
        ),
        Attempt("stray", _14(*EMAIL_DONE, _upgrade, stray_on_data), STRAY),
    ],
    right=_14(*EMAIL_DONE, _upgrade),
    between=_14_back,
    at_the_end=("data0002",),
    kinds={
        "wrong type": "wrong-description (the resource type's value)",
        "missing constraint": "more-than-email (a field too many)",
    },
)

PARTNER_DONE = (_model(TYPE), _model(REGISTRY), _generate(PARTNER, "data0003"))

EX_14_2 = Exercise(
    id="14.2",
    setup=with_workshop_products,
    wrong=[
        Attempt("stub", _model(REGISTRY, participant=True), "products/ cannot be imported"),
        Attempt("nothing", lambda project: None, 'has no product "User partner"'),
        Attempt("no-enum-value", _model(REGISTRY), "does not allow the value partner"),
        Attempt(
            "wrong-type",
            _model(REGISTRY, **{'"User partner": User,': '"User partner": UserGroup,'}),
            "registered as UserGroup",
        ),
        Attempt("no-migration", _14(_model(TYPE), _model(REGISTRY)), "no revision data0003"),
        Attempt("not-upgraded", _14(*PARTNER_DONE), "revision data0003 is not applied yet"),
        Attempt(
            "wrong-tag",
            _14(
                _model(TYPE),
                _model(REGISTRY),
                _generate(
                    {"User partner": {**PARTNER["User partner"], "tag": "USER_PARTNER"}}, "data0003"
                ),
                _upgrade,
            ),
            "USER_PARTNER",
        ),
        Attempt(
            "downgrade-pass",
            _14(*PARTNER_DONE, _edit_generated("data0003", downgrade_pass), _upgrade),
            "User partner is still there",
        ),
        Attempt("stray", _14(*PARTNER_DONE, _upgrade, stray_on_data), STRAY),
    ],
    right=_14(*PARTNER_DONE, _upgrade),
    between=_14_back,
    at_the_end=("data0003",),
    kinds={"missing constraint": "no-enum-value (the value the fixed input allows)"},
)


def _11_setup(project: Path) -> None:
    install_schema(project)
    _db("revision", "--message", "first", "--head=data@head", "--rev-id", "data0001")
    _db("upgrade", "heads")


def _db(*argv: str) -> None:
    assert orchestrator_cli.main(["db", *argv]) == 0


def _11_back(project: Path) -> None:
    """The empty revisions ran no SQL: forget them, and delete their files."""
    quietly(command.stamp, "data0001", purge=True)
    for file in versions(project).glob("*.py"):
        if not file.name.startswith(("data0000", "data0001")):
            file.unlink()


def _11(*argv: tuple[str, ...]) -> Callable[[Path], None]:
    def make(project: Path) -> None:
        for args in argv:
            _db(*args)

    return make


DATA0002 = ("revision", "--message", "more products", "--head=data@head", "--rev-id", "data0002")
SCHEMA0002 = ("revision", "--message", "release", "--head=schema@head", "--rev-id", "schema0002")
HEADS = ("upgrade", "heads")

EX_11 = Exercise(
    id="11.1",
    setup=_11_setup,
    wrong=[
        Attempt("nothing", lambda project: None, "no revision data0002"),
        Attempt(
            "schema-on-data",
            _11(DATA0002, (*SCHEMA0002[:3], "--head=data@head", *SCHEMA0002[4:]), HEADS),
            "schema0002 has down_revision = 'data0002'",
        ),
        Attempt(
            "only-data",
            _11(DATA0002, SCHEMA0002, ("upgrade", "data@head")),
            "schema0002 is not applied yet",
        ),
        Attempt("not-upgraded", _11(DATA0002, SCHEMA0002), "are not applied"),
        Attempt(
            "a-third-head",
            _14(
                _11(DATA0002, SCHEMA0002),
                lambda project: commands.run(
                    command.revision,
                    message="stray",
                    rev_id="stray1",
                    head="data0001",
                    splice=True,
                    quiet=True,
                ),
                _11(HEADS),
            ),
            STRAY,
        ),
    ],
    right=_11(DATA0002, SCHEMA0002, HEADS),
    between=_11_back,
    at_the_end=("data0002", "schema0002"),
    kinds={
        "stray file": "a-third-head",
        "downgrade-pass, wrong type, missing constraint": "its revisions are empty",
    },
)

EXERCISES = [
    EX_00, EX_01, EX_02, EX_03, EX_04, EX_05, EX_06, EX_07, EX_08, EX_09, EX_10,
    EX_11, EX_12, EX_13, EX_14_1, EX_14_2,
]  # fmt: skip
CASES = [
    pytest.param(exercise, backend, id=f"{exercise.id}-{backend}")
    for exercise in EXERCISES
    for backend in exercise.backends
]


# --- the property ------------------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    """Rows per table of the participant's database."""
    engine = db.engine()
    quote = engine.dialect.identifier_preparer.quote
    with engine.connect() as conn:
        return {
            name: conn.execute(sa.text(f"SELECT count(*) FROM {quote(name)}")).scalar_one()
            for name in sa.inspect(conn).get_table_names()
        }


@pytest.fixture
def on(
    project: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Path]:
    """The project, on the backend the case names (SQLite: a file, as lesson 09 uses)."""
    backend = request.node.callspec.params["backend"]
    if backend == "sqlite":
        (project / ".workshop").mkdir(exist_ok=True)
        monkeypatch.setenv(db.URL_ENV, f"sqlite:///{project / '.workshop' / 'lesson.sqlite'}")
    yield project


@pytest.mark.parametrize(("exercise", "backend"), CASES)
def test_wrong_attempts_in_any_order_then_the_answer(
    on: Path, exercise: Exercise, backend: str
) -> None:
    project = on
    rng = random.Random(f"{SEED}-{exercise.id}-{backend}")
    exercise.setup(project)
    wrong = [attempt for attempt in exercise.wrong if backend != "sqlite" or attempt.on_sqlite]
    rng.shuffle(wrong)
    done: list[str] = []
    for attempt in wrong:
        if exercise.between is not None:
            exercise.between(project)
        attempt.make(project)
        move = by_hand(rng, exercise.start) if exercise.by_hand else "nothing"
        done.append(f"{attempt.name} ({move})")
        where = f"seed {SEED}, after: {' > '.join(done)}"
        before = row_counts()
        result = verdict(exercise.id)
        assert not result.passed, f"{where}: a wrong attempt passed: {result}"
        says = (backend == "sqlite" and attempt.says_on_sqlite) or attempt.says
        assert says in result.message, f"{where}: {result}"
        assert result.hint, f"{where}: no hint: {result}"
        after = row_counts()
        lost = {
            table: (count, after.get(table))
            for table, count in before.items()
            if table not in exercise.own and after.get(table, 0) < count
        }
        assert not lost, f"{where}: the check lost rows (before, after): {lost}"
        if attempt.says == STRAY:
            follow(project, result.hint, alembic=alembic)  # as the hint says, before the next
    if exercise.between is not None:
        exercise.between(project)
    exercise.right(project)
    move = by_hand(rng, exercise.start) if exercise.by_hand else "nothing"
    where = f"seed {SEED}, after: {' > '.join(done)} > the answer ({move})"
    result = verdict(exercise.id)
    for _ in range(2):
        # A check that cannot undo what was left by itself names the one command that does
        # (e.g. a table with rows in it): the participant runs it, and the check passes.
        if result.passed or not follow(project, result.hint, alembic=alembic):
            break
        where += f" > followed: {result.hint}"
        result = verdict(exercise.id)
    assert result.passed, f"{where}: {result}"
    assert verdict(exercise.id).passed, f"{where}: a second run of the check fails"
    if exercise.at_the_end:
        current = commands.current_revisions()
        assert current == exercise.at_the_end, f"{where}: the database is at {current}"
        tables = drift.check(current)
        real = [item for item in (tables.differences if tables else ()) if not item.extra]
        assert not real, f"{where}: the tables are not what the files make: {tables}"


def test_every_exercise_is_in_the_property_test() -> None:
    """A new exercise gets its wrong attempts here too; each kind of mistake is covered or the
    case says why it does not apply."""
    from workshop import checks

    assert {exercise.id for exercise in EXERCISES} == set(checks.CHECKS)
    for exercise in EXERCISES:
        names = {attempt.name for attempt in exercise.wrong} | {
            kind.replace(" ", "-") for listed in exercise.kinds for kind in listed.split(", ")
        }
        for kind in ("downgrade-pass", "wrong-type", "missing-constraint", "stray-file"):
            covered = kind in names or kind.removesuffix("-file") in names
            assert covered, f"{exercise.id}: no {kind!r} attempt, and no reason given"
    for exercise in EXERCISES:
        item = lesson(exercise.id.split(".")[0])
        if item.also_on_sqlite or item.database == "sqlite":
            assert "sqlite" in exercise.backends, f"{exercise.id} also runs on SQLite"
