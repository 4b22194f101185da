"""Durable delivery: the outbox, Celery tasks, retries, breakers, dead letters, status updates.

Wiring (what the rest of the hub calls):

    startup (API process)   wiring.setup(factory=..., resolver=..., fernet=...)
                            (= runtime.configure + resolver.set_resolver + relay.install)
    intake transaction      outbox.stage(session, kind=MessageKind.DELIVER_COMPLAINT,
                                         payload={}, target=<instance id>, complaint_id=c.id)
                            (commit; the relay enqueues `hub.delivery.deliver(<message id>)`)
    status updates          hub.complaints.updates.apply_status_update(session, update, source=)
    notifications           hub.notifications.service.emit(session, type, data, subject=)
    routers                 api.admin_router(dependencies=[...]) under /v1/admin;
                            api.webhook_router() under /v1
    CLI                     cli.app as `hub deliveries`
    worker + beat           celery -A hub.delivery.celery_app worker --pool=prefork -c 4 -B
                                   -s data/celerybeat-schedule
                            (worker processes find the resolver via HUB_DELIVERY_RESOLVER)
"""
