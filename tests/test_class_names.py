"""Participant names to database names without collisions (issue 15).

The old rule cut a name down to ``a-z0-9_``: ``ada.l`` and ``ada-l`` shared ``workshop_ada_l``,
every name without ASCII letters was ``workshop_participant``, and names over 63 characters
with the same beginning shared one database. These tests pin the new rule, and that the kit's
own database naming (``WORKSHOP_DATABASE_URL`` without a database name) uses it.
"""

from __future__ import annotations

import itertools
import re
import uuid

import pytest
import sqlalchemy as sa

from workshop import db
from workshop.classroom import names

IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,62}")

#: The issue's collisions, and a few more of the same kinds.
COLLIDING_BEFORE = [
    ("ada.l", "ada-l"),
    ("ada.l", "ada_l"),
    ("李雷", "王芳"),
    ("李雷", "participant"),
    ("x" * 70, "x" * 70 + "y"),
    ("Ada", "ada"),
    ("josé", "jose"),
]


@pytest.mark.parametrize("name", ["ada", "ada_l", "s1234", "bob2", "a" * 54])
def test_a_plain_name_is_kept_as_it_is(name: str) -> None:
    assert names.slug(name) == name
    assert names.role_name(name) == names.database_name(name) == f"workshop_{name}"


@pytest.mark.parametrize(
    "name,readable",
    [
        ("ada.l", "ada_l"),
        ("Ada Lovelace", "ada_lovelace"),
        ("José Núñez", "jose_nunez"),
        ("李雷", "user"),
        ("", "user"),
        ("a__b", "a_b"),
        ("_ada", "ada"),
        ("9lives", "9lives"),
        ("a" * 55, "a" * 44),
    ],
)
def test_a_changed_name_gets_a_readable_part_and_a_short_hash(name: str, readable: str) -> None:
    slug = names.slug(name)
    assert slug == f"{readable}__{names.digest(name)}"
    assert re.fullmatch(r"[0-9a-f]{8}", names.digest(name))


@pytest.mark.parametrize("first,second", COLLIDING_BEFORE)
def test_names_that_used_to_share_a_database_no_longer_do(first: str, second: str) -> None:
    assert names.database_name(first) != names.database_name(second)
    assert db.participant_database_name(first) != db.participant_database_name(second)


def test_every_name_is_a_valid_unquoted_identifier_of_at_most_63_bytes() -> None:
    samples = ["ada", "ADA", "李雷", "x" * 500, "a.b-c d", "ü" * 40, "_", "0", "a__b", "é"]
    for name in samples:
        made = names.database_name(name)
        assert IDENTIFIER.fullmatch(made), made
        assert len(made.encode()) <= 63, made


def test_kept_and_changed_names_never_meet() -> None:
    """A kept name has no ``__``; a changed one always has: even a name written to look like
    another's changed form is changed itself."""
    lookalike = names.slug("ada.l")  # "ada_l__8debcb8d": not plain, so it is changed too
    assert "__" in lookalike
    assert names.slug(lookalike) != lookalike
    kept = [n for n in ("ada", "ada_l", "bob_2") if names.is_plain(n)]
    assert all("__" not in names.slug(n) for n in kept)


def test_no_two_of_many_similar_names_share_a_name() -> None:
    """Every spelling of a few names with separators, case and accents: all distinct."""
    parts = ["ada", "Ada", "adá", "ada1"]
    glue = ["", ".", "-", "_", " ", "__", "@"]
    spelled = {a + g + b for a, g, b in itertools.product(parts, glue, parts)}
    made = {names.database_name(name) for name in spelled}
    assert len(made) == len(spelled)


def test_the_mapping_does_not_change_between_runs() -> None:
    """Roles and databases outlive the kit's process: the same name must map the same way."""
    assert names.slug("ada.l") == "ada_l__8debcb8d"
    assert names.slug("李雷") == "user__3a47328a"


def test_two_colliding_names_get_two_databases_on_a_shared_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The kit's own shared-server mode (a URL without a database name): ``ada.l`` and ``ada-l``
    each get a database, and what one writes the other does not see."""
    server = db.server_url()
    monkeypatch.setenv(db.URL_ENV, server._replace(database=None).render_as_string(False))
    tag = uuid.uuid4().hex[:6]
    users = [f"ada.l{tag}", f"ada-l{tag}"]
    made: list[sa.URL] = []
    try:
        for user in users:
            monkeypatch.setenv("JUPYTERHUB_USER", user)
            url = db.url()
            made.append(url)
            with db.engine(url).begin() as conn:
                conn.execute(sa.text("CREATE TABLE mine (owner text)"))
                conn.execute(sa.text("INSERT INTO mine VALUES (:u)"), {"u": user})
        assert made[0].database != made[1].database
        for user, url in zip(users, made, strict=True):
            with db.engine(url).connect() as conn:
                assert conn.execute(sa.text("SELECT owner FROM mine")).scalars().all() == [user]
    finally:
        db.dispose_engines()
        for url in made:
            db.drop_database(url)
