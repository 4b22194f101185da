"""The complaint lifecycle: one state machine, pure Python, no framework.

    received -> triaged -> dispatched -> acknowledged -> in_progress -> resolved -> closed
    side exits: rejected, redirected (outside the province's authority), duplicate
    resolved -> in_progress is a citizen's reopen (within a window, counted)
    dispatched/acknowledged -> received is an OPD sending a report back to triage ("not ours")

An update naming the state a complaint already has is a no-op; one naming a state that lies
*behind* it on the main path (a late, out-of-order update) is stale and ignored; anything else not
in the table is illegal and refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from schemas.models import Status

__all__ = [
    "LABELS",
    "OPEN311",
    "TERMINAL",
    "TRANSITIONS",
    "Decision",
    "IllegalTransition",
    "Outcome",
    "decide",
    "is_terminal",
]

_MAIN_PATH = (
    Status.RECEIVED,
    Status.TRIAGED,
    Status.DISPATCHED,
    Status.ACKNOWLEDGED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
    Status.CLOSED,
)
_RANK = {status: rank for rank, status in enumerate(_MAIN_PATH)}
_EXITS = frozenset({Status.REJECTED, Status.REDIRECTED, Status.DUPLICATE})

TERMINAL = frozenset({Status.CLOSED, *_EXITS})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.TRIAGED, *_EXITS}),
    Status.TRIAGED: frozenset({Status.DISPATCHED, Status.RECEIVED, *_EXITS}),
    Status.DISPATCHED: frozenset(
        {Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED, Status.RECEIVED, *_EXITS}
    ),
    Status.ACKNOWLEDGED: frozenset(
        {Status.IN_PROGRESS, Status.RESOLVED, Status.RECEIVED, *_EXITS}
    ),
    Status.IN_PROGRESS: frozenset({Status.RESOLVED, *_EXITS}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.REDIRECTED: frozenset(),
    Status.DUPLICATE: frozenset(),
}

# What citizens and OPD staff read: Bahasa Indonesia first, English available.
LABELS: dict[Status, dict[str, str]] = {
    Status.RECEIVED: {"id": "Diterima", "en": "Received"},
    Status.TRIAGED: {"id": "Diverifikasi", "en": "Triaged"},
    Status.DISPATCHED: {"id": "Diteruskan ke OPD", "en": "Sent to the agency"},
    Status.ACKNOWLEDGED: {"id": "Diproses", "en": "Being processed"},
    Status.IN_PROGRESS: {"id": "Ditindaklanjuti", "en": "Being followed up"},
    Status.RESOLVED: {"id": "Selesai", "en": "Resolved"},
    Status.CLOSED: {"id": "Ditutup", "en": "Closed"},
    Status.REJECTED: {"id": "Ditolak", "en": "Rejected"},
    Status.REDIRECTED: {"id": "Dialihkan", "en": "Redirected"},
    Status.DUPLICATE: {"id": "Duplikat", "en": "Duplicate"},
}

# Open311 GeoReport v2 status and FixMyStreet's extended status for each state.
OPEN311: dict[Status, tuple[str, str]] = {
    Status.RECEIVED: ("open", "FOR_TRIAGE"),
    Status.TRIAGED: ("open", "FOR_TRIAGE"),
    Status.DISPATCHED: ("open", "OPEN"),
    Status.ACKNOWLEDGED: ("open", "INVESTIGATING"),
    Status.IN_PROGRESS: ("open", "IN_PROGRESS"),
    Status.RESOLVED: ("closed", "FIXED"),
    Status.CLOSED: ("closed", "CLOSED"),
    Status.REJECTED: ("closed", "NO_FURTHER_ACTION"),
    Status.REDIRECTED: ("closed", "NOT_COUNCILS_RESPONSIBILITY"),
    Status.DUPLICATE: ("closed", "DUPLICATE"),
}


class Outcome(StrEnum):
    APPLY = "apply"
    NOOP = "noop"  # already in that state
    STALE = "stale"  # older than what we know, or behind on the main path: ignored


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reopen: bool = False  # resolved -> in_progress
    returned: bool = False  # sent back to triage by the OPD


class IllegalTransition(ValueError):
    def __init__(self, current: Status, target: Status, reason: str = "") -> None:
        self.current, self.target = current, target
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final state)"
        why = f" ({reason})" if reason else ""
        super().__init__(
            f"cannot move a complaint from {current} to {target}{why}; allowed: {allowed}"
        )


def is_terminal(status: Status) -> bool:
    return status in TERMINAL


def decide(
    current: Status,
    target: Status,
    *,
    occurred_at: datetime | None = None,
    last_update_at: datetime | None = None,
    reopen_allowed: bool = True,
) -> Decision:
    """Whether moving `current` to `target` applies, is a no-op, is stale, or is illegal."""
    if target == current:
        return Decision(Outcome.NOOP)
    if occurred_at is not None and last_update_at is not None and occurred_at < last_update_at:
        return Decision(Outcome.STALE)  # FixMyStreet's rule: only newer updates change state
    if target in TRANSITIONS[current]:
        if current == Status.RESOLVED and target == Status.IN_PROGRESS:
            if not reopen_allowed:
                raise IllegalTransition(current, target, "the reopen window has passed")
            return Decision(Outcome.APPLY, reopen=True)
        returned = target == Status.RECEIVED
        return Decision(Outcome.APPLY, returned=returned)
    if current in _RANK and target in _RANK and _RANK[target] < _RANK[current]:
        return Decision(Outcome.STALE)
    raise IllegalTransition(current, target)
