"""EcoCreditRegistry: every external function, every named revert and every event, on a real chain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from credits_helpers import (
    ADMIN_ROLE,
    PAUSER_ROLE,
    URI_TEMPLATE,
    VERIFIER_ROLE,
    VINTAGE,
    ZERO32,
    ZERO_ADDRESS,
    Roles,
    b32,
    batch_params,
    h32,
    issue,
    project,
    serial_ranges,
    struct,
)

from pilotkit.contracts.abi import interface_id
from pilotkit.contracts.handle import ContractHandle
from pilotkit.testing.assertions import assert_event, assert_no_event, reverts

VERRA = b32("VERRA")
GOLD = b32("GOLD")


def _supply_matches(reg: ContractHandle, batch_id: int, holders: list[str]) -> None:
    """issued == totalSupply + retired, and totalSupply == sum of the given holders' balances."""
    supply = reg.totalSupply(batch_id)
    assert reg.issued(batch_id) == supply + reg.retired(batch_id)
    assert supply == sum(reg.balanceOfBatch(holders, [batch_id] * len(holders)))


# --- deployment, constants, interfaces -------------------------------------------------------------------------


def test_constructor_sets_admin_uri_and_constants(reg: ContractHandle, roles: Roles) -> None:
    assert reg.hasRole(ADMIN_ROLE, roles.admin.address)
    assert reg.getRoleAdmin(VERIFIER_ROLE) == ADMIN_ROLE
    assert reg.getRoleAdmin(PAUSER_ROLE) == ADMIN_ROLE
    assert reg.VERIFIER_ROLE() == VERIFIER_ROLE
    assert reg.PAUSER_ROLE() == PAUSER_ROLE
    assert reg.DEFAULT_ADMIN_ROLE() == ADMIN_ROLE
    assert (reg.MAX_REASON_LENGTH(), reg.MAX_URI_LENGTH(), reg.MAX_ALLOWLIST_BATCH()) == (256, 512, 200)
    assert reg.uri(7) == URI_TEMPLATE
    assert not reg.paused()
    assert (reg.projectCount(), reg.batchCount(), reg.retirementCount()) == (3, 0, 0)


def test_constructor_rejects_zero_admin(deploy) -> None:
    with reverts("ZeroAddress"):
        deploy("EcoCreditRegistry", ZERO_ADDRESS, URI_TEMPLATE)


def test_supports_interfaces(reg: ContractHandle, pilot_deployer) -> None:
    ids = {
        "IERC165": bytes.fromhex("01ffc9a7"),
        "IERC1155": bytes.fromhex("d9b67a26"),
        "IERC1155MetadataURI": bytes.fromhex("0e89341c"),
        "IAccessControl": bytes.fromhex("7965db0b"),
        "IEcoCreditRegistry": interface_id(pilot_deployer.store.get("IEcoCreditRegistry").abi),
    }
    for name, iid in ids.items():
        assert reg.supportsInterface(iid), name
    assert not reg.supportsInterface(bytes.fromhex("ffffffff"))
    assert not reg.supportsInterface(bytes.fromhex("12345678"))


# --- projects -----------------------------------------------------------------------------------------------------


def test_register_project_stores_and_emits(reg: ContractHandle, roles: Roles) -> None:
    data = project("VERRA", "VCS-2002", methodology="VM0042", country=b"BR", uri="https://registry/2002",
                   metadata="pdd-2002")
    result = reg.registerProject(data, sender=roles.admin)
    assert_event(result, "ProjectRegistered", projectId=4, registry=VERRA, externalId=b32("VCS-2002"),
                 methodology=b32("VM0042"), country=b"BR", metadataURI="https://registry/2002",
                 metadataHash=h32("pdd-2002"))
    assert reg.projectCount() == 4
    stored = struct(reg, "project", 4)
    assert stored == {"registry": VERRA, "externalId": b32("VCS-2002"), "methodology": b32("VM0042"),
                      "country": b"BR", "metadataHash": h32("pdd-2002"), "metadataURI": "https://registry/2002"}


def test_register_project_accepts_max_uri_and_same_external_id_in_another_registry(reg, roles) -> None:
    reg.registerProject(project("GOLD", "VCS-1001", uri="u" * 512), sender=roles.admin)
    assert struct(reg, "project", 4)["metadataURI"] == "u" * 512


@pytest.mark.parametrize("field", ["registry", "externalId", "methodology"])
def test_register_project_rejects_zero_identifiers(reg, roles, field: str) -> None:
    data = list(project("VERRA", "VCS-9"))
    data[["registry", "externalId", "methodology"].index(field)] = ZERO32
    with reverts("InvalidProjectIdentifier"):
        reg.registerProject(tuple(data), sender=roles.admin)


@pytest.mark.parametrize("country", [b"ke", b"K1", b"\x00\x00", b"@Z", b"Z[", b"k\x00"])
def test_register_project_rejects_bad_country_codes(reg, roles, country: bytes) -> None:
    with reverts("InvalidCountryCode", country=country):
        reg.registerProject(project("VERRA", "VCS-9", country=country), sender=roles.admin)


