"""Follow-ups: registration plans check-ins in the database; quiet hours, caps, opt-outs and
stale check-ins decide when one may go out; the staff CLI registers, lists and cancels."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from clinic import staff
from clinic.followups import schedule as followups
from clinic.followups.checkin_sender import claim_due
from clinic.followups.schedule import DEFER, SEND, SKIP, decide, next_allowed, plan, register
from clinic.models import FollowUp, FollowUpCheckin, SmsConsent
from clinic.settings import load_settings

CHICAGO = ZoneInfo("America/Chicago")
PHONE = "+13125550199"
SOON = date.today() + timedelta(days=2)  # registration refuses dates wholly in the past


def utc(year: int, month: int, day: int, hour: int, minute: int = 0,
        zone: ZoneInfo = CHICAGO) -> datetime:
    """A patient-local wall time as naive UTC."""
    return followups.to_utc(datetime(year, month, day, hour, minute, tzinfo=zone))


def checkins(db_session, follow_up_id: int):
    db_session.expire_all()
    return db_session.execute(select(FollowUpCheckin).where(
        FollowUpCheckin.follow_up_id == follow_up_id).order_by(FollowUpCheckin.day_offset)
    ).scalars().all()


def test_settings_defaults_and_overrides():
    default = load_settings({}).followups
    assert default.day_offsets == (1, 3, 7)
    assert (default.send_from, default.send_until) == (time(9), time(20))
    assert (default.max_per_day, default.max_per_week) == (1, 3)
    assert default.default_timezone == "America/Chicago"
    custom = load_settings({"FOLLOWUP_DAYS": "2,14,x,2", "FOLLOWUP_SEND_FROM": "08:30",
                            "FOLLOWUP_SEND_UNTIL": "19:00", "FOLLOWUP_MAX_PER_WEEK": "99",
                            "FOLLOWUP_TIMEZONE": "Mars/Olympus"}).followups
    assert custom.day_offsets == (2, 14)
    assert (custom.send_from, custom.send_until) == (time(8, 30), time(19))
    assert custom.max_per_week == 50  # clamped
    assert custom.default_timezone == "America/Chicago"  # unknown zone: the clinic's
    # a window that ends before it starts falls back to the safe default
    assert load_settings({"FOLLOWUP_SEND_FROM": "21:00"}).followups.send_from == time(9)


def test_plan_is_patient_local_and_survives_dst():
    settings = load_settings({}).followups
    # 2026-11-01 is the end of daylight saving time in the US
    planned = plan(date(2026, 10, 31), CHICAGO, settings)
    assert [followups.to_local(p, CHICAGO).strftime("%m-%d %H:%M") for p in planned] == [
        "11-01 10:00", "11-03 10:00", "11-07 10:00"]
    assert planned[0] == datetime(2026, 11, 1, 16, 0)  # CST = UTC-6


def test_next_allowed_respects_quiet_hours():
    settings = load_settings({}).followups
    assert next_allowed(utc(2026, 11, 20, 12), CHICAGO, settings) == utc(2026, 11, 20, 12)
    assert next_allowed(utc(2026, 11, 20, 7), CHICAGO, settings) == utc(2026, 11, 20, 9)
    assert next_allowed(utc(2026, 11, 20, 20), CHICAGO, settings) == utc(2026, 11, 21, 9)
    assert next_allowed(utc(2026, 11, 20, 23, 59), CHICAGO, settings) == utc(2026, 11, 21, 9)


def test_register_stores_the_plan_and_refuses_bad_input(db_engine, db_session, settings_env):
    settings = settings_env()
    follow_up_id = register("(312) 555-0199", "Kyphoplasty", SOON, "kim",
                            "America/Denver", settings)
    follow_up = db_session.get(FollowUp, follow_up_id)
    assert (follow_up.phone, follow_up.procedure, follow_up.timezone, follow_up.status,
            follow_up.created_by) == (PHONE, "kyphoplasty", "America/Denver", "active", "kim")
    rows = checkins(db_session, follow_up_id)
    assert [r.day_offset for r in rows] == [1, 3, 7]
    assert all(r.status == "scheduled" and r.due_at == r.scheduled_at for r in rows)
    day_one = SOON + timedelta(days=1)
    assert rows[0].due_at == utc(day_one.year, day_one.month, day_one.day, 10,
                                 zone=ZoneInfo("America/Denver"))
    for args, message in [
        (("555", "kyphoplasty", SOON), "phone"),
        ((PHONE, "discectomy", SOON), "Procedure"),
        ((PHONE, "kyphoplasty", date(2000, 1, 1)), "past"),
        ((PHONE, "kyphoplasty", SOON), "Already registered"),
    ]:
        with pytest.raises(followups.FollowUpError, match=message):
            register(*args, "kim", None, settings)
    with pytest.raises(followups.FollowUpError, match="time zone"):
        register(PHONE, "vertebroplasty", SOON, "kim", "Nowhere/Town", settings)


def decision(now: datetime, sent=(), may_text=True, status="active", scheduled=None):
    settings = load_settings({}).followups
    checkin = FollowUpCheckin(scheduled_at=scheduled or now - timedelta(minutes=5))
    follow_up = FollowUp(status=status, timezone="America/Chicago")  # not stored
    return decide(now, checkin, follow_up, may_text, list(sent), settings)


def test_decide_due_quiet_hours_opt_out_cancelled_and_stale():
    noon = utc(2026, 11, 21, 12)
    assert decision(noon).action == SEND
    late = decision(utc(2026, 11, 21, 21, 30))
    assert (late.action, late.reason, late.until) == (DEFER, "quiet_hours", utc(2026, 11, 22, 9))
    early = decision(utc(2026, 11, 21, 6))
    assert (early.action, early.until) == (DEFER, utc(2026, 11, 21, 9))
    assert (decision(noon, may_text=False).action, decision(noon, may_text=False).reason) == (
        SKIP, "opted_out")
    assert decision(noon, status="cancelled").action == SKIP
    stale = decision(noon, scheduled=noon - timedelta(hours=37))
    assert (stale.action, stale.reason) == (SKIP, "stale")


def test_decide_caps_one_a_day_three_a_week():
    noon = utc(2026, 11, 21, 12)
    today = decision(noon, sent=[utc(2026, 11, 21, 9, 30)])
    assert (today.action, today.reason, today.until) == (DEFER, "daily_cap",
                                                         utc(2026, 11, 22, 9))
    # yesterday evening local is a different day: fine
    assert decision(noon, sent=[utc(2026, 11, 20, 19, 50)]).action == SEND
    week = [utc(2026, 11, 16, 10), utc(2026, 11, 18, 10), utc(2026, 11, 20, 10)]
    capped = decision(noon, sent=week)
    assert (capped.action, capped.reason) == (DEFER, "weekly_cap")
    assert capped.until == utc(2026, 11, 23, 10, 0) + timedelta(seconds=1)
    assert decision(noon, sent=week[1:]).action == SEND


def test_claim_skips_opted_out_and_defers_quiet_hours_in_the_database(
        db_engine, db_session, settings_env):
    settings = settings_env()
    opted = register(PHONE, "kyphoplasty", SOON, "kim", None, settings)
    other = register("+17735550142", "vertebroplasty", SOON, "kim", None, settings)
    db_session.add(SmsConsent(phone=PHONE, status="opted_out", keyword="STOP"))
    db_session.commit()
    one, two = SOON + timedelta(days=1), SOON + timedelta(days=2)
    assert claim_due(settings.followups, utc(one.year, one.month, one.day, 22)) == []
    first, second = checkins(db_session, opted)[0], checkins(db_session, other)[0]
    assert (first.status, first.last_error) == ("skipped", "opted_out")
    assert (second.status, second.due_at) == ("scheduled", utc(two.year, two.month, two.day, 9))
    [claimed] = claim_due(settings.followups, utc(two.year, two.month, two.day, 9, 1))
    assert (claimed.id, claimed.phone, claimed.day_offset) == (second.id, "+17735550142", 1)


def test_cancel_skips_what_is_left(db_engine, db_session, settings_env):
    settings = settings_env()
    follow_up_id = register(PHONE, "kyphoplasty", SOON, "kim", None, settings)
    assert followups.cancel(follow_up_id) == 3
    assert {r.status for r in checkins(db_session, follow_up_id)} == {"skipped"}
    assert db_session.get(FollowUp, follow_up_id).status == "cancelled"
    with pytest.raises(followups.FollowUpError):
        followups.cancel(999)


def test_staff_cli_add_list_cancel(db_engine, db_session, settings_env, capsys):
    settings_env()
    assert staff.main(["--staff", "kim", "followup", "add", "--phone", "312 555 0199",
                       "--procedure", "vertebroplasty", "--date", SOON.isoformat(),
                       "--timezone", "America/New_York"]) == 0
    out = capsys.readouterr().out
    assert "Follow-up #1 registered." in out
    assert f"+13125550199 vertebroplasty {SOON} America/New_York active (by kim)" in out
    one = SOON + timedelta(days=1)
    day_one = utc(one.year, one.month, one.day, 10, zone=ZoneInfo("America/New_York"))
    assert f"day 1 scheduled {day_one:%Y-%m-%d %H:%M}Z" in out
    assert staff.main(["followup", "list"]) == 0
    assert "day 7 scheduled" in capsys.readouterr().out
    assert staff.main(["followup", "cancel", "1"]) == 0
    assert "3 check-in(s) not sent" in capsys.readouterr().out
    assert staff.main(["followup", "list"]) == 0
    assert capsys.readouterr().out.strip() == "No follow-ups."
    assert staff.main(["followup", "list", "--all"]) == 0
    assert "cancelled" in capsys.readouterr().out
    assert staff.main(["followup", "add", "--phone", "12", "--procedure", "kyphoplasty",
                       "--date", SOON.isoformat()]) == 1
    assert "error: Not a phone number" in capsys.readouterr().err
