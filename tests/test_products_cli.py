"""``PYTHONPATH=. python main.py db ...``: the seed commands verbatim, and the other commands.

The seed commands of the issue run exactly as a participant types them, as subprocesses at the
root of a scratch copy of the project, against a scratch PostgreSQL database. The rest runs in
process through :func:`workshop.orchestrator.cli.main`, which is what main.py calls.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

import products
from workshop import commands
from workshop.orchestrator import cli as orchestrator_cli

from .products_support import (
    NOTHING_REGISTERED,
    PROMPTS,
    SCHEMA_REVISION,
    SEED_GENERATOR,
    SEED_REVISION,
    SEED_UPGRADE,
    TYPED_ANSWERS,
    WORKSHOP_ANSWERS,
    assert_workshop_products,
    counts,
    install_schema,
    version_files,
)


def shell(command: str, root: Path, typed: str = "") -> subprocess.CompletedProcess:
    """Run a command line exactly as typed at the project root."""
    return subprocess.run(
        command, shell=True, cwd=root, input=typed, capture_output=True, text=True, timeout=180
    )


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def new_file(root: Path, before: list[str]) -> Path:
    made = sorted(set(version_files(root)) - set(before))
    assert len(made) == 1, made
    return root / "migrations" / "versions" / made[0]


def new_files(root: Path, before: list[str]) -> tuple[Path, Path]:
    """The data head and the revision that ``db revision`` wrote on a project with no data
    branch (two files, the data head's the one with no parent)."""
    made = sorted(set(version_files(root)) - set(before))
    assert len(made) == 2, made
    files = [root / "migrations" / "versions" / name for name in made]
    files.sort(
        key=lambda path: "down_revision: str | Sequence[str] | None = None" not in path.read_text()
    )
    return files[0], files[1]


def test_the_seed_commands_work_verbatim_with_typed_answers(project: Path) -> None:
    install_schema(project)

    before = version_files(project)
    output = ok(shell(SEED_REVISION, project))
    data_head, seed = new_files(project, before)
    # As orchestrator-core 5.5.0: the data branch's empty first revision, then the one asked for.
    assert data_head.name.endswith("_create_data_head.py")
    assert seed.name.endswith("_my_descriptive_revision_description.py")
    for made in (data_head, seed):
        assert f"Generating migrations/versions/{made.name}" in output
    assert "Started the data branch" in output and f"depends on '{SCHEMA_REVISION}'" in output
    text = data_head.read_text()
    assert text.startswith('"""Create data head.\n')
    assert "down_revision: str | Sequence[str] | None = None" in text
    assert "branch_labels: str | Sequence[str] | None = ('data',)" in text
    assert f"depends_on: str | Sequence[str] | None = '{SCHEMA_REVISION}'" in text
    text = seed.read_text()
    data_head_id = data_head.name.split("_")[0]
    assert f"down_revision: str | Sequence[str] | None = '{data_head_id}'" in text
    assert "branch_labels: str | Sequence[str] | None = None" in text
    assert "depends_on: str | Sequence[str] | None = None" in text

    before = version_files(project)
    output = ok(shell(SEED_GENERATOR, project, "\n".join(TYPED_ANSWERS) + "\n"))
    # Each question, then the typed answer (echoed, as a terminal would show it), in order.
    asked = [line for line in output.splitlines() if line.startswith(tuple(set(PROMPTS)))]
    assert asked == [prompt + answer for prompt, answer in zip(PROMPTS, TYPED_ANSWERS, strict=True)]
    generated = new_file(project, before)
    text = generated.read_text()
    seed_id = seed.name.split("_")[0]
    assert f"down_revision: str | Sequence[str] | None = '{seed_id}'" in text
    # orchestrator-core's form: SQL in sa.text(), nothing imported of the kit's.
    assert "workshop" not in text
    upgrade, downgrade = text.split("def downgrade")
    assert (
        "INSERT INTO products (name, description, product_type, tag, status) VALUES ('User "
        "internal', 'user administration - internal', 'User', 'USER_INT', 'active')" in upgrade
    )
    assert "'affiliation' AS name, 'external' AS value" in upgrade
    assert "DELETE FROM products WHERE products.name = 'User Group'" in downgrade
    assert "DELETE FROM subscriptions" in downgrade
    assert counts()["products"] == 0, "the generator writes a file; it changes no rows"

    ok(shell(SEED_UPGRADE, project))
    assert_workshop_products()

    # Run again right after upgrading: nothing to do, no file.
    before = version_files(project)
    output = ok(shell(SEED_GENERATOR, project))
    assert "No differences between the domain models and the database" in output
    assert version_files(project) == before

    # A downgrade (one step back) empties every product table.
    ok(shell("PYTHONPATH=. python main.py db downgrade", project))
    assert counts() == NOTHING_REGISTERED


def test_the_seed_generator_takes_its_answers_from_inputs(project: Path) -> None:
    """Without the seed revision first: the generator creates the data branch itself."""
    install_schema(project)
    before = version_files(project)
    output = ok(shell(SEED_GENERATOR + " --inputs products/workshop_answers.json", project, "y\n"))
    assert (
        "Supply fixed input value for product User internal and fixed input affiliation: "
        "internal   (from --inputs)" in output
    )
    text = new_file(project, before).read_text()
    assert "branch_labels: str | Sequence[str] | None = ('data',)" in text
    assert f"depends_on: str | Sequence[str] | None = '{SCHEMA_REVISION}'" in text
    ok(shell(SEED_UPGRADE, project))
    assert_workshop_products()
    ok(shell("PYTHONPATH=. python main.py db downgrade data@base", project))
    assert counts() == NOTHING_REGISTERED
    assert commands.current_revisions() == (SCHEMA_REVISION,)


def test_a_mistake_on_the_command_line_gives_a_message_not_a_traceback(project: Path) -> None:
    install_schema(project)
    done = shell(SEED_GENERATOR + " --inputs '{\"User Group\": '", project)
    assert done.returncode == 1
    assert "the --inputs JSON is not valid JSON" in done.stderr
    assert "Fix:" in done.stderr and "Traceback" not in done.stderr

    done = shell("PYTHONPATH=. python main.py db frobnicate", project)
    assert done.returncode == 2
    assert "invalid choice: 'frobnicate'" in done.stderr and "Traceback" not in done.stderr


def test_a_mistake_in_a_model_is_named_and_does_not_block_the_other_commands(
    project: Path,
) -> None:
    install_schema(project)
    model = project / "products" / "product_blocks" / "user.py"
    broken = model.read_text() + "\nundefined_name_in_a_model\n"
    model.write_text(broken)
    line = broken.splitlines().index("undefined_name_in_a_model") + 1

    done = shell(SEED_GENERATOR, project)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert (
        "NameError: name 'undefined_name_in_a_model' is not defined "
        f"(in products/product_blocks/user.py, line {line})"
    ) in done.stderr
    assert "Fix: Correct the mistake in products/" in done.stderr
    assert model.read_text() == broken  # the participant's file is left as it was

    assert SCHEMA_REVISION in ok(shell("PYTHONPATH=. python main.py db heads", project))


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = orchestrator_cli.main(argv, registry=products.SUBSCRIPTION_MODEL_REGISTRY)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["db", "revision", "-m", "x", "--head=nope@head"], "no branch labelled 'nope'"),
        (["db", "upgrade", "nosuchrevision"], "nosuchrevision"),
        (["db", "migrate-domain-models", "x", "--inputs", "missing.json"], "no such file"),
        (
            ["db", "migrate-domain-models", "x", "--inputs", '{"User internal": 3}'],
            '"User internal" should hold an object of answers',
        ),
        (
            [
                "db",
                "migrate-domain-models",
                "x",
                "--inputs",
                json.dumps(
                    {
                        **WORKSHOP_ANSWERS,
                        "User internal": {**WORKSHOP_ANSWERS["User internal"], "affiliation": "x"},
                    }
                ),
            ],
            "must be one of: internal, external",
        ),
        (
            [
                "db",
                "migrate-domain-models",
                "x",
                "--inputs",
                json.dumps(
                    {**WORKSHOP_ANSWERS, "UserBlock": {"description": "d", "tag": "T" * 21}}
                ),
            ],
            "is longer than 20 characters",
        ),
    ],
)
def test_bad_input_gives_a_clear_message_and_a_failing_status(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    message: str,
) -> None:
    install_schema(project)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # "Confirm the above actions [y/n]:"
    before = version_files(project)
    status, _out, err = run(argv, capsys)
    assert status == 1
    assert message in err
    assert version_files(project) == before