@pytest.mark.parametrize(("uri", "digest"), [("", "pdd"), ("u" * 513, "pdd"), ("ipfs://ok", None)])
def test_register_project_rejects_bad_metadata(reg, roles, uri: str, digest: str | None) -> None:
    data = list(project("VERRA", "VCS-9", uri=uri))
    if digest is None:
        data[4] = ZERO32
    with reverts("InvalidMetadata"):
        reg.registerProject(tuple(data), sender=roles.admin)


def test_register_project_rejects_duplicates(reg, roles) -> None:
    with reverts("ProjectAlreadyRegistered", registry=VERRA, externalId=b32("VCS-1002"), projectId=2):
        reg.registerProject(project("VERRA", "VCS-1002", uri="ipfs://other", metadata="other"), sender=roles.admin)


def test_update_project_metadata(reg, roles) -> None:
    result = reg.updateProjectMetadata(2, "ipfs://monitoring-report-2", h32("mr-2"), sender=roles.admin)
    assert_event(result, "ProjectMetadataUpdated", projectId=2, metadataURI="ipfs://monitoring-report-2",
                 metadataHash=h32("mr-2"))
    stored = struct(reg, "project", 2)
    assert (stored["metadataURI"], stored["metadataHash"]) == ("ipfs://monitoring-report-2", h32("mr-2"))
    assert stored["externalId"] == b32("VCS-1002")  # identity is not touched


def test_update_project_metadata_reverts(reg, roles) -> None:
    with reverts("ProjectNotFound", projectId=99):
        reg.updateProjectMetadata(99, "ipfs://x", h32("x"), sender=roles.admin)
    with reverts("InvalidMetadata"):
        reg.updateProjectMetadata(1, "", h32("x"), sender=roles.admin)
    with reverts("InvalidMetadata"):
        reg.updateProjectMetadata(1, "ipfs://x", ZERO32, sender=roles.admin)
    with reverts("InvalidMetadata"):
        reg.updateProjectMetadata(1, "x" * 513, h32("x"), sender=roles.admin)


def test_project_view_unknown_id(reg) -> None:
    with reverts("ProjectNotFound", projectId=0):
        reg.project(0)
    with reverts("ProjectNotFound", projectId=4):
        reg.project(4)


# --- issuance -----------------------------------------------------------------------------------------------------


def test_issue_batch_mints_records_and_emits(reg, roles, chain) -> None:
    params = batch_params(1, 1001, 2000, roles.alice, evidence="verification-statement-1")
    result = reg.issueBatch(params, 0, sender=roles.verifier)
    issued = assert_event(result, "BatchIssued", batchId=1, projectId=1, verifier=roles.verifier, to=roles.alice,
                          serialStart=1001, serialEnd=2000, vintageStart=VINTAGE[0], vintageEnd=VINTAGE[1],
                          evidenceHash=h32("verification-statement-1"))
    minted = assert_event(result, "TransferSingle", operator=roles.verifier, **{"from": ZERO_ADDRESS},
                          to=roles.alice, id=1, value=1000)
    assert issued.log_index < minted.log_index  # BatchIssued, then the mint
    block_time = reg.web3.eth.get_block(result.block_number)["timestamp"]
    assert struct(reg, "batch", 1) == {
        "projectId": 1, "vintageStart": VINTAGE[0], "vintageEnd": VINTAGE[1], "issuedAt": block_time,
        "frozen": False, "freezeReason": 0, "verifier": roles.verifier.address, "serialStart": 1001,
        "serialEnd": 2000, "issued": 1000, "retired": 0, "evidenceHash": h32("verification-statement-1"),
    }
    assert reg.batchCount() == 1
    assert reg.balanceOf(roles.alice.address, 1) == 1000
    assert reg.totalSupply(1) == 1000
    assert reg.totalSupply() == 1000
    assert reg.exists(1) and not reg.exists(2)
    assert (reg.issued(1), reg.retired(1), reg.isFrozen(1)) == (1000, 0, False)
    assert serial_ranges(reg, VERRA) == [(1001, 2000)]


def test_issue_single_serial_and_full_uint128_range(reg, roles) -> None:
    one = issue(reg, roles.verifier, 1, 5, 5, roles.alice)
    assert reg.issued(one) == 1
    top = 2**128 - 1
    big = issue(reg, roles.verifier, 3, 1, top, roles.bob, registry=GOLD)
    assert reg.issued(big) == top
    assert reg.balanceOf(roles.bob.address, big) == top
    with reverts("SerialRangeOverlaps", existingStart=1, existingEnd=top):
        reg.issueBatch(batch_params(3, top, top, roles.bob), 1, sender=roles.verifier)


