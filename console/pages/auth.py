"""Log in, log out, and the pages anyone may reach."""

from __future__ import annotations

import secrets

from aiohttp import web
from sqlalchemy.orm import Session

from clinic import accounts
from console.web import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    current_user,
    db,
    form,
    redirect,
    render,
    safe_next,
    set_session_cookie,
    settings_of,
)

routes = web.RouteTableDef()


@routes.get("/health")
async def health(_: web.Request) -> web.Response:
    """Liveness probe (no database access, no login)."""
    return web.json_response({"status": "ok"})


@routes.get("/")
async def home(_: web.Request) -> web.Response:
    """The conversation list is the start page."""
    raise web.HTTPSeeOther("/conversations")


def _login_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    # Keep the browser's token: another login page load (a second tab, the browser's own
    # /favicon.ico request redirected here) must not invalidate the form already shown.
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not 20 <= len(token) <= 64 or not token.replace("-", "").replace("_", "").isalnum():
        token = secrets.token_urlsafe(24)
    request["login_csrf"] = token
    response = render(request, "auth/login.html", status=status, error=error,
                      next=safe_next(request.query.get("next", "/")))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict",
                        path="/login", secure=settings_of(request).console.secure_cookies)
    return response


@routes.get("/login")
async def login_form(request: web.Request) -> web.Response:
    """The login form."""
    return _login_page(request)


@routes.post("/login")
async def login(request: web.Request) -> web.Response:
    """Check the credentials; on success start a session and go where the user was going."""
    fields = await form(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(fields.get("csrf_token", "").encode(),
                                                  expected.encode()):
        return _login_page(request, "The form expired. Please try again.", 403)
    token, error = await db(accounts.login, settings_of(request).console,
                            fields.get("username", ""), fields.get("password", "")[:256],
                            request.get("client_address"))
    if token is None:
        return _login_page(request, error, 401)
    response = redirect(safe_next(fields.get("next", "/")))
    set_session_cookie(request, response, token)
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/login")
    raise response


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    """End the session (the middleware has checked the CSRF token)."""
    await db(accounts.logout, request.cookies.get(SESSION_COOKIE, ""))
    response = redirect("/login", "You are logged out.")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


@routes.get("/account")
async def account(request: web.Request) -> web.Response:
    """The logged-in user's account: role, and a form to change the password."""
    return render(request, "auth/account.html", error="")


@routes.post("/account/password")
async def change_password(request: web.Request) -> web.Response:
    """Change one's own password (the current one is required); other sessions end."""
    user = current_user(request)
    fields = await form(request)

    def change(session: Session) -> str:
        # A log-in check, so wrong guesses count towards the address's limits.
        token, _ = accounts.login(session, settings_of(request).console, user.username,
                                  fields.get("current", "")[:256], request.get("client_address"))
        if token is None:
            return "The current password is wrong."
        if fields.get("new", "") != fields.get("repeat", ""):
            return "The two new passwords differ."
        try:
            accounts.set_password(session, user.username, fields.get("new", "")[:256],
                                  user.username)
        except accounts.AccountError as error:
            return str(error)
        return ""

    error = await db(change)
    if error:
        return render(request, "auth/account.html", status=400, error=error)
    response = redirect("/login", "Password changed. Log in with the new password.")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response
