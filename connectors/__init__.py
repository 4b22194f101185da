"""Connector SDK: what OPD developers import to adapt their app to the common schema.

Imports `schemas` only, never `hub`.
"""

from connectors.base import (
    CheckResult,
    Connector,
    DeliveryResult,
    Operation,
    UpdateBatch,
    WebhookRequest,
)
from connectors.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    PermanentError,
    RateLimited,
    TimedOut,
    TransientError,
)

__all__ = [
    "AuthError",
    "CheckResult",
    "ConfigError",
    "Connector",
    "ConnectorError",
    "DeliveryResult",
    "Operation",
    "PermanentError",
    "RateLimited",
    "TimedOut",
    "TransientError",
    "UpdateBatch",
    "WebhookRequest",
]
