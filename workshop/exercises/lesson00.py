"""Lesson 00: a first `%sql` cell."""

from __future__ import annotations

import sqlalchemy as sa

from workshop import db
from workshop.checks import NotYet, columns, exercise


@exercise("00.1")
def hello_table() -> str:
    """A table `hello` with a `message` column holding 'hello, migrations'."""
    found = columns("hello")
    if not found:
        raise NotYet(
            "there is no table called hello yet.",
            "Run `%sql CREATE TABLE hello (message VARCHAR(50))` in the exercise cell.",
        )
    if "message" not in found:
        raise NotYet(
            f"table hello has columns {', '.join(found)} but no column called message.",
            "Drop it with `%sql DROP TABLE hello` and create it again with a message column.",
        )
    with db.engine().connect() as conn:
        messages = conn.execute(sa.text("SELECT message FROM hello")).scalars().all()
    if "hello, migrations" not in messages:
        raise NotYet(
            "table hello has no row with the message 'hello, migrations'.",
            "`%sql INSERT INTO hello (message) VALUES ('hello, migrations')` — mind the quotes.",
        )
    return "the table exists and holds your greeting. %sql works for you."
