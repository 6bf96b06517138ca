"""ORM models: index (placeholder until its module is written)."""
