"""Admins edit the holiday calendar the working-day deadlines count with."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from hub.access import Principal, require
from hub.db import transaction
from hub.deps import SessionDep
from hub.problems import Unprocessable
from hub.sla import service
from hub.sla.calendar import CalendarError

router = APIRouter(prefix="/v1/admin", tags=["service levels"])

PATH = "/v1/admin/holidays"


class HolidayIn(BaseModel):
    date: str = Field(description="YYYY-MM-DD")
    kind: str = Field("libur_nasional", description="libur_nasional, cuti_bersama, libur_daerah")
    name_id: str = Field(min_length=1, max_length=200)
    name_en: str = Field("", max_length=200)
    estimate: bool = False


class YearIn(BaseModel):
    year: int = Field(ge=1900, le=2999)
    days: list[HolidayIn] = Field(max_length=120)


@router.get("/holidays", summary="The holiday calendar in force (days off besides weekends)")
def list_holidays(
    session: SessionDep,
    year: Annotated[int | None, Query(ge=1900, le=2999)] = None,
    _: Principal = Depends(require("GET", PATH)),
) -> dict[str, Any]:
    calendar = service.db_calendar(session)
    days = [h for h in calendar.holidays.values() if year is None or h.day.year == year]
    return {
        "years": sorted(calendar.years),
        "weekend": ["saturday", "sunday"],
        "days": service.holidays_view(days),
    }


@router.put("/holidays", summary="Replace one year's holidays")
def put_holidays(
    body: YearIn,
    request: Request,
    principal: Principal = Depends(require("PUT", PATH)),
) -> dict[str, Any]:
    with transaction(request.app.state.sessionmaker) as session:
        try:
            saved = service.replace_year(
                session,
                body.year,
                [d.model_dump() for d in body.days],
                actor=principal.subject or principal.client_id,
            )
        except CalendarError as exc:
            raise Unprocessable(
                str(exc), errors=[{"pointer": "/days", "detail": str(exc)}]
            ) from None
    return {"year": body.year, "days": service.holidays_view(saved)}
