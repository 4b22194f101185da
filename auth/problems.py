"""RFC 9457 problem+json for the SSO's API errors (the hub has its own central handler)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

PROBLEM_TYPE_BASE = "urn:lampung-in:hub:problem:"


class AuthProblem(HTTPException):
    """An HTTPException that renders as problem+json and keeps its WWW-Authenticate header.

    Without `install_problem_handler` FastAPI still answers with the right status and headers.
    """

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(status_code=status, detail=detail, headers=headers)
        self.kind = kind
        self.title = title
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {
            "type": PROBLEM_TYPE_BASE + self.kind,
            "title": self.title,
            "status": self.status_code,
            "detail": self.detail,
            **self.extra,
        }

    def to_response(self) -> JSONResponse:
        return JSONResponse(
            self.body(),
            status_code=self.status_code,
            headers=self.headers,
            media_type="application/problem+json",
        )


async def _handle(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthProblem)
    return exc.to_response()


def install_problem_handler(app: FastAPI) -> None:
    app.add_exception_handler(AuthProblem, _handle)
