"""A class on one shared PostgreSQL server and one JupyterHub: ``workshop class``.

* :mod:`~workshop.classroom.names`: participant names to role and database names, collision-free.
* :mod:`~workshop.classroom.provision`: a login role and a database per participant, made by the
  instructor's role, with a new random password at each server start.
* :mod:`~workshop.classroom.handin`: the class drop folder (participants write, never read) and
  collecting it for ``workshop grade``.
* :mod:`~workshop.classroom.install`: the kit installed once where every account can run it,
  without the answer key when the class is graded.
* :mod:`~workshop.classroom.singleuser`: a participant's server start: their own private copy of
  the lessons, terminals with the kit's ``PATH``, lesson 00 first.
* :mod:`~workshop.classroom.hub`: the JupyterHub settings that tie these together;
  ``jupyterhub_config.py`` beside this file applies them.
* :mod:`~workshop.classroom.kubernetes`: the same on Zero to JupyterHub, for classes larger than
  one machine (the single-user image's build file is ``deploy/z2jh/Dockerfile``).

What the hub imports of these (``kubernetes.HUB_MODULES``) needs only the standard library,
SQLAlchemy and psycopg2, so a Zero to JupyterHub hub image, which has no kit installed, can load
it as mounted files.
"""
