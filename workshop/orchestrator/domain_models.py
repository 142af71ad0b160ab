"""``main.py db migrate-domain-models``: compare the domain models with the product tables.

orchestrator-core's generator, rebuilt for the kit. It reads ``SUBSCRIPTION_MODEL_REGISTRY``
(``products/__init__.py``) and the product tables, finds what differs, asks for what the models do
not say, and writes **one** migration into the ``data`` branch whose ``upgrade()`` makes the
database match the models and whose ``downgrade()`` puts back exactly what was there.

What it compares (see :mod:`workshop.orchestrator.domain` for how the models say it):

* products (registry names) and their fixed inputs (names, and values when ``--inputs`` gives one
  or the value in the database is no longer allowed by the model's Enum/Literal);
* product blocks, and the resource types they hold (block -> resource type links);
* which blocks a product is made of (product -> block links);
* which block uses which (block -> block relations). As in orchestrator-core, ``min`` and ``max``
  are left NULL and not compared.

A resource type that a block lost while it gained a new one may be a *rename*; a fixed input too.
The generator asks (``Do you wish to rename resource type username to login? [y/N]:``) instead
of dropping one and adding the other, because a rename keeps the row's id and everything linked
to it. (orchestrator-core asks the resource-type rename with a numbered menu; ``--updates``
answers both the same way.)

After the differences it prints orchestrator-core's warning and asks ``Confirm the above actions
[y/n]:`` (not with ``--test``). Then orchestrator-core 5.5.0's questions, worded as there and in
its order: every new product (``Supply the product description:``, ``Supply the product tag:``;
the product type is the model's class name), every new fixed input (``Supply fixed input value
for product P and fixed input F:``), every new block (``Supply the product block description:``,
``Supply the product block tag:``), every new resource type (``Supply description for new
resource type R:``). Where orchestrator-core goes by a set, the kit keeps the models' order.

The file it writes holds the SQL of each step as orchestrator-core writes it,
``conn.execute(sa.text(...))`` with the SQL in triple quotes, and imports nothing of the kit's:
it runs unchanged in a real app. The kit's own additions: inserts that skip a row already there
(``ON CONFLICT DO NOTHING``), answers checked against the models' Enums, and the trial run below.

Before anything is written, the migration is tried for real in a transaction that is rolled back:
the upgrade, then the downgrade, and a check that the downgrade brought every product table back
to where it was. ``--test`` prints that SQL and writes nothing.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import os
import re
import select
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util import rev_id as random_rev_id

from workshop import commands, db, paths
from workshop.errors import WorkshopError
from workshop.orchestrator import data_branch, domain, product_helpers, schema

INPUTS_HELP = """\
--inputs answers the questions without asking, for tests, CI and lessons: a JSON object, inline,
as orchestrator-core takes it (the kit also takes a file path). A key per product, block or
resource type name:

  {
    "User internal": {"description": "user administration - internal",
                      "tag": "USER_INT",
                      "affiliation": "internal"},          <- a fixed input's value
    "UserBlock":     {"description": "user block", "tag": "UB"},
    "username":      {"description": "name of the user"}
  }

--updates gives renames, as orchestrator-core's --updates (old name -> new name):

  {"resource_types": {"username": "login"},
   "fixed_inputs": {"User internal": {"affiliation": "kind"}}}

With --updates present, every rename question is answered by it (a pair it does not list is not
a rename). Entries for things that exist already are ignored, so one set of answers serves every
run. A question that --inputs does not answer is asked on the terminal, and so is
"Confirm the above actions [y/n]:" (not with --test): answer it with `echo y | ` before the
command, as with orchestrator-core. Where no answer can come (a notebook's `!` cell, stdin closed
or silent) the generator stops at once and names the missing answer. The product type is the
model's class name; a "product_type" in --inputs is not used. products/workshop_answers.json
holds the workshop's answers: --inputs "$(cat products/workshop_answers.json)" works in both."""

INPUTS_EXAMPLE_UPDATES = """e.g. --updates '{"resource_types": {"username": "login"}}'."""

# --- the two sides -------------------------------------------------------------------------


@dataclasses.dataclass
class ModelSide:
    """What the domain models say the product tables should hold (names only, in stable order)."""

    products: dict[str, type[domain.SubscriptionModel]]
    fixed_inputs: dict[str, dict[str, domain.FixedInputField]]
    blocks: dict[str, type[domain.ProductBlockModel]]
    resource_types: list[str]
    product_blocks: list[tuple[str, str]]
    block_resource_types: list[tuple[str, str]]
    relations: dict[tuple[str, str], tuple[int | None, int | None]]


def read_models(registry: domain.Registry) -> ModelSide:
    """Read products, blocks, resource types, fixed inputs and links from the registry."""
    blocks = {block.product_block_name: block for block in domain.all_blocks(registry)}
    resource_types: dict[str, None] = {}
    block_resource_types = []
    relations = {}
    for name, block in blocks.items():
        for resource_type in domain.resource_types(block):
            resource_types[resource_type] = None
            block_resource_types.append((name, resource_type))
        for field in domain.block_relations(block):
            relations[(name, field.name)] = (field.min, field.max)
    product_blocks = []
    for product, product_type in registry.items():
        for field in domain.product_blocks(product_type):
            if (product, field.name) not in product_blocks:
                product_blocks.append((product, field.name))
    return ModelSide(
        products=dict(registry),
        fixed_inputs={
            product: {field.name: field for field in domain.fixed_inputs(product_type)}
            for product, product_type in registry.items()
        },
        blocks=blocks,
        resource_types=list(resource_types),
        product_blocks=product_blocks,
        block_resource_types=block_resource_types,
        relations=relations,
    )


@dataclasses.dataclass
class DatabaseSide:
    """What the product tables hold, by name, with the columns a downgrade needs to restore."""

    products: dict[str, dict[str, Any]]
    fixed_inputs: dict[str, dict[str, dict[str, Any]]]
    blocks: dict[str, dict[str, Any]]
    resource_types: dict[str, dict[str, Any]]
    product_blocks: set[tuple[str, str]]
    block_resource_types: set[tuple[str, str]]
    relations: dict[tuple[str, str], tuple[int | None, int | None]]
    product_workflows: set[tuple[str, str]]

    def rename_resource_type(self, old: str, new: str) -> None:
        """See the database as it will be after the rename."""
        self.resource_types[new] = self.resource_types.pop(old)
        self.block_resource_types = {
            (block, new if rt == old else rt) for block, rt in self.block_resource_types
        }

    def rename_fixed_input(self, product: str, old: str, new: str) -> None:
        inputs = self.fixed_inputs[product]
        inputs[new] = inputs.pop(old)


