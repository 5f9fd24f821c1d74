"""The review page's guard, as Jupyter Server does it (STYLE.md §9): host, token, XSRF, headers.

Every request passes, in order: the Host header must name the bound address (a DNS-rebinding
page cannot talk to us); the per-launch token must come with it (`?token=` once, then an
HttpOnly SameSite=Strict cookie, or `Authorization: token …`); a request that changes
anything (every non-GET) must also carry the XSRF value derived from the token, which another
site's page cannot read, and must not come from another site. Every response gets a CSP that
allows only this server's own files, and is never cached (the pages show claims).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import structlog
from starlette.datastructures import URL, Headers, MutableHeaders, QueryParams
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
SAFE_METHODS = frozenset({"GET", "HEAD"})
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",  # no-referrer would make browsers send `Origin: null` on our own forms
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")

log = structlog.get_logger()


def xsrf_value(token: str) -> str:
    """Return the XSRF value forms carry: derived from the token, so only our own pages know it."""
    return hmac.new(token.encode(), b"cart837 xsrf", hashlib.sha256).hexdigest()[:32]


def is_loopback(host: str) -> bool:
    """Return whether a bind address is the loopback interface."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """Return the Host header values accepted for a server bound to host:port."""
    if is_loopback(host):
        return frozenset(f"{name}:{port}" for name in LOOPBACK_NAMES)
    shown = f"[{host}]" if ":" in host else host
    return frozenset({f"{shown}:{port}"})


@dataclass(frozen=True, slots=True)
class Guard:
    """ASGI middleware: refuse what is not ours before the app sees it; add the security headers."""

    app: ASGIApp
    token: str
    hosts: frozenset[str]
    cookie: str

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check one request, then pass it on with the headers added to its response."""
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets here
        refusal = self._refusal(scope)
        if refusal is not None:
            await _secured(refusal)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, _with_headers(send))
        except Exception as problem:  # noqa: BLE001 - the app already answered 500; a traceback may quote PHI
            log.error("review_request_failed", error=type(problem).__name__)

    def _refusal(self, scope: Scope) -> Response | None:
        headers = Headers(scope=scope)
        if headers.get("host", "").lower() not in self.hosts:
            return PlainTextResponse("403: this server answers only to its own address (Host header)", 403)
        request = Request(scope)
        given = request.query_params.get("token")
        if given is not None and _same(given, self.token):
            return self._login(request)
        if not (self._has_cookie(request) or self._has_header(headers)):
            return PlainTextResponse(
                "403: open the address `cart837 serve` printed when it started (it carries the token)", 403
            )
        if scope["method"] not in SAFE_METHODS:
            return self._cross_site(request, headers)
        return None

    def _login(self, request: Request) -> Response:
        """Trade `?token=` for the cookie and drop it from the address (history, screenshots)."""
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        target = URL(path=request.url.path, query=urlencode(rest))
        response = RedirectResponse(str(target), status_code=303)
        response.set_cookie(self.cookie, self.token, httponly=True, samesite="strict", path="/")
        return response

    def _has_cookie(self, request: Request) -> bool:
        return _same(request.cookies.get(self.cookie, ""), self.token)

    def _has_header(self, headers: Headers) -> bool:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "token" and _same(value.strip(), self.token)

    def _cross_site(self, request: Request, headers: Headers) -> Response | None:
        if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return PlainTextResponse("403: a request from another site cannot change anything here", 403)
        origin = headers.get("origin")
        if origin is not None and origin.lower() not in {f"http://{h}" for h in self.hosts}:
            return PlainTextResponse("403: a request from another site cannot change anything here", 403)
        given = headers.get("x-xsrftoken") or QueryParams(request.scope.get("query_string", b"")).get("_xsrf", "")
        if not _same(given, xsrf_value(self.token)):
            return PlainTextResponse("403: the form lacks its XSRF value (reload the page and try again)", 403)
        return None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _with_headers(send: Send) -> Send:
    async def send_secured(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in HEADERS.items():
                headers[name] = value
        await send(message)

    return send_secured


def _secured(response: Response) -> ASGIApp:
    for name, value in HEADERS.items():
        response.headers[name] = value
    return response
