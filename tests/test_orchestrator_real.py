"""The products track against a real orchestrator-core 5.5.0 app (issue 13).

The app and its database come from :mod:`tests.orchestrator_real`; these tests skip, saying why,
only where its packages cannot be installed.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa

from workshop import db, lessons
from workshop.orchestrator import cli as orchestrator_cli

from . import helpers_scenario
from .conftest import REPO
from .orchestrator_real import SCHEMA_HEAD, RealApp
from .products_support import SCHEMA_REVISION, install_schema
from .schema_catalog import accepted_notes, describe, differences, trigger_notes


def test_the_real_app_is_made_and_migrated_to_orchestrator_cores_schema_head(
    real_app: RealApp,
) -> None:
    """The harness made a real app: ``db init``'s files, and its database at 5.5.0's head."""
    for made_by_db_init in ("alembic.ini", "migrations/env.py", "migrations/helpers.py"):
        assert (real_app.folder / made_by_db_init).is_file(), made_by_db_init
    assert (
        "orchestrator.core.migrations.helpers"
        in (real_app.folder / "migrations" / "helpers.py").read_text()
    )
    engine = real_app.engine()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [
            SCHEMA_HEAD
        ]
        extensions = set(conn.execute(sa.text("SELECT extname FROM pg_extension")).scalars())
    engine.dispose()
    assert {"uuid-ossp", "ltree", "unaccent", "pg_trgm", "vector"} <= extensions
    # orchestrator's own CLI agrees, through its own settings and driver.
    heads = real_app.run("db", "heads")
    assert SCHEMA_HEAD in heads.stdout + heads.stderr


#: The product registry, and the tables of real orchestrator-core that refer to it (a
#: subscription of a product, its instances of blocks and values of resource types, and a
#: process of a workflow). Listed here, not taken from the kit, so a table the kit loses is missed.
COMPARED = (
    "products",
    "product_blocks",
    "resource_types",
    "fixed_inputs",
    "product_product_blocks",
    "product_block_resource_types",
    "product_block_relations",
    "workflows",
    "products_workflows",
    "subscriptions",
    "subscription_instances",
    "subscription_instance_values",
    "processes",
    "processes_subscriptions",
)


def test_the_kits_registry_tables_equal_real_orchestrator_cores(
    project: Path, real_app: RealApp
) -> None:
    """Column by column: types, lengths, NOT NULL, defaults, constraints with their ON DELETE,
    indexes, and the seeded rows (the workflows real seeds), each difference in words."""
    install_schema(project)
    with db.engine().connect() as conn:
        kit = describe(conn, COMPARED)
    engine = real_app.engine()
    with engine.connect() as conn:
        real = describe(conn, COMPARED)
    engine.dispose()
    assert sorted(real) == sorted(COMPARED), "real orchestrator-core lacks a compared table"
    assert len(real["workflows"].rows) == 7, "real seeds 7 workflows"
    for note in accepted_notes(real, kit) + trigger_notes(real, kit):
        print(f"note: {note}")
    found = differences(real, kit, COMPARED)
    for line in found:
        print(f"DIFFERENCE: {line}")
    assert not found, f"{len(found)} differences from real orchestrator-core:\n" + "\n".join(found)


# --- the migration helpers (issue 13) ------------------------------------------------------

#: Run in the real app: the public functions of orchestrator-core's helpers, as the app's own
#: ``migrations/helpers.py`` (written by ``db init``) re-exports them, with their signatures.
REAL_SIGNATURES = """\
import inspect, json
import migrations.helpers as app_helpers
print("SIGNATURES " + json.dumps({
    name: str(inspect.signature(value))
    for name, value in vars(app_helpers).items()
    if inspect.isfunction(value) and not name.startswith("_")
    and value.__module__ == "orchestrator.core.migrations.helpers"
}))
"""


def kit_migrations_helpers() -> ModuleType:
    """The kit's ``migrations/helpers.py``, loaded from its file as a revision file imports it."""
    spec = importlib.util.spec_from_file_location(
        "kit_migrations_helpers", REPO / "migrations" / "helpers.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def printed(output: str, tag: str) -> Any:
    """The JSON a script printed after ``tag``."""
    for line in output.splitlines():
        if line.startswith(f"{tag} "):
            return json.loads(line[len(tag) + 1 :])
    raise AssertionError(f"the script printed no {tag} line:\n{output[-3000:]}")


def test_the_kits_migrations_helpers_have_real_orchestrator_cores_names_and_signatures(
    real_app: RealApp, tmp_path: Path
) -> None:
    """Name for name and signature for signature, as ``inspect.signature`` prints them: a
    migration's import line and calls are the same in the kit and in a real app."""
    script = tmp_path / "signatures.py"
    script.write_text(REAL_SIGNATURES)
    real = printed(real_app.python(script), "SIGNATURES")
    helpers = kit_migrations_helpers()
    kit = {
        name: str(inspect.signature(value))
        for name, value in vars(helpers).items()
        if inspect.isfunction(value) and not name.startswith("_")
    }
    assert len(real) > 30, f"real orchestrator-core's helpers: only {sorted(real)}"
    missing = sorted(set(real) - set(kit))
    extra = sorted(set(kit) - set(real))
    other = [
        f"{name}{kit[name]}, real: {name}{real[name]}"
        for name in real
        if kit.get(name, real[name]) != real[name]
    ]
    assert not (missing or extra or other), (
        f"missing in the kit: {missing}; only in the kit: {extra}; other signatures: {other}"
    )


def test_the_kits_helpers_change_the_rows_real_orchestrator_cores_change(
    project: Path, real_app: RealApp
) -> None:
    """Every helper, called as a migration calls it (tests/helpers_scenario.py), in both: each
    step works or fails alike, returns the same, and leaves the same rows (ids as names)."""
    real = printed(real_app.python(REPO / "tests" / "helpers_scenario.py"), "SCENARIO")
    install_schema(project)
    with db.engine().connect() as conn:
        kit = helpers_scenario.run(kit_migrations_helpers(), conn)
        conn.rollback()
    found = []
    for (what, real_status, real_value), (_, kit_status, kit_value) in zip(
        real["steps"], kit["steps"], strict=True
    ):
        if real_status != kit_status:
            found.append(
                f"{what}: {real_status} ({real_value}) in real, "
                f"{kit_status} ({kit_value}) in the kit"
            )
        elif real_status == "ok" and real_value != kit_value:
            if isinstance(real_value, dict) and isinstance(kit_value, dict):  # rows(): by table
                real_value, kit_value = (
                    {
                        key: value
                        for key, value in side.items()
                        if real_value.get(key) != kit_value.get(key)
                    }
                    for side in (real_value, kit_value)
                )
            found.append(f"{what}: returned {real_value} in real, {kit_value} in the kit")
    for table, rows in real["rows"].items():
        if kit["rows"][table] != rows:
            found.append(f"{table} at the end: {rows} in real, {kit['rows'][table]} in the kit")
    assert not found, "\n".join(found)
    failed = [what for what, status, _ in real["steps"] if status == "failed"]
    assert len(failed) >= 8, f"the scenario should show real's failures too, not only: {failed}"


# --- db revision and the data branch (issue 13) --------------------------------------------


def revision_file(path: Path) -> dict[str, Any]:
    """What a revision file says, whoever wrote it: its message (the docstring's first line,
    without the full stop orchestrator's template adds), slug, ids and the bodies of upgrade()
    and downgrade(). Annotated (the kit's) and plain (orchestrator's) assignments alike."""
    tree = ast.parse(path.read_text())
    found: dict[str, Any] = {
        "message": (ast.get_docstring(tree) or "").splitlines()[0].rstrip("."),
        # orchestrator's files are named <date>_<id>_<slug>.py, the kit's <id>_<slug>.py.
        "slug": re.sub(r"^\d{4}-\d{2}-\d{2}_", "", path.stem).split("_", 1)[1],
    }
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and node.value is not None:
            found[target.id] = ast.literal_eval(node.value)
        if isinstance(node, ast.FunctionDef) and node.name in ("upgrade", "downgrade"):
            found[node.name] = [ast.unparse(statement) for statement in node.body]
    return found


def made_by(run: Callable[[], None], folder: Path) -> list[dict[str, Any]]:
    """The revision files ``run`` wrote into ``folder``, oldest first (parents before children)."""
    before = set(folder.glob("*.py"))
    run()
    made = [revision_file(path) for path in set(folder.glob("*.py")) - before]
    return sorted(made, key=lambda rev: rev["down_revision"] is not None)


def roles(revisions: list[dict[str, Any]], schema_head: str) -> list[dict[str, Any]]:
    """The files with their ids replaced by what they are: a parent by its message, the schema
    head as orchestrator-core's id (random ids differ from run to run; what they point to not)."""
    by_id = {rev["revision"]: rev["message"] for rev in revisions}
    out = []
    for rev in revisions:
        down, depends = rev["down_revision"], rev["depends_on"]
        out.append(
            {
                **{key: value for key, value in rev.items() if key != "revision"},
                "down_revision": by_id.get(down, down),
                "depends_on": SCHEMA_HEAD if depends == schema_head else depends,
            }
        )
    return out


def test_db_revision_starts_the_data_branch_as_real_orchestrator_core_does(
    project: Path, real_app: RealApp, capsys: pytest.CaptureFixture[str]
) -> None:
    """On an app with no data branch, 5.5.0's ``db revision --head=data@head`` writes an empty
    "Create data head." root, then the revision on top; a second one goes on top of that. The
    kit's writes the same: messages, parents, branch labels, dependencies and empty bodies."""
    message = "My descriptive revision description"
    real_folder = real_app.folder / "migrations" / "versions" / "schema"

    def real(text: str) -> Callable[[], None]:
        return lambda: real_app.run("db", "revision", "--message", text, "--head=data@head")

    real_first = made_by(real(message), real_folder)
    real_second = made_by(real("Second"), real_folder)

    install_schema(project)
    kit_folder = project / "migrations" / "versions"

    def kit(text: str) -> Callable[[], None]:
        def run() -> None:
            argv = ["db", "revision", "--message", text, "--head=data@head"]
            assert orchestrator_cli.main(argv) == 0, capsys.readouterr()

        return run

    kit_first = made_by(kit(message), kit_folder)
    kit_second = made_by(kit("Second"), kit_folder)

    assert [rev["message"] for rev in real_first] == ["Create data head", message]
    assert real_first[0]["branch_labels"] == ("data",)
    assert real_first[0]["depends_on"] == SCHEMA_HEAD
    assert roles(kit_first, SCHEMA_REVISION) == roles(real_first, SCHEMA_HEAD)
    # The second: on top of the first, in both.
    assert real_second[0]["down_revision"] == real_first[1]["revision"]
    assert kit_second[0]["down_revision"] == kit_first[1]["revision"]
    assert roles(kit_second, SCHEMA_REVISION)[0] | {"down_revision": None} == roles(
        real_second, SCHEMA_HEAD
    )[0] | {"down_revision": None}


# --- the reference solutions, unchanged, in a real app (issue 13) ---------------------------

#: Run in the real app after the upgrade: orchestrator-core's own checks of the product
#: registry (the steps of its task_validate_products that need no workflow code), and the
#: products as its ORM reads them.
REAL_CHECKS = """\
import json
from sqlalchemy import select
from orchestrator.core.db import ProductTable, db, init_database
from orchestrator.core.settings import app_settings
init_database(app_settings)
from orchestrator.core.workflows.tasks import validate_products

CHECKS = (
    "check_that_products_have_at_least_one_workflow",
    "check_that_active_products_have_a_modify_note",
    "check_db_fixed_input_config",
    "check_that_products_have_create_modify_and_terminate_workflows",
    "check_subscription_models",
)
found = {"checks": {}, "products": {}}
with db.database_scope():
    for name in CHECKS:
        result = getattr(validate_products, name)({})
        found["checks"][name] = "ok" if result.issuccess() else repr(result)
    for product in db.session.scalars(select(ProductTable)):
        found["products"][product.name] = {
            "workflows": sorted(w.name for w in product.workflows),
            "blocks": {
                b.name: sorted(r.resource_type for r in b.resource_types)
                for b in product.product_blocks
            },
        }
print("CHECKS " + json.dumps(found))
"""

#: What each lesson's reference solutions register, as orchestrator-core's ORM reads it.
REGISTERED = {
    "12": {
        "Username registration": {
            "workflows": ["create_username_registration", "modify_note"],
            "blocks": {"Username": ["display_name", "username"]},
        }
    },
    "13": {
        "Username registration": {
            "workflows": [
                "create_username_registration",
                "modify_note",
                "terminate_username_registration",
            ],
            "blocks": {"Username": ["username"]},
        }
    },
}


def snapshot(engine: sa.Engine) -> dict[str, Any]:
    """Every table of the database: its catalog (columns, constraints, indexes, triggers) and
    its rows, every column of them (UUIDs too: a row deleted and made again is not the same
    row); and every sequence's value. Read in Python: pg_dump 18 writes psql-only lines."""
    with engine.connect() as conn:
        tables = tuple(
            conn.execute(
                sa.text(
                    "SELECT c.relname FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1"
                )
            ).scalars()
        )
        catalog = describe(conn, tables)
        found: dict[str, Any] = {}
        for name in tables:
            table = catalog[name]
            rows = conn.execute(
                sa.text(f'SELECT to_jsonb(t)::text FROM "{name}" AS t ORDER BY 1')
            ).scalars()
            found[name] = {
                "columns": table.columns,
                "constraints": table.constraints,
                "indexes": table.indexes,
                "triggers": table.triggers,
                "rows": list(rows),
            }
        for sequence in conn.execute(
            sa.text("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
        ):
            found[f"sequence {sequence.sequencename}"] = sequence.last_value
    engine.dispose()
    return found


def _changes(name: str, before: Any, after: Any) -> list[str]:
    """How a table (or sequence) of :func:`snapshot` changed, one line each: a part of its
    catalog, or a row gone or new."""
    if before == after:
        return []
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return [f"{name}: {before!r} before, {after!r} after"]
    out = []
    for part in ("columns", "constraints", "indexes", "triggers"):
        if before[part] != after[part]:
            out.append(f"{name} {part}: {before[part]!r} before, {after[part]!r} after")
    out += [f"{name}: row gone: {row}" for row in before["rows"] if row not in after["rows"]]
    out += [f"{name}: row new: {row}" for row in after["rows"] if row not in before["rows"]]
    return out or [f"{name}: the same rows, in other numbers"]


def assert_as_before(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Two :func:`snapshot` s are the same; else each difference, a line each."""
    changed = [
        line
        for name in sorted(set(before) | set(after))
        for line in _changes(name, before.get(name), after.get(name))
    ]
    assert not changed, "the downgrade did not leave the database as it was:\n" + "\n".join(changed)


@pytest.mark.parametrize("lesson", ["12", "13"])
def test_the_reference_solutions_run_unchanged_in_a_real_app(
    real_app: RealApp, lesson: str, tmp_path: Path
) -> None:
    """The lesson's starting files and solutions/migrations/<lesson>/, copied byte for byte
    into the real app's migrations/versions/schema/: ``db upgrade heads`` applies them,
    orchestrator-core's own checks pass and its ORM reads the product, and ``db downgrade
    data@base`` leaves every table as it was, rows and catalog. A file that needs an edit to run
    in a real app fails here."""
    before = snapshot(real_app.engine())
    folder = real_app.folder / "migrations" / "versions" / "schema"
    # What the lesson starts with (the data head, as lesson 11 made it), then what it writes.
    solutions = REPO / "solutions" / "migrations"
    references = [solutions / entry for entry in lessons.lesson(lesson).start_files]
    references += sorted((solutions / lesson).glob("*.py"))
    assert len(references) >= 3, f"lesson {lesson}: only {references}"
    for reference in references:
        shutil.copy2(reference, folder / reference.name)

    real_app.run("db", "upgrade", "heads")
    with real_app.engine().connect() as conn:
        applied = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    assert applied == ["data0002"]
    script = tmp_path / "checks.py"
    script.write_text(REAL_CHECKS)
    found = printed(real_app.python(script), "CHECKS")
    failed = {name: said for name, said in found["checks"].items() if said != "ok"}
    assert not failed, f"orchestrator-core's checks failed: {failed}"
    assert found["products"] == REGISTERED[lesson]

    real_app.run("db", "downgrade", "data@base")
    after = snapshot(real_app.engine())
    assert_as_before(before, after)


# --- the generator and lesson 14, against the real generator (issue 13) ----------------------

#: orchestrator-core's import for what the kit's ``workshop.orchestrator.domain`` offers: the one
#: line of a participant's models that differs in a real app (lesson 11 says so).
REAL_DOMAIN_IMPORT = "from orchestrator.core.domain.base import"


def port_products(project: Path, app: Path) -> None:
    """The kit project's ``products/`` as a real app has it: the same files, with the domain
    classes imported from orchestrator-core, and the registry entries added to orchestrator-core's
    own ``SUBSCRIPTION_MODEL_REGISTRY`` (which its CLI reads) instead of a dict of the package's."""
    target = app / "products"
    shutil.rmtree(target)
    shutil.copytree(project / "products", target, ignore=shutil.ignore_patterns("*.json", "*.md"))
    for module in target.rglob("*.py"):
        text = module.read_text()
        module.write_text(
            text.replace("from workshop.orchestrator.domain import", REAL_DOMAIN_IMPORT)
        )
    init = target / "__init__.py"
    text = init.read_text()
    start = text.index("SUBSCRIPTION_MODEL_REGISTRY = {")
    end = text.index("\n}\n", start)
    init.write_text(
        text[:start]
        + "from orchestrator.core.domain import SUBSCRIPTION_MODEL_REGISTRY  # noqa: E402\n\n"
        + "SUBSCRIPTION_MODEL_REGISTRY.update("
        + text[start + len("SUBSCRIPTION_MODEL_REGISTRY = ") : end]
        + "\n})\n"
        + text[end + 3 :]
    )


def registry_by_name(engine: sa.Engine) -> dict[str, set[tuple]]:
    """The product registry as names and values, without ids or dates: what a migration of
    product data did, comparable between two databases."""
    queries = {
        "products": "SELECT name, description, product_type, tag, status FROM products",
        "fixed_inputs": "SELECT p.name, f.name, f.value FROM fixed_inputs f "
        "JOIN products p USING (product_id)",
        "product_blocks": "SELECT name, description, tag, status FROM product_blocks",
        "resource_types": "SELECT resource_type, description FROM resource_types",
        **helpers_scenario.LINKS,
        "products_workflows": helpers_scenario.LINKS_TO_WORKFLOWS,
    }
    with engine.connect() as conn:
        found = {
            name: {tuple(row) for row in conn.execute(sa.text(sql))}
            for name, sql in queries.items()
        }
    engine.dispose()
    return found


def lesson_14_steps() -> list[tuple[str, dict[str, str], dict[str, Any]]]:
    """Lesson 14's generator runs, from its reference solution: (message, model files the
    lesson's cells write before the run, --inputs). The first is the lesson's own run with the
    workshop's answers; then exercises 14.1 and 14.2."""
    notebook = json.loads((REPO / "solutions" / "14-migrate-domain-models.ipynb").read_text())
    sources = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    steps: list[tuple[str, dict[str, str], dict[str, Any]]] = []
    written: dict[str, str] = {}
    for source in sources:
        if source.startswith("%%writefile "):
            head, _, body = source.partition("\n")
            written[head.split()[1]] = body
        for command in re.findall(
            r"migrate-domain-models (\"[^\"]+\") --inputs (.+)$", source, re.M
        ):
            message, given = json.loads(command[0]), command[1]
            if given.startswith("'"):
                inputs = json.loads(given.strip("'"))
            else:
                assert given == '"$(cat products/workshop_answers.json)"', given
                inputs = json.loads((REPO / "products" / "workshop_answers.json").read_text())
            # Not the preview (--test), nor the run again that finds nothing to do.
            if "--test" not in source and message not in [step[0] for step in steps]:
                steps.append((message, dict(written), inputs))
                written = {}
    assert [message for message, _, _ in steps] == [
        "Add User and UserGroup products",
        "Add email to UserBlock",
        "Add User partner product",
    ], steps
    return steps


#: orchestrator-core's generator logs each kind of change it found (structlog, one line each).
CHANGE_LOG = re.compile(r"\[orchestrator\.core\.cli\.migrate_domain_models\] (\w+)=(.*)$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def real_differences(app: RealApp) -> dict[str, str]:
    """Run real ``db migrate-domain-models --test``; return each kind of change it logged that
    is not empty (``{}`` or ``set()``)."""
    done = app.run("db", "migrate-domain-models", "Anything left?", "--test")
    logged = {}
    for line in ANSI.sub("", done.stdout + done.stderr).splitlines():
        if found := CHANGE_LOG.search(line):
            logged[found[1]] = found[2].strip()
    assert "create_products" in logged and "delete_products" in logged, done.stdout[-3000:]
    return {kind: value for kind, value in logged.items() if value not in ("{}", "set()", "[]")}


REAL_VALIDATION = """\
import json
from orchestrator.core.db import db, init_database
from orchestrator.core.settings import app_settings
init_database(app_settings)
from orchestrator.core.workflows.tasks import validate_products

found = {}
with db.database_scope():
    for name in (
        "check_that_products_have_at_least_one_workflow",
        "check_that_active_products_have_a_modify_note",
        "check_db_fixed_input_config",
        "check_that_products_have_create_modify_and_terminate_workflows",
        "check_subscription_models",
    ):
        found[name] = getattr(validate_products, name)({}).issuccess()
print("VALIDATION " + json.dumps(found))
"""


def test_lesson_14_and_the_kits_generator_run_unchanged_in_a_real_app(
    project: Path, real_orchestrator: Any, tmp_path: Path
) -> None:
    """Lesson 14's three generator runs, made by the kit's generator in a kit project, copied
    byte for byte into a real app (``migrations/versions/schema/``) with the same models: ``db
    upgrade heads`` applies them; real ``migrate-domain-models --test`` then finds no difference;
    orchestrator-core's product checks judge them as they judge the files real's own generator
    writes for the same models and answers (applied in a second app), and both leave the same
    rows; ``db downgrade data@base`` leaves every table as it was."""
    from alembic import command

    from workshop import commands
    from workshop.orchestrator import domain_models

    install_schema(project)
    kits = real_orchestrator.new_app(tmp_path / "kits")
    reals = real_orchestrator.new_app(tmp_path / "reals")
    script = tmp_path / "validate.py"
    script.write_text(REAL_VALIDATION)
    try:
        before = snapshot(kits.engine())
        kits_files = []
        for message, files, inputs in lesson_14_steps():
            for name, text in files.items():
                (project / name).write_text(text)
            # The kit's generator, in the kit project, as the lesson runs it.
            outcome = domain_models.migrate_domain_models(message, inputs=inputs, confirmed=True)
            assert outcome.path is not None
            text = outcome.path.read_text()
            assert "workshop" not in text and "import" not in text.split("def upgrade")[1]
            kits_files.append(outcome.path)
            commands.run(command.upgrade, "heads", quiet=True)

            # The same models in both real apps; the kit's file, unchanged, in one.
            port_products(project, kits.folder)
            port_products(project, reals.folder)
            shutil.copy2(outcome.path, kits.folder / "migrations" / "versions" / "schema")
            kits.run("db", "upgrade", "heads")
            # Real's generator in the other, with the same answers (and its confirmation).
            reals.run(
                "db", "migrate-domain-models", message, "--inputs", json.dumps(inputs), input="y\n"
            )
            reals.run("db", "upgrade", "heads")

            assert registry_by_name(kits.engine()) == registry_by_name(reals.engine()), message
            assert real_differences(kits) == {}, message
            assert printed(kits.python(script), "VALIDATION") == printed(
                reals.python(script), "VALIDATION"
            ), message

        # The forms of `db downgrade` the kit takes and refuses are real's (test_products_cli).
        refused = kits.run("db", "downgrade", "-1", check=False)
        said = ANSI.sub("", refused.stdout + refused.stderr)
        assert refused.returncode != 0 and "No such option: -1" in said, said[-2000:]
        kits.run("db", "downgrade", "data@-1")
        # The data branch, all the way down: every table as before, rows and catalog.
        kits.run("db", "downgrade", "data@base")
        after = snapshot(kits.engine())
        assert_as_before(before, after)
    finally:
        real_orchestrator.drop(kits)
        real_orchestrator.drop(reals)


PROMPT = re.compile(r"(Confirm the above actions \[y/n\]: |Supply [^:\n]*: |Do you wish [^:\n]*: )")
HEADER = re.compile(r"^(Product(?: block)?: .*?)(?=Supply|$)", re.M)


def asked(output: str) -> tuple[list[str], list[str]]:
    """The questions a generator asked (prompts, in order) and the product and block headers
    it printed before them, from its output with answers piped in (no newline after a prompt)."""
    text = ANSI.sub("", output)
    return PROMPT.findall(text), [line.strip() for line in HEADER.findall(text)]


def _kind(prompt: str) -> str:
    """A prompt without the names in it: what kind of question it is."""
    for named in ("for product ", "for new resource type "):
        if named in prompt:
            return prompt.split(named)[0] + named + "…"
    return prompt


def test_the_kits_generator_asks_real_orchestrator_cores_questions_in_its_order(
    project: Path, real_app: RealApp
) -> None:
    """The workshop's models, the same answers typed into both generators: the same questions,
    worded alike, of the same kinds in the same order (where real orchestrator-core goes by a
    set, fixed inputs and resource types, the same questions in the kit's stable order); the same
    product and block headers; and the same default for the confirmation: an empty answer stops
    both, and neither writes a file."""
    from .products_support import SEED_GENERATOR, TYPED_ANSWERS

    install_schema(project)
    port_products(project, real_app.folder)
    typed = "\n".join(TYPED_ANSWERS) + "\n"
    versions = real_app.folder / "migrations" / "versions" / "schema"

    real = real_app.run(
        "db", "migrate-domain-models", "Add User and UserGroup products", input=typed
    )
    kit = subprocess.run(
        SEED_GENERATOR, shell=True, cwd=project, input=typed, capture_output=True, text=True
    )
    assert kit.returncode == 0, kit.stdout + kit.stderr
    real_prompts, real_headers = asked(real.stdout)
    kit_prompts, kit_headers = asked(kit.stdout)
    assert len(real_prompts) == len(TYPED_ANSWERS), real.stdout[-3000:]
    assert [_kind(p) for p in kit_prompts] == [_kind(p) for p in real_prompts]
    assert sorted(kit_prompts) == sorted(real_prompts)
    assert kit_headers == real_headers and len(kit_headers) == 5

    # The default: no answer to "Confirm the above actions [y/n]:" is no. (The kit's file from
    # above goes first: the kit refuses to compare while a revision is not applied.)
    for written in (project / "migrations" / "versions").glob(
        "*_add_user_and_usergroup_products.py"
    ):
        written.unlink()
    made = sorted(versions.iterdir())
    real = real_app.run("db", "migrate-domain-models", "Stopped", input="\n")
    assert sorted(versions.iterdir()) == made
    kit = subprocess.run(
        SEED_GENERATOR.replace("Add User and UserGroup products", "Stopped"),
        shell=True,
        cwd=project,
        input="\n",
        capture_output=True,
        text=True,
    )
    assert kit.returncode == real.returncode == 0, kit.stdout + kit.stderr
    assert "Not confirmed: no migration file was written." in kit.stdout
    assert not list((project / "migrations" / "versions").glob("*_stopped.py"))
