"""The console's web plumbing: templates, database calls, login and CSRF middleware.

Every page needs a login except ``/login``, ``/health`` and ``/static/``. Every unsafe
request (POST ...) must carry the session's CSRF token (form field ``csrf_token`` or header
``X-CSRF-Token``) and, when the browser sends one, a same-origin ``Origin``. Pages get a
strict Content-Security-Policy (no inline script) and are never cached.
"""

from __future__ import annotations

import ipaddress
import secrets
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Sequence, TypeVar
from urllib.parse import quote, urlsplit

import jinja2
from aiohttp import web

from clinic import accounts, audit
from clinic.accounts import StaffIdentity
from clinic.db import run_in_thread, session_scope
from clinic.settings import Settings
from console.conversations.masking import mask_conversation_id, mask_text

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
PUBLIC_PATHS = ("/login", "/health")
MAX_PAGE = 1_000_000  # the highest page number a list accepts
SETTINGS_KEY: web.AppKey[Settings] = web.AppKey("settings", Settings)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
       "object-src 'none'")


def settings_of(request: web.Request) -> Settings:
    """The settings the app was created with."""
    return request.app[SETTINGS_KEY]


async def db(function: Callable[..., T], *args: Any) -> T:
    """Run ``function(session, *args)`` in one transaction, off the event loop."""

    def work() -> T:
        with session_scope() as session:
            return function(session, *args)

    return await run_in_thread(work)


def current_user(request: web.Request) -> StaffIdentity:
    """The logged-in staff member (the middleware guarantees one on non-public pages)."""
    user: Optional[StaffIdentity] = request.get("user")
    if user is None:
        raise web.HTTPUnauthorized()
    return user


def require_admin(request: web.Request) -> StaffIdentity:
    """The logged-in staff member if an admin; else 403."""
    user = current_user(request)
    if not user.is_admin:
        raise web.HTTPForbidden(text="Only admins can do this.")
    return user


def _ip(value: str) -> Optional[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Optional[ipaddress.IPv4Address | ipaddress.IPv6Address],
             proxies: Sequence[str]) -> bool:
    return address is not None and any(
        address in ipaddress.ip_network(proxy) for proxy in proxies)


def client_address(request: web.Request) -> Optional[str]:
    """The client's IP address: the TCP peer, or behind a trusted proxy its X-Forwarded-For.

    The console is aiohttp, whose ``request.remote`` is the peer. When the peer is one of
    ``CONSOLE_TRUSTED_PROXIES``, the client is the last X-Forwarded-For hop that isn't a
    trusted proxy (earlier hops are whatever the client sent, so never believed).
    """
    peer = request.remote
    proxies = settings_of(request).console.trusted_proxies
    peer_ip = _ip(peer) if peer else None
    if not _trusted(peer_ip, proxies):
        return str(peer_ip) if peer_ip is not None else (peer or None)
    hops = [hop.strip() for header in request.headers.getall("X-Forwarded-For", [])
            for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        hop_ip = _ip(hop)
        if hop_ip is None:
            return hop[:audit.MAX_ADDRESS]  # written by our proxy, just not an address
        if not _trusted(hop_ip, proxies):
            return str(hop_ip)
    return str(peer_ip)


def page_number(value: str) -> int:
    """A list's page number from the query string; 400 unless 1 to ``MAX_PAGE``."""
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise web.HTTPBadRequest(text="The page number must be a whole number from 1.")
    return int(value)


def format_time(value: Optional[datetime]) -> str:
    """``2026-11-21 14:05`` (UTC), or an empty string."""
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


@lru_cache(maxsize=1)
def templates() -> jinja2.Environment:
    """The page templates (``console/templates/<group>/``), HTML-escaped by default.

    ``base.html`` (the layout) and ``pager.html`` (the one pager macro) are shared.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(mask=mask_text, mask_id=mask_conversation_id, time=format_time,
                       urlpart=lambda value: quote(str(value), safe=""))
    return env


NAV = (
    ("/conversations", "Conversations", False),
    ("/queues", "Queues", False),
    ("/answers", "Answers", False),
    ("/annotations", "Training data", False),
    ("/dashboard", "Dashboard", False),
    ("/admin", "Admin", True),
)


def render(request: web.Request, template: str, status: int = 200,
           **context: Any) -> web.Response:
    """Render ``template`` with the user, CSRF token and navigation available."""
    login: Optional[accounts.LoginSession] = request.get("login")
    values: Dict[str, Any] = {
        "user": login.user if login else None,
        "csrf_token": login.csrf_token if login else request.get("login_csrf", ""),
        "nav": [(href, label) for href, label, admin in NAV
                if login and (login.user.is_admin or not admin)],
        "path": request.path,
        "flash": request.query.get("msg", "")[:200],
    }
    values.update(context)
    body = templates().get_template(template).render(**values)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def redirect(location: str, message: str = "") -> web.HTTPSeeOther:
    """A 303 to ``location`` (a local path), with an optional notice shown on arrival."""
    if not location.startswith("/") or location.startswith("//"):
        location = "/"
    if message:
        location += ("&" if "?" in location else "?") + "msg=" + quote(message[:200])
    return web.HTTPSeeOther(location)


def safe_next(value: str) -> str:
    """A local path to return to after login (never another site)."""
    parts = urlsplit(value or "")
    if parts.scheme or parts.netloc or not (value or "").startswith("/") or "\\" in value:
        return "/"
    return value


async def form(request: web.Request) -> Mapping[str, str]:
    """The posted form fields as strings (files are ignored)."""
    data = await request.post()
    return {key: value for key, value in data.items() if isinstance(value, str)}


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host


async def _csrf_ok(request: web.Request, expected: str) -> bool:
    sent = request.headers.get("X-CSRF-Token", "")
    if not sent and request.content_type in ("application/x-www-form-urlencoded",
                                             "multipart/form-data"):
        sent = str((await request.post()).get("csrf_token", ""))
    return bool(expected) and secrets.compare_digest(sent.encode(), expected.encode())


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CSP, no framing, no sniffing, no referrer; pages are not cached."""
    try:
        response = await handler(request)
    except web.HTTPException as error:
        response = error
        _headers(request, response)
        raise
    _headers(request, response)
    return response


def _headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on our own
    # form posts, which the CSRF check must refuse. Other sites still get no referrer.
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")


@web.middleware
async def require_login(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Pages need a valid session; unsafe methods also need the CSRF token.

    Everything audited while the request is handled records its client address.
    """
    request["client_address"] = client_address(request)
    with audit.request_address(request["client_address"]):
        return await _require_login(request, handler)


async def _require_login(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in PUBLIC_PATHS or request.path.startswith("/static/"):
        return await handler(request)
    settings = settings_of(request).console
    token = request.cookies.get(SESSION_COOKIE, "")
    login = await db(accounts.resume_session, settings, token) if token else None
    if login is None:
        if request.method in ("GET", "HEAD"):
            raise web.HTTPSeeOther("/login?next=" + quote(request.path_qs, safe=""))
        raise web.HTTPUnauthorized(text="Your session has ended. Log in again.")
    request["login"] = login
    request["user"] = login.user
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        if not _same_origin(request) or not await _csrf_ok(request, login.csrf_token):
            raise web.HTTPForbidden(text="This form has expired. Reload the page and try again.")
    return await handler(request)


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    """The session cookie: HTTP-only, SameSite=Strict, Secure when configured."""
    settings = settings_of(request).console
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Strict", path="/",
                        secure=settings.secure_cookies, max_age=settings.max_hours * 3600)
