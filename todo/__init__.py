"""The small to-do application whose database the lessons migrate.

Its SQLAlchemy models (``todo/models.py``) are what ``alembic revision --autogenerate`` compares
the database with. Revision files never import them: see lesson 08 on data migrations.
"""
