"""A ``%sql`` mistake fails its cell with a short explanation above the database's own error.

Issue 14: a double-quoted string in ``%sql`` printed two full tracebacks (ipython-sql's, then
IPython's), with nothing from the kit. The kernel tests run cells as a lesson does; the others
make each mistake for real, on PostgreSQL and on SQLite, and read the explanation it gets.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa
from nbclient import NotebookClient

from workshop import db, friendly_sqlmagic

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run_cells_allowing_errors(root: Path, *sources: str) -> list[list[dict]]:
    """Each cell's outputs, from a real kernel at root/notebooks; errors do not stop the run."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(root / "notebooks")}},
    ).execute()
    return [cell.outputs for cell in nb.cells]


def shown(outputs: list[dict]) -> str:
    """What the notebook shows for a cell: streams, results and error tracebacks, in order."""
    parts = []
    for output in outputs:
        if output["output_type"] == "error":
            parts.append("\n".join(output["traceback"]))
        else:
            parts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    return ANSI.sub("", "".join(parts))


@pytest.mark.slow
def test_a_double_quoted_string_gets_the_explanation_and_the_error_without_tracebacks(
    project: Path,
) -> None:
    cells = run_cells_allowing_errors(
        project,
        "%load_ext workshop",
        "%sql CREATE TABLE hello (message VARCHAR(50))",
        '%sql SELECT * FROM hello WHERE message = "Hello, world"',
        "%sql SELECT count(*) FROM hello",
    )
    mistake = cells[2]
    assert [o["output_type"] for o in mistake] == ["error"], "one output: the failed cell"
    text = shown(mistake)
    lines = text.splitlines()
    assert lines[0] == (
        '🛑 "Hello, world" is in double quotes, so the database reads it as the name of a column, '
        'and there is no column "Hello, world". In SQL, double quotes are for names (tables, '
        "columns); text goes in single quotes."
    )
    assert lines[1] == "   Fix: Write 'Hello, world' in single quotes, and run the cell again."
    assert lines[2] == "   (The original error follows below.)"
    # ... then the database's error, word for word, with its pointer at the mistake.
    assert (
        'ProgrammingError: (psycopg2.errors.UndefinedColumn) column "Hello, world" does not '
        in (text)
    )
    assert 'LINE 1: SELECT * FROM hello WHERE message = "Hello, world"' in text
    assert "Traceback" not in text and "site-packages" not in text and len(lines) < 15, text
    # The failed statement's transaction was ended: the next cell works.
    assert "[(0,)]" in shown(cells[3])


@pytest.mark.slow
def test_statements_before_the_failed_one_in_a_cell_are_said_to_have_run(project: Path) -> None:
    cells = run_cells_allowing_errors(
        project,
        "%load_ext workshop",
        "%%sql\nCREATE TABLE team (id INTEGER PRIMARY KEY);\nINSERT INTO team VALUES (1);\n"
        "INSERT INTO team VALUES (1);",
        "%sql SELECT count(*) FROM team",
    )
    text = shown(cells[1])
    assert text.startswith(
        "🛑 A row with the same key is already there, and the key must be unique. Key (id)=(1) "
        "already exists. The statement changed nothing. The statements before it in this cell "
        "did run (each is committed as it runs)."
    ), text
    assert "[(1,)]" in shown(cells[2])


def refused(statement: str) -> sa.exc.DBAPIError:
    """The error the database gives for ``statement``, made for real."""
    with db.engine().connect() as conn:
        try:
            conn.exec_driver_sql(statement)
        except sa.exc.DBAPIError as error:
            conn.rollback()
            return error
    raise AssertionError(f"the database accepted {statement!r}")


@pytest.fixture
def tables(project: Path) -> None:
    with db.engine().begin() as conn:
        conn.exec_driver_sql("CREATE TABLE team (id INTEGER PRIMARY KEY, name VARCHAR(30))")
        conn.exec_driver_sql(
            "CREATE TABLE member (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL UNIQUE, "
            "team_id INTEGER REFERENCES team(id))"
        )
        conn.exec_driver_sql("INSERT INTO team VALUES (1, 'blue')")
        conn.exec_driver_sql("INSERT INTO member VALUES (1, 'a@example.org', 1)")


