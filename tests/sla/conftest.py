"""Reports with a fixed history (June 2026, WIB) and the shipped holiday calendar in the DB."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlalchemy import delete
from sqlalchemy.orm import Session

from hub.complaints import updates
from hub.complaints.models import Complaint, ComplaintEvent
from hub.complaints.service import next_tracking_code
from hub.db import transaction
from hub.sla.models import HolidayRow
from hub.sla.service import seed_holidays
from schemas.models import Status

WIB = ZoneInfo("Asia/Jakarta")
DLH = "dlh-kota-bandar-lampung"


def june(day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in June 2026, WIB. 16 June is a holiday (1 Muharram), 13-14 and 20-21 weekends."""
    return datetime(2026, 6, day, hour, minute, tzinfo=WIB)


Step = tuple[Status | str, datetime]  # a status, or "inbox" (placed in the OPD's hub inbox)


def add_report(
    session: Session,
    received: datetime,
    steps: Sequence[Step] = (),
    *,
    category: str = "sampah_lingkungan",
    institution: str | None = DLH,
) -> Complaint:
    complaint = Complaint(
        id=uuid.uuid4(),
        tracking_code=next_tracking_code(session, received),
        channel="web",
        title="Sampah menumpuk",
        description="Sampah menumpuk seminggu di pinggir jalan.",
        category=category,
        institution=institution,
        status=Status.RECEIVED.value,
        created_at=received,
        updated_at=received,
        privacy="public",
        attachments=[],
        external_refs={},
    )
    session.add(complaint)
    session.add(
        ComplaintEvent(
            complaint_id=complaint.id,
            seq=1,
            type="complaint.created",
            status=Status.RECEIVED.value,
            occurred_at=received,
            recorded_at=received,
            data={},
        )
    )
    session.flush()
    for step, when in steps:
        if step == "inbox":
            updates.append_event(session, complaint, type="complaint.inbox", occurred_at=when)
        else:
            updates.change_status(session, complaint, Status(step), occurred_at=when)
        session.flush()
    return complaint


@pytest.fixture
def holidays(app: FastAPI) -> None:
    """The shipped calendar, whatever an earlier test on the same database left."""
    with transaction(app.state.sessionmaker) as session:
        session.execute(delete(HolidayRow))
        session.flush()
        seed_holidays(session)


@pytest.fixture
def report(app: FastAPI, holidays: None) -> Callable[..., uuid.UUID]:
    def make(received: datetime, *steps: Step, **kwargs: str | None) -> uuid.UUID:
        with transaction(app.state.sessionmaker) as session:
            return add_report(session, received, steps, **kwargs).id  # type: ignore[arg-type]

    return make


@pytest.fixture
def frozen(app: FastAPI) -> Iterator[Callable[[datetime], None]]:
    """Set the hub's clock (what GET /v1/complaints/{id} and the stats count with)."""

    def set_to(moment: datetime) -> None:
        app.state.clock = lambda: moment

    yield set_to
