"""The dashboard: conversations, top topics, fallback rate and alerts per day, as SVG charts."""

from __future__ import annotations

from typing import Dict, List

from aiohttp import web

from clinic.content.catalog import catalog
from console import charts, dashboard
from console.web import db, render

routes = web.RouteTableDef()

LEVEL_NAMES = {"crisis": "Crisis", "emergency": "Emergency", "urgent": "Urgent",
               "follow_up": "Follow-up"}


def topic_label(key: str) -> str:
    """``Recovery time (faq/recovery_time)`` for FAQ keys; intents as they are."""
    if key == "nlu_fallback":
        return "Not understood (nlu_fallback)"
    answer = catalog().answer_for_label(key)
    return f"{answer.title} ({key})" if answer else key


def build_charts(numbers: dashboard.Numbers) -> Dict[str, charts.Chart]:
    """The four charts of the dashboard."""
    days = numbers.days
    levels = {f"level-{level}": [numbers.alerts.get(level, {}).get(day, 0) for day in days]
              for level in dashboard.LEVELS}
    names = {f"level-{level}": LEVEL_NAMES[level] for level in dashboard.LEVELS}
    return {
        "conversations": charts.columns(
            "Conversations per day", days,
            {"bar": [numbers.conversations.get(day, 0) for day in days]},
            {"bar": "Conversations"}, "conversations"),
        "topics": charts.ranking(
            "Top topics of patient messages",
            [(topic_label(key), count) for key, count in numbers.topics], "messages"),
        "fallback": charts.rate_line(
            "Fallback rate per day", days, [numbers.rate(day) for day in days],
            [numbers.messages.get(day, (0, 0)) for day in days]),
        "alerts": charts.columns("Staff alerts per day by level", days, levels, names,
                                 "alerts"),
    }


def range_days(value: str) -> int:
    """7, 30 or 90 (days); 400 for anything else."""
    if value not in {str(days) for days in dashboard.RANGES}:
        raise web.HTTPBadRequest(text="Choose a range of 7, 30 or 90 days.")
    return int(value)


@routes.get("/dashboard")
async def dashboard_page(request: web.Request) -> web.Response:
    """Charts for the last 7, 30 or 90 days (``?days=``)."""
    days = range_days(request.query.get("days", "30"))
    numbers = await db(dashboard.load, days)
    fallback = sum(f for f, _ in numbers.messages.values())
    messages = sum(n for _, n in numbers.messages.values())
    totals: List[tuple] = [
        ("Conversations", sum(numbers.conversations.values())),
        ("Patient messages", messages),
        ("Fallback rate", f"{charts.number(100 * fallback / messages)}%" if messages else "–"),
        ("Staff alerts", sum(sum(d.values()) for d in numbers.alerts.values())),
        ("Hand-offs", numbers.handoffs),
        ("Appointment requests", numbers.appointments),
    ]
    return render(request, "dashboard/dashboard.html", days=days, ranges=dashboard.RANGES,
                  numbers=numbers, totals=totals, charts=build_charts(numbers))
