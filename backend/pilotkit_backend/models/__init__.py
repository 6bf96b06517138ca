"""ORM models, one module per area. Importing this package registers every table on `Base.metadata`."""

from pilotkit_backend.models import access, cash, certs, credits, index, jobs, registry, rounds

__all__ = ["access", "cash", "certs", "credits", "index", "jobs", "registry", "rounds"]
