"""HTML templates of the SSO pages (a package so the wheel ships them)."""
