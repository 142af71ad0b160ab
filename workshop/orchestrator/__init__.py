"""The products track: the kit's model of orchestrator-core 5.5.0, laid out as orchestrator-core is.

Each module here stands for the part of orchestrator-core (``orchestrator.core``) that a
participant meets in a real app, so that a name found here can be looked up there:

=======================  =====================================================================
``domain``               ``orchestrator.core.domain``: the domain models' base classes
``schema``               ``orchestrator.core.db.models``: the product registry's tables
``migrations/``          ``orchestrator.core.migrations.versions.schema``: the schema revision
                         ``544fd845554d``, a version location of its own (see ``versions``)
``helpers``              ``orchestrator.core.migrations.helpers``: the migration helpers, same
                         names and signatures (re-exported by the project's migrations/helpers.py)
``cli``                  ``orchestrator.core.cli.database``: ``python main.py db ...``
``domain_models``        ``orchestrator.core.cli.migrate_domain_models``: the generator
``data_branch``          how ``db revision --head=data@head`` starts the data branch
``versions``             how ``main.py db`` adds the schema location to Alembic's
``product_helpers``      the kit's own helpers, by name (kit-only: orchestrator-core has none)
=======================  =====================================================================

A participant's models import from ``workshop.orchestrator.domain`` where a real app imports from
``orchestrator.core.domain``: the rest of their files is the same.
"""
