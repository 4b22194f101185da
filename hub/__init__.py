"""Lampung-In Hub: the integration hub (ESB) behind the Lampung-In super-app."""

__version__ = "0.1.0"
