"""Building the settings dataclasses from the declared values (``clinic.settings.reader``).

Every value comes from :class:`~clinic.settings.reader.Values`; what is left here is how
settings combine (a webhook needs its URL, quiet hours need an order, and so on).
Each ``load_*`` takes an environment mapping (environment and defaults only) or ``Values``.
"""

from __future__ import annotations

import os
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Union

import yaml

from clinic.office_hours import OfficeHours
from clinic.settings.declared import BY_ENV, BY_KEY, default
from clinic.settings.model import (
    ClinicInfo,
    ConsoleSettings,
    FollowUpSettings,
    NotifySettings,
    SchedulingSettings,
    Settings,
    SmsSettings,
    WebChatSettings,
)
from clinic.settings.reader import Values

Source = Union[Mapping[str, str], Values]

# ClinicInfo field (= clinic.yml key) -> the environment variable that overrides it
CLINIC_FIELDS: Dict[str, str] = {field.name: BY_KEY[field.name].env for field in fields(ClinicInfo)}
# used when neither clinic.yml nor the environment gives a value: never an empty phone number
FALLBACK_CLINIC: Dict[str, str] = {name: default(env) for name, env in CLINIC_FIELDS.items()}


def values_of(source: Source) -> Values:
    """``source`` itself if it is ``Values``, else the values of an environment alone."""
    return source if isinstance(source, Values) else Values(source, {})


def load_yaml_file(path: Path) -> Dict[str, Any]:
    """A YAML mapping from ``path``; empty if the file is missing or not a mapping."""
    if not path.is_file():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def load_clinic(source: Source) -> ClinicInfo:
    """Clinic details: environment variable, else clinic.yml, else a neutral fallback."""
    values = values_of(source)
    return ClinicInfo(**{name: values[env] for name, env in CLINIC_FIELDS.items()})


def load_hours(source: Source) -> OfficeHours:
    """Office hours; a closing time not after the opening time gives both defaults."""
    values = values_of(source)
    opens, closes = values.window("CLINIC_OPENS", "CLINIC_CLOSES")
    return OfficeHours(values["CLINIC_TIMEZONE"], values["CLINIC_OPEN_DAYS"], opens, closes)


def load_notify(source: Source) -> NotifySettings:
    """Notification targets: ``STAFF_NOTIFY`` (default ``log``, plus ``webhook`` if a URL)."""
    values = values_of(source)
    url = values["STAFF_WEBHOOK_URL"]
    targets = values["STAFF_NOTIFY"]
    if url and not values.given("STAFF_NOTIFY"):
        targets = BY_ENV["STAFF_NOTIFY"].choices
    heartbeat = values["WORKER_HEARTBEAT_SECONDS"]
    return NotifySettings(
        targets=tuple(t for t in targets if url or t != "webhook") or ("log",),
        webhook_url=url,
        webhook_secret=values["STAFF_WEBHOOK_SECRET"],
        timeout_seconds=values["STAFF_WEBHOOK_TIMEOUT_SECONDS"],
        include_text=values["STAFF_WEBHOOK_INCLUDE_TEXT"],
        poll_seconds=values["WORKER_POLL_SECONDS"],
        alert_poll_seconds=values["WORKER_ALERT_POLL_SECONDS"],
        claim_margin_seconds=values["NOTIFY_CLAIM_MARGIN_SECONDS"],
        heartbeat_seconds=heartbeat,
        # at least three heartbeats: a live worker stops its deliveries one heartbeat before
        # it could look dead, and one late heartbeat must not stop them
        worker_stale_seconds=max(values["WORKER_STALE_SECONDS"], 3 * heartbeat),
        retry_base_seconds=values["NOTIFY_RETRY_BASE_SECONDS"],
        retry_cap_seconds=values["NOTIFY_RETRY_CAP_SECONDS"],
        give_up_hours=values["NOTIFY_GIVE_UP_HOURS"],
    )


def load_scheduling(source: Source) -> SchedulingSettings:
    """Scheduling hand-off: ``SCHEDULING_ADAPTER`` (``queue`` unless ``webhook`` with a URL)."""
    values = values_of(source)
    url = values["SCHEDULING_WEBHOOK_URL"]
    adapter = values["SCHEDULING_ADAPTER"]
    if url and not values.given("SCHEDULING_ADAPTER"):
        adapter = "webhook"
    if adapter == "webhook" and not url:
        adapter = "queue"  # never lost: the stored request is the hand-off
    region = values["PHONE_REGION"]
    return SchedulingSettings(
        adapter=adapter,
        webhook_url=url,
        webhook_secret=values["SCHEDULING_WEBHOOK_SECRET"],
        timeout_seconds=values["SCHEDULING_WEBHOOK_TIMEOUT_SECONDS"],
        reply_within=values["SCHEDULING_REPLY_WITHIN"],
        phone_region=region,
        phone_regions=values["PHONE_REGIONS"] or (region,),
    )


def load_sms(source: Source, clinic: ClinicInfo) -> SmsSettings:
    """Twilio account and sender (``TWILIO_*``); the program name defaults to the clinic's."""
    values = values_of(source)
    return SmsSettings(
        account_sid=values["TWILIO_ACCOUNT_SID"],
        auth_token=values["TWILIO_AUTH_TOKEN"],
        from_number=values["TWILIO_FROM_NUMBER"],
        messaging_service_sid=values["TWILIO_MESSAGING_SERVICE_SID"],
        webhook_url=values["TWILIO_WEBHOOK_URL"],
        api_base=values["TWILIO_API_BASE"],
        timeout_seconds=values["TWILIO_TIMEOUT_SECONDS"],
        program_name=values["SMS_PROGRAM_NAME"] or f"{clinic.name} patient texts",
    )


