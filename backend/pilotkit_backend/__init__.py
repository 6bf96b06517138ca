"""pilotkit's HTTP service for field apps: durable exactly-once transaction jobs, an event index, access control.

Layout (full-stack-fastapi-template style): `core/` settings and errors, `db/` engine and sessions,
`models/` one module per entity, `services/` everything that talks to the chain (routes never use web3),
`api/` routes and typed dependencies, `migrations/` Alembic.
"""
