"""Console dashboard: numbers per day, top topics, fallback rate, alerts, SVG charts."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from itertools import count

from clinic.db import session_scope
from clinic.models import ConversationMessage, ConversationSummary, StaffAlert, utcnow
from console import charts, dashboard
from console.pages.dashboard import build_charts
from tests.console_client import ConsoleClient

TODAY = utcnow().date()
EVENT_IDS = count(1)


def at(days_ago: int, hour: int = 10) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour))


def conversation(cid: str, days_ago: int, *messages: tuple) -> None:
    """A conversation and its patient messages: (intent, faq_key, fallback)."""
    with session_scope() as session:
        session.add(ConversationSummary(conversation_id=cid, channel="rest",
                                        started_at=at(days_ago), last_message_at=at(days_ago),
                                        user_messages=len(messages)))
        for intent, faq_key, fallback in messages:
            session.add(ConversationMessage(event_id=next(EVENT_IDS), conversation_id=cid,
                                            at=at(days_ago), text="hi", intent=intent,
                                            faq_key=faq_key, fallback=fallback))


def alert(level: str, days_ago: int) -> None:
    with session_scope() as session:
        session.add(StaffAlert(channel="rest", conversation_id="c", message_id=f"{level}{days_ago}"
                               f"{next(EVENT_IDS)}", message_text="x", level=level,
                               created_at=at(days_ago)))


def arrange() -> None:
    recovery = ("faq", "faq/recovery_time", False)
    conversation("a", 0, recovery, recovery, ("nlu_fallback", None, True))
    conversation("b", 0, ("greet", None, False))
    conversation("c", 2, recovery, ("nlu_fallback", None, True))
    conversation("old", 40, ("greet", None, False), ("greet", None, False))
    alert("crisis", 0)
    alert("emergency", 0)
    alert("urgent", 0)
    alert("urgent", 2)
    alert("follow_up", 45)


def test_numbers_per_day_topics_and_fallback_rate(db_engine) -> None:
    arrange()
    with session_scope() as session:
        numbers = dashboard.load(session, 30)
    assert len(numbers.days) == 30 and numbers.days[-1] == TODAY
    two_days_ago = TODAY - timedelta(days=2)
    assert numbers.conversations == {TODAY: 2, two_days_ago: 1}
    assert numbers.messages == {TODAY: (1, 4), two_days_ago: (1, 2)}
    assert numbers.rate(TODAY) == 25.0 and numbers.rate(two_days_ago) == 50.0
    assert numbers.rate(TODAY - timedelta(days=1)) is None
    assert numbers.topics == [("faq/recovery_time", 3), ("nlu_fallback", 2), ("greet", 1)]
    assert numbers.alerts == {"crisis": {TODAY: 1}, "emergency": {TODAY: 1},
                              "urgent": {TODAY: 1, two_days_ago: 1}, "follow_up": {}}
    assert list(numbers.alerts) == ["crisis", "emergency", "urgent", "follow_up"]
    with session_scope() as session:
        assert dashboard.load(session, 90).topics[:2] == [("faq/recovery_time", 3), ("greet", 3)]
        assert dashboard.load(session, 7, TODAY - timedelta(days=60)).empty


def test_charts_have_tooltips_summaries_and_tables(db_engine) -> None:
    arrange()
    with session_scope() as session:
        built = build_charts(dashboard.load(session, 7))
    conversations = built["conversations"]
    assert [s.tooltip for s in conversations.shapes] == [
        f"{TODAY - timedelta(days=2)}: 1 conversations", f"{TODAY}: 2 conversations"]
    assert conversations.summary.startswith("Conversations per day, 7 days: 3 conversations")
    assert conversations.rows[-1] == (TODAY.isoformat(), "2")
    fallback = built["fallback"]
    assert [s.tooltip for s in fallback.shapes][-1] == f"{TODAY}: 25% (1 of 4 messages)"
    assert "33.3% overall (2 of 6 patient messages)" in fallback.summary
    assert fallback.line.startswith("M") and fallback.line.count("L") == 1
    assert built["topics"].rows == [("Recovery time (faq/recovery_time)", "3"),
                                    ("Not understood (nlu_fallback)", "2"), ("greet", "1")]
    alerts = built["alerts"]
    assert alerts.columns == ("Day", "Crisis", "Emergency", "Urgent", "Follow-up", "Total")
    assert alerts.rows[-1] == (TODAY.isoformat(), "1", "1", "1", "0", "3")
    today_bars = [s for s in alerts.shapes if s.tooltip.startswith(TODAY.isoformat())]
    assert [s.css for s in today_bars] == [
        "bar level-crisis", "bar level-emergency", "bar level-urgent"]
    for lower, upper in zip(today_bars, today_bars[1:], strict=False):
        assert upper.y + upper.height == lower.y  # stacked


def test_axis_maximum_is_round_with_whole_steps_for_counts() -> None:
    assert [charts.axis_top(v) for v in (0, 1, 3, 5, 7, 12, 26, 99, 101)] == [
        4, 4, 4, 8, 8, 20, 40, 100, 200]
    assert [charts.axis_top(v, whole=False) for v in (0, 0.3, 36, 100)] == [1, 0.4, 40, 100]


async def test_dashboard_page_draws_escaped_svg(console: ConsoleClient) -> None:
    arrange()
    conversation("x", 1, ("<script>alert(1)</script>", None, False))
    await console.login("rita")
    page = await console.page("/dashboard?days=7")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;: 1 messages</title>" in page
    assert page.count('role="img"') == 4 and page.count('class="visually-hidden"') == 4
    assert re.search(r'<svg [^>]*aria-label="Staff alerts per day by level, 7 days: 4 alerts', page)
    assert "<title>" + TODAY.isoformat() + ": 1 Emergency alerts</title>" in page
    assert "<title>" + TODAY.isoformat() + ": 1 Crisis alerts</title>" in page
    assert "style=" not in page and "<script" not in page.replace("&lt;script", "")
    assert 'aria-current="true">7 days' in page


async def test_empty_dashboard_and_bad_range(console: ConsoleClient) -> None:
    await console.login("rita")
    page = await console.page("/dashboard")
    assert "Nothing to chart yet" in page and "<svg" not in page
    for value in ("abc", "365", "", "-7"):
        assert (await console.get(f"/dashboard?days={value}")).status == 400
    alert("urgent", 0)  # alerts only: charts, each empty one says so
    page = await console.page("/dashboard?days=7")
    assert page.count("<svg") == 1 and page.count("No data in this range yet.") == 3


def test_day_range_covers_month_ends() -> None:
    days = dashboard.day_range(7, date(2024, 3, 2))
    assert days[0] == date(2024, 2, 25) and days[-1] == date(2024, 3, 2) and len(days) == 7
