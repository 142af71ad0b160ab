"""Lesson 14: the generator writes data0002 (a new field, email) and data0003 (User partner)."""

from __future__ import annotations

from workshop import checks
from workshop.checks import NotYet, Rehearsal, exercise, migrate, no_strays, rehearse, revision_file
from workshop.errors import WorkshopError
from workshop.exercises._products import (
    CLI,
    blocks_holding,
    cli,
    delete,
    descriptions,
    require_product_tables,
    rows,
    run_again,
    snapshot,
)
from workshop.orchestrator import data_branch, domain, domain_models
from workshop.orchestrator.versions import SCHEMA_HEAD

UPGRADE = f"Apply it: {CLI} upgrade heads"
EMAIL = "email address of the user"
PARTNER = ("User partner", "user administration - partner", "User", "USER_PAR")
USER_PRODUCTS = [
    ("User external", "external", "UserBlock"),
    ("User internal", "internal", "UserBlock"),
    ("User partner", "partner", "UserBlock"),
]
USER_BLOCK_TYPES = ["age", "email", "user_id", "username"]
#: The revisions of the lesson: the schema, the workshop's products, then one per exercise.
REVISIONS = {SCHEMA_HEAD, "data0001", "data0002", "data0003"}
AGAIN = "Then run this check again."


def model_facts() -> dict:
    """What the checks need of the participant's models in products/, as plain data.

    This imports the participant's code. In a lesson it runs in their own kernel; when grading,
    in a sandbox (``checks.participant_call``), and the trusted check only reads the data it
    returns, as it reads the rows their migrations wrote.
    """
    try:
        registry = domain.check_registry(domain_models.load_registry())
    except WorkshopError as error:
        problem = error.message.removeprefix("The domain models cannot be imported: ")
        return {"error": "import", "message": problem, "fix": error.fix}
    try:
        blocks = {
            b.product_block_name: domain.resource_types(b) for b in domain.all_blocks(registry)
        }
        fixed = {
            name: {f.name: list(f.choices) if f.choices else [] for f in domain.fixed_inputs(model)}
            for name, model in registry.items()
        }
    except WorkshopError as error:
        return {"error": "read", "message": error.message, "fix": error.fix}
    products = {name: model.__name__ for name, model in registry.items()}
    return {"blocks": blocks, "products": products, "fixed_inputs": fixed}


def _facts() -> dict:
    """The participant's models as data, checked for shape: it may come from a sandbox."""
    facts = checks.participant_call("workshop.exercises.lesson14:model_facts")
    if isinstance(facts, dict) and facts.get("error") == "import":
        raise NotYet(
            f"products/ cannot be imported: {facts.get('message')}",
            "Replace any `raise NotImplementedError()` in the model cells with your change, "
            "check the cell for typos, and run it again.",
        )
    if isinstance(facts, dict) and facts.get("error") == "read":
        raise NotYet(f"the models cannot be read: {facts.get('message')}", str(facts.get("fix")))
    if not (
        isinstance(facts, dict)
        and all(isinstance(facts.get(key), dict) for key in ("blocks", "products", "fixed_inputs"))
    ):
        raise NotYet(
            "the models in products/ could not be read.",
            "Run the lesson's model cells again, then this check.",
        )
    return facts


def _block_types(facts: dict, name: str) -> list:
    found = facts["blocks"].get(name)
    if not isinstance(found, list):
        raise NotYet(
            f"no registered product uses the block {name}.",
            "Run the lesson's first cell again to get the course's models back.",
        )
    return found


def _applied(revision: str) -> None:
    if revision in {rev.revision for rev in data_branch.pending_revisions(checks.scripts())}:
        raise NotYet(f"revision {revision} is not applied yet.", UPGRADE)


def _on_data_branch(revision: str, hint: str) -> str:
    """The revision exists in the data branch; return its parent."""
    script = checks.scripts()
    found = {rev.revision: rev for rev in data_branch.on_branch(script, data_branch.DATA)}
    if revision not in found:
        if revision in {rev.revision for rev in script.walk_revisions()}:
            raise NotYet(
                f"revision {revision} is not on the data branch.",
                "The generator writes into the data branch: delete the file and run it again.",
            )
        raise NotYet(f"there is no revision {revision} in migrations/versions/.", hint)
    return found[revision].down_revision


