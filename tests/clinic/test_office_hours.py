"""Office hours: open/closed in the clinic's time zone and the next opening."""

from __future__ import annotations

from datetime import datetime, time

from clinic.office_hours import OfficeHours, load_office_hours, parse_days
from clinic.settings import load_settings

HOURS = OfficeHours("America/Chicago", frozenset(range(5)), time(8), time(17))


def utc(year, month, day, hour, minute) -> datetime:
    return datetime(year, month, day, hour, minute)  # naive = UTC


def test_open_on_a_weekday_afternoon_in_chicago():
    # 2026-11-23 is a Monday; 20:00 UTC is 14:00 in Chicago (CST, UTC-6)
    assert HOURS.is_open(utc(2026, 11, 23, 20, 0))
    assert not HOURS.is_open(utc(2026, 11, 23, 23, 30))  # 17:30 local
    assert not HOURS.is_open(utc(2026, 11, 23, 13, 59))  # 07:59 local


def test_next_opening_skips_the_weekend():
    friday_evening = utc(2026, 11, 28, 0, 30)  # Fri 27 Nov 18:30 local
    opening = HOURS.next_opening(friday_evening)
    assert opening is not None
    assert (opening.strftime("%A"), opening.hour, opening.day) == ("Monday", 8, 30)


def test_next_opening_is_today_before_opening_time():
    early = utc(2026, 11, 24, 12, 0)  # Tue 06:00 local
    opening = HOURS.next_opening(early)
    assert opening is not None and (opening.day, opening.hour) == (24, 8)


def test_days_and_times_parse_from_config_and_environment():
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days("mon,wed , Friday") == frozenset({0, 2, 4})
    assert parse_days(["sat", "sun"]) == frozenset({5, 6})
    hours = load_office_hours({"timezone": "Europe/London", "days": "mon-thu"},
                              {"CLINIC_OPENS": "09:30", "CLINIC_CLOSES": "16:00"})
    assert hours.timezone == "Europe/London" and hours.days == frozenset(range(4))
    assert (hours.opens, hours.closes) == (time(9, 30), time(16))


def test_bad_values_fall_back_to_safe_defaults():
    hours = load_office_hours({"timezone": "Mars/Olympus", "days": "someday"},
                              {"CLINIC_OPENS": "late", "CLINIC_CLOSES": "07:00"})
    assert hours == OfficeHours()


def test_settings_read_office_hours_and_reply_time_from_clinic_yml():
    settings = load_settings({})
    assert settings.office_hours.timezone == "America/Chicago"
    assert settings.handoff_reply_minutes == 30
    assert load_settings({"HANDOFF_REPLY_MINUTES": "0"}).handoff_reply_minutes == 1
