"""What people do to a complaint through the hub: triage by hand, send back, set its status.

- The triage desk (hub admins) works the manual queue: complaints still `received` that intake
  could not place; a decision sets the category (kept for retraining) and routes the report.
- "No wrong door": an OPD that gets a report that is not theirs returns it with a reason; the
  hub re-routes it at once, past every institution that refused it, or queues it for a person.
- OPD staff without a connected app (the human fallback lane, the e-mail connector) set the
  status in the hub, through the same state machine as connector updates.

The caller owns the transaction and checks who may act; these functions check what may happen.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from hub.catalog import service as catalog
from hub.catalog.models import Institution
from hub.complaints import service, updates
from hub.complaints.lifecycle import TRANSITIONS, IllegalTransition, Outcome
from hub.complaints.models import Complaint, ComplaintEvent
from hub.delivery.models import MessageKind, MessageState, OutboxMessage
from hub.problems import Conflict, NotFound, Unprocessable
from hub.routing import service as routing
from hub.routing.dispatch import Assessment
from schemas.models import Status

__all__ = [
    "RETURNED",
    "TRIAGE_DECIDED",
    "TRIAGE_NEEDED",
    "Handled",
    "QueueEntry",
    "StatusChange",
    "allowed_from",
    "decide_triage",
    "illegal_detail",
    "inbox",
    "load",
    "reroute_returned",
    "return_to_triage",
    "returnable_states",
    "set_status_by_staff",
    "triage_queue",
]

TRIAGE_NEEDED = "complaint.triage_needed"
TRIAGE_DECIDED = "complaint.triage_decided"
RETURNED = "complaint.returned"

# What the citizen reads on the timeline (Bahasa Indonesia first, then English).
RETURN_NOTE = (
    "Laporan Anda sedang diteruskan ke instansi yang berwenang menanganinya. / "
    "Your report is being forwarded to the agency responsible for it."
)
RECEIVED_IN_HUB_NOTE = "Laporan telah diterima OPD. / The agency has received the report."


def load(session: Session, complaint_id: uuid.UUID) -> Complaint:
    """The complaint, row-locked for the change that follows."""
    complaint = updates.find_complaint(session, complaint_id=complaint_id)
    if complaint is None:
        raise NotFound(f"No complaint {complaint_id}.")
    return complaint


def returnable_states() -> list[Status]:
    """States from which a report can go back to triage (the state machine says which)."""
    return sorted(s for s, targets in TRANSITIONS.items() if Status.RECEIVED in targets)


def _text(complaint: Complaint) -> str:
    return f"{complaint.title}\n{complaint.description}"


# ------------------------------------------------------------------------ the triage desk


@dataclass(frozen=True)
class QueueEntry:
    complaint: Complaint
    waiting_since: datetime
    suggestion: dict[str, Any]  # what intake's triage said: category, prediction, routing
    returned_by: list[str]


def _refusals(events: Sequence[ComplaintEvent]) -> list[str]:
    return sorted({str(e.data["refused_by"]) for e in events if e.data.get("refused_by")})


def triage_queue(
    session: Session, *, limit: int, cursor: str | None = None
) -> tuple[list[QueueEntry], str | None]:
    """Complaints waiting for a person to triage them, oldest first (keyset-paginated)."""
    waiting = select(ComplaintEvent.complaint_id).where(ComplaintEvent.type == TRIAGE_NEEDED)
    conditions: list[Any] = [Complaint.status == Status.RECEIVED, Complaint.id.in_(waiting)]
    if cursor:
        stamp, ident = service.decode_cursor(cursor)
        conditions.append(
            or_(
                Complaint.created_at > stamp,
                and_(Complaint.created_at == stamp, Complaint.id > ident),
            )
        )
    query = select(Complaint).where(*conditions).order_by(Complaint.created_at, Complaint.id)
    rows = list(session.scalars(query.limit(limit + 1)))
    next_cursor = service.encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    rows = rows[:limit]
    events: dict[uuid.UUID, list[ComplaintEvent]] = {}
    if rows:
        found = session.scalars(
            select(ComplaintEvent)
            .where(
                ComplaintEvent.complaint_id.in_([c.id for c in rows]),
                ComplaintEvent.type.in_([TRIAGE_NEEDED, RETURNED]),
            )
            .order_by(ComplaintEvent.complaint_id, ComplaintEvent.seq)
        )
        for event in found:
            events.setdefault(event.complaint_id, []).append(event)
    entries = []
    for complaint in rows:
        own = events.get(complaint.id, [])
        latest = [e for e in own if e.type == TRIAGE_NEEDED][-1]
        entries.append(QueueEntry(complaint, latest.occurred_at, dict(latest.data), _refusals(own)))
    return entries, next_cursor


@dataclass(frozen=True)
class Handled:
    """The outcome of a triage decision or a return: where the report went."""

    complaint: Complaint
    institution: str | None  # where it is now (None: waiting in the manual queue)
    target: str | None  # connector instance the delivery was staged for (None: inbox/none)
    assessment: Assessment | None = None  # the rules' decision, when the rules decided

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.complaint.status,
            "institution": self.institution,
            "delivery": "connector" if self.target else ("inbox" if self.institution else None),
            "routing": self.assessment.routing.as_dict() if self.assessment else None,
        }


def _institution(session: Session, code: str, pointer: str) -> Institution:
    row = session.get(Institution, code)
    if row is None:
        raise Unprocessable(
            f"Unknown institution {code!r}.",
            errors=[{"pointer": pointer, "detail": f"unknown institution {code!r}"}],
        )
    return row


def decide_triage(
    session: Session,
    complaint: Complaint,
    *,
    category: str,
    institution: str | None,
    note: str | None,
    actor: str,
    triage: routing.Triage,
) -> Handled:
    """A person's triage: the category (and maybe the institution), then on its way.

    Without an institution the rules in force place the report; when none fits the decision
    is refused (422) so that the person names the institution instead.
    """
    if complaint.status != Status.RECEIVED:
        raise Conflict(
            f"{complaint.tracking_code} is {complaint.status}, not waiting for triage; "
            "the OPD it is assigned to can send it back (POST .../return).",
            current_status=complaint.status,
        )
    if not catalog.category_exists(session, category):
        raise Unprocessable(
            f"Unknown category {category!r}.",
            errors=[{"pointer": "/category", "detail": f"unknown category {category!r}"}],
        )
    chosen = _institution(session, institution, "/institution") if institution else None
    waiting = [e for e in complaint.events if e.type == TRIAGE_NEEDED]
    suggested = waiting[-1].data.get("category") if waiting else None
    previous = complaint.category
    complaint.category = category
    service.add_event(
        session,
        complaint,
        TRIAGE_DECIDED,
        actor=actor,
        internal_note=note,
        data={
            "category": category,
            "previous_category": previous,
            "suggested_category": suggested,
            "institution": institution,
            "decided_by": actor,
        },
    )
    if chosen is not None:
        target = routing.assign(
            session,
            complaint,
            chosen.code,
            note=f"Laporan Anda diteruskan ke {chosen.name}. / "
            f"Your report has been forwarded to {chosen.name}.",
            internal_note=note,
            actor=actor,
        )
        return Handled(complaint, chosen.code, target)
    routed = routing.route(session, complaint, triage)
    decision = routed.assessment.routing
    if routed.assessment.manual_review:
        region = complaint.region or "an unknown region"
        raise Unprocessable(
            f"No routing rule places category {category!r} in {region}; name the institution.",
            errors=[{"pointer": "/institution", "detail": "required: no rule fits this report"}],
        )
    return Handled(complaint, decision.institution, routed.target, routed.assessment)


# --------------------------------------------------------------------- no wrong door


def _discard_pending_deliveries(session: Session, complaint: Complaint, reason: str) -> None:
    """Deliveries to the refusing OPD not made yet are dropped (a leased one loses its lease:
    the engine then records the attempt but does not mark the report dispatched)."""
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.complaint_id == complaint.id,
            OutboxMessage.kind == MessageKind.DELIVER_COMPLAINT,
            OutboxMessage.state.in_([MessageState.PENDING, MessageState.DEAD]),
        )
        .values(state=MessageState.DISCARDED, discard_reason=reason[:2000], lease_token=None)
        .execution_options(synchronize_session=False)
    )


def return_to_triage(
    session: Session, complaint: Complaint, *, reason: str, actor: str, triage: routing.Triage
) -> Handled:
    """The assigned OPD says "not ours": back to `received`, then routed again at once, past
    every institution that refused it; when nothing else fits it waits in the manual queue."""
    reason = reason.strip()
    if not reason:
        raise Unprocessable(
            "Say why the report is not yours.",
            errors=[{"pointer": "/reason", "detail": "must not be empty"}],
        )
    refused = complaint.institution
    current = Status(complaint.status)
    if refused is None or current not in returnable_states():
        allowed = ", ".join(returnable_states())
        raise Conflict(
            f"{complaint.tracking_code} is {current}"
            + ("" if refused else " and assigned to no institution")
            + f"; a report can be sent back only while it is {allowed}.",
            current_status=current,
            allowed=list(returnable_states()),
        )
    updates.change_status(
        session,
        complaint,
        Status.RECEIVED,
        actor=actor,
        note=RETURN_NOTE,
        internal_note=f"Returned by {refused}: {reason}",
        data={"refused_by": refused},
    )
    return reroute_returned(
        session, complaint, refused_by=refused, reason=reason, actor=actor, triage=triage
    )


def reroute_returned(
    session: Session,
    complaint: Complaint,
    *,
    refused_by: str,
    reason: str,
    actor: str,
    triage: routing.Triage,
) -> Handled:
    """After a report moved back to `received` because `refused_by` said "not ours": record
    the refusal, drop undelivered copies, and route it again (or queue it for a person).

    `apply_status_update` calls it too, when an OPD app (webhook or polling) answers
    `received`.
    """
    service.add_event(
        session,
        complaint,
        RETURNED,
        actor=actor,
        internal_note=reason,
        data={"refused_by": refused_by, "reason": reason},
    )
    complaint.institution = None
    _discard_pending_deliveries(session, complaint, f"returned by {refused_by}: {reason}")
    session.flush()
    session.expire(complaint, ["events"])  # routing reads every refusal from the timeline
    routed = routing.route(session, complaint, triage)
    decision = routed.assessment.routing
    placed = None if routed.assessment.manual_review else decision.institution
    return Handled(complaint, placed, routed.target, routed.assessment)


# --------------------------------------------------------------- status set by OPD staff


@dataclass(frozen=True)
class StatusChange:
    outcome: str  # applied | noted | noop | stale
    complaint: Complaint
    steps: list[str] = field(default_factory=list)  # statuses entered, in order


def _duplicate_target(session: Session, complaint: Complaint, ref: str) -> Complaint:
    original: Complaint | None
    try:
        original = service.get(session, uuid.UUID(ref))
    except ValueError:
        original = service.by_tracking_code(session, ref)
    if original is None or original.id == complaint.id:
        detail = "that is this report itself" if original else f"no complaint {ref!r}"
        raise Unprocessable(
            f"duplicate_of must name another report: {detail}.",
            errors=[{"pointer": "/duplicate_of", "detail": detail}],
        )
    return original


def set_status_by_staff(
    session: Session,
    complaint: Complaint,
    status: Status,
    *,
    actor: str,
    note: str | None = None,
    internal_note: str | None = None,
    redirect_to: str | None = None,
    duplicate_of: str | None = None,
) -> StatusChange:
    """A status entered in the hub by the OPD's staff (or an admin), through the state machine.

    Raises `IllegalTransition` for a move the lifecycle forbids. A report the OPD reads in its
    hub inbox (triaged, no app to deliver to) counts as delivered once staff act on it.
    """
    if status == Status.RECEIVED:
        raise Unprocessable(
            "A report goes back to triage through POST /v1/complaints/{id}/return.",
            errors=[{"pointer": "/status", "detail": "use the return endpoint with a reason"}],
        )
    if status == Status.TRIAGED:
        raise Unprocessable(
            "Assigning a report is the triage desk's decision (POST /v1/complaints/{id}/triage).",
            errors=[{"pointer": "/status", "detail": "use the triage endpoint"}],
        )
    data: dict[str, Any] = {"via": "hub"}
    if (redirect_to is not None) != (status == Status.REDIRECTED):
        raise Unprocessable(
            "redirect_to goes with status redirected, and only with it.",
            errors=[{"pointer": "/redirect_to", "detail": "name where the report should go"}],
        )
    if redirect_to is not None:
        data["redirect_to"] = _institution(session, redirect_to, "/redirect_to").code
    if (duplicate_of is not None) != (status == Status.DUPLICATE):
        raise Unprocessable(
            "duplicate_of goes with status duplicate, and only with it.",
            errors=[{"pointer": "/duplicate_of", "detail": "name the original report"}],
        )
    if duplicate_of is not None:
        original = _duplicate_target(session, complaint, duplicate_of)
        data.update(duplicate_of=str(original.id), duplicate_of_tracking=original.tracking_code)
    steps: list[str] = []
    forward = {Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED}
    if complaint.status == Status.TRIAGED and status in forward:
        updates.change_status(
            session,
            complaint,
            Status.DISPATCHED,
            actor=actor,
            note=RECEIVED_IN_HUB_NOTE,
            data={"via": "hub"},
        )
        steps.append(Status.DISPATCHED)
    outcome, _, _ = updates.change_status(
        session,
        complaint,
        status,
        actor=actor,
        note=note,
        internal_note=internal_note,
        data=data,
    )
    if outcome == Outcome.APPLY:
        steps.append(status)
        result = "applied"
    elif note or internal_note:
        updates.append_event(
            session,
            complaint,
            type=updates.NOTE_ADDED,
            note=note,
            internal_note=internal_note,
            actor=actor,
            data={**data, "reported_status": status, "outcome": str(outcome)},
        )
        result = "noted"
    else:
        result = str(outcome)
    session.flush()
    session.expire(complaint, ["events"])
    return StatusChange(result, complaint, steps)


def allowed_from(status: Status) -> list[str]:
    return sorted(TRANSITIONS[status])


def illegal_detail(exc: IllegalTransition) -> dict[str, Any]:
    """What a 409 says about a refused move: where the report is and where it may go."""
    return {"current_status": str(exc.current), "allowed": allowed_from(exc.current)}


# ---------------------------------------------------------------------------- OPD inbox


def inbox(
    session: Session,
    opd: str,
    *,
    status: list[str] | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Complaint], str | None]:
    """Reports routed to this OPD, newest first (confidential ones included: they are its)."""
    filters = service.Filters(status=status, institution=opd, viewer_opd=opd)
    return service.search(session, filters, limit=limit, cursor=cursor)
