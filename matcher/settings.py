"""Settings from the environment (prefix MATCHER_), built on demand by a cached get_settings().

Nothing reads the environment at import time; callers pass a Settings object down.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHER_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Where indexes, caches and the SQLite file live")
    dense_kind: str = Field(default="auto", description="auto (by size), flat (exact), hnsw, ivf or ivfpq")
    environment: str = Field(default="development", description="development | production")
    search_threads: int = Field(default=1, ge=1, le=64, description="FAISS threads per query (1 is fastest for single queries)")

    @field_validator("dense_kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        from typing import get_args

        from matcher.index.dense import IndexKind

        if value not in get_args(IndexKind):
            raise ValueError(f"must be one of {', '.join(get_args(IndexKind))}")
        return value

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"


@lru_cache
def get_settings() -> Settings:
    return Settings()