def read_database(conn: sa.Connection) -> DatabaseSide:
    """Read the product tables by name."""
    p, b, r, f = schema.products, schema.product_blocks, schema.resource_types, schema.fixed_inputs
    products = {
        row.name: dict(row._mapping)
        for row in conn.execute(
            sa.select(
                p.c.name, p.c.product_id, p.c.description, p.c.product_type, p.c.tag, p.c.status
            )
        )
    }
    fixed_inputs: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in products}
    for row in conn.execute(
        sa.select(p.c.name.label("product"), f.c.name, f.c.value, f.c.fixed_input_id)
        .join_from(f, p, f.c.product_id == p.c.product_id)
        .order_by(p.c.name, f.c.name)
    ):
        fixed_inputs[row.product][row.name] = {
            "value": row.value,
            "fixed_input_id": row.fixed_input_id,
        }
    blocks = {
        row.name: dict(row._mapping)
        for row in conn.execute(
            sa.select(b.c.name, b.c.product_block_id, b.c.description, b.c.tag, b.c.status)
        )
    }
    resource_types = {
        row.resource_type: dict(row._mapping)
        for row in conn.execute(sa.select(r.c.resource_type, r.c.resource_type_id, r.c.description))
    }
    ppb, pbr = schema.product_product_blocks, schema.product_block_resource_types
    product_blocks = _pairs(
        conn,
        sa.select(p.c.name, b.c.name)
        .join_from(ppb, p, ppb.c.product_id == p.c.product_id)
        .join(b, ppb.c.product_block_id == b.c.product_block_id),
    )
    block_resource_types = _pairs(
        conn,
        sa.select(b.c.name, r.c.resource_type)
        .join_from(pbr, b, pbr.c.product_block_id == b.c.product_block_id)
        .join(r, pbr.c.resource_type_id == r.c.resource_type_id),
    )
    rel = schema.product_block_relations
    user, used = b.alias("in_use_by"), b.alias("depends_on")
    relations = {
        (row[0], row[1]): (row[2], row[3])
        for row in conn.execute(
            sa.select(user.c.name, used.c.name, rel.c.min, rel.c.max)
            .join_from(rel, user, rel.c.in_use_by_id == user.c.product_block_id)
            .join(used, rel.c.depends_on_id == used.c.product_block_id)
        )
    }
    pw, w = schema.products_workflows, schema.workflows
    product_workflows = _pairs(
        conn,
        sa.select(p.c.name, w.c.name)
        .join_from(pw, p, pw.c.product_id == p.c.product_id)
        .join(w, pw.c.workflow_id == w.c.workflow_id),
    )
    return DatabaseSide(
        products=products,
        fixed_inputs=fixed_inputs,
        blocks=blocks,
        resource_types=resource_types,
        product_blocks=product_blocks,
        block_resource_types=block_resource_types,
        relations=relations,
        product_workflows=product_workflows,
    )


def _pairs(conn: sa.Connection, query: sa.Select) -> set[tuple[str, str]]:
    return {(first, second) for first, second in conn.execute(query)}


def snapshot(conn: sa.Connection) -> dict[str, list[tuple]]:
    """Every row of every product table (without ``created_at``), sorted: to compare states."""
    rows = {}
    for table in schema.TABLES:
        columns = [c for c in table.c if c.name != "created_at"]
        found = [tuple(row) for row in conn.execute(sa.select(*columns))]
        rows[table.name] = sorted(found, key=lambda row: tuple(map(str, row)))
    return rows


# --- answers -------------------------------------------------------------------------------


