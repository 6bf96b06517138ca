"""The backend a `--via api` replay talks to: the real FastAPI app on uvicorn, in this process, on the replay's node.

`start_api_service(project, network, node, control)` migrates a temporary SQLite database, opens the service's
`ChainContext` on the replay's own Anvil (role signers: the dev accounts of `DEFAULT_LOCAL_ROLE_SIGNERS`, given
gas money), attaches the chain (job sender and event indexer threads), serves the app on 127.0.0.1 at a free port
from a thread, and creates one API key per replay role (so maker-checker holds between the proposer's and the
approver's keys). `ApiService.close()` stops the server (workers stop, database closes) and removes the files.
The request rate limit is off: the replay is the only client of its own private service.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilotkit.pilots import ReplayError

if TYPE_CHECKING:
    from pilotkit.chain.control import ChainControl
    from pilotkit.project import Project

#: replay role label → API scopes of its key. The supervisor holds both disburser and approver (as on chain).
KEY_SCOPES: dict[str, list[str]] = {
    "admin": ["admin", "auditor"],
    "registrar": ["registrar", "auditor"],
    "merchant_manager": ["registrar"],
    "disburser": ["disburser", "auditor"],
    "approver": ["approver", "auditor"],
    "supervisor": ["disburser", "approver", "auditor"],
    "issuer": ["issuer", "auditor"],
    "verifier": ["verifier", "auditor"],
    "merchant": ["merchant"],
    "pauser": ["admin"],
    "relayer": ["disburser"],  # relays beneficiaries' signed claims (`POST …/rounds/{id}/claims` is a disburser's)
}
SIGNER_BALANCE = 10_000 * 10**18
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ApiService:
    """A started backend: its base URL, one key per replay role, the service's chain context and signers."""

    base_url: str
    keys: dict[str, str]
    chain: Any  # pilotkit_backend ChainContext
    app: Any
    folder: Path
    _server: Any = field(repr=False, default=None)
    _thread: threading.Thread | None = field(repr=False, default=None)

    def signer_address(self, role: str) -> str:
        """The address the service signs with for a contract role (admin, registrar, disburser, approver, ...)."""
        return str(self.chain.signer_for(role).address)

    def close(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
        with contextlib.suppress(Exception):
            self.chain.connection.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def start_api_service(project: Project, network_name: str, node: Any, control: ChainControl) -> ApiService:
    """Serve the backend on the replay's node; returns once `/v1/health` answers (or raises ReplayError)."""
    import uvicorn
    from pilotkit_backend.core.config import Settings
    from pilotkit_backend.db.engine import make_engine, make_session_factory
    from pilotkit_backend.db.migrate import upgrade_database
    from pilotkit_backend.main import create_app
    from pilotkit_backend.platform.auth import create_key
    from pilotkit_backend.platform.runtime import attach_chain, open_chain

    from pilotkit.chain.connection import connect

    folder = Path(tempfile.mkdtemp(prefix="pilotkit-replay-api-"))
    try:
        url = f"sqlite:///{folder / 'api.db'}"
        settings = Settings(database_url=url, project_root=project.root, network=network_name,
                            rate_limit_per_second=0, sender_poll_seconds=0.02, indexer_poll_seconds=0.05,
                            worker_id="pilotkit-replay")
        upgrade_database(url)
        engine = make_engine(url)
        try:
            with make_session_factory(engine)() as session:
                keys = {role: create_key(session, f"replay {role}", scopes)[1] for role, scopes in KEY_SCOPES.items()}
                session.commit()
        finally:
            engine.dispose()
        connection = connect(project.config.network(network_name), node=node)
        chain = open_chain(settings, project, connection)
        for address in {s.address for s in chain.signers.values()}:
            control.set_balance(address, SIGNER_BALANCE)
        app = create_app(settings)
        attach_chain(app, chain)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               access_log=False, lifespan="on"))
        thread = threading.Thread(target=server.run, name="pilotkit-replay-api", daemon=True)
        service = ApiService(f"http://127.0.0.1:{port}", keys, chain, app, folder, server, thread)
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                service.close()
                raise ReplayError("the backend API did not start for the --via api replay")
            time.sleep(0.02)
        return service
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
