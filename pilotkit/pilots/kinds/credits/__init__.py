"""The credits kind (contracts/credits: `EcoCreditRegistry`): verified eco-credits by serial range, transferred
and retired. Its steps, misuse attempts, scenario schema, measures and `--via api` mapping, registered as `KIND`."""

from __future__ import annotations

from pilotkit.pilots.kinds.credits import api, measure, misuse, schema, state, steps
from pilotkit.pilots.kit import Kind

KIND = Kind(
    name=state.NAME,
    deploy=steps.deploy,
    steps=steps.STEPS,
    step_schemas=schema.STEP_SCHEMAS,
    new_state=state.new_state,
    roles=steps.ROLES,
    contract_keys=(state.NAME,),
    attempts=misuse.ATTEMPTS,
    unauthorised=misuse.unauthorised_issue,
    metrics=schema.METRICS,
    measure=measure.measure,
    served=measure.served,
    served_fallback=True,
    api=api.CreditsApi,
)
