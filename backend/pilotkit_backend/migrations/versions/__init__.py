"""Alembic revisions: 0001_access, 0002_jobs, 0003_index, ... (one linear history)."""
