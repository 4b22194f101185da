"""Principals and builders for the triage desk, rule administration and OPD action tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.access import Principal
from hub.complaints.models import Complaint
from hub.integrations.models import ConnectorInstance
from tests.api.helpers import submission
from tests.conftest import ADMIN

DLH_KOTA = "dlh-kota-bandar-lampung"  # where the default test report (garbage, the city) goes
KOTA = "kota-bandar-lampung"  # the city government: the next rule after DLH refuses
BAPENDA = "bapenda-prov"

# A rule set that places only road reports, so anything else waits for a person.
ROADS_ONLY = [
    {
        "id": "jalan-provinsi",
        "priority": 600,
        "categories": ["jalan_jembatan"],
        "institution": ["bmbk-prov"],
    }
]


def staff(opd: str, *scopes: str, subject: str | None = None) -> Principal:
    """A civil servant (ASN) of `opd` with the scopes an OPD's staff get."""
    return Principal(
        subject=subject or f"staff-{opd}",
        kind="asn",
        opd=opd,
        roles=frozenset({"opd_staff"}),
        scopes=frozenset(scopes or ("complaints:read", "complaints:update")),
    )


def opd_client(opd: str) -> Principal:
    """An OPD app's machine client (client credentials), e.g. an e-mail connector's mailbox."""
    return Principal(
        subject=f"client-{opd}",
        kind="client",
        opd=opd,
        client_id=f"client-{opd}",
        scopes=frozenset({"complaints:read", "complaints:update"}),
    )


CITIZEN = Principal(
    subject="citizen-7", kind="citizen", scopes=frozenset({"complaints:read", "complaints:write"})
)


@pytest.fixture
def file_report(
    client: TestClient, login: Callable[[Principal | None], None]
) -> Callable[..., dict[str, Any]]:
    """File a report as a signed-in citizen (the reporter) and return the API's answer."""

    def file(**overrides: Any) -> dict[str, Any]:
        login(CITIZEN)
        response = client.post("/v1/complaints", json=submission(**overrides))
        assert response.status_code == 201, response.text
        login(None)
        body: dict[str, Any] = response.json()
        return body

    return file


@pytest.fixture
def use_rules(
    client: TestClient, login: Callable[[Principal | None], None]
) -> Callable[[list[dict[str, Any]]], None]:
    """Put a rule set in force through the admin API."""

    def put(rules: list[dict[str, Any]]) -> None:
        login(ADMIN)
        response = client.put("/v1/admin/routing/rules", json={"rules": rules})
        assert response.status_code == 201, response.text
        login(None)

    return put


@pytest.fixture
def connect(app: FastAPI) -> Callable[[str, str], None]:
    """Give an OPD an enabled connector instance, so its reports are delivered to its app."""

    def add(instance_id: str, institution: str) -> None:
        with app.state.sessionmaker() as session, session.begin():
            session.add(
                ConnectorInstance(
                    id=instance_id,
                    connector="rest_json",
                    institution=institution,
                    config_sealed="unused-in-these-tests",
                    enabled=True,
                )
            )

    return add


def stored(app: FastAPI, complaint_id: str) -> Complaint:
    with app.state.sessionmaker() as session:
        complaint: Complaint | None = session.get(Complaint, uuid.UUID(complaint_id))
        assert complaint is not None
        _ = complaint.events  # loaded before the session closes
        return complaint
