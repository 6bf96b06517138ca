"""pilotkit: open tooling for public-sector blockchain pilots on EVM chains.

Heavy modules (web3, eth-account) are imported lazily so that the CLI starts fast.
"""

from __future__ import annotations

from pilotkit.safejson import install_import_guard

__version__ = "0.1.0"

install_import_guard()  # py_ecc raises the recursion limit to 100,000 at import: put it back (pilotkit.safejson)

__all__ = ["__version__"]
