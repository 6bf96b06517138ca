"""eth_getLogs limits (ranges split on "too many results"), HTTP transport, secret-free errors."""

from __future__ import annotations

from typing import Any

import pytest
from _indexer_support import IndexerFactory, Minter, reference_events, stored_events
from pilotkit_backend.platform.indexer.indexer import FollowedContract
from pilotkit_backend.platform.indexer.rpc import JsonRpcClient, ResponseTooLarge, is_too_big
from sqlalchemy import Engine

from pilotkit.chain.connection import Connection
from pilotkit.chain.rpc import RpcError
from pilotkit.contracts.events import EventDecoder
from pilotkit.errors import NetworkError


class LimitedRpc:
    """A node that refuses eth_getLogs answers above `max_logs` logs, like hosted providers do."""

    def __init__(self, inner: JsonRpcClient, max_logs: int, message: str, code: int) -> None:
        self.inner = inner
        self.max_logs = max_logs
        self.error = {"code": code, "message": message}
        self.refused: list[tuple[int, int]] = []
        self.served: list[tuple[int, int]] = []

    def _check(self, method: str, params: list[Any], result: Any) -> Any:
        if method == "eth_getLogs" and not isinstance(result, Exception):
            span = (int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16))
            if len(result) > self.max_logs:
                self.refused.append(span)
                return RpcError(method, self.error)
            self.served.append(span)
        return result

    def call(self, method: str, params: list[Any]) -> Any:
        result = self._check(method, params, self.inner.call(method, params))
        if isinstance(result, Exception):
            raise result
        return result

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        return [self._check(m, p, r) for (m, p), r in zip(calls, self.inner.batch(calls), strict=True)]

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("message,code", [
    ("query returned more than 10000 results", -32005),
    ("Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range", -32602),
    ("exceed maximum block range: 5000", -32000),
])
def test_ranges_are_split_when_the_node_says_too_many(make_indexer: IndexerFactory, minter: Minter,
                                                      engine: Engine, pilot_connection: Connection,
                                                      followed: list[FollowedContract],
                                                      shared_abis: list[list[dict[str, Any]]], message: str,
                                                      code: int) -> None:
    minter.mint(300, per_block=30)
    node = pilot_connection.node
    assert node is not None
    limited = LimitedRpc(JsonRpcClient(ipc_path=node.ipc_path), 70, message, code)
    result = make_indexer(rpc=limited, batch_blocks=500).sync_once()
    assert limited.refused and result.caught_up
    assert all(len(range(a, b + 1)) <= 3 for a, b in limited.served if a > followed[0].from_block + 1)
    head = int(pilot_connection.web3.eth.block_number)
    assert stored_events(engine) == reference_events(pilot_connection, EventDecoder(shared_abis),
                                                     followed[0].address, followed[0].from_block, head)


def test_a_single_block_that_is_too_big_is_an_error_not_a_loop(make_indexer: IndexerFactory, minter: Minter,
                                                               pilot_connection: Connection) -> None:
    minter.mint(40, per_block=40)
    node = pilot_connection.node
    assert node is not None
    limited = LimitedRpc(JsonRpcClient(ipc_path=node.ipc_path), 10, "query returned more than 10 results", -32005)
    with pytest.raises(RpcError, match="more than 10 results"):
        make_indexer(rpc=limited).sync_once()


def test_other_rpc_errors_are_not_retried_as_splits() -> None:
    assert not is_too_big(RpcError("eth_getLogs", {"code": -32601, "message": "method not found"}))
    assert not is_too_big(NetworkError("connection refused"))
    assert not is_too_big(RpcError("eth_getLogs", {"code": -32005, "message": "project ID request rate exceeded"}))
    assert not is_too_big(RpcError("eth_getLogs", {"code": 429, "message": "Too Many Requests"}))
    assert is_too_big(ResponseTooLarge("HTTP 413"))
    assert is_too_big(RpcError("eth_getLogs", {"code": -32005, "message": "rate"}))


def test_indexing_over_http_equals_ipc(make_indexer: IndexerFactory, minter: Minter, engine: Engine,
                                       pilot_connection: Connection, followed: list[FollowedContract],
                                       shared_abis: list[list[dict[str, Any]]]) -> None:
    minter.mint(120, per_block=40)
    node = pilot_connection.node
    assert node is not None
    make_indexer(rpc=JsonRpcClient(url=node.url)).sync_once()
    head = int(pilot_connection.web3.eth.block_number)
    assert stored_events(engine) == reference_events(pilot_connection, EventDecoder(shared_abis),
                                                     followed[0].address, followed[0].from_block, head)


def test_batch_returns_errors_in_place(pilot_connection: Connection) -> None:
    node = pilot_connection.node
    assert node is not None
    for client in (JsonRpcClient(ipc_path=node.ipc_path), JsonRpcClient(url=node.url)):
        try:
            replies = client.batch([("eth_chainId", []), ("no_such_method", []), ("eth_blockNumber", [])])
        finally:
            client.close()
        assert int(replies[0], 16) == pilot_connection.chain_id
        assert isinstance(replies[1], RpcError)
        assert isinstance(replies[2], str)


def test_transport_errors_do_not_quote_the_url() -> None:
    client = JsonRpcClient(url="http://127.0.0.1:9/v3/SECRET-API-KEY", timeout=2)
    with pytest.raises(NetworkError) as raised:
        client.call("eth_blockNumber", [])
    assert "SECRET" not in str(raised.value) and "127.0.0.1" not in str(raised.value)
    ipc = JsonRpcClient(ipc_path="/nonexistent/SECRET/anvil.ipc", timeout=2)
    with pytest.raises(NetworkError):
        ipc.call("eth_blockNumber", [])
