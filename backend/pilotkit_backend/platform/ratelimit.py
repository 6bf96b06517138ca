"""Per-API-key token buckets, in process memory.

Each key gets `burst` tokens that refill at `rate` per second; a request takes one token or is refused with the
time until the next token. One process only: behind several worker processes each keeps its own buckets (the
effective limit multiplies by the process count) — share the buckets (Redis, or the reverse proxy's limiter)
for a multi-process deployment.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """Thread-safe token buckets keyed by any hashable id. `rate <= 0` disables limiting."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._buckets: dict[Hashable, _Bucket] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def acquire(self, key: Hashable) -> float:
        """Take one token: 0.0 when allowed, else the seconds until a token is available (nothing taken)."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(float(self.burst), now)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate

    @staticmethod
    def retry_after(wait: float) -> int:
        """`Retry-After` is whole seconds: round up, at least 1."""
        return max(1, math.ceil(wait))
