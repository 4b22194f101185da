"""Routing of complaints to the responsible institution."""
