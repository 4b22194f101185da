"""Delivery gauges computed from the outbox on each scrape.

Workers are separate processes (Celery prefork), so their in-memory counters never reach the
API's `/metrics`; the outbox table is the shared truth instead.  One grouped query per scrape.
Cardinality stays bounded: connector targets are admin-registered instances, and every webhook
subscription is folded into the single label value `webhook`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.db import utcnow
from hub.delivery.models import MessageState, OutboxMessage, TargetState

__all__ = ["DeliveryCollector", "delivery_registry", "target_label"]

log = logging.getLogger(__name__)

STATES = (MessageState.PENDING, MessageState.DEAD, MessageState.PARKED)
WEBHOOK_LABEL = "webhook"


def target_label(target: str | None) -> str:
    if target is None:
        return "unrouted"
    return WEBHOOK_LABEL if target.startswith("webhook:") else target


class DeliveryCollector(Collector):
    def __init__(
        self, factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._factory = factory
        self._clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "hub_outbox_metrics_up", "1 when the outbox could be read for these gauges"
        )
        try:
            families = self._families()
        except Exception as exc:  # a scrape must not fail because the database is down
            log.warning("outbox metrics unavailable: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> list[GaugeMetricFamily]:
        now = self._clock()
        depth: dict[tuple[str, str], int] = defaultdict(int)
        in_flight: dict[str, int] = defaultdict(int)
        oldest: dict[str, datetime] = {}
        with self._factory() as session:
            by_state = session.execute(
                select(
                    OutboxMessage.target,
                    OutboxMessage.state,
                    func.count(OutboxMessage.id),
                    func.min(OutboxMessage.created_at),
                )
                .where(OutboxMessage.state.in_([str(s) for s in STATES]))
                .group_by(OutboxMessage.target, OutboxMessage.state)
            ).all()
            leased = session.execute(
                select(OutboxMessage.target, func.count(OutboxMessage.id))
                .where(
                    OutboxMessage.state == MessageState.PENDING,
                    OutboxMessage.leased_until > now,
                )
                .group_by(OutboxMessage.target)
            ).all()
            targets = session.execute(
                select(TargetState.target, TargetState.suspended_at, TargetState.breaker_state)
            ).all()
        for target, state, count, first in by_state:
            label = target_label(target)
            depth[(label, state)] += int(count)
            if state == MessageState.PENDING and first is not None:
                oldest[label] = min(first, oldest.get(label, first))
        for target, count in leased:
            in_flight[target_label(target)] += int(count)

        messages = GaugeMetricFamily(
            "hub_outbox_messages",
            "Outbox messages by target and state (pending, dead = dead letters, parked)",
            labels=["target", "state"],
        )
        for (label, state), count in sorted(depth.items()):
            messages.add_metric([label, state], count)
        flying = GaugeMetricFamily(
            "hub_outbox_in_flight", "Messages leased by a worker right now", labels=["target"]
        )
        for label, count in sorted(in_flight.items()):
            flying.add_metric([label], count)
        age = GaugeMetricFamily(
            "hub_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending message per target",
            labels=["target"],
        )
        for label, first in sorted(oldest.items()):
            age.add_metric([label], max((now - first).total_seconds(), 0.0))
        suspended = GaugeMetricFamily(
            "hub_delivery_target_suspended",
            "1 when the engine suspended the connector target (human fallback lane)",
            labels=["target"],
        )
        breaker_open = GaugeMetricFamily(
            "hub_delivery_breaker_open",
            "1 when the target's circuit breaker is open or half-open",
            labels=["target"],
        )
        for target, suspended_at, breaker_state in sorted(targets):
            if target_label(target) == WEBHOOK_LABEL:
                continue
            suspended.add_metric([target], 1 if suspended_at is not None else 0)
            breaker_open.add_metric([target], 0 if breaker_state == "closed" else 1)
        return [messages, flying, age, suspended, breaker_open]


def delivery_registry(
    factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow
) -> CollectorRegistry:
    """A registry holding only the outbox gauges, built per scrape (per app's database)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DeliveryCollector(factory, clock))
    return registry
