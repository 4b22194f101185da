"""Single sign-on: the hub as OAuth 2.0 / OpenID Connect provider. Never imports `hub`.

Wiring (the hub does this once in `create_app()`):

    from auth.setup import AuthConfig, build
    components = build(AuthConfig(issuer=..., api_audience=..., secret_key=...), sessionmaker)
    components.install(app)        # provider routes + /admin/sso + guard + problem handler

Protecting an endpoint:

    from auth.guard import Principal, require, ensure_opd_access
    async def handler(p: Principal | None = Depends(require("complaints:read"))): ...

Modules: `models` (tables, `AuthBase`), `server` (authlib AuthorizationServer, grants,
endpoints), `routes` (Starlette adapter, login/consent/logout pages), `guard` (bearer checks),
`clients` / `admin_api` / `cli` (client administration), `keys` (signing keys and rotation),
`users` (citizens, ASN, lockout), `bootstrap` (first admin, well-known clients).
"""
