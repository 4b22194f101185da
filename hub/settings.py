"""One self-validating settings object, read from `HUB_*` environment variables and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", env_file=".env", extra="ignore")

    env: str = Field("development", description="development | test | production")
    data_dir: Path = Field(Path("data"), description="Where embedded defaults keep their files")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default SQLite file under data_dir"
    )
    broker_url: str | None = Field(
        None, description="Celery broker; default the embedded SQLite broker under data_dir"
    )
    result_backend: str | None = None
    public_url: str = Field("http://127.0.0.1:8000", description="Where clients reach the hub")
    secret_key: SecretStr | None = Field(
        None, description="Encrypts secrets at rest; generated into data_dir when unset"
    )
    admin_email: str = Field("admin@hub.local", description="The first hub admin's login")
    admin_password: SecretStr | None = Field(
        None, description="The first admin's password; when unset `hub up` prints a one-time one"
    )
    superapp_redirect_uris: list[str] = Field(
        default_factory=lambda: ["id.lampungprov.lampungin:/oauth2/callback"],
        description="Redirect URIs of the super-app's public SSO client",
    )
    log_level: str = "INFO"
    service_call_timeout: float = Field(
        10.0, gt=0, le=120, description="Seconds a synchronous service call may take"
    )
    check_timeout: float = Field(
        15.0, gt=0, le=120, description="Seconds a connector check may take"
    )
    idempotency_ttl_hours: int = Field(24, ge=1)
    page_size_max: int = Field(100, ge=1, le=1000)
    duplicate_radius_m: float = Field(
        250.0, ge=0, le=5000, description="Possible duplicates: same category within this radius"
    )
    duplicate_window_days: int = Field(
        30, ge=0, le=365, description="Possible duplicates: filed at most this many days earlier"
    )
    duplicate_limit: int = Field(5, ge=0, le=20, description="At most this many suggestions")

    @field_validator("database_url", "broker_url", "result_backend")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'hub.sqlite3').resolve()}"

    @property
    def effective_broker_url(self) -> str:
        return self.broker_url or f"sqla+sqlite:///{(self.data_dir / 'broker.sqlite3').resolve()}"

    @property
    def api_audience(self) -> str:
        """The `aud` of access tokens for this API (RFC 9068)."""
        return self.public_url.rstrip("/") + "/v1"

    @property
    def embedded(self) -> bool:
        """True when running on the embedded defaults (no external servers)."""
        return self.database_url is None and self.broker_url is None


@lru_cache
def get_settings() -> Settings:
    return Settings()
