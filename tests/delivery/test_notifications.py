"""Notifications out: Standard Webhooks signatures, secrets at rest, delivery through the outbox."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
from delivery_fakes import Behaviour, CountingServer, add_complaint
from sqlalchemy import select

from hub.complaints.models import Complaint
from hub.complaints.updates import append_event, apply_status_update
from hub.db import utcnow
from hub.delivery import engine, outbox
from hub.delivery.engine import Step
from hub.delivery.models import OutboxMessage
from hub.delivery.runtime import Runtime, fernet_from_secret
from hub.notifications.models import Subscription
from hub.notifications.service import (
    complaint_events,
    create_subscription,
    emit,
    rotate_secret,
)
from hub.notifications.signing import (
    WebhookVerificationError,
    generate_secret,
    headers_for,
    sign,
    verify,
)
from schemas.models import Status, StatusUpdate


def ten_line_check(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a subscriber writes without any library (the Standard Webhooks recipe)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    if abs(time.time() - int(headers["webhook-timestamp"])) > 300:
        return False
    return any(
        hmac.compare_digest(sig.split(",", 1)[1], expected)
        for sig in headers["webhook-signature"].split(" ")
    )


def subscribe(
    rt: Runtime, server: CountingServer, name: str, types: list[str]
) -> tuple[uuid.UUID, str]:
    assert rt.fernet is not None
    with rt.factory() as session, session.begin():
        sub, secret = create_subscription(
            session, rt.fernet, url=f"{server.url(name)}/hooks", event_types=types
        )
    return sub.id, secret


def status_change(rt: Runtime) -> list[uuid.UUID]:
    with rt.factory() as session, session.begin():
        add_complaint(session, status="dispatched", external_refs={"opd-a": "R-1"})
        session.flush()
        update = StatusUpdate(
            external_ref="R-1",
            status=Status.ACKNOWLEDGED,
            occurred_at=utcnow(),
            source_event_id="1",
        )
        return apply_status_update(session, update, source="opd-a").notifications


def test_secrets_are_random_whsec_base64_of_at_least_24_bytes() -> None:
    a, b = generate_secret(), generate_secret()
    assert a != b and a.startswith("whsec_")
    assert len(base64.b64decode(a.removeprefix("whsec_"))) >= 24
    with pytest.raises(ValueError):
        generate_secret(16)


def test_a_signature_matches_the_standard_webhooks_test_vector() -> None:
    # The example from the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_verify_accepts_a_good_signature_and_refuses_tampering_and_replays() -> None:
    secret = generate_secret()
    body = b'{"a":1}'
    headers = headers_for([secret], "evt_1", body)
    verify(secret, headers, body)
    with pytest.raises(WebhookVerificationError, match="no matching signature"):
        verify(secret, headers, b'{"a":2}')
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify(secret, headers, body, now=time.time() + 3600)
    with pytest.raises(WebhookVerificationError, match="headers"):
        verify(secret, {}, body)
    with pytest.raises(WebhookVerificationError):
        verify(generate_secret(), headers, body)


def test_secrets_are_stored_encrypted_and_shown_once(rt: Runtime, server: CountingServer) -> None:
    sub_id, secret = subscribe(rt, server, "superapp", ["*"])
    with rt.factory() as session:
        sub = session.get(Subscription, sub_id)
        assert sub is not None and secret not in sub.secret_encrypted
        assert secret.removeprefix("whsec_") not in sub.secret_encrypted
        assert rt.fernet is not None
        assert rt.fernet.decrypt(sub.secret_encrypted.encode()).decode() == secret


def test_a_subscriber_verifies_the_delivered_webhook_with_a_ten_line_hmac_check(
    rt: Runtime, server: CountingServer
) -> None:
    _, secret = subscribe(rt, server, "superapp", ["complaint.status_changed"])
    (mid,) = status_change(rt)
    assert engine.process(rt, mid) == Step.DELIVERED
    ((headers, body),) = server.of("superapp").hooks
    assert ten_line_check(secret, headers, body)
    verify(secret, headers, body)
    event = json.loads(body)
    assert event["type"] == "complaint.status_changed" and event["specversion"] == "1.0"
    assert event["data"]["status"] == "acknowledged" and headers["webhook-id"] == event["id"]


def test_during_rotation_both_secrets_verify(rt: Runtime, server: CountingServer) -> None:
    sub_id, old = subscribe(rt, server, "superapp", ["*"])
    assert rt.fernet is not None
    with rt.factory() as session, session.begin():
        new = rotate_secret(session, rt.fernet, sub_id)
    (mid,) = status_change(rt)
    engine.process(rt, mid)
    ((headers, body),) = server.of("superapp").hooks
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert ten_line_check(old, headers, body) and ten_line_check(new, headers, body)


def test_a_retry_carries_the_same_webhook_id(rt: Runtime, server: CountingServer) -> None:
    server.set("superapp", Behaviour(status=500))
    _, secret = subscribe(rt, server, "superapp", ["*"])
    (mid,) = status_change(rt)
    assert engine.process(rt, mid) == Step.RETRY
    server.set("superapp", Behaviour())
    with rt.factory() as session, session.begin():
        m = session.get(OutboxMessage, mid)
        assert m is not None
        m.next_attempt_at = utcnow()
    assert engine.process(rt, mid) == Step.DELIVERED
    first, second = server.of("superapp").hooks
    assert first[0]["webhook-id"] == second[0]["webhook-id"] and first[1] == second[1]
    assert ten_line_check(secret, *second)


def test_410_gone_disables_the_endpoint(rt: Runtime, server: CountingServer) -> None:
    server.set("superapp", Behaviour(status=410))
    sub_id, _ = subscribe(rt, server, "superapp", ["*"])
    (mid,) = status_change(rt)
    assert engine.process(rt, mid) == Step.DEAD
    with rt.factory() as session, session.begin():
        sub = session.get(Subscription, sub_id)
        assert sub is not None and not sub.enabled and "410" in (sub.disabled_reason or "")
        assert emit(session, "complaint.status_changed", {"x": 1}) == []


@pytest.mark.parametrize("code", [429, 502, 504])
def test_slow_down_answers_postpone_the_next_attempt(
    rt: Runtime, server: CountingServer, code: int
) -> None:
    server.set("superapp", Behaviour(status=code, retry_after="90"))
    subscribe(rt, server, "superapp", ["*"])
    (mid,) = status_change(rt)
    assert engine.process(rt, mid) == Step.RETRY
    with rt.factory() as session:
        m = session.get(OutboxMessage, mid)
        assert m is not None and (m.next_attempt_at - utcnow()).total_seconds() > 80


def test_unknown_event_types_and_plain_http_urls_are_refused(rt: Runtime) -> None:
    assert rt.fernet is not None
    with rt.factory() as session:
        with pytest.raises(ValueError, match="unknown event types"):
            create_subscription(session, rt.fernet, url="https://x.example/h", event_types=["nope"])
        with pytest.raises(ValueError, match="https"):
            create_subscription(session, rt.fernet, url="http://x.example/h", event_types=["*"])


def test_the_events_feed_serves_the_public_timeline(rt: Runtime) -> None:
    status_change(rt)
    with rt.factory() as session:
        (c,) = session.scalars(select(Complaint))
        append_event(session, c, type="complaint.delivery_failed", internal_note="opd down")
        append_event(session, c, type="complaint.note_added", internal_note="internal only")
        session.flush()
        events = complaint_events(session, c.id)
        assert [e["data"]["status"] for e in events] == ["acknowledged"]
        assert events[0]["id"] == f"{c.id}:1" and "internal_note" not in events[0]["data"]
        assert complaint_events(session, c.id, after=1) == []


def test_the_fernet_key_is_derived_per_purpose() -> None:
    a = fernet_from_secret("k", "one")
    token = a.encrypt(b"x")
    assert fernet_from_secret("k", "one").decrypt(token) == b"x"
    with pytest.raises(Exception):  # noqa: B017
        fernet_from_secret("k", "two").decrypt(token)


def test_a_worker_without_the_secret_key_leaves_webhooks_pending(
    rt: Runtime, server: CountingServer
) -> None:
    subscribe(rt, server, "superapp", ["*"])
    (mid,) = status_change(rt)
    rt.fernet = None
    assert engine.process(rt, mid) == Step.SKIPPED
    with rt.factory() as session:
        m = session.get(OutboxMessage, mid)
        assert m is not None and m.state == "pending" and m.attempts == 0


def test_a_dead_letter_is_announced_to_operations_subscribers(
    rt: Runtime, server: CountingServer
) -> None:
    subscribe(rt, server, "ops", ["delivery.dead_lettered"])
    server.set("opd-a", Behaviour(status=400))
    with rt.factory() as session, session.begin():
        c = add_complaint(session)
        session.flush()
        m = outbox.stage(
            session, kind="deliver_complaint", payload={}, target="opd-a", complaint_id=c.id
        )
    assert engine.process(rt, m.id) == Step.DEAD
    with rt.factory() as session:
        (hook,) = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "webhook"))
        event = json.loads(hook.payload["body"])
    assert event["type"] == "delivery.dead_lettered"
    assert event["data"]["message_id"] == str(m.id) and event["data"]["target"] == "opd-a"
    assert engine.process(rt, hook.id) == Step.DELIVERED
