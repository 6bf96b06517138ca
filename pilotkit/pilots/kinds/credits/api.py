"""`--via api` for the credits kind: project registration, batch issuance and freezing through
`/v1/credit-registries/{address}/...`.

The API moves credits only out of its own custody (the service's admin signer), so transfers and retirements by
the replay's holders (the project developer, the buyers) are their own transactions: they stay on the library
path, and their steps say so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pilotkit.pilots.api_kit import ADMIN_ROLE, ApiRequest, KindApi, hex_, iso
from pilotkit.pilots.kinds.credits.state import NAME

if TYPE_CHECKING:
    from pilotkit.pilots.actions import Operation, Pending
    from pilotkit.pilots.api_kit import Route


def _text(value: bytes) -> str:
    return bytes(value).rstrip(b"\0").decode()


class CreditsApi(KindApi):
    contracts = {"EcoCreditRegistry": "credits"}
    extra_roles = ((ADMIN_ROLE, "admin"),)  # projects are registered by the registry's admin: the service's

    def route(self, op: Operation, role: str) -> Route | None:
        if op.contract != NAME:
            return None
        if op.function == "registerProject" and role == "admin":
            return self._register_project
        if op.function == "issueBatch" and role == "verifier":
            return self._issue_batch
        if op.function in ("freezeBatch", "unfreezeBatch") and role == "verifier":
            return self._freeze
        return None

    def _registry_path(self, pending: Pending) -> str:
        return f"/v1/credit-registries/{self.client.programme_of[pending.operation.contract]}"

    def _register_project(self, pendings: list[Pending]) -> ApiRequest:
        ((registry, external_id, methodology, country, metadata_hash, metadata_uri),) = pendings[0].operation.args
        body = {"registry_code": _text(registry), "external_id": _text(external_id),
                "methodology": _text(methodology), "country": _text(country), "metadata_uri": metadata_uri,
                "metadata_hash": hex_(metadata_hash)}
        return self.client.post(pendings, f"{self._registry_path(pendings[0])}/projects", "admin", json=body)

    def _issue_batch(self, pendings: list[Pending]) -> ApiRequest:
        (project, vintage_start, vintage_end, serial_start, serial_end, evidence, holder), _hint = \
            pendings[0].operation.args  # the server computes the serial hint from its index
        body = {"project_id": int(project), "vintage_start": iso(vintage_start), "vintage_end": iso(vintage_end),
                "serial_start": int(serial_start), "serial_end": int(serial_end), "evidence_hash": hex_(evidence),
                "holder": holder}
        return self.client.post(pendings, f"{self._registry_path(pendings[0])}/batches", "verifier", json=body)

    def _freeze(self, pendings: list[Pending]) -> ApiRequest:
        op = pendings[0].operation
        action = "freeze" if op.function == "freezeBatch" else "unfreeze"
        reason = int(op.args[1]) if len(op.args) > 1 else 0
        return self.client.post(pendings, f"{self._registry_path(pendings[0])}/batches/{int(op.args[0])}/{action}",
                                "verifier", json={"reason_code": reason})
