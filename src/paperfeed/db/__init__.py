"""Storage: SQLAlchemy Core tables, the engine factory, migrations and one repository per aggregate.

Only this package talks SQL. Dialect-specific statements live in :mod:`paperfeed.db.dialect`.
"""
