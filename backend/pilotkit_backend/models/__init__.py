"""ORM models, one module per area. Importing this package registers every table on `Base.metadata`."""

from pilotkit_backend.models import access, index, jobs

__all__ = ["access", "index", "jobs"]
