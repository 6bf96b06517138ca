"""The exactly-once sender: leases, nonces, fees, broadcasting, outcomes.

Run one as its own process: `python -m pilotkit_backend.platform.sender --help`.
"""