def test_batch_views_for_unknown_ids(reg) -> None:
    with reverts("BatchNotFound", batchId=1):
        reg.batch(1)
    assert (reg.issued(42), reg.retired(42), reg.isFrozen(42), reg.totalSupply(42)) == (0, 0, False, 0)


def test_issue_rejects_unknown_project(reg, roles) -> None:
    with reverts("ProjectNotFound", projectId=9):
        reg.issueBatch(batch_params(9, 1, 10, roles.alice), 0, sender=roles.verifier)


@pytest.mark.parametrize("vintage", [(0, 100), (200, 100), "future"])
def test_issue_rejects_bad_vintage(reg, roles, chain, vintage) -> None:
    if vintage == "future":
        now = chain.time()
        vintage = (now - 100, now + 86_400)
    with reverts("InvalidVintage", vintageStart=vintage[0], vintageEnd=vintage[1]):
        reg.issueBatch(batch_params(1, 1, 10, roles.alice, vintage=vintage), 0, sender=roles.verifier)


def test_issue_accepts_vintage_ending_now(reg, roles, chain) -> None:
    now = chain.time()  # the latest block's time: the issuing block is at or after it
    reg.issueBatch(batch_params(1, 1, 10, roles.alice, vintage=(now, now)), 0, sender=roles.verifier)
    assert reg.batchCount() == 1


@pytest.mark.parametrize(("start", "end"), [(0, 10), (0, 0), (11, 10)])
def test_issue_rejects_bad_serial_range(reg, roles, start: int, end: int) -> None:
    with reverts("InvalidSerialRange", serialStart=start, serialEnd=end):
        reg.issueBatch(batch_params(1, start, end, roles.alice), 0, sender=roles.verifier)


def test_issue_rejects_missing_evidence_and_zero_recipient(reg, roles) -> None:
    params = list(batch_params(1, 1, 10, roles.alice))
    params[5] = ZERO32
    with reverts("MissingEvidence"):
        reg.issueBatch(tuple(params), 0, sender=roles.verifier)
    with reverts("ZeroAddress"):
        reg.issueBatch(batch_params(1, 1, 10, ZERO_ADDRESS), 0, sender=roles.verifier)


def test_issue_to_contract_without_receiver_hook(reg, roles) -> None:
    with reverts("ERC1155InvalidReceiver", receiver=reg.address):
        reg.issueBatch(batch_params(1, 1, 10, reg.address), 0, sender=roles.verifier)
    assert serial_ranges(reg, VERRA) == []  # the whole issuance rolled back, serials included


# Existing VERRA ranges for the overlap table: [100, 199] and [300, 399] (hints 100 and 300).
OVERLAPS = [
    pytest.param(150, 160, 100, (100, 199), id="inside"),
    pytest.param(50, 100, 0, (100, 199), id="ends-on-first-serial"),
    pytest.param(50, 250, 0, (100, 199), id="covers"),
    pytest.param(199, 250, 100, (100, 199), id="starts-on-last-serial"),
    pytest.param(100, 199, 100, (100, 199), id="identical"),
    pytest.param(250, 300, 100, (300, 399), id="reaches-next"),
    pytest.param(200, 400, 100, (300, 399), id="covers-next"),
    pytest.param(399, 399, 300, (300, 399), id="last-serial-of-last"),
]


@pytest.fixture
def two_ranges(reg, roles) -> None:
    issue(reg, roles.verifier, 1, 100, 199, roles.alice)
    issue(reg, roles.verifier, 2, 300, 399, roles.bob)


@pytest.mark.parametrize(("start", "end", "hint", "existing"), OVERLAPS)
def test_overlapping_range_is_rejected(reg, roles, two_ranges, start, end, hint, existing) -> None:
    with reverts("SerialRangeOverlaps", existingStart=existing[0], existingEnd=existing[1]):
        reg.issueBatch(batch_params(1, start, end, roles.alice), hint, sender=roles.verifier)
    # Whatever hint is offered, an overlapping range never gets in.
    for other in (0, 100, 300, start, end):
        with reverts() as caught:
            reg.issueBatch(batch_params(1, start, end, roles.alice), other, sender=roles.verifier)
        assert caught.error is not None
        assert caught.error.error_name in ("SerialRangeOverlaps", "InvalidSerialHint")
    assert serial_ranges(reg, VERRA) == [(100, 199), (300, 399)]


@pytest.mark.parametrize(("start", "end", "hint", "expected"), [
    pytest.param(1, 99, 0, [(1, 99), (100, 199), (300, 399)], id="head-adjacent"),
    pytest.param(200, 299, 100, [(100, 199), (200, 299), (300, 399)], id="fills-gap-exactly"),
    pytest.param(400, 400, 300, [(100, 199), (300, 399), (400, 400)], id="tail-adjacent"),
    pytest.param(10**30, 10**30 + 5, 300, [(100, 199), (300, 399), (10**30, 10**30 + 5)], id="far-tail"),
])
def test_adjacent_ranges_are_accepted(reg, roles, two_ranges, start, end, hint, expected) -> None:
    reg.issueBatch(batch_params(1, start, end, roles.alice), hint, sender=roles.verifier)
    assert serial_ranges(reg, VERRA) == expected


