"""Configuration: environment over clinic.yml over declared defaults; typed, clamped values."""

import os
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from clinic import settings as config
from clinic.office_hours import OfficeHours
from clinic.settings import Values, reader
from clinic.settings.declared import BY_ENV
from scripts import settings_table

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_come_from_clinic_file():
    settings = config.load_settings({})
    clinic_file = config.load_yaml_file(config.DEFAULT_CLINIC_FILE)
    assert settings.clinic.phone == clinic_file["phone"]
    assert settings.clinic.hours == clinic_file["hours"]
    assert settings.max_message_chars == 1000
    assert settings.database_url.startswith("sqlite:///")


def test_environment_overrides_file():
    settings = config.load_settings({"CLINIC_PHONE": "(555) 000-1234", "MAX_MESSAGE_CHARS": "500"})
    assert settings.clinic.phone == "(555) 000-1234"
    assert settings.max_message_chars == 500


def test_bad_numbers_fall_back_or_clamp():
    assert config.load_settings({"MAX_MESSAGE_CHARS": "lots"}).max_message_chars == 1000
    assert config.load_settings({"MAX_MESSAGE_CHARS": "5"}).max_message_chars == 50
    assert config.load_settings({"TURN_TIMEOUT_SECONDS": "9999"}).turn_timeout_seconds == 120.0


def test_missing_clinic_file_never_leaves_blanks(tmp_path: Path):
    settings = config.load_settings({"CLINIC_CONFIG": str(tmp_path / "missing.yml")})
    values = settings.clinic.as_template_vars()
    assert all(values.values())
    assert set(values) == {
        "clinic_name", "clinic_phone", "clinic_urgent_phone", "billing_phone",
        "clinic_hours", "clinic_address", "crisis_line", "emergency_number",
    }
    # the public numbers are the US ones even without a clinic file
    assert (values["crisis_line"], values["emergency_number"]) == ("988", "911")


def test_crisis_line_and_emergency_number():
    clinic = config.load_settings({}).clinic
    assert (clinic.crisis_line, clinic.emergency_number) == ("988", "911")
    other = config.load_settings({"CLINIC_CRISIS_LINE": " 116 123 ",
                                  "CLINIC_EMERGENCY_NUMBER": "112"}).clinic
    assert other.as_template_vars()["crisis_line"] == "116 123"
    assert other.as_template_vars()["emergency_number"] == "112"


def test_scheduling_defaults_and_overrides():
    default = config.load_settings({}).scheduling
    assert (default.adapter, default.phone_region, default.phone_regions) == (
        "queue", "US", ("US",))
    assert default.reply_within == "one business day"
    hooked = config.load_settings({"SCHEDULING_WEBHOOK_URL": "https://sched.example/hook",
                                   "PHONE_REGIONS": "us, ca",
                                   "SCHEDULING_REPLY_WITHIN": "two business days"}).scheduling
    assert (hooked.adapter, hooked.phone_regions, hooked.reply_within) == (
        "webhook", ("US", "CA"), "two business days")
    # webhook without a URL, or an unknown adapter, falls back to the queue: never lost
    assert config.load_settings({"SCHEDULING_ADAPTER": "webhook"}).scheduling.adapter == "queue"
    assert config.load_settings({"SCHEDULING_ADAPTER": "fax"}).scheduling.adapter == "queue"
    forced = config.load_settings({"SCHEDULING_ADAPTER": "queue",
                                   "SCHEDULING_WEBHOOK_URL": "https://x"})
    assert forced.scheduling.adapter == "queue"


# -- the declarations and the one generic reader ------------------------------------------------

def values(env=None, clinic_file=None) -> Values:
    return Values(env or {}, clinic_file or {})


def test_environment_beats_clinic_file_beats_default():
    clinic_file = {"follow_ups": {"max_per_day": 2}}
    assert values({"FOLLOWUP_MAX_PER_DAY": "4"}, clinic_file)["FOLLOWUP_MAX_PER_DAY"] == 4
    assert values({}, clinic_file)["FOLLOWUP_MAX_PER_DAY"] == 2
    assert values()["FOLLOWUP_MAX_PER_DAY"] == 1
    # a blank environment value is unset; a blank file value too
    assert values({"FOLLOWUP_MAX_PER_DAY": "  "}, clinic_file)["FOLLOWUP_MAX_PER_DAY"] == 2
    assert values({}, {"follow_ups": {"max_per_day": ""}})["FOLLOWUP_MAX_PER_DAY"] == 1
    # an environment-only setting ignores a clinic.yml key of the same name
    assert values({}, {"MAX_MESSAGE_CHARS": 60, "max_message_chars": 60})[
        "MAX_MESSAGE_CHARS"] == 1000


