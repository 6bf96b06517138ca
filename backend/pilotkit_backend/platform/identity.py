"""The service's master identity key: one secret from which every kind derives its keyed hashes.

`settings.identity_key` (hex, at least 32 bytes; env PILOTKIT_API_IDENTITY_KEY) never leaves the service: never
logged, never returned, never on chain. Each kind derives its own keys from it under its own domain string
(cash: per-programme beneficiary ids; credits: retirement beneficiaries; certs: subject hashes).
"""

from __future__ import annotations

from pilotkit_backend.core.problems import ServiceUnavailable

SETTING = "PILOTKIT_API_IDENTITY_KEY"
MIN_KEY_BYTES = 32


def parse_master_key(text: str) -> bytes:
    """The master key from its hex setting; ServiceUnavailable (naming the setting, not the value) if unusable."""
    cleaned = text.strip().removeprefix("0x").removeprefix("0X")
    try:
        key = bytes.fromhex(cleaned)
    except ValueError:
        raise ServiceUnavailable(f"{SETTING} is not hex; set it to at least {MIN_KEY_BYTES} random bytes in hex") \
            from None
    if len(key) < MIN_KEY_BYTES:
        raise ServiceUnavailable(f"{SETTING} is shorter than {MIN_KEY_BYTES} bytes; use at least 64 hex digits")
    return key
