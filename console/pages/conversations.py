"""Conversation pages: the filtered list, one conversation, review marks and tags.

The list shows masked previews and ids; the conversation view shows the full text to
logged-in staff and records the view in the audit log. Both catch the transcript index
up first (bounded), and the background indexer keeps it current while the console runs.
"""

from __future__ import annotations

from typing import Dict, List, Mapping, Tuple
from urllib.parse import parse_qsl, quote

from aiohttp import web
from sqlalchemy.orm import Session

from clinic.content.catalog import catalog
from console.conversations import conversation, indexing
from console.conversations.transcripts import (
    BadFilter,
    ConversationFilter,
    Listed,
    channels,
    list_conversations,
    summary,
)
from console.paging import Page
from console.web import current_user, db, form, redirect, render, settings_of

routes = web.RouteTableDef()
MAX_ID = 255
FORM_FIELDS = ("channel", "from", "to", "topic", "threshold", "reviewed", "tag", "q")
FLAG_FIELDS = ("low", "fallback", "alert", "handoff")


def setup(app: web.Application) -> None:
    """Keep the transcript index current while the console serves."""
    indexing.setup(app)


def conversation_url(conversation_id: str) -> str:
    """The view's path: ids are quoted whole (SMS ids are phone numbers with ``+``)."""
    return "/conversations/" + quote(conversation_id, safe="")


def _form_values(request: web.Request, flt: ConversationFilter) -> Dict[str, str]:
    values = {key: request.query.get(key, "")[:200] for key in FORM_FIELDS + FLAG_FIELDS}
    values["threshold"] = values["threshold"] or f"{flt.threshold:g}"
    return values


def _list_data(session: Session, flt: ConversationFilter
               ) -> Tuple[Page[Listed], List[str]]:
    return list_conversations(session, flt), channels(session)


@routes.get("/conversations")
async def conversation_list(request: web.Request) -> web.Response:
    """The conversation list with every filter as GET parameters."""
    default = ConversationFilter(threshold=settings_of(request).console.low_confidence)
    try:
        flt, error = ConversationFilter.from_query(request.query, default.threshold), ""
    except BadFilter as problem:
        flt, error = default, str(problem)
    await indexing.refresh()
    known_channels: List[str] = []
    page: Page[Listed] = Page([], 1, flt.per_page, 0)
    if not error:
        page, known_channels = await db(_list_data, flt)
    cat = catalog()
    return render(request, "conversations/list.html", status=400 if error else 200,
                  error=error, flt=flt, result=page, values=_form_values(request, flt),
                  channels=known_channels, topics=cat.labels, back=flt.query_string(),
                  page_link=lambda number: "/conversations?" + flt.query_string(page=number))


def _conversation_id(request: web.Request) -> str:
    conversation_id = request.match_info["conversation_id"]
    if not conversation_id.strip() or len(conversation_id) > MAX_ID:
        raise _problem(request, 404, "No such conversation.")
    return conversation_id


def _problem(request: web.Request, status: int, message: str,
             back: str = "/conversations") -> web.HTTPException:
    """An error page (400 or 404) to raise."""
    page = render(request, "conversations/problem.html", status=status, message=message,
                  back=back)
    error = {400: web.HTTPBadRequest, 404: web.HTTPNotFound}[status]
    return error(text=page.text, content_type="text/html")


def _back(request: web.Request) -> str:
    """The list URL to return to (only filter parameters survive)."""
    pairs = parse_qsl(request.query.get("back", "")[:2000])
    try:
        flt = ConversationFilter.from_query(dict(pairs))
    except BadFilter:
        return "/conversations"
    query = flt.query_string()
    return "/conversations" + ("?" + query if query else "")


@routes.get("/conversations/{conversation_id}")
async def conversation_view(request: web.Request) -> web.Response:
    """One conversation in full (audited)."""
    conversation_id = _conversation_id(request)
    await indexing.refresh()
    found = await db(conversation.view, conversation_id, current_user(request).username)
    if found is None:
        raise _problem(request, 404, "No such conversation.")
    here = conversation_url(conversation_id)
    back = _back(request)
    back_query = back.partition("?")[2]
    return_to = here + ("?back=" + quote(back_query, safe="") if back_query else "")
    return render(request, "conversations/conversation.html", conversation=found,
                  labels=catalog().labels, here=here, back=back, back_query=back_query,
                  return_to=return_to, threshold=settings_of(request).console.low_confidence)


@routes.post("/conversations/{conversation_id}/review")
async def review(request: web.Request) -> web.Response:
    """Mark the conversation reviewed (``reviewed=1``) or not (``reviewed=0``)."""
    conversation_id = _conversation_id(request)
    fields = await form(request)
    reviewed = fields.get("reviewed", "1") != "0"
    await indexing.refresh()
    done = await db(conversation.set_reviewed, conversation_id,
                    current_user(request).username, reviewed)
    if not done:
        raise _problem(request, 404, "No such conversation.")
    raise redirect(_return_to(conversation_id, fields),
                   "Marked reviewed." if reviewed else "Marked not reviewed.")


@routes.post("/conversations/{conversation_id}/tags")
async def tag(request: web.Request) -> web.Response:
    """Add (``action=add``) or remove (``action=remove``) a tag."""
    conversation_id = _conversation_id(request)
    fields = await form(request)
    user = current_user(request).username
    value = fields.get("tag", "")[:200]
    here = _return_to(conversation_id, fields)
    if fields.get("action") == "remove":
        removed = await db(conversation.remove_tag, conversation_id, value, user)
        raise redirect(here, "Tag removed." if removed else "That tag was not there.")
    await indexing.refresh()
    if await db(summary, conversation_id) is None:
        raise _problem(request, 404, "No such conversation.")
    try:
        added = await db(conversation.add_tag, conversation_id, value, user)
    except BadFilter as problem:
        raise _problem(request, 400, str(problem), here) from None
    raise redirect(here, f"Tagged {added}.")


def _return_to(conversation_id: str, fields: Mapping[str, str]) -> str:
    back = fields.get("back", "")[:2000]
    url = conversation_url(conversation_id)
    return url + ("?back=" + quote(back, safe="") if back else "")
