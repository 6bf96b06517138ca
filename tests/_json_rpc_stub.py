"""A scripted JSON-RPC endpoint on 127.0.0.1 (a free port, its own thread) for tests of how clients treat a node's
answers: a hostile node, a chain lacking a control, a health check. Never a stand-in for a real chain.

    with json_rpc_stub(lambda request: {"result": "0x10"}) as url: ...
    with json_rpc_stub(raw=lambda body: b"...") as url: ...          # answer bytes of your own
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@contextmanager
def json_rpc_stub(answer: Callable[[dict[str, Any]], dict[str, Any]] | None = None, *,
                  raw: Callable[[bytes], bytes] | None = None, path: str = "") -> Iterator[str]:
    """Serve POSTs: `answer(request)` gives the reply's `result`/`error` members (id and jsonrpc are added), or
    `raw(body)` the whole reply body. Yields the URL (with `path` appended); the server stops on exit."""
    if (answer is None) == (raw is None):
        raise ValueError("give either answer or raw")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if raw is not None:
                reply = raw(body)
            else:
                request = json.loads(body)
                reply = json.dumps({"jsonrpc": "2.0", "id": request.get("id"), **answer(request)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
        server.server_close()