def _nothing_in_the_way(revision: str, what: str, held: bool, delete: str, command: str) -> None:
    """No file for ``revision`` while the participant's database already has what it adds.

    The generator compares the models with the database. After a ``downgrade()`` that left the
    rows behind (a ``pass``), or a file deleted while applied, it finds nothing to migrate and
    writes no file, so "let the generator write it" would lead nowhere: say what is in the way.
    """
    if not held or revision in {script.revision for script in checks.scripts().walk_revisions()}:
        return
    raise NotYet(
        f"there is no revision {revision} in migrations/versions/, and your database already has "
        f"{what}, which {revision} would add (left by an earlier {revision} whose downgrade() "
        "did not remove it?): the generator finds nothing to migrate.",
        f"Remove it: `%sql {delete}`. Then {command}, and upgrade heads.",
    )


def _user_products() -> list[tuple]:
    return rows(
        """
        SELECT p.name, f.value, b.name
        FROM products AS p
        JOIN fixed_inputs AS f ON f.product_id = p.product_id AND f.name = 'affiliation'
        JOIN product_product_blocks AS pb ON pb.product_id = p.product_id
        JOIN product_blocks AS b ON b.product_block_id = pb.product_block_id
        WHERE p.product_type = 'User'
        ORDER BY p.name
        """
    )


def _inspect_email(command: str) -> None:
    """On the rehearsal's new database at data0001: upgrade, look, downgrade, look, upgrade."""
    migrate("upgrade", "data0002", what="upgrade() of revision data0002")
    found = descriptions("email")
    if not found:
        raise NotYet(
            "after `upgrade data0002` there is no resource type email.",
            f"Let the generator write data0002 after the model change: `{CLI} downgrade "
            f"data0001`, delete data0002's file, then {command}, and upgrade heads.",
        )
    if found != [EMAIL]:
        raise NotYet(
            f"the resource type email has the description {found[0]!r}; it should be {EMAIL!r}.",
            f"`{CLI} downgrade data0001`, delete data0002's file, run the generator again with "
            "the right --inputs, and upgrade heads.",
        )
    if blocks_holding("email") != ["UserBlock"]:
        raise NotYet(
            "the resource type email is not held by UserBlock alone.",
            "Put the field into UserBlock only, and let the generator write the migration.",
        )
    if [rt for _, rt in _block_resource_types("UserBlock")] != USER_BLOCK_TYPES:
        raise NotYet(
            "UserBlock should hold exactly the resource types age, email, user_id and username.",
            "Add only the email field in this exercise.",
        )
    migrate("downgrade", "data0001", what="downgrade() of revision data0002")
    if descriptions("email"):
        raise NotYet(
            "after `downgrade data0001` the resource type email is still there.",
            "Let the generator write data0002: its downgrade() removes what it adds.",
        )
    migrate("upgrade", "data0002", what="upgrade() of revision data0002, run again,")


@exercise("14.1")
def email_field() -> str:
    require_product_tables()
    if "email" not in _block_types(_facts(), "UserBlock"):
        raise NotYet(
            "UserBlock has no field email.",
            "Add `email: str | None = None` to UserBlock in the model cell, and run it.",
        )
    command = (
        f'{cli("data0002", confirm=True)} migrate-domain-models "Add email to UserBlock" '
        f'--inputs \'{{"email": {{"description": "{EMAIL}"}}}}\''
    )
    no_strays(REVISIONS, then=AGAIN)
    _nothing_in_the_way(
        "data0002",
        "the resource type email",
        bool(descriptions("email")),
        "DELETE FROM resource_types WHERE resource_type = 'email'",
        command,
    )
    revision_file("data0002", parent="data0001", hint=f"Let the generator write it: {command}")
    _applied("data0002")
    plan = Rehearsal(
        start="data0001",
        revision="data0002",
        tidy=lambda: delete("DELETE FROM resource_types WHERE resource_type = 'email'"),
        facts=snapshot,
        repair=lambda: run_again("data0001"),
    )
    rehearse(plan, lambda: _inspect_email(command))
    return (
        "UserBlock has the field email, data0002 adds the resource type email (and downgrade() "
        "removes it), and the database has applied it."
    )


