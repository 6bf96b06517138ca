"""Pilot kinds: one folder each (`cash`, `credits`, `certs`), listed in `pilotkit_backend.catalogue`.

A kind folder holds `routes/` (FastAPI routers), `services/` (what the routes call: chain calls through the
platform's `ChainContext`, jobs through `platform.writes`), its ORM models, `contract.py` (the contract types it
declares) and `kind.py` (its `PilotKind`). A kind imports the platform, `core`, `db` and `api` (request layer),
never another kind.
"""
