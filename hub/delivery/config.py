"""Delivery-engine settings (`HUB_DELIVERY_*`), kept apart from the hub-wide Settings."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.delivery.breaker import BreakerConfig
from hub.delivery.policy import SVIX_SCHEDULE, RetryPolicy
from hub.delivery.suspension import SuspensionConfig


class DeliverySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_DELIVERY_", env_file=".env", extra="ignore")

    retry_schedule: list[float] = Field(
        default_factory=lambda: list(SVIX_SCHEDULE),
        description="Seconds before each attempt; its length is the attempt budget",
    )
    call_timeout: float = Field(20.0, gt=0, description="Hard cap on one call to a target")
    lease_margin: float = Field(30.0, gt=0, description="Lease = call_timeout + this margin")
    max_in_flight: int = Field(4, ge=1, description="Default per-target concurrent calls")
    sweep_interval: float = Field(5.0, gt=0, description="Beat: re-enqueue due messages")
    sweep_grace: float = Field(60.0, ge=0, description="Leave messages enqueued this recently")
    sweep_batch: int = Field(500, ge=1)
    poll_interval: float = Field(60.0, gt=0, description="Beat: poll OPD apps for updates")
    breaker_threshold: int = Field(5, ge=1)
    breaker_cooldown: float = Field(30.0, gt=0)
    breaker_max_cooldown: float = Field(600.0, gt=0)
    response_max_chars: int = Field(2000, ge=100, description="Attempt log keeps this much")
    rate_burst: int = Field(
        1, ge=1, description="Calls an OPD's per-minute limit lets through back to back"
    )
    suspend_after_hours: float | None = Field(
        72.0, gt=0, description="Suspend a target whose every call failed this long (None: never)"
    )
    suspend_after_dead: int | None = Field(
        20, ge=1, description="Suspend a target after this many dead letters in a row"
    )
    retention_days: float = Field(
        30.0, gt=0, description="Delivered messages and their attempts are pruned after this"
    )
    housekeeping_interval: float = Field(3600.0, gt=0, description="Beat: prune and purge")
    auth_retention_days: float = Field(
        7.0, ge=0, description="Expired SSO codes and tokens are kept this long, then purged"
    )
    resolver: str | None = Field(
        "hub.integrations.resolver:from_settings",
        description="'module:callable' returning the ConnectorResolver in worker processes",
    )
    queue: str = "hub.delivery"

    @field_validator("retry_schedule")
    @classmethod
    def _schedule(cls, value: list[float]) -> list[float]:
        RetryPolicy(schedule=tuple(value))  # raises a clear error on a bad schedule
        return value

    @field_validator("resolver", mode="before")
    @classmethod
    def _no_resolver(cls, value: object) -> object:
        """HUB_DELIVERY_RESOLVER= (empty) turns the default off: workers then deliver nothing."""
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def lease_seconds(self) -> float:
        return self.call_timeout + self.lease_margin

    def policy(self) -> RetryPolicy:
        return RetryPolicy(schedule=tuple(self.retry_schedule))

    def suspension(self) -> SuspensionConfig:
        hours = self.suspend_after_hours
        return SuspensionConfig(
            after_failing=timedelta(hours=hours) if hours is not None else None,
            after_dead=self.suspend_after_dead,
        )

    def breaker(self) -> BreakerConfig:
        return BreakerConfig(
            threshold=self.breaker_threshold,
            cooldown=self.breaker_cooldown,
            max_cooldown=max(self.breaker_max_cooldown, self.breaker_cooldown),
            probe_lease=self.lease_seconds,
        )


@lru_cache
def get_delivery_settings() -> DeliverySettings:
    return DeliverySettings()
