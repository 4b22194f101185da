"""Durable delivery: the outbox, Celery tasks, retries, dead letters, webhooks."""
