"""Helpers for data migrations, imported as a real orchestrator-core app imports them.

In a real app, ``python main.py db init`` writes this file, and its one line is::

    from orchestrator.core.migrations.helpers import *

Here it re-exports :mod:`workshop.orchestrator.helpers`, the kit's version of those helpers: the
same names and signatures as orchestrator-core 5.5.0's, changing the same rows. So a migration
that says ``from migrations.helpers import create_workflow`` runs here and, unchanged, in a real
app. (The kit's own helpers, which find rows by name, are in
``workshop.orchestrator.product_helpers``: they exist only in the kit.)
"""

from workshop.orchestrator.helpers import *  # noqa: F403

# Write your own helper functions below this line.
