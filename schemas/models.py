"""Pydantic mirrors of the JSON Schema files, for Python code (hub, connectors).

The JSON Schema files are the contract; these classes must accept and refuse exactly what the
files do (tests/schemas/test_models_agree.py proves it on the examples and on broken variants).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

__all__ = [
    "Attachment",
    "Channel",
    "Complaint",
    "ComplaintSubmission",
    "Contact",
    "Event",
    "Location",
    "Privacy",
    "Status",
    "StatusUpdate",
]


class Status(StrEnum):
    RECEIVED = "received"
    TRIAGED = "triaged"
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    REDIRECTED = "redirected"
    DUPLICATE = "duplicate"


class Channel(StrEnum):
    SUPERAPP = "superapp"
    WEB = "web"
    OPEN311 = "open311"
    EMAIL = "email"
    LAPOR = "lapor"
    SPLP = "splp"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    API = "api"


class Privacy(StrEnum):
    PUBLIC = "public"
    ANONYMOUS = "anonymous"
    CONFIDENTIAL = "confidential"


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must carry a timezone")
    return value


Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 -]{5,19}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://", max_length=2000)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
ContentType = Annotated[str, StringConstraints(pattern=r"^[a-z]+/[a-zA-Z0-9.+-]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class Contact(_Strict):
    name: Annotated[str, Field(max_length=200)] | None = None
    phone: Phone | None = None
    email: Email | None = None


class Location(_Strict):
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    address: Annotated[str, Field(max_length=500)] | None = None
    region: Code | None = None
    kecamatan: Annotated[str, Field(max_length=100)] | None = None
    kelurahan: Annotated[str, Field(max_length=100)] | None = None


class Attachment(_Strict):
    url: Url
    content_type: ContentType | None = None
    sha256: Sha256 | None = None
    size: Annotated[int, Field(ge=0)] | None = None


Title = Annotated[str, Field(min_length=3, max_length=200)]
Description = Annotated[str, Field(min_length=10, max_length=10000)]


class ComplaintSubmission(_Strict):
    """What a channel sends to file a complaint."""

    channel: Channel = Channel.API
    title: Title
    description: Description
    category: Code | None = None
    privacy: Privacy = Privacy.PUBLIC
    contact: Contact | None = None
    location: Location | None = None
    attachments: Annotated[list[Attachment], Field(max_length=10)] = []
    external_ref: Annotated[str, Field(max_length=200)] | None = None


class Complaint(_Strict):
    id: uuid.UUID
    tracking_code: Annotated[str, StringConstraints(pattern=r"^LPG-[0-9]{4}-[0-9]{6,}$")]
    channel: Channel
    idempotency_key: Annotated[str, Field(max_length=255)] | None = None
    reporter: Annotated[str, Field(max_length=255)] | None = None
    contact: Contact | None = None
    privacy: Privacy
    sensitive: bool = False
    title: Title
    description: Description
    category: Code | None = None
    location: Location | None = None
    attachments: list[Attachment] = []
    institution: Code | None = None
    status: Status
    created_at: AwareDatetime
    updated_at: AwareDatetime
    external_refs: dict[str, Annotated[str, Field(max_length=200)]] = {}


class StatusUpdate(_Strict):
    complaint_id: uuid.UUID | None = None
    external_ref: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    status: Status
    note: Annotated[str, Field(max_length=5000)] | None = None
    internal_note: Annotated[str, Field(max_length=5000)] | None = None
    actor: Annotated[str, Field(max_length=200)] | None = None
    occurred_at: AwareDatetime
    source_event_id: Annotated[str, Field(min_length=1, max_length=200)]
    redirect_to: Code | None = None
    duplicate_of: Annotated[str, Field(max_length=64)] | None = None
    attachments: list[Attachment] = []

    @model_validator(mode="after")
    def _names_a_complaint(self) -> StatusUpdate:
        if self.complaint_id is None and self.external_ref is None:
            raise ValueError("a status update names complaint_id or external_ref")
        return self


class Event(_Strict):
    specversion: Literal["1.0"] = "1.0"
    id: Annotated[str, Field(min_length=1, max_length=200)]
    source: Annotated[str, Field(min_length=1, max_length=500)]
    type: Annotated[str, StringConstraints(pattern=r"^[a-z]+(\.[a-z_]+)+$")]
    subject: Annotated[str, Field(max_length=200)] | None = None
    time: AwareDatetime
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]
