"""Persistence: SQLAlchemy tables, the database connection, migrations."""
