"""pilotkit: open tooling for public-sector blockchain pilots on EVM chains.

Heavy modules (web3, eth-account) are imported lazily so that the CLI starts fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
