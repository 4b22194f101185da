"""The startup call wires runtime, resolver and relay together."""

from __future__ import annotations

import uuid

from delivery_fakes import FakeResolver, add_complaint
from sqlalchemy.orm import Session, sessionmaker

from hub.delivery import outbox, relay
from hub.delivery.resolver import get_resolver
from hub.delivery.runtime import get_runtime
from hub.delivery.wiring import setup, teardown


def test_setup_installs_the_relay_resolver_and_runtime(factory: sessionmaker[Session]) -> None:
    sent: list[uuid.UUID] = []
    relay.set_sender(sent.append)
    resolver = FakeResolver({})
    try:
        runtime = setup(factory=factory, resolver=resolver)
        assert get_runtime() is runtime and get_resolver() is resolver
        with factory() as session, session.begin():
            c = add_complaint(session)
            session.flush()
            m = outbox.stage(
                session, kind="deliver_complaint", payload={}, target="x", complaint_id=c.id
            )
        assert sent == [m.id]
    finally:
        teardown()
        relay.set_sender(None)
    assert not relay.installed()