@pytest.mark.parametrize(("start", "end", "hint"), [
    pytest.param(250, 260, 0, id="hint-too-early"),
    pytest.param(250, 260, 300, id="hint-too-late"),
    pytest.param(500, 510, 100, id="hint-not-last"),
    pytest.param(250, 260, 150, id="hint-not-a-start"),
    pytest.param(250, 260, 7, id="hint-unknown"),
])
def test_wrong_hint_is_rejected(reg, roles, two_ranges, start, end, hint) -> None:
    with reverts("InvalidSerialHint", hint=hint):
        reg.issueBatch(batch_params(1, start, end, roles.alice), hint, sender=roles.verifier)


def test_serial_namespace_is_the_registry_code(reg, roles, two_ranges) -> None:
    # Another VERRA project cannot reuse VERRA serials; a GOLD project can.
    with reverts("SerialRangeOverlaps", existingStart=100, existingEnd=199):
        reg.issueBatch(batch_params(2, 150, 160, roles.alice), 100, sender=roles.verifier)
    issue(reg, roles.verifier, 3, 100, 199, roles.carol, registry=GOLD)
    assert serial_ranges(reg, GOLD) == [(100, 199)]
    # Serials are never released: retiring every credit keeps the range taken.
    reg.retire(1, 100, b32("city-of-nairobi"), "offset", sender=roles.alice)
    assert reg.totalSupply(1) == 0
    with reverts("SerialRangeOverlaps", existingStart=100, existingEnd=199):
        reg.issueBatch(batch_params(1, 100, 199, roles.alice), 0, sender=roles.verifier)


def test_serial_range_view(reg, roles, two_ranges) -> None:
    assert tuple(reg.serialRange(VERRA, 0)) == (0, 100)
    assert tuple(reg.serialRange(VERRA, 100)) == (199, 300)
    assert tuple(reg.serialRange(VERRA, 300)) == (399, 0)
    assert tuple(reg.serialRange(VERRA, 150)) == (0, 0)
    assert tuple(reg.serialRange(GOLD, 0)) == (0, 0)


# --- transfers ----------------------------------------------------------------------------------------------------


def test_safe_transfer_moves_credits(reg, roles, batch1) -> None:
    result = reg.safeTransferFrom(roles.alice.address, roles.bob.address, batch1, 250, b"", sender=roles.alice)
    assert_event(result, "TransferSingle", operator=roles.alice, to=roles.bob, id=batch1, value=250,
                 **{"from": roles.alice.address})
    assert reg.balanceOf(roles.alice.address, batch1) == 750
    assert reg.balanceOf(roles.bob.address, batch1) == 250
    _supply_matches(reg, batch1, [roles.alice.address, roles.bob.address])


def test_safe_batch_transfer_and_operator_approval(reg, roles, batch1) -> None:
    second = issue(reg, roles.verifier, 3, 1, 40, roles.alice, registry=GOLD)
    approval = reg.setApprovalForAll(roles.broker.address, True, sender=roles.alice)
    assert_event(approval, "ApprovalForAll", account=roles.alice, operator=roles.broker, approved=True)
    assert reg.isApprovedForAll(roles.alice.address, roles.broker.address)
    result = reg.safeBatchTransferFrom(roles.alice.address, roles.carol.address, [batch1, second], [10, 40], b"",
                                       sender=roles.broker)
    assert_event(result, "TransferBatch", operator=roles.broker, to=roles.carol, ids=[batch1, second],
                 values=[10, 40], **{"from": roles.alice.address})
    assert reg.balanceOfBatch([roles.carol.address] * 2, [batch1, second]) == [10, 40]
    reg.setApprovalForAll(roles.broker.address, False, sender=roles.alice)
    with reverts("ERC1155MissingApprovalForAll", operator=roles.broker, owner=roles.alice):
        reg.safeTransferFrom(roles.alice.address, roles.carol.address, batch1, 1, b"", sender=roles.broker)


def test_transfer_reverts(reg, roles, batch1) -> None:
    with reverts("ERC1155InsufficientBalance", sender=roles.alice, balance=1000, needed=1001, tokenId=batch1):
        reg.safeTransferFrom(roles.alice.address, roles.bob.address, batch1, 1001, b"", sender=roles.alice)
    with reverts("ERC1155MissingApprovalForAll", operator=roles.stranger, owner=roles.alice):
        reg.safeTransferFrom(roles.alice.address, roles.bob.address, batch1, 1, b"", sender=roles.stranger)
    with reverts("ERC1155InvalidReceiver", receiver=ZERO_ADDRESS):
        reg.safeTransferFrom(roles.alice.address, ZERO_ADDRESS, batch1, 1, b"", sender=roles.alice)
    with reverts("ERC1155InvalidReceiver", receiver=reg.address):
        reg.safeTransferFrom(roles.alice.address, reg.address, batch1, 1, b"", sender=roles.alice)
    with reverts("ERC1155InvalidArrayLength", idsLength=1, valuesLength=2):
        reg.safeBatchTransferFrom(roles.alice.address, roles.bob.address, [batch1], [1, 2], b"", sender=roles.alice)