class Answers:
    """Answers to the generator's questions: from ``--inputs`` first, else asked with ``ask``.

    Every answer is printed after its question, so that the output reads as a full transcript
    whether the answers were typed, piped in or given with ``--inputs``.
    """

    def __init__(
        self,
        inputs: Mapping[str, Any] | None = None,
        *,
        ask: Callable[[str], str] = input,
    ) -> None:
        self.inputs = _checked_inputs(inputs or {})
        self.ask = ask
        # A terminal echoes what is typed; piped answers would otherwise not show at all.
        self.echo_typed = ask is not input or not sys.stdin.isatty()
        self.stdin_answered = False  # whether an answer came on stdin already

    def given(self, entry: str, key: str) -> str | None:
        """What ``--inputs`` says for ``entry`` -> ``key``, without asking."""
        value = self.inputs.get(entry, {}).get(key)
        return None if value is None else str(value)

    def value(
        self,
        question: str,
        *,
        entry: str,
        key: str,
        check: Callable[[str], str | None] | None = None,
    ) -> str:
        """The answer to ``question`` (worded as orchestrator-core words it), from
        ``--inputs[entry][key]`` or asked."""

        def problem(answer: str) -> str | None:
            if not answer.strip():
                return "needs an answer"
            return check(answer) if check else None

        given = self.given(entry, key)
        if given is not None:
            reason = problem(given)
            if reason:
                raise WorkshopError(
                    f'--inputs: "{entry}" -> "{key}" is {given!r}, which {reason}.',
                    fix="Correct that answer in the --inputs JSON.",
                )
            print(f"{question}{given}   (from --inputs)")
            return given
        while True:
            answer = self._ask(question, entry=entry, key=key).strip()
            reason = problem(answer)
            if reason is None:
                return answer
            print(f"  That answer {reason}.")

    def is_rename(self, question: str, kind: str, old: str, new: str, updates: dict) -> bool:
        """``question`` (``... [y/N]: ``) answered from ``--updates``, or asked."""
        if "updates" in self.inputs:
            renamed = updates.get(old) == new
            print(f"{question}{'y' if renamed else 'n'}   (from --updates)")
            return renamed
        while True:
            answer = self._ask(question, entry="updates", key=kind).strip().lower()
            if answer in ("y", "yes"):
                return True
            if answer in ("", "n", "no"):
                return False
            print("  Please answer y or n.")

    def confirm(self) -> bool:
        """orchestrator-core's ``Confirm the above actions [y/n]: `` (default no). As there, an
        answer with a ``y`` in it goes on; ``--inputs`` does not answer it."""
        answer = self._ask(CONFIRM, entry="confirm", key="confirm")
        return "y" in (answer.strip() or "n").lower()

    def _ask(self, question: str, *, entry: str, key: str) -> str:
        why_not = self._no_answer_can_come()
        if why_not is not None:
            raise _unanswerable(question, entry, key, why_not, has_inputs=bool(self.inputs))
        try:
            answer = self.ask(question)
        except EOFError:
            print()
            raise _unanswerable(
                question, entry, key, "its input ended", has_inputs=bool(self.inputs)
            ) from None
        if self.echo_typed:
            print(answer)
        self.stdin_answered = True
        return answer

    def _no_answer_can_come(self) -> str | None:
        """Why no answer can come on stdin, or None when one can (or ``ask`` is not ``input``).

        A notebook's ``!`` cell gives the command a terminal (a pty) that nobody can type into:
        ``input()`` would wait until Kernel -> Interrupt. A process a kernel started
        (``JPY_PARENT_PID`` is set by Jupyter for its kernels, and inherited) is never typed to.
        A pipe is fine as long as something comes (``printf ... |``); one that stays silent (the
        kernel's own stdin, in ``subprocess.run`` from a cell) is given a few seconds, once.
        """
        if not (inspect.isbuiltin(self.ask) and self.ask.__name__ == "input"):
            return None  # a test's answers, or a frontend's own input box
        in_a_kernel = bool(os.environ.get("JPY_PARENT_PID"))
        try:
            is_terminal = sys.stdin.isatty()
            descriptor = sys.stdin.fileno()
        except (AttributeError, ValueError, OSError):  # closed or replaced: input() fails fast
            return None
        if is_terminal:
            return IN_A_NOTEBOOK if in_a_kernel else None
        if self.stdin_answered or os.name == "nt":
            return None  # answers are flowing (Python may hold the next ones already)
        readable, _, _ = select.select([descriptor], [], [], STDIN_WAIT_SECONDS)
        if readable:
            return None  # an answer, or the end of the input (then EOFError says so)
        return (
            IN_A_NOTEBOOK
            if in_a_kernel
            else f"nothing arrived on its input in {STDIN_WAIT_SECONDS} seconds"
        )


#: orchestrator-core's question before it writes anything (not asked with ``--test``).
CONFIRM = "Confirm the above actions [y/n]: "
#: orchestrator-core's warning, printed before that question whatever the changes are.
WARNING = "WARNING: Deleting products will also delete its subscriptions."

#: How long an answer may take to arrive through a pipe before the generator gives up.
STDIN_WAIT_SECONDS = 5
IN_A_NOTEBOOK = "it runs in a notebook cell, where nothing can be typed"


def _unanswerable(
    question: str, entry: str, key: str, why: str, *, has_inputs: bool
) -> WorkshopError:
    """The error for a question that would wait forever: which answer is missing, and how to give
    it. A new name the generator asks about is often a typo in the models, so that is said too."""
    if entry == "confirm":
        return WorkshopError(
            f'No answer to "{question.strip()}", and it cannot be asked: {why}. Nothing was '
            "written.",
            fix="Answer it on the command's input, as in orchestrator-core: put `echo y | ` "
            "before the command (or run it in a terminal, where it asks).",
        )
    if entry == "updates":
        missing = "no --updates gave it"
        example = '{"resource_types": {"old": "new"}}'
        typo = ""
    else:
        missing = f'--inputs has no "{entry}" -> "{key}"' if has_inputs else "no --inputs gave it"
        example = f'{{"{entry}": {{"{key}": "..."}}}}'
        typo = (
            f'If "{entry}" should not be new (a typo in products/?), correct the model and run the '
            "command again. Otherwise add "
        )
    return WorkshopError(
        f'No answer to "{question.strip()}": {missing}, and it cannot be asked: {why}. '
        "Nothing was written.",
        fix=(typo or "Add ")
        + f"the answer to --{'updates' if entry == 'updates' else 'inputs'}, e.g. "
        f"--{'updates' if entry == 'updates' else 'inputs'} '{example}' (with the other answers), "
        "or run the command in a terminal, where it asks.",
    )


