"""Service settings: the library settings plus storage, security and limits."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, model_validator

from matcher.settings import Settings

PLACEHOLDER_SECRETS = {"changeme", "admin", "secret", "password", ""}
DEMO_PASSWORD = "bic-demo-2026"
"""The password of the demo log-ins (README); refused for real accounts in production."""


class ServiceSettings(Settings):
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL", "MATCHER_DATABASE_URL"),
                                     description="SQLAlchemy URL; default: SQLite file in the data directory")
    seed_demo: bool = Field(default=True, description="Load the bundled demo corpus into an empty database")
    max_body_bytes: int = Field(default=1_000_000, ge=1024, description="Larger request bodies get 413")
    bootstrap_admin_key: str | None = Field(default=None, description="Ensure an admin API key with this value exists")
    bootstrap_admin_login: str | None = Field(default=None, description="Ensure an admin account with this login exists")
    bootstrap_admin_password: str | None = Field(default=None, description="Password of that account (at least 10 characters)")
    demo_accounts: bool = Field(default=True, description="With seed_demo in development: demo log-ins (see README)")
    poll_interval: float = Field(default=0.25, gt=0, le=60, description="Seconds between change-log polls")
    snapshot_interval: float = Field(default=60.0, ge=0, description="Seconds between index snapshots (0: only at shutdown)")
    relevance_floor: bool = Field(default=True, description="Hide suggestions under the fit model's relevance floor")
    migrate_on_start: bool = Field(default=True, description="Run database migrations when the app starts")
    require_if_match: bool = Field(default=False, description="Refuse (428) a PATCH or DELETE without If-Match")
    rate_limit_search: str = Field(default="60/minute", description="Anonymous searches and matches per client "
                                                                     "address (limits syntax, e.g. 60/minute; empty: off)")
    rate_limit_write: str = Field(default="30/minute", description="Anonymous writes (registrations...) per client address")
    rate_limit_key: str = Field(default="600/minute", description="Searches and writes per API key or login session")
    query_cache_entries: int = Field(default=10_000, ge=0, description="Free-text query vectors kept in memory (LRU)")
    # E-mail notifications (service.notify_sender): env MATCHER_SMTP_*, MATCHER_NOTIFY_*.
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server the sender hands e-mail to")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP port (587 with starttls, 465 with ssl)")
    smtp_from: str = Field(default="BIC Matcher <noreply@bic.example>", description="From: address of notifications")
    smtp_tls: Literal["none", "starttls", "ssl"] = Field(default="none", description="Transport security to the server")
    smtp_username: str | None = Field(default=None, description="SMTP login (with smtp_password)")
    smtp_password: str | None = Field(default=None, description="SMTP password")
    smtp_timeout: float = Field(default=20.0, gt=0, le=300, description="Seconds before an SMTP command is given up")
    public_url: str = Field(default="http://127.0.0.1:8000", description="Base URL of the web UI, for links in e-mail")
    notify_retry_base: float = Field(default=30.0, gt=0, description="Seconds before the first retry; doubles each time")
    notify_retry_cap: float = Field(default=3600.0, gt=0, description="Longest wait between two attempts (seconds)")
    notify_max_attempts: int = Field(default=12, ge=1, le=100, description="Attempts before a message is marked failed")
    notify_lease: float = Field(default=60.0, gt=0, le=3600,
                                description="Seconds a sender holds a claimed message; a crashed sender's claims "
                                            "are taken over after this")
    notify_poll_interval: float = Field(default=2.0, gt=0, le=600, description="Seconds between outbox polls")
    notify_min_band: Literal["strong", "possible", "weak"] = Field(
        default="strong", description="Fit band from which a new suggestion is announced to the agency")

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> "ServiceSettings":
        key = self.bootstrap_admin_key
        if self.environment == "production" and key is not None and (key in PLACEHOLDER_SECRETS or len(key) < 24):
            raise ValueError("MATCHER_BOOTSTRAP_ADMIN_KEY is a placeholder or too short for production")
        password = self.bootstrap_admin_password
        if self.bootstrap_admin_login and not password:
            raise ValueError("MATCHER_BOOTSTRAP_ADMIN_LOGIN needs MATCHER_BOOTSTRAP_ADMIN_PASSWORD")
        if self.environment == "production" and password is not None and (password in PLACEHOLDER_SECRETS
                                                                           or password == DEMO_PASSWORD):
            raise ValueError("MATCHER_BOOTSTRAP_ADMIN_PASSWORD is a placeholder; choose a real one for production")
        return self

    @property
    def wants_demo_accounts(self) -> bool:
        """Demo log-ins exist only for the bundled demo data, and never in production."""
        return self.seed_demo and self.demo_accounts and self.environment != "production"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'matcher.sqlite3').resolve()}"


@lru_cache
def get_service_settings() -> ServiceSettings:
    return ServiceSettings()