# --- freezing -----------------------------------------------------------------------------------------------------


def test_freeze_and_unfreeze(reg, roles, batch1) -> None:
    frozen = reg.freezeBatch(batch1, 7, sender=roles.verifier2)  # any verifier, not only the issuer
    assert_event(frozen, "BatchFrozen", batchId=batch1, verifier=roles.verifier2, reasonCode=7)
    info = struct(reg, "batch", batch1)
    assert (info["frozen"], info["freezeReason"]) == (True, 7)
    assert reg.isFrozen(batch1)
    with reverts("BatchIsFrozen", batchId=batch1):
        reg.freezeBatch(batch1, 8, sender=roles.verifier)
    released = reg.unfreezeBatch(batch1, 9, sender=roles.verifier2)  # not the batch's issuing verifier
    assert_event(released, "BatchUnfrozen", batchId=batch1, verifier=roles.verifier2, reasonCode=9)
    info = struct(reg, "batch", batch1)
    assert (info["frozen"], info["freezeReason"]) == (False, 9)
    with reverts("BatchNotFrozen", batchId=batch1):
        reg.unfreezeBatch(batch1, 9, sender=roles.verifier2)


def test_the_issuing_verifier_cannot_lift_a_freeze_of_its_batch(reg, roles, batch1) -> None:
    """Review finding 3: the verifier a freeze targets cannot unfreeze its own batch; the admin or another
    verifier can. (Before the fix the issuing verifier's unfreeze succeeded.)"""
    reg.freezeBatch(batch1, 7, sender=roles.verifier2)
    with reverts("IssuerCannotUnfreeze", batchId=batch1, verifier=roles.verifier):
        reg.unfreezeBatch(batch1, 0, sender=roles.verifier)
    assert reg.isFrozen(batch1)
    assert_event(reg.unfreezeBatch(batch1, 3, sender=roles.admin), "BatchUnfrozen", verifier=roles.admin)
    reg.freezeBatch(batch1, 7, sender=roles.verifier)  # an issuer may freeze its own batch, and still not unfreeze it
    with reverts("IssuerCannotUnfreeze", batchId=batch1, verifier=roles.verifier):
        reg.unfreezeBatch(batch1, 0, sender=roles.verifier)


def test_freeze_unknown_batch(reg, roles) -> None:
    with reverts("BatchNotFound", batchId=5):
        reg.freezeBatch(5, 1, sender=roles.verifier)
    with reverts("BatchNotFound", batchId=5):
        reg.unfreezeBatch(5, 1, sender=roles.verifier)


def test_frozen_batch_does_not_move(reg, roles, batch1) -> None:
    other = issue(reg, roles.verifier, 3, 1, 40, roles.alice, registry=GOLD)
    reg.safeTransferFrom(roles.alice.address, roles.bob.address, batch1, 100, b"", sender=roles.alice)
    reg.setApprovalForAll(roles.broker.address, True, sender=roles.alice)
    reg.freezeBatch(batch1, 3, sender=roles.verifier)
    with reverts("BatchIsFrozen", batchId=batch1):
        reg.safeTransferFrom(roles.alice.address, roles.bob.address, batch1, 1, b"", sender=roles.alice)
    with reverts("BatchIsFrozen", batchId=batch1):
        reg.safeTransferFrom(roles.bob.address, roles.carol.address, batch1, 1, b"", sender=roles.bob)
    with reverts("BatchIsFrozen", batchId=batch1):
        reg.safeBatchTransferFrom(roles.alice.address, roles.bob.address, [other, batch1], [1, 1], b"",
                                  sender=roles.alice)
    with reverts("BatchIsFrozen", batchId=batch1):
        reg.retire(batch1, 1, b32("x"), "", sender=roles.alice)
    with reverts("BatchIsFrozen", batchId=batch1):
        reg.retireFrom(roles.alice.address, batch1, 1, b32("x"), "", sender=roles.broker)
    # Other batches still move; the frozen one moves again once released.
    reg.safeTransferFrom(roles.alice.address, roles.bob.address, other, 1, b"", sender=roles.alice)
    reg.unfreezeBatch(batch1, 4, sender=roles.verifier2)
    reg.safeTransferFrom(roles.alice.address, roles.bob.address, batch1, 1, b"", sender=roles.alice)
    reg.retire(batch1, 1, b32("x"), "", sender=roles.alice)
    _supply_matches(reg, batch1, [roles.alice.address, roles.bob.address])


# --- retirement ---------------------------------------------------------------------------------------------------


