"""The exactly-once sender: leases, nonces, fees, broadcasting, outcomes; `python -m pilotkit_backend.platform.sender`."""
