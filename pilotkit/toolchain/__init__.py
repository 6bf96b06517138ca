"""Locating the external tools pilotkit drives: Anvil, Ganache and the Solidity compiler."""

from pilotkit.toolchain.discovery import find_anvil, find_ganache, find_node, node_modules_dir

__all__ = ["find_anvil", "find_ganache", "find_node", "node_modules_dir"]
