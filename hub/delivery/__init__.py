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
    fallback lane           suspension: the engine suspends a target that keeps failing
                            (parks its messages, complaint.inbox, connector.suspended);
                            suspension.resume(session, target, now, actor=) after a check
    rate limit              service.set_rate_limit(session, target, per_minute) (GCRA bucket
                            on the target's row, shared by every worker)
    housekeeping (beat)     tasks.prune_delivered, tasks.purge_expired_auth
    worker + beat           celery -A hub.delivery.celery_app worker --pool=prefork -c 4 -B
                                   -s data/celerybeat-schedule
                            (worker processes find the resolver via HUB_DELIVERY_RESOLVER)
"""
