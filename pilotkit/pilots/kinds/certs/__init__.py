"""The certs kind (contracts/certs: `CertificateRegistry`): verifiable certificates, single or in Merkle batches,
with revocation, suspension and supersession. Its steps, misuse attempts, scenario schema, measures and
`--via api` mapping, registered as `KIND`."""

from __future__ import annotations

from pilotkit.pilots.kinds.certs import api, measure, misuse, schema, state, steps
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
    unauthorised=misuse.unauthorised_accredit,
    misuse_params=schema.MISUSE_PARAMS,
    misuse_statuses=tuple(state.CERT_STATUS),
    metrics=schema.METRICS,
    measure=measure.measure,
    served=measure.served,
    api=api.CertsApi,
)
