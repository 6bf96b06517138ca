"""Assertions for contract tests: named reverts and emitted events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pilotkit.chain.transactions import TransactionFailed, TxResult
from pilotkit.contracts.events import Event
from pilotkit.contracts.reverts import ContractRevert


@dataclass
class RevertCapture:
    """Filled in by `reverts()` with the error that was raised."""

    error: ContractRevert | None = None


@contextmanager
def reverts(error: str | type[ContractRevert] | None = None, /, **expected: Any) -> Iterator[RevertCapture]:
    """Assert the block reverts, optionally with a named custom error and argument values.

    `with reverts("InsufficientDeposit", requested=9):` or `with reverts(vault.errors.ZeroAmount):`.
    For `Error(string)` reverts, pass `reason="..."`.
    """
    capture = RevertCapture()
    try:
        yield capture
    except TransactionFailed as failed:
        if not isinstance(failed.revert, ContractRevert):
            raise AssertionError(f"transaction failed without decodable revert data: {failed}") from None
        capture.error = failed.revert
    except ContractRevert as raised:
        capture.error = raised
    else:
        raise AssertionError(f"expected a revert{' with ' + _name(error) if error else ''}, but nothing reverted")
    raised_error = capture.error
    if error is not None and raised_error.error_name != _name(error):
        raise AssertionError(f"expected revert {_name(error)}, got {raised_error}")
    for key, want in expected.items():
        if key not in raised_error.values:
            raise AssertionError(f"{raised_error.error_name} has no argument '{key}': {raised_error.values}")
        if not _same(raised_error.values[key], want):
            raise AssertionError(f"{raised_error.error_name}.{key} is {raised_error.values[key]!r}, expected {want!r}")


def assert_event(result: TxResult, name: str, /, **expected: Any) -> Event:
    """Assert the transaction emitted `name` with the given argument values; returns the first match."""
    candidates = result.events_named(name)
    for event in candidates:
        if all(key in event.args and _same(event.args[key], want) for key, want in expected.items()):
            return event
    emitted = ", ".join(f"{e.name}{e.args}" for e in result.events) or "no events"
    raise AssertionError(f"no {name} event with {expected} in {result.tx_hash}; emitted: {emitted}")


def assert_no_event(result: TxResult, name: str, /) -> None:
    """Assert the transaction emitted no `name` event."""
    found = result.events_named(name)
    if found:
        raise AssertionError(f"unexpected {name} event(s): {[e.args for e in found]}")


def _name(error: str | type[ContractRevert]) -> str:
    return error if isinstance(error, str) else error.error_name


def _same(actual: Any, expected: Any) -> bool:
    expected = getattr(expected, "address", expected)
    if isinstance(expected, (bytes, bytearray)):
        expected = "0x" + bytes(expected).hex()
    if isinstance(actual, str) and isinstance(expected, str):
        return actual.lower() == expected.lower()
    if isinstance(actual, list) and isinstance(expected, (list, tuple)):
        return len(actual) == len(expected) and all(_same(a, e) for a, e in zip(actual, expected, strict=True))
    return bool(actual == expected)