def _checked_inputs(inputs: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    if not isinstance(inputs, Mapping):
        raise WorkshopError(
            f"--inputs must be a JSON object, not {type(inputs).__name__}.",
            fix='Write it as {"User Group": {"description": "...", ...}, ...}.',
        )
    checked: dict[str, dict[str, Any]] = {}
    for entry, answers in inputs.items():
        if not isinstance(answers, Mapping):
            raise WorkshopError(
                f'--inputs: "{entry}" should hold an object of answers, not {answers!r}.',
                fix=f'Write e.g. "{entry}": {{"description": "..."}}.',
            )
        if entry != "updates":
            for key, value in answers.items():
                if not isinstance(value, str | int | float | bool):
                    raise WorkshopError(
                        f'--inputs: "{entry}" -> "{key}" should be text, not {value!r}.',
                        fix="Give each answer as a JSON string.",
                    )
        checked[str(entry)] = dict(answers)
    updates = checked.get("updates", {})
    renames = {
        "resource_types": updates.get("resource_types", {}),
        **{f"fixed_inputs of {p!r}": v for p, v in updates.get("fixed_inputs", {}).items()},
    }
    if set(updates) - {"resource_types", "fixed_inputs"} or not all(
        isinstance(pairs, Mapping)
        and all(isinstance(old, str) and isinstance(new, str) for old, new in pairs.items())
        for pairs in renames.values()
    ):
        raise WorkshopError(
            '--inputs: "updates" can hold only "resource_types": {"old": "new", ...} and '
            '"fixed_inputs": {"product": {"old": "new", ...}, ...}.',
            fix='e.g. "updates": {"resource_types": {"username": "login"}}.',
        )
    return checked


def load_inputs(
    value: str | Mapping[str, Any] | None, *, option: str = "--inputs"
) -> dict[str, Any]:
    """``--inputs`` (or ``--updates``): a JSON object given inline, as orchestrator-core takes
    it, or (the kit's addition) as a file path."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    text = value.strip()
    source = f"the {option} JSON"
    if not text.startswith(("{", "[")):
        file = Path(text).expanduser()
        if not file.is_file() and not file.is_absolute() and (paths.root() / file).is_file():
            file = paths.root() / file
        if not file.is_file():
            raise WorkshopError(
                f"{option} {value}: there is no such file, and it is not a JSON object either.",
                fix="Give a JSON file (e.g. products/workshop_answers.json) or inline JSON "
                '({"User Group": {"description": "..."}}).',
            )
        text, source = file.read_text(encoding="utf-8"), str(value)
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as error:
        raise WorkshopError(
            f"{source} is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno}).",
            fix="Check quotes, commas and braces; every key and text answer needs double quotes.",
        ) from None
    if option != "--inputs":
        if not isinstance(loaded, dict):
            raise WorkshopError(f"{option} must be a JSON object.", fix=INPUTS_EXAMPLE_UPDATES)
        return loaded
    return _checked_inputs(loaded)


def _with_updates(inputs: dict[str, Any], updates: str | Mapping[str, Any] | None) -> dict:
    """``--updates`` (orchestrator-core's renames: ``{"resource_types": {"old": "new"},
    "fixed_inputs": {"product": {"old": "new"}}}``) joined to the answers as their "updates"."""
    if updates is None:
        return inputs
    loaded = load_inputs(updates, option="--updates")
    if "updates" in inputs:
        raise WorkshopError(
            '--inputs has "updates" and --updates is given too.',
            fix="Give the renames once, with --updates, as orchestrator-core takes them.",
        )
    return _checked_inputs({**inputs, "updates": loaded})


# --- comparing -----------------------------------------------------------------------------


@dataclasses.dataclass
class Diff:
    """How the database differs from the models, by name: what the migration will do."""

    renamed_resource_types: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    renamed_fixed_inputs: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    #: (product, fixed input, old value, new value or None when it must be asked, why)
    changed_values: list[tuple[str, str, str, str | None, str]] = dataclasses.field(
        default_factory=list
    )
    #: ((in_use_by, depends_on), (old min, old max), (new min, new max))
    changed_relations: list[tuple[tuple[str, str], tuple, tuple]] = dataclasses.field(
        default_factory=list
    )
    removed_product_workflows: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    removed_product_blocks: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    removed_relations: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    removed_block_resource_types: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    removed_fixed_inputs: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    removed_products: list[str] = dataclasses.field(default_factory=list)
    removed_blocks: list[str] = dataclasses.field(default_factory=list)
    removed_resource_types: list[str] = dataclasses.field(default_factory=list)
    new_resource_types: list[str] = dataclasses.field(default_factory=list)
    new_blocks: list[str] = dataclasses.field(default_factory=list)
    new_products: list[str] = dataclasses.field(default_factory=list)
    new_fixed_inputs: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    new_product_blocks: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    new_relations: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    new_block_resource_types: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return any(getattr(self, field.name) for field in dataclasses.fields(self))

    def summary(self) -> list[str]:
        """One line per difference: ``+`` added, ``-`` removed, ``~`` changed."""
        lines = [
            f"~ resource type {old!r} renamed to {new!r}"
            for old, new in self.renamed_resource_types
        ]
        lines += [
            f"~ fixed input {old!r} of {product!r} renamed to {new!r}"
            for product, old, new in self.renamed_fixed_inputs
        ]
        lines += [
            f"~ fixed input {name!r} of {product!r}: {old!r} -> "
            + (repr(new) if new is not None else "a new value")
            + f" ({why})"
            for product, name, old, new, why in self.changed_values
        ]
        lines += [
            f"~ relation {a!r} -> {b!r}: min/max {old[0]}/{old[1]} -> {new[0]}/{new[1]}"
            for (a, b), old, new in self.changed_relations
        ]
        lines += [f"- product {name!r}" for name in self.removed_products]
        lines += [f"- product block {name!r}" for name in self.removed_blocks]
        lines += [f"- resource type {name!r}" for name in self.removed_resource_types]
        lines += [f"- fixed input {n!r} of {p!r}" for p, n in self.removed_fixed_inputs]
        lines += [f"- product {p!r} uses block {b!r}" for p, b in self.removed_product_blocks]
        lines += [f"- block {a!r} uses block {b!r}" for a, b in self.removed_relations]
        lines += [
            f"- block {b!r} holds resource type {r!r}" for b, r in self.removed_block_resource_types
        ]
        lines += [f"- product {p!r} has workflow {w!r}" for p, w in self.removed_product_workflows]
        lines += [f"+ product {name!r}" for name in self.new_products]
        lines += [f"+ fixed input {n!r} of {p!r}" for p, n in self.new_fixed_inputs]
        lines += [f"+ product block {name!r}" for name in self.new_blocks]
        lines += [f"+ resource type {name!r}" for name in self.new_resource_types]
        lines += [f"+ product {p!r} uses block {b!r}" for p, b in self.new_product_blocks]
        lines += [f"+ block {a!r} uses block {b!r}" for a, b in self.new_relations]
        lines += [
            f"+ block {b!r} holds resource type {r!r}" for b, r in self.new_block_resource_types
        ]
        return lines


def compare(models: ModelSide, database: DatabaseSide, answers: Answers) -> Diff:
    """Find the differences; ask about renames first, as they change what counts as new.

    ``database`` is updated to how it will look after the renames.
    """
    diff = Diff()
    updates = answers.inputs.get("updates", {})
    model_rts = set(models.resource_types)

    # Renamed resource types: a block lost one that no model uses any more and gained one that
    # the database does not have at all.
    taken: set[str] = set()
    for block in models.blocks:
        if block not in database.blocks:
            continue
        had = {rt for b, rt in database.block_resource_types if b == block}
        wants = [rt for b, rt in models.block_resource_types if b == block]
        gone = sorted(rt for rt in had - model_rts if rt not in taken)
        for new in (rt for rt in wants if rt not in database.resource_types):
            for old in gone:
                if old in taken:
                    continue
                question = f"Do you wish to rename resource type {old} to {new}? [y/N]: "
                if answers.is_rename(
                    question, "resource type", old, new, updates.get("resource_types", {})
                ):
                    taken.add(old)
                    diff.renamed_resource_types.append((old, new))
                    database.rename_resource_type(old, new)
                    break
    _check_updates_used(
        "resource type",
        {(old, new) for old, new in updates.get("resource_types", {}).items()},
        {(old, new) for old, new in diff.renamed_resource_types},
    )

    # Renamed fixed inputs, product by product.
    fixed_updates = updates.get("fixed_inputs", {})
    for product in models.products:
        if product not in database.products:
            continue
        had = database.fixed_inputs[product]
        wants = models.fixed_inputs[product]
        gone = sorted(name for name in had if name not in wants)
        for new in (name for name in wants if name not in had):
            for old in gone:
                if old not in database.fixed_inputs[product]:
                    continue
                question = (
                    f"Do you wish to rename fixed input {old} to {new} for product {product}? "
                    "[y/N]: "
                )
                if answers.is_rename(
                    question, "fixed input", old, new, fixed_updates.get(product, {})
                ):
                    diff.renamed_fixed_inputs.append((product, old, new))
                    database.rename_fixed_input(product, old, new)
                    break
    _check_updates_used(
        "fixed input",
        {(f"{p}: {old}", new) for p, pairs in fixed_updates.items() for old, new in pairs.items()},
        {(f"{p}: {old}", new) for p, old, new in diff.renamed_fixed_inputs},
    )

    # Products and their fixed inputs.
    diff.new_products = [name for name in models.products if name not in database.products]
    diff.removed_products = sorted(
        name for name in database.products if name not in models.products
    )
    for product, fields in models.fixed_inputs.items():
        have = database.fixed_inputs.get(product)
        if have is None:
            diff.new_fixed_inputs += [(product, name) for name in fields]
            continue
        for name, field in fields.items():
            if name not in have:
                diff.new_fixed_inputs.append((product, name))
                continue
            old = have[name]["value"]
            wanted = answers.given(product, name)
            if wanted is not None and wanted != old:
                reason = field.check(wanted)
                if reason:
                    raise WorkshopError(
                        f'--inputs: "{product}" -> "{name}" is {wanted!r}, which {reason}.',
                        fix="Correct that answer in the --inputs JSON.",
                    )
                diff.changed_values.append((product, name, old, wanted, "from --inputs"))
            elif field.check(old):
                diff.changed_values.append(
                    (product, name, old, None, f"the model says it {field.check(old)}")
                )
    for product in sorted(database.products):
        wants = models.fixed_inputs.get(product, {})
        diff.removed_fixed_inputs += [
            (product, name) for name in sorted(database.fixed_inputs[product]) if name not in wants
        ]

    # Blocks, resource types and the links between everything.
    diff.new_blocks = [name for name in models.blocks if name not in database.blocks]
    diff.removed_blocks = sorted(name for name in database.blocks if name not in models.blocks)
    diff.new_resource_types = [
        rt for rt in models.resource_types if rt not in database.resource_types
    ]
    diff.removed_resource_types = sorted(
        {rt for _, rt in database.block_resource_types} - model_rts
    )
    diff.new_product_blocks = [
        link for link in models.product_blocks if link not in database.product_blocks
    ]
    diff.removed_product_blocks = sorted(set(database.product_blocks) - set(models.product_blocks))
    diff.new_block_resource_types = [
        link for link in models.block_resource_types if link not in database.block_resource_types
    ]
    diff.removed_block_resource_types = sorted(
        database.block_resource_types - set(models.block_resource_types)
    )
    diff.new_relations = [pair for pair in models.relations if pair not in database.relations]
    diff.removed_relations = sorted(set(database.relations) - set(models.relations))
    # min and max are not compared: orchestrator-core's generator leaves them NULL and never
    # reads them, and so does the kit's (see the lesson on the generator).
    diff.removed_product_workflows = sorted(
        link for link in database.product_workflows if link[0] in diff.removed_products
    )
    return diff


def _check_updates_used(kind: str, asked: set[tuple[str, str]], done: set[tuple]) -> None:
    """A rename in --inputs that matched nothing is most likely a typo: say so."""
    for old, new in sorted(asked - done):
        raise WorkshopError(
            f'--inputs: "updates" renames {kind} {old!r} to {new!r}, but the models and the '
            "database show no such rename (the old name gone, the new one new).",
            fix="Check both names against the models and the database, or leave it out.",
        )


# --- the migration's steps -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Step:
    """One call of a helper of :mod:`workshop.orchestrator.product_helpers`. It is run in the
    trial run; the file and ``--test`` get the SQL it ran, never the call (the helpers are
    kit-only)."""

    helper: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def run(self, conn: sa.Connection) -> None:
        getattr(product_helpers, self.helper)(conn, *self.args, **dict(self.kwargs))


def _step(helper: str, *args: Any, **kwargs: Any) -> Step:
    return Step(helper, args, tuple(kwargs.items()))


@dataclasses.dataclass(frozen=True)
class Change:
    """A step of ``upgrade()`` and the step of ``downgrade()`` that undoes it. One of them is
    None for a step with no inverse: deleting the subscriptions that use a row before the row, as
    orchestrator-core's generated migrations do."""

    group: str
    up: Step | None
    down: Step | None


