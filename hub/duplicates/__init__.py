"""Possible duplicates: suggested at intake, confirmed or dismissed by staff (FixMyStreet)."""
