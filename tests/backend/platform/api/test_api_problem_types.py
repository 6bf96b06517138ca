"""One scheme for refusal types (issue 12, defect 5; README "Errors").

`/problems/contract/<Error>` for contract custom errors (raised by the contract or detected first by the service;
`<Error>` is declared by some contract), `/problems/<kebab-case>` for the service's own refusals, `about:blank`
for plain HTTP errors. Before: `/problems/cash/BeneficiaryAlreadyEnrolled` while the docs promised
`/problems/contract/<Error>`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pilotkit_backend
from pilotkit_backend.core.problems import ContractRefusal, ProblemError

BACKEND = Path(pilotkit_backend.__file__).resolve().parent
CONTRACTS = BACKEND.parents[1] / "contracts"
CONTRACT_TYPE = re.compile(r"/problems/contract/([A-Z][A-Za-z0-9]*)")
SERVICE_TYPE = re.compile(r"/problems/[a-z][a-z0-9]*(-[a-z0-9]+)*")


def _declared_errors() -> set[str]:
    return {m.group(1) for path in CONTRACTS.rglob("*.sol")
            for m in re.finditer(r"\berror\s+([A-Za-z0-9_]+)\s*\(", path.read_text())}


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found.union(*(_subclasses(c) for c in found)) if found else found


def _check(kind: str, where: str, declared: set[str]) -> None:
    contract = CONTRACT_TYPE.fullmatch(kind)
    if contract:
        assert contract.group(1) in declared | {"UnknownRevert", "Panic"}, (where, kind)
    else:
        assert kind == "about:blank" or SERVICE_TYPE.fullmatch(kind), (where, kind)


def test_every_problem_class_follows_the_scheme() -> None:
    import pilotkit_backend.main  # noqa: F401  (every route module, so every problem class, is loaded)

    declared = _declared_errors()
    classes = _subclasses(ProblemError)
    assert len(classes) > 15
    for cls in classes:
        _check(cls.type, cls.__qualname__, declared)
    refusals = {cls.error_name: cls for cls in _subclasses(ContractRefusal)}
    assert {"BeneficiaryAlreadyEnrolled", "WalletAlreadyBound"} <= set(refusals)
    for name, cls in refusals.items():
        assert cls.type == f"/problems/contract/{name}" and cls.title == name and name in declared
        assert cls().extra["contract_error"] == name


def test_every_problem_type_written_in_the_source_follows_the_scheme() -> None:
    declared = _declared_errors()
    seen = 0
    for path in BACKEND.rglob("*.py"):
        for match in re.finditer(r"[\"'](/problems/[^\"'{]*)[\"']", path.read_text()):
            _check(match.group(1), str(path.relative_to(BACKEND)), declared)
            seen += 1
    assert seen > 20
