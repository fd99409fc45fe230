"""Settings: env-file precedence, Kubernetes secrets, refusals and secrecy."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Environment, Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("ENVIRONMENT", "APP_TITLE", "DATABASE_URL", "DATABASE_PASSWORD", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path / "no-secrets"))


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def test_env_files_load_in_order_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / ".env", "ENVIRONMENT=UAT\nAPP_TITLE=from-env\nLOG_LEVEL=DEBUG\n")
    _write(tmp_path / ".env.uat", "APP_TITLE=from-uat\nAPP_VERSION=9.9\n")
    _write(tmp_path / ".env.dev", "APP_TITLE=from-dev\n")
    settings = load_settings(tmp_path)
    assert settings.environment is Environment.UAT
    assert settings.app_title == "from-uat"  # .env.uat overrides .env
    assert settings.app_version == "9.9"
    assert settings.log_level == "DEBUG"  # only in .env
    monkeypatch.setenv("APP_TITLE", "from-process")
    assert load_settings(tmp_path).app_title == "from-process"


def test_the_environment_variable_picks_the_second_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / ".env", "ENVIRONMENT=UAT\n")
    _write(tmp_path / ".env.uat", "APP_TITLE=from-uat\n")
    _write(tmp_path / ".env.dev", "APP_TITLE=from-dev\n")
    monkeypatch.setenv("ENVIRONMENT", "DEV")
    settings = load_settings(tmp_path)
    assert (settings.environment, settings.app_title) == (Environment.DEV, "from-dev")


def test_secrets_directory_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    _write(secrets / "database_password", "s3cr3t-from-file")
    _write(secrets / "app_title", "title-from-secret")
    monkeypatch.setenv("SECRETS_DIR", str(secrets))
    settings = load_settings(tmp_path, database_host="db", database_name="app")
    assert settings.database_password is not None
    assert settings.database_password.get_secret_value() == "s3cr3t-from-file"
    assert settings.app_title == "title-from-secret"
    assert settings.database.password == "s3cr3t-from-file"
    monkeypatch.setenv("DATABASE_PASSWORD", "from-env")
    overridden = load_settings(tmp_path, database_host="db", database_name="app")
    assert overridden.database.password == "from-env"


def test_passwords_never_show_in_repr_or_errors(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path, database_host="db", database_name="app", database_password="hunter2"
    )
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.model_dump())
    assert "hunter2" not in repr(settings.database)
    with pytest.raises(SettingsError) as caught:
        load_settings(tmp_path, database_url="hunter2://:::", database_pool_size=0)
    message = str(caught.value)
    assert "DATABASE_POOL_SIZE" in message
    assert "DATABASE_URL" in message
    assert "hunter2" not in message


def test_a_bad_value_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_POOL_SIZE", "many")
    with pytest.raises(SettingsError, match=r"DATABASE_POOL_SIZE: .*integer.*'many'"):
        load_settings(tmp_path)
    monkeypatch.setenv("ENVIRONMENT", "STAGING")
    with pytest.raises(SettingsError, match=r"ENVIRONMENT: Input should be 'LOCAL'"):
        load_settings(tmp_path)


def test_wildcard_origin_with_credentials_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"CORS_ALLOW_ORIGINS cannot hold '\*'"):
        load_settings(tmp_path, cors_allow_origins=["*"], cors_allow_credentials=True)
    allowed = load_settings(tmp_path, cors_allow_origins=["*"], cors_allow_credentials=False)
    assert allowed.cors_allow_origins == ["*"]


def test_cors_origins_are_read_as_a_json_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", '["https://a.example", "https://b.example"]')
    assert load_settings(tmp_path).cors_allow_origins == ["https://a.example", "https://b.example"]


def test_database_url_from_parts_and_defaults() -> None:
    parts = Settings(
        database_host="db.internal",
        database_port=5433,
        database_user="svc",
        database_name="events",
        database_password="pw",
    )
    url = parts.database
    assert (url.drivername, url.host, url.port, url.database) == (
        "postgresql+asyncpg",
        "db.internal",
        5433,
        "events",
    )
    assert Settings().database.get_backend_name() == "sqlite"
    assert Settings(database_url="mysql+aiomysql://root@h/db").database.host == "h"


def test_docs_are_off_by_default_in_prod_only() -> None:
    assert Settings(environment=Environment.PROD).docs is False
    assert Settings(environment=Environment.DEV).docs is True
    assert Settings(environment=Environment.PROD, docs_enabled=True).docs is True
    assert Settings(environment=Environment.LOCAL).log_as_json is False
    assert Settings(environment=Environment.UAT).log_as_json is True
