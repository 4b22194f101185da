"""Single sign-on: the hub as OAuth 2.0 / OpenID Connect provider."""
