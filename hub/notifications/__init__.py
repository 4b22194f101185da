"""Notifications out: webhook subscriptions signed per the Standard Webhooks spec."""
