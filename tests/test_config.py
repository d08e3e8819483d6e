"""Configuration: environment over clinic.yml over neutral fallbacks; clamped numbers."""

from pathlib import Path

from actions import config


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