def test_a_missing_argument_is_explained_by_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    status, _out, err = run(["db", "revision"], capsys)
    assert status == 2
    assert "the following arguments are required: -m/--message" in err
    assert "Fix: see `main.py db revision --help`." in err
    status, out, _err = run(["db", "migrate-domain-models", "--help"], capsys)
    assert status == 0 and '{"resource_types": {"username": "login"}' in out
    assert "--updates" in out and "echo y | " in out


def test_the_generator_stops_when_a_question_has_no_answer(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    install_schema(project)
    partial = {key: value for key, value in WORKSHOP_ANSWERS.items() if key != "age"}
    argv = ["db", "migrate-domain-models", "x", "--inputs", json.dumps(partial)]
    with open(os.devnull) as nothing:  # stdin with nothing left to read, as in CI
        monkeypatch.setattr("sys.stdin", nothing)
        status, _out, err = run(argv, capsys)
    assert status == 1
    assert (
        'No answer to "Confirm the above actions [y/n]:", and it cannot be asked: its input '
        "ended. Nothing was written." in err
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # confirmed, then nothing more
    status, _out, err = run(argv, capsys)
    assert status == 1
    assert (
        'No answer to "Supply description for new resource type age:": --inputs has no "age" -> '
        '"description", and it cannot be asked: its input ended.' in err
    )
    assert version_files(project) == []


def test_the_generator_needs_the_product_tables_and_an_up_to_date_database(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    inputs = str(project / "products" / "workshop_answers.json")
    status, _out, err = run(["db", "migrate-domain-models", "x", "--inputs", inputs], capsys)
    assert status == 1 and "The database has no product tables yet" in err
    assert "PYTHONPATH=. python main.py db upgrade heads" in err

    install_schema(project)
    argv = ["db", "migrate-domain-models", "x", "--inputs", inputs, "--rev-id", "data0001"]
    status, out, err = run(argv, capsys)
    assert status == 0, out + err
    status, _out, err = run([*argv[:-1], "data0002"], capsys)
    assert status == 1
    assert "The database is behind: revision(s) data0001" in err
    assert "db upgrade heads" in err


def test_test_mode_prints_the_sql_and_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install_schema(project)
    inputs = str(project / "products" / "workshop_answers.json")
    status, out, _err = run(
        ["db", "migrate-domain-models", "x", "--inputs", inputs, "--test"], capsys
    )
    assert status == 0
    assert version_files(project) == []
    assert counts() == NOTHING_REGISTERED
    upgrade, downgrade = out.split("-- upgrade()")[1].split("-- downgrade()")
    assert "-- New resource types\nINSERT INTO resource_types" in upgrade
    assert "create_" not in out and "delete_" not in out  # no kit-only helper is named
    assert (
        "INSERT INTO products (name, description, product_type, tag, status) VALUES "
        "('User Group', 'user group administration', 'UserGroup', 'GROUP', 'active') "
        "ON CONFLICT DO NOTHING;" in upgrade
    )
    assert "INSERT INTO product_block_relations" in upgrade
    assert "DELETE FROM products WHERE products.name = 'User Group';" in downgrade
    assert "no file was written" in out


def test_revision_heads_history_current_and_merge(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install_schema(project)
    assert (
        run(["db", "revision", "-m", "first data", "--head=data@head", "--rev-id", "d1"], capsys)[0]
        == 0
    )
    assert run(["db", "revision", "-m", "second data", "--rev-id", "d2"], capsys)[0] == 0
    script = commands.script_directory()
    assert script.get_revision("d2").down_revision == "d1"
    # The first started the data branch with the kit's fixed id for it (--rev-id was given).
    assert script.get_revision("d1").down_revision == "data0000"
    assert script.get_revision("data0000").branch_labels == {"data"}
    status, out, _ = run(
        ["db", "revision", "-m", "more tables", "--head=schema@head", "--rev-id", "s2"], capsys
    )
    assert status == 0 and "s2_more_tables.py" in out

    status, out, _ = run(["db", "heads"], capsys)
    assert sorted(re.findall(r"^(\w+) \((\w+)\)", out, re.M)) == [("d2", "data"), ("s2", "schema")]
    assert run(["db", "upgrade", "heads"], capsys)[0] == 0
    assert commands.current_revisions() == ("d2", "s2")
    status, out, _ = run(["db", "current"], capsys)
    assert "d2" in out and "s2" in out

    # Autogenerate compares the product tables with their description: nothing differs.
    status, out, _ = run(
        [
            "db",
            "revision",
            "--autogenerate",
            "-m",
            "nothing",
            "--head=schema@head",
            "--rev-id",
            "s3",
        ],
        capsys,
    )
    assert status == 0
    text = (project / "migrations" / "versions" / "s3_nothing.py").read_text()
    assert "def upgrade() -> None:\n    # ### commands auto generated by Alembic" in text
    assert "op.create_table" not in text and "op.drop_table" not in text
    (project / "migrations" / "versions" / "s3_nothing.py").unlink()

    status, out, _ = run(["db", "merge", "heads", "-m", "join", "--rev-id", "m1"], capsys)
    assert status == 0
    merge = commands.script_directory().get_revision("m1")
    assert set(merge.down_revision) == {"d2", "s2"}

    status, out, _ = run(["db", "history", "--verbose"], capsys)
    assert status == 0
    for rev in ("m1", "d2", "d1", "data0000", "s2", SCHEMA_REVISION):
        assert f"Rev: {rev}" in out
    assert "Branch names: data" in out and f"Also depends on: {SCHEMA_REVISION}" in out

    assert run(["db", "upgrade", "heads"], capsys)[0] == 0
    assert commands.current_revisions() == ("m1",)


def test_downgrade_takes_the_forms_orchestrator_core_takes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """orchestrator-core 5.5.0 refuses `db downgrade -1` (No such option: -1); `db downgrade`
    alone is one step back. The kit takes the same forms, and says what to write instead."""
    install_schema(project)
    with_data = ["db", "revision", "-m", "one", "--rev-id", "data0001"]
    assert run(with_data, capsys)[0] == 0
    assert run(["db", "upgrade", "heads"], capsys)[0] == 0

    status, _out, err = run(["db", "downgrade", "-1"], capsys)
    assert status == 1
    assert "refuses it (No such option: -1)" in err
    assert "`db downgrade data@-1`" in err
    assert commands.current_revisions() == ("data0001",)

    assert run(["db", "downgrade", "data@-1"], capsys)[0] == 0
    assert commands.current_revisions() == ("data0000",)
    assert run(["db", "downgrade"], capsys)[0] == 0
    assert commands.current_revisions() == (SCHEMA_REVISION,)
