"""Every table the hub owns, imported in one place so metadata (and Alembic) sees them all."""

from hub.catalog.models import Category, Institution
from hub.complaints.models import Complaint, ComplaintEvent, IdempotencyRecord, TrackingCounter
from hub.db import Base
from hub.delivery.models import OutboxMessage
from hub.open311.models import Open311ApiKey

__all__ = [
    "Base",
    "Category",
    "Complaint",
    "ComplaintEvent",
    "IdempotencyRecord",
    "Institution",
    "Open311ApiKey",
    "OutboxMessage",
    "TrackingCounter",
]

metadata = Base.metadata
