"""Institutions and complaint categories: seed data the hub owns, editable by admins."""
