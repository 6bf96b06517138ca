"""`pilotkit node`: run a local chain in the foreground; Ctrl-C or SIGTERM stops it cleanly.

While it runs, `<project>/.pilotkit/node-<network>.json` says where it is, so `pilotkit run`, `deploy` and
`replay` on that network attach to it instead of starting a throwaway chain.
"""

from __future__ import annotations

import argparse
import threading

from pilotkit.cli._common import add_network, add_project


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_network(parser)
    add_project(parser)
    parser.add_argument("--accounts", type=int, default=10, help="number of funded dev accounts (default 10)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pilotkit.accounts.dev import dev_accounts, dev_private_keys
    from pilotkit.chain import endpoint
    from pilotkit.chain.local import DEV_MNEMONIC, AnvilNode, GanacheNode, LocalNode
    from pilotkit.config import load_config
    from pilotkit.errors import NetworkError

    config = load_config(Path(args.project) if args.project else None)
    network = config.network(args.network)
    node: LocalNode
    if network.kind == "anvil":
        node = AnvilNode(chain_id=network.chain_id or 31337, accounts=args.accounts, hardfork=network.hardfork,
                         block_time=network.block_time, project_root=config.root)
    elif network.kind == "ganache":
        node = GanacheNode(chain_id=network.chain_id or 1337, accounts=args.accounts,
                           hardfork=network.hardfork or "shanghai", project_root=config.root)
    else:
        raise NetworkError(f"network '{network.name}' is a remote chain; `pilotkit node` starts local ones only")
    with stop_on_sigterm(), node:
        path = endpoint.publish(config.root, network.name, node.url, node.ipc_path, node.chain_id, node.kind)
        try:
            print(f"{node.kind} running: chain id {node.chain_id}")
            print(f"  http: {node.url}")
            if node.ipc_path:
                print(f"  ipc:  {node.ipc_path}")
            print(f"  `pilotkit run/deploy --network {network.name}` in this project attach to it ({path})")
            print("  dev accounts, funded (well-known test mnemonic; never use on a real network):")
            for signer, key in zip(dev_accounts(args.accounts), dev_private_keys(args.accounts), strict=True):
                print(f"    {signer.label:<6} {signer.address}  private key {key}")
            print(f"  mnemonic: {DEV_MNEMONIC}")
            print("Press Ctrl-C to stop.", flush=True)
            threading.Event().wait()
        finally:
            endpoint.withdraw(config.root, network.name)
    return 0


class stop_on_sigterm:  # noqa: N801 - used as a context manager, like contextlib's
    """SIGTERM stops the command as Ctrl-C does (chains stopped, temporary folders removed)."""

    def __enter__(self) -> None:
        import signal

        def _interrupt(_signum: int, _frame: object) -> None:
            raise KeyboardInterrupt

        self._previous = signal.signal(signal.SIGTERM, _interrupt)

    def __exit__(self, *exc: object) -> None:
        import signal

        signal.signal(signal.SIGTERM, self._previous)
