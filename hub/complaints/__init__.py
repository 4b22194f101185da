"""Complaints (pengaduan): intake, lifecycle, timeline."""
