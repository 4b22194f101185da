"""Connector instances: an OPD app reached through a connector type with its own config."""
