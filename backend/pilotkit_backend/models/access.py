"""ORM models: access (placeholder until its module is written)."""
