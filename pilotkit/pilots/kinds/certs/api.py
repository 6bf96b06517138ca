"""`--via api` for the certs kind: issuance (single and batch) and status changes through
`/v1/certificate-registries/{address}/...`; the service's issuer is accredited rather than granted a role."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pilotkit.pilots import ReplayError
from pilotkit.pilots.actions import Operation
from pilotkit.pilots.api_kit import ApiRequest, KindApi, hex_, iso
from pilotkit.pilots.kinds.certs.state import NAME

if TYPE_CHECKING:
    from pilotkit.pilots.actions import Pending
    from pilotkit.pilots.api_kit import ApiClient, Route
    from pilotkit.pilots.txs import ReplaySigner

ISSUER_NAME = "pilotkit replay service issuer"
STATUS_FUNCTIONS = ("revoke", "suspend", "reinstate", "supersede")


class CertsApi(KindApi):
    contracts = {"CertificateRegistry": "certificates"}

    def __init__(self, client: ApiClient) -> None:
        super().__init__(client)
        self.api_docs: set[bytes] = set()  # certificate documents issued through the API

    def certificate_issuer(self, doc: bytes) -> str | None:
        """The issuer whose record holds a document issued through the API: the service's issuer signer."""
        if doc not in self.api_docs:
            return None
        address: str = self.client.service.signer_address("issuer")
        return address

    def grant(self, contract: str, role: str, grantee: str, key: str, sender: ReplaySigner) -> Operation | None:
        if contract == "CertificateRegistry" and role == "ISSUER_ROLE":
            return Operation(key, "accreditIssuer", (grantee, ISSUER_NAME), sender, 600_000)
        return None

    def route(self, op: Operation, role: str) -> Route | None:
        if op.contract != NAME or role != "issuer":
            return None
        if op.function == "issue":
            return self._issue_certificate
        if op.function == "issueBatch" and "documents" in op.meta:
            return self._issue_batch
        if op.function in STATUS_FUNCTIONS:
            return self._certificate_status if op.args[1] in self.api_docs else None  # args[0]: issuer
        return None

    def _registry_path(self, pending: Pending) -> str:
        return f"/v1/certificate-registries/{self.client.programme_of[pending.operation.contract]}"

    def _issue_certificate(self, pendings: list[Pending]) -> ApiRequest:
        doc, subject, expires, schema = pendings[0].operation.args
        self.api_docs.add(doc)
        body = {"doc_hash": hex_(doc), "subject": hex_(subject), "expires_at": iso(expires), "schema_id": hex_(schema)}
        return self.client.post(pendings, f"{self._registry_path(pendings[0])}/certificates", "issuer", json=body)

    def _issue_batch(self, pendings: list[Pending]) -> ApiRequest:
        op = pendings[0].operation
        root, expires, schema = op.args
        documents: list[bytes] = op.meta["documents"]
        self.api_docs.update(documents)
        body = {"doc_hashes": [hex_(d) for d in documents], "expires_at": iso(expires), "schema_id": hex_(schema)}
        request = self.client.post(pendings, f"{self._registry_path(pendings[0])}/batches", "issuer", json=body)
        if request.refusal is None and request.job_rows[0].get("root") != hex_(root):
            raise ReplayError(f"the API built batch root {request.job_rows[0].get('root')}, the replay "
                              f"{hex_(root)}: the proofs would not match")
        return request

    def _certificate_status(self, pendings: list[Pending]) -> ApiRequest:
        op = pendings[0].operation
        base = f"{self._registry_path(pendings[0])}/certificates/{hex_(op.args[1])}/{op.function}"  # args[0]: issuer
        root = {"root": hex_(op.meta["root"])} if op.meta.get("root") else {}
        if op.function in ("revoke", "suspend"):
            return self.client.post(pendings, base, "issuer", json={"reason_code": int(op.args[3]), **root})
        if op.function == "supersede":
            return self.client.post(pendings, base, "issuer", json={"replacement": hex_(op.args[3]), **root})
        return self.client.post(pendings, base, "issuer", json=root)
