"""The certificates kind: issuance (single and batch), status changes, public verification, W3C VC export."""

from pilotkit_backend.kinds.certs import models
from pilotkit_backend.kinds.certs.contract import CERTIFICATE_REGISTRY
from pilotkit_backend.kinds.certs.routes import certificates, public
from pilotkit_backend.platform.pilot_kind import PilotKind

KIND = PilotKind(
    name="certs",
    title="Digital certificates",
    routers=(certificates.router, public.router),
    contract_types=(CERTIFICATE_REGISTRY,),
    model_modules=(models,),
    page_paths=("/verify", "/verify/{registry}", "/verify/{registry}/{doc_hash}"),
)
