"""Training data pages: annotate a patient message, list and undo annotations, export.

The annotation form itself sits in the conversation view (``POST /annotations`` with
``event_id``, ``conversation_id``, ``label`` and ``next``). Reviewers annotate; admins also
export the annotations as NLU training data.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from aiohttp import web
from sqlalchemy.orm import Session

from clinic.content.catalog import catalog
from clinic.review import rasa_events
from clinic.review.training_export import build, display_path, export
from console import annotations as labelling
from console.paging import link
from console.web import (
    current_user,
    db,
    form,
    redirect,
    render,
    require_admin,
    safe_next,
    settings_of,
)

routes = web.RouteTableDef()

PREVIEW_LINES = 300
EXPORTED = {"": None, "yes": True, "no": False}


def _error(request: web.Request, message: str, status: int = 400) -> web.Response:
    return render(request, "annotations/error.html", status=status, message=message)


def _back(next_path: str, message: str, default: str = "/annotations") -> web.HTTPSeeOther:
    """A redirect to ``next_path`` (a local path; its #fragment kept) with a notice."""
    parts = urlsplit(safe_next(next_path) if next_path else default)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if k != "msg"])
    location = str(redirect(urlunsplit(("", "", parts.path, query, "")), message).location)
    if parts.fragment:
        location += "#" + quote(parts.fragment, safe="-_.~")
    return web.HTTPSeeOther(location)


def _number(value: str, limit: int = 18) -> Optional[int]:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) <= limit else None


@routes.post("/annotations")
async def annotate(request: web.Request) -> web.Response:
    """Save the label a reviewer chose for one patient message."""
    user = current_user(request)
    fields = await form(request)
    event_id = _number(fields.get("event_id", ""))
    conversation_id = fields.get("conversation_id", "").strip()
    label = fields.get("label", "").strip()
    if event_id is None:
        return _error(request, "The message number is missing or not a number.")
    if not conversation_id or len(conversation_id) > 255:
        return _error(request, "The conversation is missing.")
    if not label or len(label) > 96:
        return _error(request, "Choose an intent or an answer.")
    try:
        saved = await db(labelling.annotate, event_id, conversation_id, label,
                         user.username)
    except labelling.AnnotationError as error:
        return _error(request, str(error), error.status)
    note = "correct as is" if saved.correct_as_is else f"now {saved.label}"
    raise _back(fields.get("next", ""), f"Annotation saved: {saved.predicted or 'nothing'}"
                f" → {saved.label} ({note}).")


@routes.post("/annotations/{id}/delete")
async def delete(request: web.Request) -> web.Response:
    """Undo an annotation."""
    user = current_user(request)
    fields = await form(request)
    annotation_id = _number(request.match_info["id"])
    if annotation_id is None:
        return _error(request, "No such annotation.", 404)
    removed = await db(labelling.remove, annotation_id, user.username)
    if removed is None:
        return _error(request, "No such annotation (it may have been removed already).", 404)
    raise _back(fields.get("next", ""), "Annotation removed.")


def _list_page(session: Session, filters: Dict[str, Any], target: Any) -> Dict[str, Any]:
    page = labelling.list_annotations(session, **filters)
    pii = rasa_events.personal_data(session, {row.conversation_id for row in page.rows})
    preview = build(session, target)
    lines = preview.text.splitlines()
    return {
        "result": page,
        "pii": pii,
        "authors": labelling.authors(session),
        "preview": "\n".join(lines[:PREVIEW_LINES]),
        "preview_cut": max(len(lines) - PREVIEW_LINES, 0),
        "preview_written": preview.written,
        "preview_skipped": dict(sorted(preview.skipped.items())),
    }


def _filters(query: Mapping[str, str]) -> Optional[Dict[str, Any]]:
    """The list's filters from the query string (None if unreadable)."""
    page = _number(query.get("page", "1") or "1", 6)
    exported = query.get("exported", "")
    label, author = query.get("label", "").strip(), query.get("author", "").strip()
    if page is None or page < 1 or exported not in EXPORTED or len(label) > 96 \
            or len(author) > 64:
        return None
    return {"label": label, "exported": EXPORTED[exported], "author": author, "page": page}


@routes.get("/annotations")
async def listing(request: web.Request) -> web.Response:
    """All annotations (newest first, filtered) and a preview of the export."""
    filters = _filters(request.query)
    if filters is None:
        return _error(request, "Unreadable filter or page number.")
    target = settings_of(request).console.reviewed_data
    context = await db(_list_page, filters, target)
    query = {key: request.query.get(key, "") for key in ("label", "exported", "author")}
    here = request.path + "?" + urlencode({**query, "page": filters["page"]})
    return render(request, "annotations/list.html", labels=catalog().labels,
                  label_groups=labelling.label_groups(), filters=query,
                  page_link=link(request.path, query), here=here,
                  target=display_path(target), **context)


@routes.post("/annotations/export")
async def export_all(request: web.Request) -> web.Response:
    """Write the reviewed-data file (admins only) and show what was written and skipped."""
    user = require_admin(request)
    target = settings_of(request).console.reviewed_data
    try:
        built = await db(export, target, user.username)
    except OSError as error:
        return _error(request, f"Could not write {display_path(target)}: "
                               f"{error.strerror or error}", 500)
    return render(request, "annotations/export.html", target=display_path(target),
                  written=built.written, labels=len(built.by_label),
                  skipped=dict(sorted(built.skipped.items())))
