"""Every table the hub owns, imported in one place so metadata (and Alembic) sees them all."""

from auth.models import AuthBase
from hub.catalog.models import Category, Institution
from hub.complaints.models import (
    Complaint,
    ComplaintEvent,
    IdempotencyRecord,
    PersonalDataAccess,
    TrackingNumber,
)
from hub.db import Base
from hub.delivery.models import DeliveryAttempt, OutboxMessage, PollCursor, TargetState
from hub.duplicates.models import DuplicateLink
from hub.integrations.models import ConnectorInstance
from hub.notifications.models import Subscription
from hub.open311.models import Open311ApiKey
from hub.routing.models import RuleSetVersion
from hub.sla.models import HolidayRow

__all__ = [
    "Base",
    "Category",
    "Complaint",
    "ComplaintEvent",
    "ConnectorInstance",
    "DeliveryAttempt",
    "DuplicateLink",
    "HolidayRow",
    "IdempotencyRecord",
    "Institution",
    "Open311ApiKey",
    "OutboxMessage",
    "PersonalDataAccess",
    "PollCursor",
    "RuleSetVersion",
    "Subscription",
    "TargetState",
    "TrackingNumber",
]

metadata = Base.metadata
# Alembic migrates the hub's tables and the SSO's (which live on their own metadata).
all_metadata = (Base.metadata, AuthBase.metadata)