def test_retire_burns_and_records(reg, roles, batch1) -> None:
    beneficiary = h32("keyed-hash-of-beneficiary")
    result = reg.retire(batch1, 300, beneficiary, "2024 scope-1 offset", sender=roles.alice)
    burned = assert_event(result, "TransferSingle", operator=roles.alice, to=ZERO_ADDRESS, id=batch1, value=300,
                          **{"from": roles.alice.address})
    retired = assert_event(result, "CreditsRetired", retirementId=1, batchId=batch1, retiree=roles.alice,
                           operator=roles.alice, beneficiary=beneficiary, amount=300, reason="2024 scope-1 offset")
    assert burned.log_index < retired.log_index
    block_time = reg.web3.eth.get_block(result.block_number)["timestamp"]
    assert struct(reg, "retirement", 1) == {"retiree": roles.alice.address, "retiredAt": block_time,
                                            "batchId": batch1, "amount": 300, "beneficiary": beneficiary,
                                            "reason": "2024 scope-1 offset"}
    assert reg.retirementCount() == 1
    assert (reg.issued(batch1), reg.retired(batch1), reg.totalSupply(batch1)) == (1000, 300, 700)
    assert struct(reg, "batch", batch1)["retired"] == 300
    assert reg.balanceOf(roles.alice.address, batch1) == 700
    _supply_matches(reg, batch1, [roles.alice.address])


def test_retired_credits_never_move_again(reg, roles, batch1) -> None:
    reg.retire(batch1, 1000, b32("ACME Ltd"), "", sender=roles.alice)
    assert reg.balanceOf(roles.alice.address, batch1) == 0
    with reverts("ERC1155InsufficientBalance", sender=roles.alice, balance=0, needed=1, tokenId=batch1):
        reg.safeTransferFrom(roles.alice.address, roles.bob.address, batch1, 1, b"", sender=roles.alice)
    with reverts("ERC1155InsufficientBalance", sender=roles.alice, balance=0, needed=1, tokenId=batch1):
        reg.retire(batch1, 1, b32("ACME Ltd"), "", sender=roles.alice)
    record = struct(reg, "retirement", 1)
    reg.freezeBatch(batch1, 1, sender=roles.verifier)
    reg.unfreezeBatch(batch1, 2, sender=roles.verifier2)
    assert struct(reg, "retirement", 1) == record
    assert (reg.issued(batch1), reg.retired(batch1), reg.totalSupply(batch1)) == (1000, 1000, 0)


def test_retire_reverts(reg, roles, batch1) -> None:
    with reverts("BatchNotFound", batchId=2):
        reg.retire(2, 1, b32("x"), "", sender=roles.alice)
    with reverts("ZeroAmount"):
        reg.retire(batch1, 0, b32("x"), "", sender=roles.alice)
    with reverts("ReasonTooLong", length=257, max=256):
        reg.retire(batch1, 1, b32("x"), "r" * 257, sender=roles.alice)
    with reverts("ERC1155InsufficientBalance", sender=roles.bob, balance=0, needed=1, tokenId=batch1):
        reg.retire(batch1, 1, b32("x"), "", sender=roles.bob)
    reg.retire(batch1, 1, b32("x"), "r" * 256, sender=roles.alice)  # the limit itself is accepted


def test_retire_from_by_approved_operator(reg, roles, batch1) -> None:
    with reverts("ERC1155MissingApprovalForAll", operator=roles.broker, owner=roles.alice):
        reg.retireFrom(roles.alice.address, batch1, 5, b32("x"), "", sender=roles.broker)
    reg.setApprovalForAll(roles.broker.address, True, sender=roles.alice)
    result = reg.retireFrom(roles.alice.address, batch1, 5, b32("client-42"), "via broker", sender=roles.broker)
    assert_event(result, "CreditsRetired", retirementId=1, batchId=batch1, retiree=roles.alice,
                 operator=roles.broker, beneficiary=b32("client-42"), amount=5, reason="via broker")
    assert struct(reg, "retirement", 1)["retiree"] == roles.alice.address
    own = reg.retireFrom(roles.alice.address, batch1, 2, b32("self"), "", sender=roles.alice)  # from == caller
    assert_event(own, "CreditsRetired", retirementId=2, retiree=roles.alice, operator=roles.alice, amount=2)
    with reverts("ZeroAmount"):
        reg.retireFrom(roles.alice.address, batch1, 0, b32("x"), "", sender=roles.broker)
    with reverts("ReasonTooLong", length=300, max=256):
        reg.retireFrom(roles.alice.address, batch1, 1, b32("x"), "r" * 300, sender=roles.broker)
    with reverts("BatchNotFound", batchId=77):
        reg.retireFrom(roles.alice.address, 77, 1, b32("x"), "", sender=roles.broker)
    assert reg.retired(batch1) == 7


def test_retirement_view_unknown_id(reg) -> None:
    with reverts("RetirementNotFound", retirementId=0):
        reg.retirement(0)
    with reverts("RetirementNotFound", retirementId=1):
        reg.retirement(1)


