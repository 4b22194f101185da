"""Possible-duplicate suggestions: same category, nearby, recent (FixMyStreet's rule)."""