def load_web_chat(source: Source) -> WebChatSettings:
    """Website chat: signing key, session lifetime, allowed origins, demo page."""
    values = values_of(source)
    return WebChatSettings(
        secret=values["WEB_CHAT_SECRET"],
        secret_file=values["WEB_CHAT_SECRET_FILE"],
        session_days=values["WEB_CHAT_SESSION_DAYS"],
        origins=values["WEB_CHAT_ORIGINS"],
        demo_page=values["WEB_CHAT_DEMO"],
    )


def load_followups(source: Source, clinic_timezone: str) -> FollowUpSettings:
    """Check-in plan, quiet hours and caps; the patient time zone defaults to the clinic's."""
    values = values_of(source)
    send_from, send_until = values.window("FOLLOWUP_SEND_FROM", "FOLLOWUP_SEND_UNTIL")
    return FollowUpSettings(
        day_offsets=tuple(sorted(values["FOLLOWUP_DAYS"])),
        send_at=values["FOLLOWUP_SEND_AT"],
        send_from=send_from,
        send_until=send_until,
        max_per_day=values["FOLLOWUP_MAX_PER_DAY"],
        max_per_week=values["FOLLOWUP_MAX_PER_WEEK"],
        default_timezone=values["FOLLOWUP_TIMEZONE"] or clinic_timezone,
        stale_hours=values["FOLLOWUP_STALE_HOURS"],
        lease_seconds=values["FOLLOWUP_LEASE_SECONDS"],
        retry_base_seconds=values["FOLLOWUP_RETRY_BASE_SECONDS"],
        retry_cap_seconds=values["FOLLOWUP_RETRY_CAP_SECONDS"],
        trigger_timeout_seconds=values["FOLLOWUP_TRIGGER_TIMEOUT_SECONDS"],
    )


def load_console(source: Source) -> ConsoleSettings:
    """Review console settings (``CONSOLE_*``)."""
    values = values_of(source)
    return ConsoleSettings(
        host=values["CONSOLE_HOST"],
        port=values["CONSOLE_PORT"],
        idle_minutes=values["CONSOLE_IDLE_MINUTES"],
        max_hours=values["CONSOLE_MAX_HOURS"],
        secure_cookies=values["CONSOLE_SECURE_COOKIES"],
        max_failed_logins=values["CONSOLE_MAX_FAILED_LOGINS"],
        max_failed_logins_per_address=values["CONSOLE_MAX_FAILED_LOGINS_PER_ADDRESS"],
        lockout_minutes=values["CONSOLE_LOCKOUT_MINUTES"],
        trusted_proxies=values["CONSOLE_TRUSTED_PROXIES"],
        low_confidence=values["CONSOLE_LOW_CONFIDENCE"],
        answers_refresh_seconds=values["ANSWERS_REFRESH_SECONDS"],
        # outside the training inputs: adopting it is a reviewed step (make adopt-reviewed)
        reviewed_data=values["REVIEWED_DATA_FILE"],
    )


def load_secret(source: Source, key: str, default_file: Optional[Path] = None) -> str:
    """A shared secret: ``KEY``, else the file ``KEY_FILE`` (default: what ``make run`` writes)."""
    values = values_of(source)
    token: str = values[key]
    file_key = f"{key}_FILE"
    path = values[file_key] if default_file is None or values.given(file_key) else default_file
    if not token and path.is_file():
        token = path.read_text(encoding="utf-8").strip()
    return token


def load_api_token(source: Source) -> str:
    """Rasa HTTP API token: ``RASA_API_TOKEN``, else the file ``make run`` writes."""
    return load_secret(source, "RASA_API_TOKEN")


def build_settings(values: Values) -> Settings:
    """Every setting, from one environment and one ``clinic.yml``."""
    clinic = load_clinic(values)
    office_hours = load_hours(values)
    return Settings(
        clinic=clinic,
        max_message_chars=values["MAX_MESSAGE_CHARS"],
        turn_timeout_seconds=values["TURN_TIMEOUT_SECONDS"],
        # Rasa 3.6 waits 300 s on an action call, longer than its 60 s conversation lock;
        # bounded, a hung action server cannot hold a conversation past the lock
        action_call_seconds=values["ACTION_CALL_TIMEOUT_SECONDS"],
        database_url=values["DATABASE_URL"],
        fallback_suggestions=values["FALLBACK_SUGGESTIONS"],
        office_hours=office_hours,
        handoff_reply_minutes=values["HANDOFF_REPLY_MINUTES"],
        notify=load_notify(values),
        scheduling=load_scheduling(values),
        sms=load_sms(values, clinic),
        web=load_web_chat(values),
        followups=load_followups(values, office_hours.timezone),
        console=load_console(values),
        rasa_url=values["RASA_URL"],
        rasa_api_token=load_api_token(values),
        rest_api_token=load_secret(values, "REST_API_TOKEN"),
        action_server_token=load_secret(values, "ACTION_SERVER_TOKEN"),
        alert_spool_dir=values["ALERT_SPOOL_DIR"],
    )


def load_settings(env: Optional[Mapping[str, str]] = None) -> Settings:
    """Build settings from an environment mapping (``os.environ`` by default)."""
    env = os.environ if env is None else env
    clinic_file = load_yaml_file(Values(env, {})["CLINIC_CONFIG"])
    return build_settings(Values(env, clinic_file))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once on first use."""
    return load_settings()