#: The helper that deletes a row's users (subscriptions, their instances or values), by the helper
#: that deletes the row: see ``plan``.
DELETES_USERS_FIRST = {
    "delete_product": "delete_product_subscriptions",
    "delete_product_block": "delete_product_block_instances",
    "delete_resource_type": "delete_resource_type_values",
}


def plan(diff: Diff, models: ModelSide, database: DatabaseSide, answers: Answers) -> list[Change]:
    """The migration, step by step, asking for what the models do not hold.

    Order: renames and value changes first, then every removal (links before the rows they point
    at), then every addition (rows before the links to them). ``downgrade()`` is the inverse of
    each step, in reverse order, so it re-creates deleted rows (with their ids) before it
    re-creates the links to them.
    """
    changes: list[Change] = []

    def add(group: str, up: Step, down: Step) -> None:
        # A product, block or resource type that a subscription uses cannot be deleted (NO
        # ACTION), so whichever side deletes one deletes its users just before, as
        # orchestrator-core's generated migrations do. With no inverse: the other side has none.
        if up.helper in DELETES_USERS_FIRST:
            changes.append(Change(group, _step(DELETES_USERS_FIRST[up.helper], *up.args), None))
        changes.append(Change(group, up, down))
        if down.helper in DELETES_USERS_FIRST:  # downgrade() runs the changes in reverse
            changes.append(Change(group, None, _step(DELETES_USERS_FIRST[down.helper], *down.args)))

    for old, new in diff.renamed_resource_types:
        add(
            "Rename resource types",
            _step("rename_resource_type", old, new),
            _step("rename_resource_type", new, old),
        )
    for product, old, new in diff.renamed_fixed_inputs:
        add(
            "Rename fixed inputs",
            _step("rename_fixed_input", product, old, new),
            _step("rename_fixed_input", product, new, old),
        )
    for product, name, old, new, _why in diff.changed_values:
        field = models.fixed_inputs[product][name]
        value = new or answers.value(
            f"Supply a new value for product {product} and fixed input {name} (now {old!r}): ",
            entry=product,
            key=name,
            check=lambda answer, field=field, old=old: (
                field.check(answer) or ("is the value it has now" if answer == old else None)
            ),
        )
        add(
            "Change fixed-input values",
            _step("update_fixed_input", product, name, value),
            _step("update_fixed_input", product, name, old),
        )
    for (in_use_by, depends_on), old, new in diff.changed_relations:
        add(
            "Change how many blocks a block uses",
            _step("update_product_block_relation", in_use_by, depends_on, min=new[0], max=new[1]),
            _step("update_product_block_relation", in_use_by, depends_on, min=old[0], max=old[1]),
        )

    # Removals: links first, then the rows.
    for product, workflow in diff.removed_product_workflows:
        add(
            "Unlink workflows from removed products",
            _step("delete_product_workflow", product, workflow),
            _step("create_product_workflow", product, workflow),
        )
    for product, block in diff.removed_product_blocks:
        add(
            "Take blocks out of products",
            _step("delete_product_product_block", product, block),
            _step("create_product_product_block", product, block),
        )
    for in_use_by, depends_on in diff.removed_relations:
        low, high = database.relations[(in_use_by, depends_on)]
        add(
            "Remove block relations",
            _step("delete_product_block_relation", in_use_by, depends_on),
            _step("create_product_block_relation", in_use_by, depends_on, min=low, max=high),
        )
    for block, resource_type in diff.removed_block_resource_types:
        add(
            "Take resource types out of blocks",
            _step("delete_product_block_resource_type", block, resource_type),
            _step("create_product_block_resource_type", block, resource_type),
        )
    for product, name in diff.removed_fixed_inputs:
        row = database.fixed_inputs[product][name]
        add(
            "Remove fixed inputs",
            _step("delete_fixed_input", product, name),
            _step(
                "create_fixed_input",
                product,
                name,
                row["value"],
                fixed_input_id=row["fixed_input_id"],
            ),
        )
    for name in diff.removed_products:
        row = database.products[name]
        add(
            "Remove products",
            _step("delete_product", name),
            _step(
                "create_product",
                name,
                description=row["description"],
                product_type=row["product_type"],
                tag=row["tag"],
                status=row["status"],
                product_id=row["product_id"],
            ),
        )
    for name in diff.removed_blocks:
        row = database.blocks[name]
        add(
            "Remove product blocks",
            _step("delete_product_block", name),
            _step(
                "create_product_block",
                name,
                description=row["description"],
                tag=row["tag"],
                status=row["status"],
                product_block_id=row["product_block_id"],
            ),
        )
    for name in diff.removed_resource_types:
        row = database.resource_types[name]
        add(
            "Remove resource types",
            _step("delete_resource_type", name),
            _step(
                "create_resource_type",
                name,
                row["description"],
                resource_type_id=row["resource_type_id"],
            ),
        )

    # Additions: rows first, then the links. The questions come as orchestrator-core 5.5.0 asks
    # them, in its order: every new product (description, tag; the product type is the model's
    # class name), every new fixed input, every new block, every new resource type. Where
    # orchestrator-core goes by a set (fixed inputs, resource types), the kit keeps the models'
    # order, so that the same models always give the same questions.
    products = []
    for name in diff.new_products:
        product_type = models.products[name].__name__
        print(f"Product: {product_type} {name}")
        _unused_product_type(answers, name, product_type)
        description = answers.value(
            "Supply the product description: ", entry=name, key="description"
        )
        tag = answers.value("Supply the product tag: ", entry=name, key="tag", check=_at_most(20))
        products.append(
            _step(
                "create_product",
                name,
                description=description,
                product_type=product_type,
                tag=tag,
            )
        )
    fixed_inputs = [
        _fixed_input_step(product, models.fixed_inputs[product][name], answers)
        for product, name in diff.new_fixed_inputs
    ]
    blocks = []
    for name in diff.new_blocks:
        print(f"Product block: {name}")
        description = answers.value(
            "Supply the product block description: ", entry=name, key="description"
        )
        tag = answers.value(
            "Supply the product block tag: ", entry=name, key="tag", check=_at_most(20)
        )
        blocks.append(_step("create_product_block", name, description=description, tag=tag))
    resource_types = [
        _step(
            "create_resource_type",
            name,
            answers.value(
                f"Supply description for new resource type {name}: ",
                entry=name,
                key="description",
            ),
        )
        for name in diff.new_resource_types
    ]

    for step in resource_types:
        add("New resource types", step, _step("delete_resource_type", step.args[0]))
    for step in blocks:
        add("New product blocks", step, _step("delete_product_block", step.args[0]))
    for step in products:
        add("New products", step, _step("delete_product", step.args[0]))
    for step in fixed_inputs:
        add("New fixed inputs", step, _step("delete_fixed_input", *step.args[:2]))
    for product, block in diff.new_product_blocks:
        add(
            "Put blocks into products",
            _step("create_product_product_block", product, block),
            _step("delete_product_product_block", product, block),
        )
    for in_use_by, depends_on in diff.new_relations:
        add(
            "Blocks that use other blocks",
            _step("create_product_block_relation", in_use_by, depends_on),
            _step("delete_product_block_relation", in_use_by, depends_on),
        )
    for block, resource_type in diff.new_block_resource_types:
        add(
            "Resource types of blocks",
            _step("create_product_block_resource_type", block, resource_type),
            _step("delete_product_block_resource_type", block, resource_type),
        )
    return changes


