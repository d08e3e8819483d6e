"""Answers: the assistant's texts with sources and review date; admins edit and roll back.

Response names contain ``/`` (``utter_faq/recovery_time``), so they are matched with a
``{name:.+}`` pattern; the roll-back route is registered first.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence
from urllib.parse import quote

from aiohttp import web
from sqlalchemy.orm import Session

from clinic.content import answers
from clinic.content.answer_rules import AnswerError
from clinic.content.catalog import catalog
from console.web import db, form, redirect, render, require_admin, settings_of

routes = web.RouteTableDef()

MAX_NAME = 128
MAX_SEARCH = 100


def answer_href(name: str) -> str:
    """The page of an answer (its name keeps its ``/``)."""
    return "/answers/" + quote(name, safe="/")


def _name(request: web.Request) -> str:
    """The response name in the URL; 404 unless the catalog has it."""
    name = request.match_info["name"]
    if len(name) > MAX_NAME or name not in catalog().answers:
        raise web.HTTPNotFound(text="There is no answer of that name.")
    return name


def _soon(request: web.Request) -> str:
    seconds = settings_of(request).console.answers_refresh_seconds
    return f"Patients get it within {seconds:g} seconds."


@routes.get("/answers")
async def answer_list(request: web.Request) -> web.Response:
    """Every answer: title, name, FAQ or not, sources, last review, edited or not."""
    search = request.query.get("q", "")[:MAX_SEARCH]
    rows = await db(answers.overview, search)
    return render(request, "answers/list.html", rows=rows, search=search, href=answer_href)


def _details(session: Session, name: str) -> Dict[str, Any]:
    now = answers.current(session, name)
    revisions = answers.history(session, name)
    answer = answers.find(name)
    return {
        "answer": answer,
        "now": now,
        "revisions": revisions,
        "last_review": answers.last_review(answer, revisions[0].created_at if revisions else None),
    }


async def _page(request: web.Request, name: str, status: int = 200,
                errors: Sequence[str] = (), values: Optional[Mapping[str, str]] = None
                ) -> web.Response:
    """The answer page; after a refused edit, the errors and the text as entered."""
    values = values or {}
    details = await db(_details, name)
    now = details["now"]
    entered = {
        "chat_text": values.get("chat_text", now.chat_text),
        "sms_text": values.get("sms_text", now.sms_text or ""),
        "reason": values.get("reason", ""),
    }
    return render(request, "answers/answer.html", status=status, errors=list(errors), form=entered,
                  href=answer_href(name), **details)


@routes.get("/answers/{name:.+}")
async def answer_page(request: web.Request) -> web.Response:
    """One answer: current and original texts, sources, history; edit form for admins."""
    return await _page(request, _name(request))


@routes.post("/answers/{name:.+}/rollback")
async def answer_rollback(request: web.Request) -> web.Response:
    """Make an older revision (0 = the original text) current again (admins only)."""
    user = require_admin(request)
    name = _name(request)
    fields = await form(request)
    raw = fields.get("to_revision", "").strip()
    if not raw.isdigit() or len(raw) > 9:
        return await _page(request, name, 400, ["Choose a revision to go back to."])
    try:
        number = await db(lambda session: answers.rollback(
            session, name, int(raw), user.username, fields.get("reason", "")[:2000]).revision)
    except AnswerError as error:
        return await _page(request, name, 400, error.errors)
    raise redirect(answer_href(name),
                   f"Revision {number} restores revision {raw}. {_soon(request)}")


@routes.post("/answers/{name:.+}")
async def answer_save(request: web.Request) -> web.Response:
    """Save a new revision of the chat and SMS text (admins only)."""
    user = require_admin(request)
    name = _name(request)
    fields = await form(request)
    values = {key: fields.get(key, "") for key in ("chat_text", "sms_text", "reason")}
    try:
        number = await db(lambda session: answers.save_revision(
            session, name, values["chat_text"], values["sms_text"], user.username,
            values["reason"]).revision)
    except AnswerError as error:
        return await _page(request, name, 400, error.errors, values)
    raise redirect(answer_href(name), f"Saved as revision {number}. {_soon(request)}")