# --- allowlist ----------------------------------------------------------------------------------------------------


def test_allowlist_toggle_and_update(reg, roles) -> None:
    result = reg.setHolderAllowlistEnabled(True, sender=roles.admin)
    assert_event(result, "HolderAllowlistToggled", enabled=True)
    assert reg.holderAllowlistEnabled()
    holders = [roles.alice.address, roles.bob.address]
    added = reg.setHolderAllowlisted(holders, True, sender=roles.admin)
    assert [e.args for e in added.events_named("HolderAllowlistUpdated")] == [
        {"holder": roles.alice.address, "allowed": True}, {"holder": roles.bob.address, "allowed": True}]
    assert reg.isHolderAllowlisted(roles.alice.address) and not reg.isHolderAllowlisted(roles.carol.address)
    removed = reg.setHolderAllowlisted([roles.bob.address], False, sender=roles.admin)
    assert_event(removed, "HolderAllowlistUpdated", holder=roles.bob, allowed=False)
    assert not reg.isHolderAllowlisted(roles.bob.address)
    off = reg.setHolderAllowlistEnabled(False, sender=roles.admin)
    assert_event(off, "HolderAllowlistToggled", enabled=False)
    assert not reg.holderAllowlistEnabled()
    empty = reg.setHolderAllowlisted([], True, sender=roles.admin)
    assert_no_event(empty, "HolderAllowlistUpdated")


def test_allowlist_batch_limits(reg, roles) -> None:
    from eth_utils import to_checksum_address

    many = [to_checksum_address(f"0x{i:040x}") for i in range(1, 202)]
    with reverts("BatchTooLarge", size=201, max=200):
        reg.setHolderAllowlisted(many, True, sender=roles.admin)
    result = reg.setHolderAllowlisted(many[:200], True, sender=roles.admin)
    assert len(result.events_named("HolderAllowlistUpdated")) == 200
    with reverts("ZeroAddress"):
        reg.setHolderAllowlisted([roles.alice.address, ZERO_ADDRESS], True, sender=roles.admin)


def test_allowlist_restricts_receiving_only(reg, roles, batch1) -> None:
    reg.setHolderAllowlisted([roles.alice.address, roles.bob.address], True, sender=roles.admin)
    reg.setHolderAllowlistEnabled(True, sender=roles.admin)
    with reverts("HolderNotAllowlisted", holder=roles.carol):
        reg.safeTransferFrom(roles.alice.address, roles.carol.address, batch1, 1, b"", sender=roles.alice)
    with reverts("HolderNotAllowlisted", holder=roles.carol):
        reg.issueBatch(batch_params(1, 1, 10, roles.carol), 0, sender=roles.verifier)
    reg.safeTransferFrom(roles.alice.address, roles.bob.address, batch1, 10, b"", sender=roles.alice)
    # Removed from the list: bob can still send (to an allowlisted holder) and retire.
    reg.setHolderAllowlisted([roles.bob.address], False, sender=roles.admin)
    reg.safeTransferFrom(roles.bob.address, roles.alice.address, batch1, 4, b"", sender=roles.bob)
    reg.retire(batch1, 6, b32("x"), "", sender=roles.bob)
    with reverts("HolderNotAllowlisted", holder=roles.bob):
        reg.safeTransferFrom(roles.alice.address, roles.bob.address, batch1, 1, b"", sender=roles.alice)
    reg.setHolderAllowlistEnabled(False, sender=roles.admin)
    reg.safeTransferFrom(roles.alice.address, roles.carol.address, batch1, 1, b"", sender=roles.alice)
    _supply_matches(reg, batch1, [roles.alice.address, roles.bob.address, roles.carol.address])


# --- pause --------------------------------------------------------------------------------------------------------


def test_pause_stops_movement_but_not_bookkeeping(reg, roles, batch1) -> None:
    reg.setApprovalForAll(roles.broker.address, True, sender=roles.alice)
    paused = reg.pause(sender=roles.pauser)
    assert_event(paused, "Paused", account=roles.pauser)
    assert reg.paused()
    with reverts("EnforcedPause"):
        reg.pause(sender=roles.pauser)
    with reverts("EnforcedPause"):
        reg.issueBatch(batch_params(1, 1, 10, roles.alice), 0, sender=roles.verifier)
    with reverts("EnforcedPause"):
        reg.safeTransferFrom(roles.alice.address, roles.bob.address, batch1, 1, b"", sender=roles.alice)
    with reverts("EnforcedPause"):
        reg.safeBatchTransferFrom(roles.alice.address, roles.bob.address, [batch1], [1], b"", sender=roles.alice)
    with reverts("EnforcedPause"):
        reg.retire(batch1, 1, b32("x"), "", sender=roles.alice)
    with reverts("EnforcedPause"):
        reg.retireFrom(roles.alice.address, batch1, 1, b32("x"), "", sender=roles.broker)
    # Incident handling continues while paused.
    reg.registerProject(project("VERRA", "VCS-3003"), sender=roles.admin)
    reg.updateProjectMetadata(1, "ipfs://incident-note", h32("note"), sender=roles.admin)
    reg.freezeBatch(batch1, 1, sender=roles.verifier)
    reg.unfreezeBatch(batch1, 2, sender=roles.verifier2)
    reg.setHolderAllowlistEnabled(True, sender=roles.admin)
    reg.setHolderAllowlisted([roles.bob.address], True, sender=roles.admin)
    reg.setApprovalForAll(roles.broker.address, False, sender=roles.alice)
    # The pauser cannot lift the pause; the admin can.
    with reverts("AccessControlUnauthorizedAccount", account=roles.pauser, neededRole=ADMIN_ROLE):
        reg.unpause(sender=roles.pauser)
    resumed = reg.unpause(sender=roles.admin)
    assert_event(resumed, "Unpaused", account=roles.admin)
    assert not reg.paused()
    with reverts("ExpectedPause"):
        reg.unpause(sender=roles.admin)
    reg.safeTransferFrom(roles.alice.address, roles.bob.address, batch1, 1, b"", sender=roles.alice)


