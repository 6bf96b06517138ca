"""Service settings from the environment (prefix PILOTKIT_API_) via pydantic-settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service needs to start. Secrets come from the environment, never from files in git."""

    model_config = SettingsConfigDict(env_prefix="PILOTKIT_API_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///pilotkit-api.db",
        description="SQLAlchemy URL: SQLite (WAL) by default, or postgresql+psycopg://user@host/db",
    )
    project_root: Path | None = Field(
        default=None, description="pilotkit project folder (default: nearest pilotkit.toml)"
    )
    network: str = Field(default="local", description="network name from pilotkit.toml")
    signer_account: str | None = Field(default=None, description="keystore account that signs (devN on local chains)")
    rpc_url: str | None = Field(
        default=None, description="endpoint of the running node (http(s) URL or IPC path); default: the network's url"
    )
    role_signers: dict[str, str] = Field(
        default_factory=dict,
        description="contract role → signing account (devN on local chains, else a keystore name), e.g. "
        '{"registrar": "field-reg", "disburser": "ops", "approver": "finance"}; roles left out fall back to '
        "signer_account (on local chains: the dev account of DEFAULT_LOCAL_ROLE_SIGNERS)",
    )
    identity_key: str | None = Field(
        default=None,
        description="hex secret (32+ bytes) from which each programme's beneficiary-hash key is derived; required on "
        "real networks; on local chains one is generated once and kept in the service database. Never logged or "
        "returned.",
    )
    worker_id: str | None = Field(
        default=None, description="stable sender worker id: a restart with the same id resumes its jobs at once"
    )
    run_workers: bool = Field(default=True, description="run the job sender and the event indexer in this process")
    signer_low_balance_wei: int = Field(
        default=10**16, ge=0,
        description="GET /health warns when a service signer holds less gas money than this (0: never; "
        "free-gas networks)",
    )
    max_upload_bytes: int = Field(default=16 * 1024 * 1024, ge=1024, description="largest request body accepted")
    max_concurrent_writes: int = Field(
        default=16, ge=1, le=32, description="writing requests handled at once on PostgreSQL (SQLite: one at a time)"
    )
    job_expiry_seconds: int = Field(
        default=3600, ge=60, description="an unsent or stuck job older than this is cancelled"
    )
    stuck_after_seconds: float = Field(default=30.0, gt=0, description="re-price a pending transaction after this long")
    fee_bump_percent: int = Field(default=12, ge=10, le=100, description="fee increase on replacement (at least 10%)")
    max_pending_per_signer: int = Field(default=64, ge=1, description="transactions in flight per signer")
    sender_poll_seconds: float = Field(default=0.05, gt=0)
    indexer_poll_seconds: float = Field(default=0.5, gt=0)
    indexer_batch_blocks: int = Field(default=2000, ge=1, description="blocks per eth_getLogs request")
    rate_limit_per_second: float = Field(
        default=20.0, ge=0, description="requests per second per API key (0: no limit)"
    )
    rate_limit_burst: int = Field(
        default=40, ge=1, description="requests a key may send at once before the rate applies"
    )
    idempotency_ttl_seconds: int = Field(default=86400, ge=60, description="how long an Idempotency-Key is remembered")
    idempotency_lock_seconds: float = Field(
        default=120.0,
        gt=0,
        description="an in-progress Idempotency-Key older than this (a crashed request) is taken over",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (tests build their own Settings objects instead)."""
    return Settings()