POSTGRESQL_MISTAKES = [
    (
        'SELECT * FROM team WHERE name = "blue"',
        '"blue" is in double quotes, so the database reads it as the name of a column',
        "Write 'blue' in single quotes",
    ),
    (
        'SELECT "Name" FROM team',
        'PostgreSQL\'s hint: Perhaps you meant to reference the column "team.name".',
        "If Name is text, write 'Name' in single quotes. If it is a column, use the name the hint",
    ),
    (
        "SELECT nmae FROM team",
        'There is no column "nmae" in the tables this statement reads. PostgreSQL\'s hint: '
        'Perhaps you meant to reference the column "team.name".',
        'wk.describe_table("<table>") lists',
    ),
    (
        "SELECT * FROM teams",
        "There is no table \"teams\". Did you mean 'team'? The tables there now: member, team.",
        "If a revision creates the table, apply it first",
    ),
    (
        "SELEC * FROM team",
        'The database cannot read the statement: it stops making sense at "SELEC".',
        "missing comma, parenthesis or quote",
    ),
    ("SELECT * FROM team WHERE (id = 1", "it ends too early", "misspelt keyword"),
    (
        "INSERT INTO member VALUES (2, 'a@example.org', 1)",
        "A row with the same key is already there, and the key must be unique. "
        "Key (email)=(a@example.org) already exists.",
        "Use another value",
    ),
    (
        "INSERT INTO member (id) VALUES (3)",
        'Column "email" may not be empty (NOT NULL)',
        'Give "email" a value',
    ),
    (
        "INSERT INTO member VALUES (4, 'b@example.org', 9)",
        'Key (team_id)=(9) is not present in table "team".',
        "Insert the row it refers to first",
    ),
    (
        "DELETE FROM team",
        'is still referenced from table "member".',
        "Delete or change the rows that refer to it first",
    ),
    (
        "SELECT * FROM team WHERE id = 'one'",
        '"one" is not a valid integer',
        "numbers without quotes",
    ),
    (
        "SELECT * FROM team WHERE id = name",
        "cannot compare or combine these two types: integer = character varying",
        "text in single quotes",
    ),
    (
        "CREATE TABLE team (x int)",
        'There is already a table (or view, index) "team"',
        "CREATE ... IF NOT EXISTS",
    ),
]


@pytest.mark.parametrize(("statement", "what", "fix"), POSTGRESQL_MISTAKES)
def test_each_postgresql_mistake_is_explained(
    tables: None, statement: str, what: str, fix: str
) -> None:
    explanation = friendly_sqlmagic.explain(refused(statement))
    assert what in explanation.what
    assert fix in explanation.fix
    assert explanation.error_follows


SQLITE_MISTAKES = [
    ("SELECT * FROM teams", "There is no table \"teams\". Did you mean 'team'?"),
    ("SELECT nmae FROM team", 'There is no column "nmae"'),
    ("SELEC * FROM team", 'it stops making sense at "SELEC"'),
    (
        "INSERT INTO member VALUES (2, 'a@example.org')",
        "the key must be unique. (UNIQUE constraint failed: member.email.)",
    ),
    ("INSERT INTO member (id) VALUES (3)", 'Column "member.email" may not be empty'),
    ("CREATE TABLE team (x int)", 'There is already a table "team"'),
]


@pytest.mark.parametrize(("statement", "what"), SQLITE_MISTAKES)
def test_each_sqlite_mistake_is_explained(
    project: Path, monkeypatch: pytest.MonkeyPatch, statement: str, what: str
) -> None:
    monkeypatch.setenv(db.URL_ENV, f"sqlite:///{project / 'mistakes.sqlite'}")
    db.dispose_engines()
    with db.engine().begin() as conn:
        conn.exec_driver_sql("CREATE TABLE team (id INTEGER PRIMARY KEY, name VARCHAR(30))")
        conn.exec_driver_sql(
            "CREATE TABLE member (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL UNIQUE)"
        )
        conn.exec_driver_sql("INSERT INTO member VALUES (1, 'a@example.org')")
    try:
        assert what in friendly_sqlmagic.explain(refused(statement)).what
    finally:
        db.dispose_engines()


def test_an_error_it_does_not_know_still_gets_a_short_line_and_the_original(
    project: Path,
) -> None:
    error = refused("SELECT 1/0")
    explanation = friendly_sqlmagic.explain(error)
    assert explanation.what == "The database refused this statement: division by zero."
    shown = friendly_sqlmagic.explained(error, explanation)
    assert isinstance(shown, sa.exc.DataError) and str(shown) == str(error)
    rendered = shown._render_traceback_()
    assert rendered[:3] == explanation.render().splitlines()
    assert rendered[3:6] == [
        "",
        "DataError: (psycopg2.errors.DivisionByZero) division by zero",
        "",
    ]
