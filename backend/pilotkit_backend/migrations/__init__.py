"""Alembic migrations (env.py + versions/)."""