def _block_resource_types(block: str) -> list[tuple]:
    return rows(
        """
        SELECT b.name, r.resource_type FROM product_block_resource_types AS br
        JOIN product_blocks AS b ON b.product_block_id = br.product_block_id
        JOIN resource_types AS r ON r.resource_type_id = br.resource_type_id
        WHERE b.name = :block ORDER BY r.resource_type
        """,
        block=block,
    )


@exercise("14.2")
def user_partner() -> str:
    require_product_tables()
    facts = _facts()
    product_type = facts["products"].get("User partner")
    if product_type is None:
        raise NotYet(
            'SUBSCRIPTION_MODEL_REGISTRY has no product "User partner".',
            'Add `"User partner": User,` to the dict in products/__init__.py, and run that cell.',
        )
    if product_type != "User":
        raise NotYet(
            f'"User partner" is registered as {product_type}; it should be User.',
            'Write `"User partner": User,` in products/__init__.py.',
        )
    inputs = facts["fixed_inputs"].get("User partner")
    affiliation = inputs.get("affiliation") if isinstance(inputs, dict) else None
    if not isinstance(affiliation, list) or "partner" not in affiliation:
        raise NotYet(
            "the fixed input affiliation does not allow the value partner.",
            'Add `partner = "partner"` to the Affiliation enum in products/product_types/user.py.',
        )
    command = (
        f'{cli("data0003", confirm=True)} migrate-domain-models "Add User partner product" '
        "--inputs '...'"
    )
    no_strays(REVISIONS, then=AGAIN)
    _nothing_in_the_way(
        "data0003",
        "the product User partner",
        bool(rows("SELECT name FROM products WHERE name = 'User partner'")),
        "DELETE FROM products WHERE name = 'User partner'",
        command,
    )
    parent = _on_data_branch("data0003", f"Let the generator write it: {command}")
    _applied("data0003")
    plan = Rehearsal(
        start=parent,
        revision="data0003",
        tidy=lambda: delete("DELETE FROM products WHERE name = 'User partner'"),
        facts=snapshot,
        repair=lambda: run_again(parent),
    )
    rehearse(plan, lambda: _inspect_partner(parent))
    return (
        "User partner is a User product with affiliation = partner, made of UserBlock; data0003 "
        "adds it, its downgrade() removes it, and the database has applied it."
    )


def _inspect_partner(parent: str) -> None:
    """On the rehearsal's new database at data0003's parent: upgrade, look, down, look, up."""
    migrate("upgrade", "data0003", what="upgrade() of revision data0003")
    found = rows(
        "SELECT name, description, product_type, tag FROM products WHERE name = 'User partner'"
    )
    if not found:
        raise NotYet(
            "after `upgrade data0003` there is no product User partner.",
            f"Let the generator write data0003 after the model changes: `{CLI} downgrade "
            f"{parent}`, delete data0003's file, run the generator again, and upgrade heads.",
        )
    if found[0] != PARTNER:
        raise NotYet(
            f"User partner is {found[0][1:]!r} (description, product type, tag); it should be "
            f"{PARTNER[1:]!r}.",
            f"`{CLI} downgrade {parent}`, delete data0003's file, run the generator again with "
            "the right --inputs, and upgrade heads.",
        )
    if _user_products() != USER_PRODUCTS:
        raise NotYet(
            "the User products should be User external, User internal and User partner, each "
            "made of UserBlock with its own affiliation (external, internal, partner).",
            "Give the generator the fixed-input value with --inputs: "
            '"User partner": {..., "affiliation": "partner"}.',
        )
    migrate("downgrade", parent, what="downgrade() of revision data0003")
    if rows("SELECT name FROM products WHERE name = 'User partner'"):
        raise NotYet(
            f"after `downgrade {parent}` the product User partner is still there.",
            "Let the generator write data0003: its downgrade() removes what it adds.",
        )
    if _user_products() != USER_PRODUCTS[:2]:
        raise NotYet(
            f"after `downgrade {parent}` User internal or User external is not as it was.",
            "data0003 should only add User partner.",
        )
    migrate("upgrade", "data0003", what="upgrade() of revision data0003, run again,")
