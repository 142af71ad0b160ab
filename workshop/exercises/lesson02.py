"""Lesson 02: a second table, `category`, created and dropped by revision 0002."""

from __future__ import annotations

import sqlalchemy as sa

from workshop import checks
from workshop.checks import (
    NotYet,
    Rehearsal,
    columns,
    exercise,
    expect_type,
    migrate,
    no_strays,
    rehearse,
    revision_file,
)

CREATE = 'Create it first: !alembic revision -m "create category table" --rev-id 0002'


def _inspect() -> None:
    """On the rehearsal's new database at 0001: upgrade, look, downgrade, look, upgrade."""
    migrate("upgrade", "0002", what="upgrade() of revision 0002")
    found = columns("category")
    if not found:
        raise NotYet(
            "after `upgrade 0002` there is no table called category.",
            "In upgrade(), call op.create_table('category', ...).",
        )
    for name in ("id", "name", "account_id"):
        if name not in found:
            raise NotYet(
                f"table category has no column called {name}.",
                f"Add sa.Column({name!r}, ...) to op.create_table.",
            )
    expect_type("category", found["id"], sa.Integer)
    expect_type("category", found["name"], sa.String, 30)
    expect_type("category", found["account_id"], sa.Integer)
    if found["name"]["nullable"]:
        raise NotYet("category.name accepts NULL.", "Give the name column nullable=False.")
    inspector = sa.inspect(checks.engine())
    if inspector.get_pk_constraint("category")["constrained_columns"] != ["id"]:
        raise NotYet("category.id is not the primary key.", "Give the id column primary_key=True.")
    references = {
        (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
        for fk in inspector.get_foreign_keys("category")
    }
    if (("account_id",), "account", ("id",)) not in references:
        raise NotYet(
            "category.account_id does not reference account.id.",
            "Add sa.ForeignKey('account.id') to the account_id column.",
        )
    migrate("downgrade", "0001", what="downgrade() of revision 0002")
    if columns("category"):
        raise NotYet(
            "after `downgrade 0001` the category table is still there: downgrade() must undo "
            "upgrade().",
            "In downgrade(), call op.drop_table('category').",
        )
    if not columns("account"):
        raise NotYet(
            "after `downgrade 0001` the account table is gone: downgrade() of 0002 must only undo "
            "what 0002 did.",
            "Drop only the category table in downgrade().",
        )
    migrate("upgrade", "0002", what="upgrade() of revision 0002, run a second time,")


@exercise("02.1")
def category_table() -> str:
    no_strays({"0001", "0002"}, then="Then run this check again.")
    revision_file("0002", parent="0001", hint=CREATE)
    rehearse(Rehearsal(start="0001", revision="0002"), _inspect)
    return (
        "category has the right columns and foreign key, downgrade() removes it, and the "
        "database is back at 0002."
    )
