"""Connectors shipped with the hub, registered through the `hub.connectors` entry points like any
third-party connector."""
