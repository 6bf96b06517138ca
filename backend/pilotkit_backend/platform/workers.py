"""The app's background parts and readiness checks, as the platform hands them to `main`.

- `Worker(name, start, stop)`: started in order by the app's lifespan once the database is open, stopped in
  reverse order on shutdown (the job sender and the event indexer are workers);
- `HealthCheck`: a callable that raises when its dependency is down (`GET /health` runs each one).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pilotkit import safejson

Hook = Callable[[Any], Awaitable[None] | None]  # called with the FastAPI app
HealthCheck = Callable[[], None]  # raises when the dependency is down


@dataclass(frozen=True)
class Worker:
    """A background part of the service: `start(app)` and `stop(app)`, sync or async."""

    name: str
    start: Hook
    stop: Hook


def rpc_health_check(url: str, timeout: float = 3.0) -> HealthCheck:
    """A check that the JSON-RPC node at `url` answers `eth_blockNumber` (errors never quote the URL)."""
    payload = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}).encode()

    def check() -> None:
        request = urllib.request.Request(url, data=payload, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310 (configured URL)
                answer = safejson.loads(reply.read())
        except Exception as exc:  # the message may contain the URL (and an API key in it)
            raise ConnectionError(f"chain RPC unreachable ({type(exc).__name__})") from None
        if "result" not in answer:
            raise ConnectionError("chain RPC answered without a result")

    return check
