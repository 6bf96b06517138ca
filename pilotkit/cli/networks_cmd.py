"""`pilotkit networks`: the configured networks (URLs are shown unexpanded, so no secret is printed)."""

from __future__ import annotations

import argparse

from pilotkit.cli._common import add_project, print_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_project(parser)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pilotkit.config import load_config

    config = load_config(Path(args.project) if args.project else None)
    rows = []
    for name, net in sorted(config.networks.items()):
        evm = net.evm_version or config.compiler.evm_version
        where = net.url or "started by pilotkit on 127.0.0.1"
        rows.append([name, net.kind, str(net.chain_id or "-"), evm, str(net.confirmations), "yes" if net.poa else "no",
                     where])
    print_table(rows, ["network", "kind", "chain id", "evm", "confirmations", "poa", "endpoint"])
    return 0