# --- roles --------------------------------------------------------------------------------------------------------


def test_grant_revoke_and_renounce_roles(reg, roles) -> None:
    granted = reg.grantRole(VERIFIER_ROLE, roles.carol.address, sender=roles.admin)
    assert_event(granted, "RoleGranted", role=VERIFIER_ROLE, account=roles.carol, sender=roles.admin)
    assert reg.hasRole(VERIFIER_ROLE, roles.carol.address)
    assert_no_event(reg.grantRole(VERIFIER_ROLE, roles.carol.address, sender=roles.admin), "RoleGranted")
    revoked = reg.revokeRole(VERIFIER_ROLE, roles.carol.address, sender=roles.admin)
    assert_event(revoked, "RoleRevoked", role=VERIFIER_ROLE, account=roles.carol, sender=roles.admin)
    with reverts("AccessControlBadConfirmation"):
        reg.renounceRole(VERIFIER_ROLE, roles.verifier2.address, sender=roles.verifier)
    renounced = reg.renounceRole(VERIFIER_ROLE, roles.verifier2.address, sender=roles.verifier2)
    assert_event(renounced, "RoleRevoked", role=VERIFIER_ROLE, account=roles.verifier2, sender=roles.verifier2)
    with reverts("AccessControlUnauthorizedAccount", account=roles.verifier2, neededRole=VERIFIER_ROLE):
        reg.freezeBatch(1, 1, sender=roles.verifier2)


# --- coverage guard -------------------------------------------------------------------------------------------------


def test_every_abi_function_is_exercised_by_this_folder(reg) -> None:
    """Fails when a function is added to the contract without a test in tests/contracts/credits."""
    sources = "\n".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    sources += (Path(__file__).parent / "credits_helpers.py").read_text()
    missing = [entry["name"] for entry in reg.abi if entry.get("type") == "function"
               and not re.search(rf"(\.{entry['name']}\(|\"{entry['name']}\")", sources)]
    assert not missing, f"functions without a test: {missing}"


# --- gas ------------------------------------------------------------------------------------------------------------


def test_gas_figures(reg, roles) -> None:
    """Gas of the main credit operations (printed; loose ceilings catch gross regressions only)."""
    first = reg.issueBatch(batch_params(1, 1001, 2000, roles.alice), 0, sender=roles.verifier)
    second = reg.issueBatch(batch_params(2, 2001, 2500, roles.alice), 1001, sender=roles.verifier)
    to_new = reg.safeTransferFrom(roles.alice.address, roles.bob.address, 1, 10, b"", sender=roles.alice)
    to_holder = reg.safeTransferFrom(roles.alice.address, roles.bob.address, 1, 10, b"", sender=roles.alice)
    retire = reg.retire(1, 5, h32("beneficiary"), "2024 offset, scope 1", sender=roles.bob)
    freeze = reg.freezeBatch(2, 1, sender=roles.verifier)
    figures = {
        "issueBatch (first range of a registry)": first.gas_used,
        "issueBatch (appended after a hint)": second.gas_used,
        "safeTransferFrom (to a new holder)": to_new.gas_used,
        "safeTransferFrom (to an existing holder)": to_holder.gas_used,
        "retire (20-byte reason)": retire.gas_used,
        "freezeBatch": freeze.gas_used,
    }
    print("\n" + "\n".join(f"gas {name}: {gas}" for name, gas in figures.items()))
    ceilings = {"issueBatch (first range of a registry)": 330_000, "issueBatch (appended after a hint)": 330_000,
                "safeTransferFrom (to a new holder)": 75_000, "safeTransferFrom (to an existing holder)": 60_000,
                "retire (20-byte reason)": 200_000, "freezeBatch": 50_000}
    for name, ceiling in ceilings.items():
        assert figures[name] <= ceiling, (name, figures[name])
