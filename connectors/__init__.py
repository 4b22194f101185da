"""Connector SDK: what OPD developers import to adapt their app to the common schema."""