def test_clinic_file_values_are_read_through_dotted_keys(tmp_path: Path):
    clinic_file = tmp_path / "clinic.yml"
    clinic_file.write_text("name: Lakeside\noffice_hours:\n  timezone: Europe/London\n"
                           "follow_ups:\n  days: [2, 5]\n  send_at: '11:30'\n", encoding="utf-8")
    settings = config.load_settings({"CLINIC_CONFIG": str(clinic_file)})
    assert settings.clinic.name == "Lakeside"
    assert settings.office_hours.timezone == "Europe/London"
    assert settings.followups.default_timezone == "Europe/London"  # follows the clinic's
    assert settings.followups.day_offsets == (2, 5)
    assert settings.followups.send_at == time(11, 30)
    assert settings.clinic.phone == "the clinic's main number"
    # a level that is not a mapping counts as unset
    assert values({}, {"office_hours": "mon-fri"})["CLINIC_TIMEZONE"] == "America/Chicago"


@pytest.mark.parametrize(("name", "raw"), [
    ("MAX_MESSAGE_CHARS", "lots"), ("MAX_MESSAGE_CHARS", "10.5"), ("TURN_TIMEOUT_SECONDS", "nan"),
    ("TURN_TIMEOUT_SECONDS", "fast"), ("WEB_CHAT_DEMO", "maybe"), ("FOLLOWUP_SEND_AT", "25:00"),
    ("FOLLOWUP_SEND_AT", "10"), ("CLINIC_OPEN_DAYS", "someday"),
    ("CLINIC_TIMEZONE", "Mars/Olympus"), ("SCHEDULING_ADAPTER", "fax"), ("FOLLOWUP_DAYS", "x, y"),
    ("STAFF_NOTIFY", "pager"), ("CONSOLE_TRUSTED_PROXIES", "not-an-address"),
])
def test_unreadable_values_give_the_default(name: str, raw: str):
    assert values({name: raw})[name] == BY_ENV[name].default
    with pytest.raises(ValueError):
        reader.convert(BY_ENV[name], raw)


def test_clinic_file_values_of_the_wrong_type_give_the_default():
    assert values({}, {"handoff_reply_minutes": True})["HANDOFF_REPLY_MINUTES"] == 30
    assert values({}, {"handoff_reply_minutes": [5]})["HANDOFF_REPLY_MINUTES"] == 30
    assert values({}, {"follow_ups": {"send_at": 600}})["FOLLOWUP_SEND_AT"] == time(10)  # 10:00
    assert values({}, {"handoff_reply_minutes": 45})["HANDOFF_REPLY_MINUTES"] == 45


def test_numbers_are_clamped_and_list_items_out_of_bounds_dropped():
    assert values({"CONSOLE_PORT": "70000"})["CONSOLE_PORT"] == 65535
    assert values({"CONSOLE_PORT": "0"})["CONSOLE_PORT"] == 1
    assert values({"CONSOLE_LOW_CONFIDENCE": "-inf"})["CONSOLE_LOW_CONFIDENCE"] == 0.0
    assert values({"FOLLOWUP_DAYS": "400, 3, -1, 3, x"})["FOLLOWUP_DAYS"] == (3,)
    assert values({"FOLLOWUP_DAYS": "400"})["FOLLOWUP_DAYS"] == (1, 3, 7)


def test_kinds_read_and_normalise():
    assert values({"WEB_CHAT_DEMO": " OFF "})["WEB_CHAT_DEMO"] is False
    assert values({"CONSOLE_SECURE_COOKIES": "yes"})["CONSOLE_SECURE_COOKIES"] is True
    assert values({"RASA_URL": "http://rasa:5005//"})["RASA_URL"] == "http://rasa:5005"
    assert values({"PHONE_REGIONS": "us, ,ca"})["PHONE_REGIONS"] == ("US", "CA")
    assert values({"STAFF_NOTIFY": "webhook, log"})["STAFF_NOTIFY"] == ("log", "webhook")
    assert values({"SCHEDULING_ADAPTER": "Webhook"})["SCHEDULING_ADAPTER"] == "webhook"
    assert values({"CLINIC_OPEN_DAYS": "mon,wed"})["CLINIC_OPEN_DAYS"] == frozenset({0, 2})
    assert values({"CONSOLE_TRUSTED_PROXIES": "10.1.2.3/8, 10.0.0.0/8, ::1"})[
        "CONSOLE_TRUSTED_PROXIES"] == ("10.0.0.0/8", "::1/128")
    assert values({"ALERT_SPOOL_DIR": "/tmp/spool"})["ALERT_SPOOL_DIR"] == Path("/tmp/spool")