def _unused_product_type(answers: Answers, product: str, product_type: str) -> None:
    """orchestrator-core takes the product type from the model's class name and ignores
    ``product_type`` in ``--inputs``; say so when that answer differs, instead of ignoring it
    silently."""
    given = answers.given(product, "product_type")
    if given is not None and given != product_type:
        print(
            f"  Note: --inputs gives {product!r} the product type {given!r}; the product type is "
            f"the model's class name, {product_type!r}, as in orchestrator-core."
        )


def _at_most(length: int) -> Callable[[str], str | None]:
    def check(answer: str) -> str | None:
        return f"is longer than {length} characters" if len(answer) > length else None

    return check


def _fixed_input_step(product: str, field: domain.FixedInputField, answers: Answers) -> Step:
    value = answers.value(
        f"Supply fixed input value for product {product} and fixed input {field.name}: ",
        entry=product,
        key=field.name,
        check=field.check,
    )
    return _step("create_fixed_input", product, field.name, value)


# --- trying it, printing it, writing it ----------------------------------------------------


@dataclasses.dataclass
class Outcome:
    """What a run did: the file it wrote (None: none), the changes, and the SQL they run."""

    path: Path | None
    changes: list[Change]
    upgrade_sql: list[str]
    downgrade_sql: list[str]


