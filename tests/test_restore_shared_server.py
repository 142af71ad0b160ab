"""workshop restore on a server that is not the embedded one: a class's PostgreSQL, where the
participant logs in with a password, and which may be older than the kit's pg_dump (18).

Found on a class server (PostgreSQL 15, issue 15): the restore handed psql a masked password
(``***``), and the dump's ``SET transaction_timeout`` line, which pg_dump 18 writes, is an
unknown setting before PostgreSQL 17. Both stopped the restore; nothing was lost, but nothing was
restored either. These tests restore for real on Debian's PostgreSQL (15 here) and on the
embedded 18, as a participant role with a password.
"""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

import pytest

from workshop import db, restore

from .class_support import Cluster
from .test_restore import _files, _participant_at_work, _snapshot


@pytest.fixture
def on_the_cluster(
    project: Path, cluster_of_each_kind: Cluster, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The scratch project, its database now a participant's own on ``cluster``: a login role
    with a password, owning its database, as ``workshop class`` makes them."""
    role, password = f"ada{uuid.uuid4().hex[:8]}", secrets.token_hex(12)
    cluster = cluster_of_each_kind
    with cluster.superuser() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD %s", (password,))
        conn.exec_driver_sql(f"CREATE DATABASE {role} OWNER {role}")
    url = cluster.url(role, password, role).render_as_string(hide_password=False)
    db.dispose_engines()
    monkeypatch.setenv(db.URL_ENV, url)
    return project


def test_a_restore_on_a_password_server_puts_everything_back(
    on_the_cluster: Path, cluster_of_each_kind: Cluster
) -> None:
    files, database, saved = _participant_at_work(on_the_cluster)
    dump = (saved / "database.sql").read_text()
    if cluster_of_each_kind.version < 17:
        assert "SET transaction_timeout" in dump  # what the older server does not know

    restore.restore(saved.name)

    assert _files(on_the_cluster) == files
    assert _snapshot() == database
    assert (saved / "database.sql").read_text() == dump  # the backup itself is left as it was
