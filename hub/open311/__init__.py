"""Open311 GeoReport v2 at /open311/v2/: civic apps file and follow reports without new code."""
