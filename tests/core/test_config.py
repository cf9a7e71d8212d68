"""Settings: defaults, the IALLOCD_ environment, one-line errors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.core.config import CORES, Settings, settings_error_line


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch):
    import os

    for key in list(os.environ):
        if key.startswith("IALLOCD_"):
            monkeypatch.delenv(key)


def test_settings_defaults_need_no_environment():
    settings = Settings()
    assert settings.database_url == "sqlite:///./var/iallocd.db"
    assert settings.max_body_bytes == 64 * 1024 * 1024
    assert settings.engine_workers == CORES and settings.engine_niceness == 5
    assert settings.admin_token is None and settings.allow_unknown_clusters is False


def test_settings_read_from_prefixed_environment(monkeypatch):
    monkeypatch.setenv("IALLOCD_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("IALLOCD_ADMIN_TOKEN", "x" * 16)
    monkeypatch.setenv("IALLOCD_REQUEST_TIMEOUT", "2.5")
    settings = Settings()
    assert settings.database_url.startswith("postgresql")
    assert settings.admin_token is not None and settings.admin_token.get_secret_value() == "x" * 16
    assert settings.request_timeout == 2.5


def test_settings_errors_one_line_naming_each_variable(monkeypatch):
    monkeypatch.setenv("IALLOCD_MAX_BODY_BYTES", "0")
    monkeypatch.setenv("IALLOCD_ADMIN_TOKEN", "short")
    monkeypatch.setenv("IALLOCD_DATABASE_URL", "mysql://x")
    monkeypatch.setenv("IALLOCD_SESSION_KEY", "x" * 31)
    with pytest.raises(ValidationError) as caught:
        Settings()
    line = settings_error_line(caught.value)
    assert "\n" not in line
    assert line.startswith("invalid settings: ")
    for name in (
        "IALLOCD_MAX_BODY_BYTES",
        "IALLOCD_ADMIN_TOKEN",
        "IALLOCD_DATABASE_URL",
        "IALLOCD_SESSION_KEY",
    ):
        assert name in line


def test_empty_session_key_is_unset():
    # docker compose passes IALLOCD_SESSION_KEY: ${IALLOCD_SESSION_KEY:-} as "" when .env has none
    assert Settings(session_key="").session_key is None  # type: ignore[arg-type]
