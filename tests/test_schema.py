"""The portable schema view: the same facts on PostgreSQL and on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from workshop import db, schema


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request, project: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "sqlite":
        monkeypatch.setenv(db.URL_ENV, f"sqlite:///{project / 'schema.sqlite'}")
        db.dispose_engines()
    return request.param


def test_describe_table(database: str, capsys) -> None:
    with db.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE team (id INTEGER PRIMARY KEY, name VARCHAR(30) UNIQUE)"))
        conn.execute(
            sa.text(
                "CREATE TABLE member (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL, "
                "team_id INTEGER REFERENCES team(id))"
            )
        )
    schema.describe_table("member")
    out = capsys.readouterr().out
    assert "Table member" in out
    assert "id (PK)" in out
    assert [line.split() for line in out.splitlines() if line.strip().startswith("email")] == [
        ["email", "VARCHAR(200)", "no"]
    ]
    assert "foreign key: team_id -> team(id)" in out
    schema.describe_table("team")
    assert "unique: name" in capsys.readouterr().out
    assert schema.tables() == ["member", "team"]
    schema.describe_table("nothing")
    assert "There is no table 'nothing'" in capsys.readouterr().out


def test_describe_table_calls_a_view_a_view(database: str, capsys) -> None:
    """Issue 14: ``wk.describe_table("active_users")`` printed "Table active_users"."""
    with db.engine().begin() as conn:
        conn.execute(sa.text("CREATE TABLE person (id INTEGER PRIMARY KEY, name VARCHAR(30))"))
        conn.execute(sa.text("CREATE VIEW named AS SELECT id, name FROM person"))
    schema.describe_table("named")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "View named (a stored query: no keys or constraints of its own)"
    assert "Table" not in out
    assert [line.split()[0] for line in out.splitlines()[2:]] == ["id", "name"]
    schema.describe_table("person")
    assert capsys.readouterr().out.startswith("Table person\n")
