"""Triage and routing of a new complaint inside the intake transaction.

The pure parts (classifier, rules) decide; this module applies the decision: category,
institution, status and timeline, and stages the delivery to the OPD's connected app. An OPD with
no connected app gets the report in its inbox in the hub (the human fallback lane).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.complaints import service as complaints
from hub.complaints.models import Complaint
from hub.delivery import outbox, suspension
from hub.delivery.models import MessageKind
from hub.integrations.models import ConnectorInstance
from hub.routing.dispatch import Assessment, Predictor, assess
from hub.routing.models import RuleSetVersion
from hub.routing.rules import Rule, default_rules, parse_rules
from schemas.models import Status

ACTOR = "hub:triage"


class Triage:
    """The classifier, loaded once per process on first use (training takes a second or two),
    and loaded again when `hub triage train` saved a newer model (checked every 30 s)."""

    RECHECK_SECONDS = 30.0

    def __init__(self, data_dir: Path, classifier: Predictor | None = None) -> None:
        self._data_dir = data_dir
        self._classifier = classifier
        self._fixed = classifier is not None  # given by the caller (tests): never reloaded
        self._model_mtime: float | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def _saved_mtime(self) -> float | None:
        from hub.triage.training import model_path

        try:
            return model_path(self._data_dir).stat().st_mtime
        except OSError:
            return None

    def classifier(self) -> Predictor:
        with self._lock:
            if self._classifier is not None and not self._fixed:
                now = time.monotonic()
                if now - self._checked_at >= self.RECHECK_SECONDS:
                    self._checked_at = now
                    mtime = self._saved_mtime()
                    if mtime is not None and mtime != self._model_mtime:
                        self._classifier = None  # retrained elsewhere: load the new one
            if self._classifier is None:
                from hub.triage.classifier import Classifier
                from hub.triage.training import default_classifier, model_path

                fresh = self._model_mtime is not None
                self._classifier = (
                    Classifier.load(model_path(self._data_dir))
                    if fresh
                    else default_classifier(self._data_dir)
                )
                self._model_mtime = self._saved_mtime()
                self._checked_at = time.monotonic()
            return self._classifier


_process_triage: Triage | None = None


def set_process_triage(triage: Triage | None) -> None:
    """The API process shares its app's Triage with code that runs outside a request."""
    global _process_triage
    _process_triage = triage


def process_triage() -> Triage:
    """This process's Triage (workers build one from the settings on first use)."""
    global _process_triage
    if _process_triage is None:
        from hub.settings import get_settings

        _process_triage = Triage(get_settings().data_dir)
    return _process_triage


_parsed: tuple[tuple[int, datetime], tuple[Rule, ...]] | None = None


def active_rules(session: Session) -> tuple[Rule, ...]:
    """The newest saved rule set, or the shipped defaults when admins never saved one.

    Every intake asks; the set is parsed only when a new version was saved (a cheap query for
    the newest version's key, instead of loading and validating the whole set each time).
    """
    global _parsed
    latest = session.execute(
        select(RuleSetVersion.version, RuleSetVersion.created_at)
        .order_by(RuleSetVersion.version.desc())
        .limit(1)
    ).first()
    if latest is None:
        return default_rules()
    key = (latest.version, latest.created_at)
    cached = _parsed
    if cached is not None and cached[0] == key:
        return cached[1]
    row = session.get(RuleSetVersion, latest.version)
    assert row is not None
    rules = parse_rules(row.rules)
    _parsed = (key, rules)
    return rules


def connector_for(
    session: Session, institution: str, category: str | None, region: str | None
) -> ConnectorInstance | None:
    """The enabled instance of `institution` that serves this category and region, the most
    specific first (an instance naming the category beats a catch-all)."""
    rows = session.scalars(
        select(ConnectorInstance)
        .where(ConnectorInstance.institution == institution, ConnectorInstance.enabled.is_(True))
        .order_by(ConnectorInstance.id)
    ).all()
    fitting = [
        row
        for row in rows
        if (not row.categories or category in row.categories)
        and (not row.regions or region in row.regions)
    ]
    fitting.sort(key=lambda row: (not row.categories, not row.regions))
    return fitting[0] if fitting else None


@dataclass(frozen=True)
class Routed:
    assessment: Assessment
    target: str | None  # connector instance the delivery was staged for


def _refused_by(complaint: Complaint) -> frozenset[str]:
    return frozenset(
        str(e.data["refused_by"])
        for e in complaint.events
        if e.type == "complaint.returned" and e.data.get("refused_by")
    )


def route(session: Session, complaint: Complaint, triage: Triage) -> Routed:
    """Decide where a received complaint goes, and act on it (caller owns the transaction)."""
    text = f"{complaint.title}\n{complaint.description}"
    assessment = assess(
        text,
        rules=active_rules(session),
        classifier=triage.classifier(),
        category=complaint.category,
        region=complaint.region,
        refused_by=_refused_by(complaint),
    )
    decision = assessment.routing
    details: dict[str, Any] = assessment.as_dict()
    if complaint.region is None and decision.region_inferred:
        complaint.region = decision.region
    if assessment.manual_review:
        complaints.add_event(
            session,
            complaint,
            "complaint.triage_needed",
            actor=ACTOR,
            data=details,
            note="Laporan sedang diverifikasi petugas. / A person is checking this report.",
        )
        return Routed(assessment, None)
    complaint.category = assessment.category
    if decision.action == "redirect":
        complaints.set_status(
            session,
            complaint,
            Status.REDIRECTED,
            note=decision.explanation_id,
            internal_note=decision.explanation_en,
            actor=ACTOR,
            institution=decision.institution,
            redirect_to=decision.institution,
        )
        return Routed(assessment, None)
    assert decision.institution is not None
    target = assign(
        session,
        complaint,
        decision.institution,
        note=decision.explanation_id,
        internal_note=decision.explanation_en,
        actor=ACTOR,
    )
    return Routed(assessment, target)


def assign(
    session: Session,
    complaint: Complaint,
    institution: str,
    *,
    note: str,
    internal_note: str | None,
    actor: str,
) -> str | None:
    """Triage a received complaint to `institution` and hand it over: staged for the OPD's
    connected app, or left in the OPD's inbox in the hub. Returns the connector instance."""
    complaints.set_status(
        session,
        complaint,
        Status.TRIAGED,
        note=note,
        internal_note=internal_note,
        actor=actor,
        institution=institution,
    )
    instance = connector_for(session, institution, complaint.category, complaint.region)
    if instance is None:
        complaints.add_event(
            session,
            complaint,
            "complaint.inbox",
            actor=actor,
            data={"institution": institution},
            internal_note="No connected app: the report waits in the OPD's inbox in the hub.",
        )
        return None
    message = outbox.stage(
        session,
        kind=MessageKind.DELIVER_COMPLAINT,
        target=instance.id,
        complaint_id=complaint.id,
        payload={"complaint_id": str(complaint.id)},
    )
    if suspension.is_suspended(session, instance.id):  # the app is down: the inbox, at once
        session.flush()
        suspension.park(session, message, "connector instance suspended")
    return instance.id