@contextmanager
def _recording(conn: sa.Connection) -> Iterator[list[str]]:
    """Collect the SQL of the writing statements run on ``conn``, values inlined."""
    recorded: list[str] = []

    def record(conn: sa.Connection, clause: Any, *_args: Any) -> None:
        if isinstance(clause, sa.sql.dml.UpdateBase):
            sql = clause.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
            recorded.append(" ".join(line.strip() for line in str(sql).splitlines()) + ";")

    sa.event.listen(conn, "before_execute", record)
    try:
        yield recorded
    finally:
        sa.event.remove(conn, "before_execute", record)


#: A step as it ran: its group, the step, and the SQL statements it ran.
Done = tuple[str, Step, list[str]]


def _run_steps(conn: sa.Connection, steps: list[tuple[str, Step | None]]) -> list[Done]:
    done = []
    for group, step in steps:
        if step is None:
            continue
        with _recording(conn) as sql:
            step.run(conn)
        done.append((group, step, sql))
    return done


def try_out(changes: list[Change]) -> tuple[list[Done], list[Done]]:
    """Run upgrade and downgrade in a transaction that is rolled back; check the round trip.

    Returns the SQL of each step, for ``--test``. Raises when a step fails or the downgrade
    does not restore every product table, so that no broken migration is ever written.
    """
    with db.engine().connect() as conn:
        transaction = conn.begin()
        try:
            before = snapshot(conn)
            up = _run_steps(conn, [(change.group, change.up) for change in changes])
            down = _run_steps(conn, [(change.group, change.down) for change in reversed(changes)])
            after = snapshot(conn)
        except sa.exc.SQLAlchemyError as error:
            raise WorkshopError(
                "The migration would fail on this database: "
                f"{str(getattr(error, 'orig', error)).strip().splitlines()[0]}",
                fix="Nothing was written. Check the answers and the database "
                "(`PYTHONPATH=. python main.py db current`).",
            ) from error
        finally:
            transaction.rollback()
    if before != after:
        tables = ", ".join(name for name in before if before[name] != after[name])
        raise WorkshopError(
            f"The generated downgrade would not restore these tables exactly: {tables}.",
            fix="Nothing was written. This is a bug in the generator: please report it.",
        )
    return up, down


def _body(done: list[Done], *, downgrade: bool) -> str:
    """The statements of ``upgrade()`` or ``downgrade()``: the SQL that the trial run ran, as
    orchestrator-core writes it (``conn.execute(sa.text(\"\"\"...\"\"\"))``), with a comment
    per group. So the file needs nothing of the kit's and runs as it is in a real app."""
    lines = ["    conn = op.get_bind()"]
    group = None
    for name, _, statements in done:
        if name != group:
            group = name
            lines += ["", f"    # {'Undo: ' + group.lower() if downgrade else group}"]
        for sql in statements:
            lines.append(f'    conn.execute(sa.text("""\n{_sql_text(sql)}\n    """))')
    # The template indents the first line itself.
    return "\n".join(lines)[4:]


def _sql_text(sql: str) -> str:
    """``sql`` for the inside of a triple-quoted ``sa.text()`` argument.

    ``sa.text`` reads ``:word`` as a bound parameter, so a colon before a word (in a
    description, say) is escaped as ``\\:``; then backslashes and quotes are escaped for
    Python. The trailing ``;`` goes, as in orchestrator-core's files.
    """
    text = re.sub(r"(?<![:\w\\]):(?=\w)", r"\\:", sql.rstrip().removesuffix(";"))
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def write_migration(
    message: str, up: list[Done], down: list[Done], *, rev_id: str | None = None
) -> Path:
    """Write the migration into the data branch (creating the branch when it is missing)."""
    target = data_branch.revision_arguments(f"{data_branch.DATA}@head")
    script = commands.script_directory()
    if rev_id is not None and rev_id in {rev.revision for rev in script.walk_revisions()}:
        raise WorkshopError(
            f"There is already a revision {rev_id!r}.", fix="Choose another --rev-id."
        )

    def generate(config: Any) -> Any:
        return ScriptDirectory.from_config(config).generate_revision(
            rev_id or random_rev_id(),
            message,
            head=target["head"],
            branch_labels=target.get("branch_label"),
            depends_on=target.get("depends_on"),
            # The project's folder, not the kit's schema location (orchestrator_versions).
            version_path=str(paths.versions_dir()),
            imports="",
            upgrades=_body(up, downgrade=False),
            downgrades=_body(down, downgrade=True),
        )

    made = commands.run(generate)
    return Path(made.path)


