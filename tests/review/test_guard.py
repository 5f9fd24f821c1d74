"""The Guard in-process: an app error is answered 500 and logged by type only (no traceback, no values)."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from structlog.testing import capture_logs

from cart837.review.security import Guard, allowed_hosts

TOKEN = "ab" * 24


async def _broken(request: Request) -> Response:
    raise ValueError("cannot pair HARTWELL 4TJ9EK2WN83")  # a bug quoting PHI


def _call(app: Any, headers: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": headers,
        "scheme": "http",
        "server": ("127.0.0.1", 8837),
        "client": ("127.0.0.1", 5000),
        "root_path": "",
        "http_version": "1.1",
    }
    asyncio.run(app(scope, receive, send))
    return sent


def test_an_app_error_is_a_500_page_and_a_log_line_without_values() -> None:
    app = Starlette(routes=[Route("/", _broken)])
    guard = Guard(app, TOKEN, allowed_hosts("127.0.0.1", 8837), "cart837-token-8837")
    headers = [(b"host", b"127.0.0.1:8837"), (b"authorization", f"token {TOKEN}".encode())]
    with capture_logs() as logs:
        sent = _call(guard, headers)
    assert sent[0]["status"] == 500
    assert dict(sent[0]["headers"])[b"content-security-policy"].startswith(b"default-src 'none'")
    assert logs == [{"event": "review_request_failed", "error": "ValueError", "log_level": "error"}]
    refused = _call(guard, [(b"host", b"127.0.0.1:8837")])
    assert refused[0]["status"] == 403
