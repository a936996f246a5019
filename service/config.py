"""Service settings: the library settings plus storage, security and limits."""

from __future__ import annotations

from functools import lru_cache

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