# --- the command ---------------------------------------------------------------------------


def load_registry() -> domain.Registry:
    """``products.SUBSCRIPTION_MODEL_REGISTRY``, imported afresh from the project root.

    Afresh, so that an edit to a model counts in a notebook kernel that imported it before, and
    from the root the kit works in (a lesson's scratch copy, not the installed kit). The modules
    already imported are put back afterwards: reading the models changes nothing for the caller.
    """
    saved = {name: m for name, m in sys.modules.items() if name.partition(".")[0] == "products"}
    for name in saved:
        del sys.modules[name]
    root = str(paths.root())
    sys.path.insert(0, root)
    try:
        module = importlib.import_module("products")
    except Exception as error:  # noqa: BLE001 - any mistake in the models: say where
        text = error.msg if isinstance(error, SyntaxError) else str(error)  # msg: no "(file, line)"
        raise WorkshopError(
            f"The domain models cannot be imported: {type(error).__name__}: {text}".rstrip(": ")
            + _where(error, Path(root)),
            fix="Correct the mistake in products/ and run the command again.",
        ) from error
    finally:
        sys.path.remove(root)
        for name in [name for name in sys.modules if name.partition(".")[0] == "products"]:
            del sys.modules[name]
        sys.modules.update(saved)
    registry = getattr(module, "SUBSCRIPTION_MODEL_REGISTRY", None)
    if registry is None:
        raise WorkshopError(
            "products/__init__.py has no SUBSCRIPTION_MODEL_REGISTRY.",
            fix='Define SUBSCRIPTION_MODEL_REGISTRY = {"Product name": ProductType, ...} there.',
        )
    return registry


def _where(error: BaseException, root: Path) -> str:
    """`` (in products/x.py, line N)``: the participant's line that failed, not the importer's."""
    places = [(frame.filename, frame.lineno) for frame in traceback.extract_tb(error.__traceback__)]
    if isinstance(error, SyntaxError) and error.filename:
        places.append((error.filename, error.lineno))
    models = root / "products"
    for filename, line in reversed(places):
        path = Path(filename)
        if path.is_relative_to(models):
            return f" (in {path.relative_to(root)}, line {line})"
    return ""


def _check_database() -> None:
    """The product tables exist, and no pending revision would change what is compared."""
    with db.engine().connect() as conn:
        missing = schema.missing_tables(conn)
    if missing:
        raise WorkshopError(
            f"The database has no product tables yet (missing: {', '.join(missing)}).",
            fix="Apply the schema migration first: run `PYTHONPATH=. python main.py db upgrade "
            "heads`.",
        )
    pending = data_branch.pending_revisions()
    behind = [rev for rev in pending if not data_branch.changes_nothing(rev)]
    if behind:
        names = ", ".join(f"{rev.revision} ({Path(rev.path).name})" for rev in behind)
        raise WorkshopError(
            f"The database is behind: revision(s) {names} are not applied yet. The generator "
            "compares the models with the database, so it would write their changes again.",
            fix="Run `PYTHONPATH=. python main.py db upgrade heads` first.",
        )


def migrate_domain_models(
    message: str,
    *,
    registry: domain.Registry | None = None,
    inputs: str | Mapping[str, Any] | None = None,
    updates: str | Mapping[str, Any] | None = None,
    test: bool = False,
    rev_id: str | None = None,
    ask: Callable[[str], str] = input,
    confirmed: bool = False,
) -> Outcome:
    """Compare the domain models with the database and write the migration that aligns them.

    ``registry`` defaults to ``products.SUBSCRIPTION_MODEL_REGISTRY`` of the project.
    ``inputs``: answers, as a dict, a JSON string or a JSON file path (see :data:`INPUTS_HELP`).
    ``test``: print the SQL of upgrade and downgrade, write nothing. ``rev_id``: a fixed revision
    id (lessons), else a random one. ``ask`` asks a question (``input`` by default).
    ``confirmed``: for a program that calls this, the answer to "Confirm the above actions"
    (the command line always asks it, as orchestrator-core does).
    """
    if not message or not message.strip():
        raise WorkshopError(
            "The migration needs a message.", fix='e.g. "Add User and UserGroup products".'
        )
    answers = Answers(_with_updates(load_inputs(inputs), updates), ask=ask)
    models = read_models(
        domain.check_registry(registry if registry is not None else load_registry())
    )
    _check_database()
    with db.engine().connect() as conn:
        database = read_database(conn)

    diff = compare(models, database, answers)
    if not diff:
        print("No differences between the domain models and the database: nothing to migrate.")
        print("No migration file was written.")
        return Outcome(None, [], [], [])
    print("Differences between the domain models and the database:")
    for line in diff.summary():
        print(f"  {line}")
    print(WARNING)
    if not (test or confirmed or answers.confirm()):
        print("Not confirmed: no migration file was written.")
        return Outcome(None, [], [], [])
    changes = plan(diff, models, database, answers)
    up, down = try_out(changes)
    upgrade_sql = [sql for _group, _step, statements in up for sql in statements]
    downgrade_sql = [sql for _group, _step, statements in down for sql in statements]

    if test:
        for title, done in (("upgrade()", up), ("downgrade()", down)):
            print(f"\n-- {title}")
            shown = None
            for group, _step, statements in done:
                if group != shown:
                    shown = group
                    print(f"-- {'Undo: ' + group.lower() if title == 'downgrade()' else group}")
                for sql in statements:
                    print(sql)
        print("\nTest mode: checked in a transaction that was rolled back; no file was written.")
        return Outcome(None, changes, upgrade_sql, downgrade_sql)

    path = write_migration(message, up, down, rev_id=rev_id)
    print(
        f"Wrote {paths.relative(str(path))}: {len(upgrade_sql)} statements in upgrade(), "
        f"{len(downgrade_sql)} in downgrade() (tried on the database and rolled back)."
    )
    print("Apply it with: PYTHONPATH=. python main.py db upgrade heads")
    return Outcome(path, changes, upgrade_sql, downgrade_sql)
