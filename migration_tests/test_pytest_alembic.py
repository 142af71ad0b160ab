"""pytest-alembic's four built-in tests, collected here as ordinary tests.

They take the ``alembic_runner`` fixture from conftest.py. (pytest-alembic's own way of adding
them, ``pytest --test-alembic``, fails on pytest 9: see pytest.ini.)
"""

from pytest_alembic.tests import (  # noqa: F401 - imported so that pytest collects them here
    test_model_definitions_match_ddl,  # the models describe what the migrations build
    test_single_head_revision,  # one head: no forgotten branch
    test_up_down_consistency,  # every downgrade runs, and so do the upgrades after it
    test_upgrade,  # an empty database upgrades to the head
)
