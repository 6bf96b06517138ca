"""The cash-transfer kind: programmes, beneficiaries, merchants, rounds (push, Merkle claims, vouchers)."""

from pilotkit_backend.kinds.cash.contract import PROGRAMME
from pilotkit_backend.kinds.cash.models import beneficiaries as beneficiary_models
from pilotkit_backend.kinds.cash.models import rounds as round_models
from pilotkit_backend.kinds.cash.routes import beneficiaries, merchants, programmes, rounds
from pilotkit_backend.platform.pilot_kind import PilotKind

KIND = PilotKind(
    name="cash",
    title="Cash transfers and safety nets",
    routers=(programmes.router, rounds.router, beneficiaries.router, merchants.router),
    contract_types=(PROGRAMME,),
    model_modules=(beneficiary_models, round_models),
    page_paths=("/programmes", "/programmes/{programme}", "/programmes/{programme}/lookup",
                "/programmes/{programme}/rounds/{round_id}"),
)
