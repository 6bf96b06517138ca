"""The eco-credits kind: projects, serial-ranged batches, transfers, retirements, the public registry."""

from pilotkit_backend.kinds.credits import models
from pilotkit_backend.kinds.credits.contract import CREDITS_REGISTRY
from pilotkit_backend.kinds.credits.routes import public, registry
from pilotkit_backend.platform.pilot_kind import PilotKind

KIND = PilotKind(
    name="credits",
    title="Eco-credits",
    routers=(registry.router, public.router),
    contract_types=(CREDITS_REGISTRY,),
    model_modules=(models,),
    page_paths=("/credits", "/credits/{registry}", "/credits/{registry}/retirements/{retirement_id}"),
)
