r"""The workshop's command line, as in the orchestrator-core workshop.

Run it from the project root::

    PYTHONPATH=. python main.py db revision --message "My descriptive revision description" \
        --head=data@head
    PYTHONPATH=. python main.py db migrate-domain-models "Add User and UserGroup products"
    PYTHONPATH=. python main.py db upgrade heads

``import products`` registers the domain models (``SUBSCRIPTION_MODEL_REGISTRY``), which
``db migrate-domain-models`` compares with the database. The commands themselves live in
:mod:`workshop.orchestrator_cli`.
"""

import sys

import products
from workshop.orchestrator_cli import main

if __name__ == "__main__":
    sys.exit(main(registry=products.SUBSCRIPTION_MODEL_REGISTRY))
