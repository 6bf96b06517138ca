"""The cash kind (contracts/cash: `CashProgramme` and its settlement token): cash and voucher transfer
programmes. Its steps, misuse attempts, scenario schema, measures and `--via api` mapping, registered as `KIND`."""

from __future__ import annotations

from pilotkit.pilots.kinds.cash import api, measure, misuse, schema, state, steps
from pilotkit.pilots.kit import Kind

KIND = Kind(
    name=state.NAME,
    deploy=steps.deploy,
    steps=steps.STEPS,
    step_schemas=schema.STEP_SCHEMAS,
    new_state=state.new_state,
    roles=steps.ROLES,
    contract_keys=("token", state.NAME),
    gas_per_item=steps.GAS_PER_ITEM,
    attempts=misuse.ATTEMPTS,
    unauthorised=misuse.unauthorised_enrol,
    misuse_params=schema.MISUSE_PARAMS,
    misuse_skips=tuple(state.SKIP_REASONS),
    metrics=schema.METRICS,
    measure=measure.measure,
    check_step=schema.check_step,
    served=measure.served,
    api=api.CashApi,
    api_equivalents=api.API_EQUIVALENTS,
)
