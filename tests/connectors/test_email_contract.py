"""The built-in email connector passes the contract kit against the SMTP sink."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.builtin.smtp_email import EmailConnector
from connectors.testing import ConnectorContract, Harness
from hub.simulators import SmtpSink
from hub.simulators.configs import email_config


class TestEmail(ConnectorContract):
    connector_class = EmailConnector

    @pytest.fixture
    def harness(self, smtp: SmtpSink) -> Harness:
        def received(ref: str) -> dict[str, Any]:
            message = smtp.by_message_id(ref).message
            return {"subject": message["Subject"], "body": message.get_content()}

        return Harness(
            config=email_config(smtp, timeout=0.5),
            fail_transient=lambda: smtp.fail("tempfail", times=1),  # SMTP 451
            fail_permanent=lambda: smtp.fail("reject", times=1),  # SMTP 550
            fail_timeout=lambda: smtp.fail("timeout", times=1),
            received=received,
            client_timeout=0.5,
            idempotent=False,  # a mailbox cannot de-duplicate; the Message-ID is stable instead
        )
