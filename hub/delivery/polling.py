"""Status updates by polling: one connector instance, from its stored cursor.

The updates and the new cursor are written in one transaction, so a crash between fetching and
committing only means the same updates are fetched again, and de-duplication by source event id
makes that harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from pydantic import ValidationError

import schemas
from hub.complaints.updates import ApplyOutcome, apply_status_update
from hub.db import utcnow
from hub.delivery.models import PollCursor
from hub.delivery.resolver import get_resolver
from hub.delivery.runtime import Runtime
from schemas.models import StatusUpdate

__all__ = ["PollReport", "poll_target"]

log = logging.getLogger(__name__)


@dataclass
class PollReport:
    target: str
    fetched: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    invalid: int = 0
    error: str | None = None


def poll_target(rt: Runtime, target: str) -> PollReport:
    report = PollReport(target)
    with rt.factory() as session:
        row = session.get(PollCursor, target)
        cursor = row.cursor if row else None
    try:
        connector = get_resolver().resolve(target)
        batch = rt.run(connector.fetch_updates(cursor))
    except Exception as exc:  # recorded on the cursor row; the next beat tries again
        report.error = f"{type(exc).__name__}: {exc}"
        with rt.factory() as session, session.begin():
            row = session.get(PollCursor, target) or PollCursor(target=target)
            row.last_error, row.polled_at = report.error[:2000], utcnow()
            session.add(row)
        log.warning("polling %s failed: %s", target, report.error)
        return report
    report.fetched = len(batch.updates)
    with rt.factory() as session, session.begin():
        for update in batch.updates:
            try:  # connectors build StatusUpdate objects; re-check them against the contract
                doc = update.model_dump(mode="json", exclude_none=True)
                schemas.validate(doc, "status-update")
                checked = StatusUpdate.model_validate(doc)
            except (schemas.SchemaError, ValidationError) as exc:
                report.invalid += 1
                log.warning("invalid update from %s skipped: %s", target, exc)
                continue
            result = apply_status_update(session, checked, source=target)
            report.outcomes[result.outcome] = report.outcomes.get(result.outcome, 0) + 1
        row = session.get(PollCursor, target, with_for_update=True) or PollCursor(target=target)
        row.cursor, row.polled_at, row.last_error = batch.cursor, utcnow(), None
        row.updates_applied = (row.updates_applied or 0) + report.outcomes.get(
            ApplyOutcome.APPLIED, 0
        )
        session.add(row)
    return report
