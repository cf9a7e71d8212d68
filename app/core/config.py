"""Service settings, read from `IALLOCD_*` environment variables; defaults run with no environment.

Nothing is read at import: `get_settings()` builds (and caches) them, `create_app(settings)` takes them.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024
# The cores this process may run on (a container's CPU set), not the host's.
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Settings(BaseSettings):
    """Everything an operator can set; each field is `IALLOCD_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="IALLOCD_", frozen=True, extra="ignore")

    database_url: str = Field(
        "sqlite:///./var/iallocd.db",
        description="SQLAlchemy URL: a SQLite file (WAL) or postgresql+psycopg://user:pw@host/db",
    )
    admin_token: SecretStr | None = Field(
        None, description="Bearer token of the admin API; unset disables it (at least 16 characters)"
    )
    metrics_token: SecretStr | None = Field(
        None, description="Bearer token /metrics requires (the admin token works too); unset: open"
    )
    session_key: SecretStr | None = Field(
        None,
        description="Key that signs console session cookies (at least 32 characters); unset: a random"
        " key per process, so sessions end at a restart and replicas must share a set one",
    )
    max_body_bytes: int = Field(64 * MIB, gt=0, description="Largest request body, after gunzip")
    engine_workers: int = Field(CORES, ge=1, description="Engine processes (default: one per core)")
    small_request_bytes: int = Field(
        2 << 20, ge=0, description="Documents up to this size run in a lane of their own (one more process)"
    )
    engine_niceness: int = Field(
        5,
        ge=0,
        le=19,
        description="CPU niceness of the engine processes for large documents (0: the normal priority"
        " of the service and the small-document lane)",
    )
    state_cache_bytes: int = Field(
        32 * MIB,
        ge=0,
        description="Kept documents each engine process keeps parsed for operator queries (capacity,"
        " explain, group view), in unpacked bytes; a parsed one takes about 5x that (0: none)",
    )
    cluster_concurrency: int = Field(
        max(1, CORES // 2), ge=1, description="Engine runs at once per cluster (default: half the cores)"
    )
    cluster_queue: int = Field(16, ge=0, description="Requests per cluster waiting for a slot before 429")
    request_timeout: float = Field(60.0, gt=0, description="Seconds from body received to answer (504)")
    count_seconds: float = Field(
        2.0,
        gt=0,
        description="Seconds an operator query (capacity, group report) may count; then capped (>=)",
    )
    store_documents: bool = Field(True, description="Keep each decision's input document (compressed)")
    document_max_bytes: int = Field(
        16 * MIB, ge=0, description="Documents larger than this once compressed are not kept"
    )
    document_retention_days: int = Field(30, ge=0, description="Drop kept documents after N days (0: never)")
    decision_retention_days: int = Field(
        0, ge=0, description="Delete decisions after N days (0: never; they are the audit trail)"
    )
    allow_unknown_clusters: bool = Field(
        False, description="Let the admin token allocate for clusters not registered (registers them)"
    )
    auth_failures_per_minute: int = Field(
        30,
        ge=0,
        description="Failed authentications a client address may make per minute (as a burst too);"
        " past them its requests get 429 until the minute refills (0: no limit)",
    )
    auth_failure_addresses: int = Field(
        10_000, ge=1, description="Client addresses whose failed authentications are remembered"
    )
    log_level: str = Field("INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")

    @field_validator("admin_token", "metrics_token")
    @classmethod
    def _token_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @field_validator("session_key", mode="before")
    @classmethod
    def _empty_key_unset(cls, value: object) -> object:
        return None if value == "" else value  # docker compose passes an unset variable as ""

    @field_validator("session_key")
    @classmethod
    def _key_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value


@lru_cache
def get_settings() -> Settings:
    """Settings from the environment, built once per process."""
    return Settings()


def settings_error_line(exc: ValidationError) -> str:
    """One line naming every bad setting, for a service that refuses to start."""
    parts = []
    for err in exc.errors():
        name = "IALLOCD_" + "_".join(str(p) for p in err["loc"]).upper()
        parts.append(f"{name}: {err['msg']}")
    return "invalid settings: " + "; ".join(parts)
