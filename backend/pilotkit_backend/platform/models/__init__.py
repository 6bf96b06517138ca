"""The platform's ORM models: API keys and idempotency, jobs, the event index, the contract registry, the key audit."""

from pilotkit_backend.platform.models import access, index, jobs, key_audit, registry

#: modules declaring the platform's tables (each kind lists its own in its `PilotKind.model_modules`)
MODULES = (access, jobs, index, registry, key_audit)
