"""Settings, typed and validated at startup.

Sources, from weakest to strongest: defaults, files in the secrets directory (one file
per key, as Kubernetes mounts a Secret), ``.env``, ``.env.<environment>`` (lower case,
e.g. ``.env.uat``), then real environment variables.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Self

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from app.core.data.drivers import driver_problem

__all__ = [
    "DEFAULT_SECRETS_DIR",
    "Environment",
    "Settings",
    "SettingsError",
    "get_settings",
    "load_settings",
]

DEFAULT_SECRETS_DIR = "/var/run/secrets/specbase"
_SECRET_FIELDS = frozenset({"database_url", "database_password"})


class Environment(StrEnum):
    LOCAL = "LOCAL"
    DEV = "DEV"
    UAT = "UAT"
    UATBIZ = "UATBIZ"
    SANITY = "SANITY"
    PROD = "PROD"


class SettingsError(RuntimeError):
    """Invalid settings; the message is one line per bad variable, naming it, and never
    shows a secret."""


class Settings(BaseSettings):
    """Every setting of the app, flat so that each is one well-known variable."""

    model_config = SettingsConfigDict(extra="ignore", case_sensitive=False)

    environment: Environment = Environment.LOCAL

    # Database: DATABASE_URL, or its parts.
    database_url: SecretStr | None = None
    database_driver: str = "postgresql+asyncpg"
    database_host: str | None = None
    database_port: int | None = Field(default=None, ge=1, le=65535)
    database_user: str | None = None
    database_password: SecretStr | None = None
    database_name: str | None = None
    database_pool_size: int = Field(default=5, ge=1, le=1000)
    database_max_overflow: int = Field(default=10, ge=0, le=1000)
    database_pool_recycle: int = Field(default=1800, ge=-1)
    database_pool_timeout: float = Field(default=30.0, gt=0)
    database_pool_pre_ping: bool = True
    database_echo: bool = False

    # The app.
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    app_title: str = "specbase API"
    app_version: str = "0.1.0"
    docs_enabled: bool | None = None
    # None: every resource's code at start-up except in LOCAL (see preloads_resources).
    preload_resources: bool | None = None
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=1_073_741_824)

    # CORS.
    cors_allow_origins: list[str] = Field(default_factory=list)
    cors_allow_credentials: bool = False
    cors_allow_methods: list[str] = Field(
        default_factory=lambda: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    )
    cors_allow_headers: list[str] = Field(
        default_factory=lambda: ["Content-Type", "Authorization", "If-Match", "X-Request-ID"]
    )

    # Logging.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["json", "console"] | None = None

    # The outgoing HTTP client.
    http_timeout: float = Field(default=10.0, gt=0)
    http_connect_timeout: float = Field(default=5.0, gt=0)
    http_max_connections: int = Field(default=100, ge=1)
    http_max_keepalive: int = Field(default=20, ge=0)
    http_max_retries: int = Field(default=3, ge=0, le=20)
    http_backoff_factor: float = Field(default=0.5, ge=0)
    http_http2: bool = True

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Self:
        if self.cors_allow_credentials and "*" in self.cors_allow_origins:
            raise ValueError(
                "CORS_ALLOW_ORIGINS cannot hold '*' when CORS_ALLOW_CREDENTIALS is true: "
                "browsers refuse it, and it would let any site act for your users; "
                "list the origins instead"
            )
        if self.database_url is None and self.database_host is not None:
            missing = [n for n in ("database_name",) if getattr(self, n) is None]
            if missing:
                raise ValueError("DATABASE_HOST is set but DATABASE_NAME is not; set both")
            problem = driver_problem(self.database)
            if problem is not None:
                raise ValueError(f"DATABASE_DRIVER: {problem}")
        return self

    @field_validator("database_url")
    @classmethod
    def _parse_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return value
        text = value.get_secret_value()
        if not text.strip():
            raise ValueError(
                "is empty; unset it for the SQLite file ./specbase.db, or give a database "
                "URL (dialect+driver://user@host/name)"
            )
        try:
            url = make_url(text)
        except ArgumentError:
            raise ValueError("not a database URL (dialect+driver://user@host/name)") from None
        problem = driver_problem(url)
        if problem is not None:
            raise ValueError(problem)
        return value

    @property
    def database(self) -> URL:
        """The database URL, from DATABASE_URL or its parts; a SQLite file by default."""
        if self.database_url is not None:
            return make_url(self.database_url.get_secret_value())
        if self.database_host is None:
            return make_url("sqlite+aiosqlite:///./specbase.db")
        password = self.database_password.get_secret_value() if self.database_password else None
        return URL.create(
            self.database_driver,
            username=self.database_user,
            password=password,
            host=self.database_host,
            port=self.database_port,
            database=self.database_name,
        )

    @property
    def docs(self) -> bool:
        """API docs are on unless switched off, and off by default in PROD."""
        if self.docs_enabled is not None:
            return self.docs_enabled
        return self.environment is not Environment.PROD

    @property
    def log_as_json(self) -> bool:
        if self.log_format is not None:
            return self.log_format == "json"
        return self.environment is not Environment.LOCAL

    @property
    def preloads_resources(self) -> bool:
        """Whether start-up imports every resource's code, or each is imported by the
        first request that uses it. LOCAL starts fast (an edit, a restart, a request);
        deployed environments load everything before they report ready, so that no
        request waits for it."""
        if self.preload_resources is not None:
            return self.preload_resources
        return self.environment is not Environment.LOCAL

    @property
    def creates_schema(self) -> bool:
        """Only LOCAL changes the schema on its own; other environments are migrated."""
        return self.environment is Environment.LOCAL


def load_settings(base_dir: Path | None = None, **overrides: Any) -> Settings:
    """Read the settings from the env files, the secrets directory and the environment.

    ``ENVIRONMENT`` is read first (from the environment, else ``.env``) because it
    names the second env file. Raises :class:`SettingsError` naming each bad variable.
    """
    base = base_dir or Path.cwd()
    environment = os.environ.get("ENVIRONMENT") or dotenv_values(base / ".env").get("ENVIRONMENT")
    env_files = [base / ".env"]
    if environment:
        env_files.append(base / f".env.{environment.lower()}")
    options: dict[str, Any] = {"_env_file": tuple(env_files)}
    secrets_dir = Path(os.environ.get("SECRETS_DIR", DEFAULT_SECRETS_DIR))
    if secrets_dir.is_dir():
        options["_secrets_dir"] = secrets_dir
    try:
        return Settings(**options, **overrides)
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    """One line per bad variable, starting with its name; the offending value is shown
    only when not a secret. A check of several variables names them in its message."""
    lines = []
    for error in exc.errors(include_url=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        if not error["loc"]:
            lines.append(message)
            continue
        value = error.get("input")
        secret = error["loc"][0] in _SECRET_FIELDS or isinstance(value, dict)
        shown = "" if secret else f" (got {value!r})"
        lines.append(f"{str(error['loc'][0]).upper()}: {message}{shown}")
    return "\n".join(lines)


_settings: Settings | None = None


def get_settings() -> Settings:
    """The process's settings, read once."""
    global _settings
    if _settings is None:
        _settings = load_settings()
    return _settings
