"""ORM models: jobs (placeholder until its module is written)."""
