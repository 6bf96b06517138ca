"""The request layer: typed dependencies (keys, scopes, idempotency), idempotent routes, the platform's routes."""
