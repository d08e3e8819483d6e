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
        "clinic_hours", "clinic_address",
    }
