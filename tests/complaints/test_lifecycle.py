"""The lifecycle state machine, as DESIGN.md specifies it: every pair of states is checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from hub.complaints.lifecycle import (
    LABELS,
    OPEN311,
    IllegalTransition,
    Outcome,
    decide,
    is_terminal,
)
from schemas.models import Status as S

# The specification, written out by hand (not derived from the implementation).
LEGAL = {
    (S.RECEIVED, S.TRIAGED),
    (S.RECEIVED, S.REJECTED),
    (S.RECEIVED, S.REDIRECTED),
    (S.RECEIVED, S.DUPLICATE),
    (S.TRIAGED, S.DISPATCHED),
    (S.TRIAGED, S.RECEIVED),
    (S.TRIAGED, S.REJECTED),
    (S.TRIAGED, S.REDIRECTED),
    (S.TRIAGED, S.DUPLICATE),
    (S.DISPATCHED, S.ACKNOWLEDGED),
    (S.DISPATCHED, S.IN_PROGRESS),
    (S.DISPATCHED, S.RESOLVED),
    (S.DISPATCHED, S.RECEIVED),
    (S.DISPATCHED, S.REJECTED),
    (S.DISPATCHED, S.REDIRECTED),
    (S.DISPATCHED, S.DUPLICATE),
    (S.ACKNOWLEDGED, S.IN_PROGRESS),
    (S.ACKNOWLEDGED, S.RESOLVED),
    (S.ACKNOWLEDGED, S.RECEIVED),
    (S.ACKNOWLEDGED, S.REJECTED),
    (S.ACKNOWLEDGED, S.REDIRECTED),
    (S.ACKNOWLEDGED, S.DUPLICATE),
    (S.IN_PROGRESS, S.RESOLVED),
    (S.IN_PROGRESS, S.REJECTED),
    (S.IN_PROGRESS, S.REDIRECTED),
    (S.IN_PROGRESS, S.DUPLICATE),
    (S.RESOLVED, S.CLOSED),
    (S.RESOLVED, S.IN_PROGRESS),
}
# Late updates: a state behind the current one on the main path is ignored, never applied.
STALE = {
    (S.ACKNOWLEDGED, S.DISPATCHED),
    (S.ACKNOWLEDGED, S.TRIAGED),
    (S.IN_PROGRESS, S.ACKNOWLEDGED),
    (S.IN_PROGRESS, S.DISPATCHED),
    (S.IN_PROGRESS, S.TRIAGED),
    (S.IN_PROGRESS, S.RECEIVED),
    (S.RESOLVED, S.ACKNOWLEDGED),
    (S.RESOLVED, S.DISPATCHED),
    (S.RESOLVED, S.TRIAGED),
    (S.RESOLVED, S.RECEIVED),
    (S.CLOSED, S.RESOLVED),
    (S.CLOSED, S.IN_PROGRESS),
    (S.CLOSED, S.ACKNOWLEDGED),
    (S.CLOSED, S.DISPATCHED),
    (S.CLOSED, S.TRIAGED),
    (S.CLOSED, S.RECEIVED),
    (S.DISPATCHED, S.TRIAGED),
}
ALL_PAIRS = [(a, b) for a, b in product(S, S) if a != b]


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_legal_transition_applies(current: S, target: S) -> None:
    assert decide(current, target).outcome == Outcome.APPLY


@pytest.mark.parametrize(("current", "target"), sorted(STALE))
def test_late_update_behind_the_current_state_is_ignored(current: S, target: S) -> None:
    assert decide(current, target).outcome == Outcome.STALE


@pytest.mark.parametrize(
    ("current", "target"), [p for p in ALL_PAIRS if p not in LEGAL and p not in STALE]
)
def test_every_other_transition_is_refused_with_a_clear_error(current: S, target: S) -> None:
    with pytest.raises(IllegalTransition) as caught:
        decide(current, target)
    assert f"from {current} to {target}" in str(caught.value)


@pytest.mark.parametrize("status", list(S))
def test_repeating_the_current_state_is_a_no_op(status: S) -> None:
    assert decide(status, status).outcome == Outcome.NOOP


def test_an_update_older_than_the_last_one_never_changes_the_state() -> None:
    last = datetime(2026, 11, 29, 10, tzinfo=UTC)
    decision = decide(
        S.DISPATCHED, S.RESOLVED, occurred_at=last - timedelta(minutes=1), last_update_at=last
    )
    assert decision.outcome == Outcome.STALE


def test_reopening_a_resolved_report_is_counted_and_limited_to_the_window() -> None:
    assert decide(S.RESOLVED, S.IN_PROGRESS).reopen is True
    with pytest.raises(IllegalTransition, match="reopen window"):
        decide(S.RESOLVED, S.IN_PROGRESS, reopen_allowed=False)


def test_an_opd_sending_a_report_back_to_triage_is_marked_as_returned() -> None:
    assert decide(S.DISPATCHED, S.RECEIVED).returned is True
    assert decide(S.ACKNOWLEDGED, S.RECEIVED).returned is True


def test_terminal_states() -> None:
    assert {s for s in S if is_terminal(s)} == {S.CLOSED, S.REJECTED, S.REDIRECTED, S.DUPLICATE}


@pytest.mark.parametrize("status", list(S))
def test_every_state_has_indonesian_and_english_labels_and_an_open311_status(status: S) -> None:
    assert LABELS[status]["id"] and LABELS[status]["en"]
    open311, _extended = OPEN311[status]
    assert open311 == ("closed" if status in {S.RESOLVED, *filter(is_terminal, S)} else "open")
