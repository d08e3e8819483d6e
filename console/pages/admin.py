"""Admin pages: staff accounts (create, enable/disable, role, password) and the audit log.

Admins only (reviewers get 403). Every change is audited by ``clinic.accounts``.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from aiohttp import web
from sqlalchemy.orm import Session

from clinic import accounts
from clinic.accounts import admin
from clinic.models import StaffUser
from console import audit_log
from console.paging import Page, link
from console.web import db, form, page_number, redirect, render, require_admin

routes = web.RouteTableDef()

USER = r"{username:[A-Za-z0-9._-]{1,64}}"
MAX_FIELD = 256


async def _admin_page(request: web.Request, status: int = 200, error: str = "",
                      draft: Optional[Mapping[str, str]] = None) -> web.Response:
    draft = draft or {}
    return render(request, "admin/accounts.html", status=status, error=error,
                  users=await db(admin.users), roles=StaffUser.ROLES,
                  draft={"username": draft.get("username", "")[:64],
                         "display_name": draft.get("display_name", "")[:120],
                         "role": draft.get("role", "reviewer")})


@routes.get("/admin")
async def admin_page(request: web.Request) -> web.Response:
    """Accounts, with forms to add and change them."""
    require_admin(request)
    return await _admin_page(request)


async def _change(request: web.Request, change: Callable[[Session], Any], done: str,
                  draft: Optional[Mapping[str, str]] = None, then: str = "/admin"
                  ) -> web.Response:
    """Run an account change; unknown accounts give 404, refused changes the page with 400."""
    try:
        await db(change)
    except LookupError as error:
        raise web.HTTPNotFound(text=str(error)) from error
    except accounts.AccountError as error:
        return await _admin_page(request, 400, str(error), draft)
    raise redirect(then, done)


def _passwords(fields: Mapping[str, str]) -> str:
    """The new password, or AccountError if the two copies differ."""
    password = fields.get("password", "")[:MAX_FIELD]
    if password != fields.get("repeat", "")[:MAX_FIELD]:
        raise accounts.AccountError("The two passwords differ.")
    return password


@routes.post("/admin/users")
async def create_user(request: web.Request) -> web.Response:
    """Add an account with a role and an initial password."""
    user = require_admin(request)
    fields = await form(request)

    def create(session: Session) -> None:
        accounts.create_user(session, fields.get("username", "")[:MAX_FIELD], _passwords(fields),
                             fields.get("role", ""), fields.get("display_name", "")[:120],
                             created_by=user.username)

    name = accounts.normalise_username(fields.get("username", ""))[:64]
    return await _change(request, create, f"Account {name} created.", fields)


@routes.post(f"/admin/users/{USER}/active")
async def set_active(request: web.Request) -> web.Response:
    """Enable (``active=1``) or disable (``active=0``) an account."""
    user, name = require_admin(request), request.match_info["username"]
    active = (await form(request)).get("active") == "1"

    def change(session: Session) -> None:
        admin.change_active(session, name, active, user.username)

    return await _change(request, change,
                         f"{name.lower()} is {'enabled' if active else 'disabled'}.")


@routes.post(f"/admin/users/{USER}/role")
async def set_role(request: web.Request) -> web.Response:
    """Change an account's role."""
    user, name = require_admin(request), request.match_info["username"]
    role = (await form(request)).get("role", "")

    def change(session: Session) -> None:
        admin.change_role(session, name, role, user.username)

    demoted_self = name.lower() == user.username and role != "admin"
    return await _change(request, change, f"{name.lower()} is now {role}.",
                         then="/" if demoted_self else "/admin")


@routes.post(f"/admin/users/{USER}/password")
async def set_password(request: web.Request) -> web.Response:
    """Set a new password for an account (its sessions end)."""
    user, name = require_admin(request), request.match_info["username"]
    fields = await form(request)

    def change(session: Session) -> None:
        admin.reset_password(session, name, _passwords(fields), user.username)

    return await _change(request, change,
                         f"New password set for {name.lower()}; their sessions were ended.")


def _audit(session: Session, page: int, filters: Dict[str, str]
           ) -> Tuple[Page[Dict[str, Any]], List[str]]:
    return (audit_log.entries(session, page, filters["user"], filters["action"],
                              filters["target"]), audit_log.actions(session))


@routes.get("/admin/audit")
async def audit_page(request: web.Request) -> web.Response:
    """The audit log, newest first; filters by user, action and target id; 50 a page."""
    require_admin(request)
    query = request.query
    filters: Dict[str, str] = {key: query.get(key, "").strip()[:255]
                               for key in ("user", "action", "target")}
    page, actions = await db(_audit, page_number(query.get("page", "1")), filters)
    return render(request, "admin/audit.html", log=page, actions=actions, filters=filters,
                  page_link=link("/admin/audit", {k: v for k, v in filters.items() if v}))
