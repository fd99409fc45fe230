"""Settings, typed and validated at startup, from the environment and ``.env`` files."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Environment", "Settings", "get_settings"]


class Environment(StrEnum):
    LOCAL = "LOCAL"
    DEV = "DEV"
    UAT = "UAT"
    UATBIZ = "UATBIZ"
    SANITY = "SANITY"
    PROD = "PROD"


class Settings(BaseSettings):
    """Every setting of the app, in one place."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    environment: Environment = Environment.LOCAL
    database_url: str = "sqlite+aiosqlite:///./specbase.db"
    database_echo: bool = False
    app_title: str = "specbase API"
    app_version: str = "0.1.0"
    docs_enabled: bool = True
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=1_073_741_824)

    @property
    def creates_schema(self) -> bool:
        """Only LOCAL creates tables on its own; other environments are migrated."""
        return self.environment is Environment.LOCAL


@lru_cache
def get_settings() -> Settings:
    return Settings()
