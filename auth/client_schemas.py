"""Create / Update / Public shapes of an SSO client, shared by the API, the CLI and the service."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ClientKind = Literal["public", "confidential"]
GrantType = Literal["authorization_code", "refresh_token", "client_credentials"]


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str | None = Field(
        None, pattern=r"^[a-z0-9][a-z0-9._-]{2,99}$", description="generated when omitted"
    )
    name: str = Field(min_length=1, max_length=200)
    kind: ClientKind
    first_party: bool = False
    grant_types: list[GrantType] = Field(min_length=1)
    redirect_uris: list[str] = Field(default_factory=list)
    post_logout_redirect_uris: list[str] = Field(default_factory=list)
    default_scopes: list[str] = Field(default_factory=list)
    optional_scopes: list[str] = Field(default_factory=list)
    opd: str | None = Field(None, max_length=64)
    access_token_ttl: int | None = Field(None, ge=60, le=3600)
    refresh_token_ttl: int | None = Field(None, ge=300, le=90 * 24 * 3600)


class ClientUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    first_party: bool | None = None
    grant_types: list[GrantType] | None = Field(None, min_length=1)
    redirect_uris: list[str] | None = None
    post_logout_redirect_uris: list[str] | None = None
    default_scopes: list[str] | None = None
    optional_scopes: list[str] | None = None
    opd: str | None = None
    access_token_ttl: int | None = Field(None, ge=60, le=3600)
    refresh_token_ttl: int | None = Field(None, ge=300, le=90 * 24 * 3600)
    disabled: bool | None = None


class SecretInfo(BaseModel):
    hint: str
    created_at: datetime
    expires_at: datetime | None


class ClientPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    client_id: str
    name: str
    kind: ClientKind
    first_party: bool
    grant_types: list[str]
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    default_scopes: list[str]
    optional_scopes: list[str]
    opd: str | None
    access_token_ttl: int | None
    refresh_token_ttl: int | None
    disabled: bool
    created_at: datetime
    updated_at: datetime
    secrets: list[SecretInfo] = Field(default_factory=list)


class ClientWithSecret(BaseModel):
    """Returned once, on create and on rotation: the secret is not stored in the clear."""

    client: ClientPublic
    client_secret: str | None


class RotateSecret(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_seconds: int | None = Field(
        None, ge=0, le=30 * 24 * 3600, description="how long the old secret stays valid"
    )