def test_settings_that_must_be_in_order_fall_back_together():
    assert values({"CLINIC_OPENS": "18:00"}).window("CLINIC_OPENS", "CLINIC_CLOSES") == (
        time(8), time(17))
    assert values({"CLINIC_OPENS": "07:30"}).window("CLINIC_OPENS", "CLINIC_CLOSES") == (
        time(7, 30), time(17))


def test_secrets_come_from_the_environment_or_their_file(tmp_path: Path):
    token_file = tmp_path / "token"
    token_file.write_text(" from-file \n", encoding="utf-8")
    assert config.load_secret({"REST_API_TOKEN_FILE": str(token_file)}, "REST_API_TOKEN") == (
        "from-file")
    assert config.load_secret({"REST_API_TOKEN": " env ", "REST_API_TOKEN_FILE": str(token_file)},
                              "REST_API_TOKEN") == "env"
    assert config.load_secret({}, "LOG_TAG_SECRET", token_file) == "from-file"
    assert config.load_secret({"LOG_TAG_SECRET_FILE": str(tmp_path / "none")}, "LOG_TAG_SECRET",
                              token_file) == ""


def test_every_declaration_is_complete_and_consistent():
    for setting in config.SETTINGS:
        where = setting.env
        assert setting.text.strip() and "\n" not in setting.text, where
        assert setting.env == setting.env.upper() and " " not in setting.env, where
        kind = reader.item_kind(setting) or setting.kind
        assert kind in reader.KINDS, where
        items = setting.default if reader.item_kind(setting) else (setting.default,)
        assert isinstance(setting.default, reader.python_type(setting)), where
        for item in items:
            if item == "":  # none (or what `shown` says)
                continue
            assert not setting.choices or item in setting.choices, where
            assert setting.low is None or item >= setting.low, where
            assert setting.high is None or item <= setting.high, where
            assert isinstance(item, reader.KINDS[kind].type), where
        if setting.low is not None or setting.high is not None:
            assert kind in {"int", "float"}, where
            assert isinstance(setting.low, reader.KINDS[kind].type), where
            assert isinstance(setting.high, reader.KINDS[kind].type), where
        assert bool(setting.choices) == (kind == "choice"), where


def test_no_two_declarations_share_an_environment_variable_or_a_key():
    envs = [setting.env for setting in config.SETTINGS]
    keys = [setting.key for setting in config.SETTINGS if setting.key]
    assert len(envs) == len(set(envs))
    assert len(keys) == len(set(keys))


def test_every_declaration_is_read_where_it_says():
    used = Values({}, {})
    config.build_settings(used)
    read_here = {setting.env for setting in config.SETTINGS if not setting.reader}
    assert used.used | {"CLINIC_CONFIG"} == read_here
    for setting in config.SETTINGS:
        if setting.reader:
            assert setting.env in (ROOT / setting.reader).read_text(encoding="utf-8")


def test_every_key_in_clinic_file_is_declared():
    def leaves(data, prefix=""):
        for key, value in data.items():
            if isinstance(value, dict):
                yield from leaves(value, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}"

    keys = {setting.key for setting in config.SETTINGS if setting.key}
    assert set(leaves(config.load_yaml_file(config.DEFAULT_CLINIC_FILE))) <= keys


def test_nothing_is_read_at_import_time(tmp_path: Path):
    broken = tmp_path / "clinic.yml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    env = {**os.environ, "CLINIC_CONFIG": str(broken), "MAX_MESSAGE_CHARS": "lots"}
    subprocess.run([sys.executable, "-c", "import clinic.settings, scripts.settings_table"],
                   cwd=ROOT, env=env, check=True)


def test_office_hours_defaults_are_the_declared_ones():
    assert config.load_settings({"CLINIC_CONFIG": "/nonexistent.yml"}).office_hours == OfficeHours()


def test_readme_table_is_generated_from_the_declarations():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_table.with_table(readme, settings_table.table()) == readme, (
        "run: make settings-table")
    with pytest.raises(ValueError):
        settings_table.with_table("no markers here", "")
