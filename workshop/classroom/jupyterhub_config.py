"""JupyterHub configuration for a workshop class on one machine (LocalProcessSpawner, PAM).

Run it, as root, from the class's installation (``workshop class install /opt/workshop-kit``)::

    export WORKSHOP_CLASS_ADMIN_URL=postgresql://instructor:PASSWORD@db.internal:5432/postgres
    export WORKSHOP_CLASS_ROSTER=/srv/workshop/roster.txt
    /opt/workshop-kit/.venv/bin/jupyterhub \\
        -f /opt/workshop-kit/workshop/classroom/jupyterhub_config.py

What it sets, and the other settings it reads, are in :mod:`workshop.classroom.hub`. Add your
own settings (bind address, TLS, authenticator) after it in a file of yours, or on the command
line: ``jupyterhub -f this_file --JupyterHub.bind_url=https://...``.
"""

from workshop.classroom import hub

c = get_config()  # noqa: F821 - JupyterHub's config loader provides it
hub.configure(c)
