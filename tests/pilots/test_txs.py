"""The fast signing and EIP-712 paths give exactly what eth-account and pilotkit.cash_claims give."""

from __future__ import annotations

import pickle

import pytest
from eth_account import Account
from eth_utils import keccak

from pilotkit.cash_claims import claim_typed_data, spend_typed_data, typed_data_digest
from pilotkit.pilots.eip712 import CLAIM_TYPE, SPEND_TYPE, digest, domain_separator
from pilotkit.pilots.txs import MAX_FEE_PER_GAS, MAX_PRIORITY_FEE_PER_GAS, ReplaySigner, contract_address

PROGRAMME = "0x" + "ab" * 20


def test_transactions_match_eth_account() -> None:
    secret = keccak(text="k")
    signer = ReplaySigner(secret, "t")
    account = Account.from_key(secret)
    assert signer.address == account.address
    for to, data in ((bytes.fromhex("11" * 20), b"\x12" * 70), (None, b"\x60\x00")):
        tx_hash, raw = signer.sign_tx(31337, 4, to, data, 300_000)
        signed = account.sign_transaction({"type": 2, "chainId": 31337, "nonce": 4, "to": to or b"", "value": 0,
                                           "data": data, "gas": 300_000, "maxFeePerGas": MAX_FEE_PER_GAS,
                                           "maxPriorityFeePerGas": MAX_PRIORITY_FEE_PER_GAS})
        assert raw == bytes(signed.raw_transaction) and tx_hash == "0x" + bytes(signed.hash).hex()


def test_eip712_digests_match_the_reference() -> None:
    separator = domain_separator("pilotkit CashProgramme", "1", 31337, PROGRAMME)
    assert digest(separator, CLAIM_TYPE, ["uint256"] * 4, [3, 7, 25, 99]) == \
        typed_data_digest(claim_typed_data(31337, PROGRAMME, 3, 7, 25, 99))
    merchant = "0x" + "cd" * 20
    expected = typed_data_digest(spend_typed_data(31337, PROGRAMME, 7, merchant, 5, 2, 99))
    assert digest(separator, SPEND_TYPE, ["uint256", "address", "uint256", "uint256", "uint256"],
                  [7, merchant, 5, 2, 99]) == expected


def test_signer_never_shows_its_key_and_derivation_is_stable() -> None:
    signer = ReplaySigner.derive(1, "x", "admin")
    again, other = ReplaySigner.derive(1, "x", "admin"), ReplaySigner.derive(2, "x", "admin")
    assert signer.address == again.address != other.address
    assert "admin" in repr(signer) and signer.address in repr(signer)
    with pytest.raises(TypeError):
        pickle.dumps(signer)
    assert contract_address(bytes(20), 0) == "0xBd770416a3345F91E4B34576cb804a576fa48EB1"
