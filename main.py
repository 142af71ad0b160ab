r"""The workshop's command line, as in the orchestrator-core workshop.

Run it from the project root::

    PYTHONPATH=. python main.py db revision --message "My descriptive revision description" \
        --head=data@head
    PYTHONPATH=. python main.py db migrate-domain-models "Add User and UserGroup products"
    PYTHONPATH=. python main.py db upgrade heads

orchestrator-core's ``main.py`` imports ``products`` at the top, so that the registry
(``SUBSCRIPTION_MODEL_REGISTRY``) is known. Here ``db migrate-domain-models``, the one command
that compares the registry with the database, imports ``products`` itself when it runs. So a
mistake in a model gets a message that names it, instead of a traceback, and does not stop
``db upgrade`` or ``db downgrade``. The commands live in :mod:`workshop.orchestrator.cli`.
"""

import sys

from workshop.orchestrator.cli import main

if __name__ == "__main__":
    sys.exit(main())
