"""The one place that reads configuration: environment variables over ``clinic.yml``.

Nothing is read at import time; call :func:`get_settings` (cached) when a value is needed.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from actions.office_hours import OfficeHours, load_office_hours, parse_time

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CLINIC_FILE = PROJECT_ROOT / "clinic.yml"
# Shared secrets: the environment variable, else a file scripts/run.sh creates (mode 600).
DEFAULT_API_TOKEN_FILE = PROJECT_ROOT / "var" / "api_token"  # Rasa HTTP API (staff tools)
DEFAULT_REST_TOKEN_FILE = PROJECT_ROOT / "var" / "rest_token"  # REST channel integrations
DEFAULT_ACTION_TOKEN_FILE = PROJECT_ROOT / "var" / "action_token"  # Rasa -> action server
DEFAULT_LOG_TAG_FILE = PROJECT_ROOT / "var" / "log_tag_key"  # keys the conversation tags in logs
# Key that signs website chat ids, created on first use (mode 600) if WEB_CHAT_SECRET is unset.
DEFAULT_WEB_SECRET_FILE = PROJECT_ROOT / "var" / "web_chat_secret"
# Staff alerts the database could not take wait here until the worker stores them.
DEFAULT_ALERT_SPOOL_DIR = PROJECT_ROOT / "var" / "spool" / "alerts"
NOTIFY_TARGETS = ("log", "webhook")
SCHEDULING_ADAPTERS = ("queue", "webhook")

# clinic.yml field -> environment variable that overrides it
CLINIC_FIELDS = {
    "name": "CLINIC_NAME",
    "phone": "CLINIC_PHONE",
    "urgent_phone": "CLINIC_URGENT_PHONE",
    "billing_phone": "CLINIC_BILLING_PHONE",
    "hours": "CLINIC_HOURS",
    "address": "CLINIC_ADDRESS",
    "crisis_line": "CLINIC_CRISIS_LINE",
    "emergency_number": "CLINIC_EMERGENCY_NUMBER",
}
# Used only if neither clinic.yml nor the environment provides a value, so an answer never
# shows an empty phone number. The crisis line (988 Suicide & Crisis Lifeline) and the
# emergency number are the US public ones; another country sets its own in clinic.yml.
FALLBACK_CLINIC = {
    "name": "the clinic",
    "phone": "the clinic's main number",
    "urgent_phone": "the clinic's main number",
    "billing_phone": "the clinic's main number",
    "hours": "office hours",
    "address": "the clinic",
    "crisis_line": "988",
    "emergency_number": "911",
}


@dataclass(frozen=True)
class ClinicInfo:
    """Public details of the clinic, as shown to patients."""

    name: str
    phone: str
    urgent_phone: str
    billing_phone: str
    hours: str
    address: str
    crisis_line: str  # call or text: the 988 Suicide & Crisis Lifeline in the US
    emergency_number: str

    def as_template_vars(self) -> Dict[str, str]:
        """Values for response placeholders such as ``{clinic_phone}``."""
        return {
            "clinic_name": self.name,
            "clinic_phone": self.phone,
            "clinic_urgent_phone": self.urgent_phone,
            "billing_phone": self.billing_phone,
            "clinic_hours": self.hours,
            "clinic_address": self.address,
            "crisis_line": self.crisis_line,
            "emergency_number": self.emergency_number,
        }


@dataclass(frozen=True)
class NotifySettings:
    """How staff are told about alerts and hand-offs (delivered by ``actions.worker``)."""

    targets: Tuple[str, ...]
    webhook_url: str
    webhook_secret: str
    timeout_seconds: float
    include_text: bool
    poll_seconds: float
    alert_poll_seconds: float  # staff alerts are looked for this often (a lane of their own)
    claim_margin_seconds: float  # a claim outlives its longest delivery attempt by this much
    heartbeat_seconds: float  # each worker process marks itself alive this often ...
    worker_stale_seconds: float  # ... and is taken for dead (its claims free) after this long
    retry_base_seconds: float
    retry_cap_seconds: float
    give_up_hours: float


@dataclass(frozen=True)
class SchedulingSettings:
    """Appointment requests: how they reach the scheduling team, and phone rules."""

    adapter: str  # queue (the stored row is the hand-off) | webhook (outbox + worker)
    webhook_url: str
    webhook_secret: str
    timeout_seconds: float
    reply_within: str  # shown to patients: when the scheduling team gets back to them
    phone_region: str  # default region for numbers typed without +country code
    phone_regions: Tuple[str, ...]  # regions whose numbers the clinic can call


@dataclass(frozen=True)
class SmsSettings:
    """Text messages through Twilio (the ``twilio`` channel and its output)."""

    account_sid: str  # TWILIO_ACCOUNT_SID
    auth_token: str  # TWILIO_AUTH_TOKEN: also the key that signs Twilio's webhooks
    from_number: str  # TWILIO_FROM_NUMBER (E.164) ...
    messaging_service_sid: str  # ... or TWILIO_MESSAGING_SERVICE_SID
    webhook_url: str  # TWILIO_WEBHOOK_URL: the public URL Twilio posts to (signatures)
    api_base: str  # TWILIO_API_BASE: only to point the client at a local fake in tests
    timeout_seconds: float  # one send attempt
    program_name: str  # named in HELP answers

    @property
    def can_send(self) -> bool:
        """True when an account, a token and a sender are configured."""
        return bool(self.account_sid and self.auth_token
                    and (self.from_number or self.messaging_service_sid))


@dataclass(frozen=True)
class WebChatSettings:
    """The website chat widget (``addons/channels/web.py``)."""

    secret: str  # WEB_CHAT_SECRET; empty: the key in secret_file (created on first use)
    secret_file: Path  # WEB_CHAT_SECRET_FILE
    session_days: int  # how long an issued chat id keeps its conversation
    origins: Tuple[str, ...]  # sites allowed to open the socket; ("*",) = any site
    demo_page: bool  # serve the demo clinic page


@dataclass(frozen=True)
class FollowUpSettings:
    """Post-procedure check-ins by text (``actions.followups``, sent by ``actions.worker``)."""

    day_offsets: Tuple[int, ...]  # days after the procedure
    send_at: time  # patient-local time a check-in is planned for
    send_from: time  # quiet hours end: nothing is sent before this (patient-local) ...
    send_until: time  # ... or from this time on
    max_per_day: int  # check-ins per patient per local calendar day
    max_per_week: int  # check-ins per patient in any 7 days
    default_timezone: str  # for patients registered without --timezone
    stale_hours: float  # a check-in not sent this long after its plan is dropped
    lease_seconds: float  # a claimed check-in is due again after this (worker crash)
    retry_base_seconds: float  # Rasa unreachable: doubling backoff from here ...
    retry_cap_seconds: float  # ... up to this
    trigger_timeout_seconds: float  # one trigger_intent call


@dataclass(frozen=True)
class ConsoleSettings:
    """The staff review console (``console/``, ``python -m console``)."""

    host: str  # CONSOLE_HOST
    port: int  # CONSOLE_PORT
    idle_minutes: int  # a session ends after this long without a request ...
    max_hours: int  # ... and this long after login in any case
    secure_cookies: bool  # CONSOLE_SECURE_COOKIES: set behind HTTPS
    # Failed log-ins are counted per client address, never per account alone (anyone could
    # lock anyone out). Within the last lockout_minutes, an address with max_failed_logins
    # failures for one user name can't try that name again, and one with
    # max_failed_logins_per_address failures in all can't log in at all, until old ones age out.
    max_failed_logins: int
    max_failed_logins_per_address: int
    lockout_minutes: int
    # CONSOLE_TRUSTED_PROXIES: reverse proxies (addresses or networks) whose X-Forwarded-For
    # names the client; empty = the TCP peer is the client (X-Forwarded-For is ignored)
    trusted_proxies: Tuple[str, ...]
    low_confidence: float  # default threshold of the "low confidence" filter
    answers_refresh_seconds: float  # how often the bot re-reads edited answers
    reviewed_data: Path  # where annotations are exported as NLU training data


@dataclass(frozen=True)
class Settings:
    """Runtime settings shared by the Rasa server add-ons and the action server."""

    clinic: ClinicInfo
    max_message_chars: int
    turn_timeout_seconds: float
    action_call_seconds: float
    database_url: str
    fallback_suggestions: int
    office_hours: OfficeHours
    handoff_reply_minutes: int
    notify: NotifySettings
    scheduling: SchedulingSettings
    sms: SmsSettings
    web: WebChatSettings
    followups: FollowUpSettings
    console: ConsoleSettings
    rasa_url: str
    rasa_api_token: str
    rest_api_token: str  # Bearer token REST integrations send; empty = REST refused
    action_server_token: str  # Bearer token Rasa sends the action server; empty = refused
    alert_spool_dir: Path  # staff alerts waiting for the database (actions/alert_spool.py)


Number = TypeVar("Number", int, float)


def _number(
    env: Mapping[str, str], key: str, default: Number, low: Number, high: Number
) -> Number:
    """Read a number of the default's type, clamped to [low, high]; default if unreadable."""
    try:
        value = type(default)(env.get(key, default))
    except ValueError:
        return default
    return min(max(value, low), high)


def load_yaml_file(path: Path) -> Dict[str, Any]:
    """A YAML mapping from ``path``; empty if the file is missing or not a mapping."""
    if not path.is_file():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def load_clinic(env: Mapping[str, str], file_values: Mapping[str, Any]) -> ClinicInfo:
    """Clinic details: environment variable, else clinic.yml, else a neutral fallback."""
    values = {}
    for field, env_key in CLINIC_FIELDS.items():
        raw = env.get(env_key) or file_values.get(field) or FALLBACK_CLINIC[field]
        values[field] = str(raw).strip()
    return ClinicInfo(**values)


def _flag(env: Mapping[str, str], key: str) -> bool:
    return env.get(key, "").strip().lower() in {"1", "true", "yes", "on"}


def load_notify(env: Mapping[str, str]) -> NotifySettings:
    """Notification targets: ``STAFF_NOTIFY`` (default ``log``, plus ``webhook`` if a URL)."""
    url = env.get("STAFF_WEBHOOK_URL", "").strip()
    raw = env.get("STAFF_NOTIFY") or ("log,webhook" if url else "log")
    targets = tuple(t for t in NOTIFY_TARGETS if t in {x.strip() for x in raw.split(",")})
    if not url:
        targets = tuple(t for t in targets if t != "webhook")
    heartbeat = _number(env, "WORKER_HEARTBEAT_SECONDS", 1.0, 0.1, 30.0)
    return NotifySettings(
        targets=targets or ("log",),
        webhook_url=url,
        webhook_secret=env.get("STAFF_WEBHOOK_SECRET", ""),
        timeout_seconds=_number(env, "STAFF_WEBHOOK_TIMEOUT_SECONDS", 5.0, 0.5, 60.0),
        include_text=_flag(env, "STAFF_WEBHOOK_INCLUDE_TEXT"),
        poll_seconds=_number(env, "WORKER_POLL_SECONDS", 1.0, 0.05, 60.0),
        alert_poll_seconds=_number(env, "WORKER_ALERT_POLL_SECONDS", 0.2, 0.05, 60.0),
        claim_margin_seconds=_number(env, "NOTIFY_CLAIM_MARGIN_SECONDS", 5.0, 0.5, 300.0),
        heartbeat_seconds=heartbeat,
        # at least three heartbeats: a live worker stops its deliveries one heartbeat before
        # it could look dead, and one late heartbeat must not stop them
        worker_stale_seconds=max(_number(env, "WORKER_STALE_SECONDS", 3.0, 0.5, 300.0),
                                 3 * heartbeat),
        retry_base_seconds=_number(env, "NOTIFY_RETRY_BASE_SECONDS", 5.0, 0.01, 3600.0),
        retry_cap_seconds=_number(env, "NOTIFY_RETRY_CAP_SECONDS", 600.0, 0.01, 86400.0),
        give_up_hours=_number(env, "NOTIFY_GIVE_UP_HOURS", 72.0, 0.001, 24.0 * 30),
    )


def load_scheduling(env: Mapping[str, str], file_values: Mapping[str, Any]) -> SchedulingSettings:
    """Scheduling hand-off: ``SCHEDULING_ADAPTER`` (``queue`` unless ``webhook`` with a URL)."""
    url = env.get("SCHEDULING_WEBHOOK_URL", "").strip()
    adapter = env.get("SCHEDULING_ADAPTER", "").strip().lower() or ("webhook" if url else "queue")
    if adapter not in SCHEDULING_ADAPTERS or (adapter == "webhook" and not url):
        adapter = "queue"
    region = (env.get("PHONE_REGION") or str(file_values.get("phone_region") or "US")).upper()
    raw_regions = env.get("PHONE_REGIONS") or str(file_values.get("phone_regions") or region)
    regions = tuple(r.strip().upper() for r in raw_regions.split(",") if r.strip())
    reply_within = env.get("SCHEDULING_REPLY_WITHIN") or file_values.get("reply_within")
    return SchedulingSettings(
        adapter=adapter,
        webhook_url=url,
        webhook_secret=env.get("SCHEDULING_WEBHOOK_SECRET", ""),
        timeout_seconds=_number(env, "SCHEDULING_WEBHOOK_TIMEOUT_SECONDS", 5.0, 0.5, 60.0),
        reply_within=str(reply_within or "one business day").strip(),
        phone_region=region,
        phone_regions=regions or (region,),
    )


def load_sms(env: Mapping[str, str], clinic: ClinicInfo) -> SmsSettings:
    """Twilio account and sender (``TWILIO_*``); the program name defaults to the clinic's."""
    return SmsSettings(
        account_sid=env.get("TWILIO_ACCOUNT_SID", "").strip(),
        auth_token=env.get("TWILIO_AUTH_TOKEN", "").strip(),
        from_number=env.get("TWILIO_FROM_NUMBER", "").strip(),
        messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID", "").strip(),
        webhook_url=env.get("TWILIO_WEBHOOK_URL", "").strip(),
        api_base=env.get("TWILIO_API_BASE", "").strip().rstrip("/"),
        timeout_seconds=_number(env, "TWILIO_TIMEOUT_SECONDS", 10.0, 1.0, 60.0),
        program_name=(env.get("SMS_PROGRAM_NAME") or f"{clinic.name} patient texts").strip(),
    )


def load_web_chat(env: Mapping[str, str]) -> WebChatSettings:
    """Website chat: signing key, session lifetime, allowed origins, demo page."""
    origins = tuple(o.strip().rstrip("/") for o in env.get("WEB_CHAT_ORIGINS", "*").split(","))
    return WebChatSettings(
        secret=env.get("WEB_CHAT_SECRET", "").strip(),
        secret_file=Path(env.get("WEB_CHAT_SECRET_FILE") or DEFAULT_WEB_SECRET_FILE),
        session_days=_number(env, "WEB_CHAT_SESSION_DAYS", 30, 1, 365),
        origins=tuple(o for o in origins if o) or ("*",),
        demo_page=env.get("WEB_CHAT_DEMO", "on").strip().lower() not in {"0", "false", "no", "off"},
    )


def _day_offsets(raw: str) -> Tuple[int, ...]:
    """``"1,3,7"`` -> (1, 3, 7): whole days 0-365, sorted, duplicates dropped."""
    days = set()
    for part in raw.split(","):
        try:
            day = int(part.strip())
        except ValueError:
            continue
        if 0 <= day <= 365:
            days.add(day)
    return tuple(sorted(days))


def load_followups(
    env: Mapping[str, str], file_values: Mapping[str, Any], clinic_timezone: str
) -> FollowUpSettings:
    """Check-in plan, quiet hours and caps: environment over ``clinic.yml`` ``follow_ups``."""
    def raw(key: str, field: str, default: Any) -> str:
        value = env.get(key) or file_values.get(field)
        return str(default if value is None or value == "" else value)

    days = raw("FOLLOWUP_DAYS", "days", "1,3,7")
    send_from = parse_time(raw("FOLLOWUP_SEND_FROM", "send_from", "09:00"), time(9, 0))
    send_until = parse_time(raw("FOLLOWUP_SEND_UNTIL", "send_until", "20:00"), time(20, 0))
    if send_until <= send_from:
        send_from, send_until = time(9, 0), time(20, 0)
    zone = raw("FOLLOWUP_TIMEZONE", "timezone", clinic_timezone)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = clinic_timezone
    numbers = {"FOLLOWUP_MAX_PER_DAY": str(file_values.get("max_per_day", 1)),
               "FOLLOWUP_MAX_PER_WEEK": str(file_values.get("max_per_week", 3)), **env}
    return FollowUpSettings(
        day_offsets=_day_offsets(days) or (1, 3, 7),
        send_at=parse_time(raw("FOLLOWUP_SEND_AT", "send_at", "10:00"), time(10, 0)),
        send_from=send_from,
        send_until=send_until,
        max_per_day=_number(numbers, "FOLLOWUP_MAX_PER_DAY", 1, 1, 10),
        max_per_week=_number(numbers, "FOLLOWUP_MAX_PER_WEEK", 3, 1, 50),
        default_timezone=zone,
        stale_hours=_number(env, "FOLLOWUP_STALE_HOURS", 36.0, 1.0, 24.0 * 7),
        lease_seconds=_number(env, "FOLLOWUP_LEASE_SECONDS", 120.0, 1.0, 3600.0),
        retry_base_seconds=_number(env, "FOLLOWUP_RETRY_BASE_SECONDS", 30.0, 0.01, 3600.0),
        retry_cap_seconds=_number(env, "FOLLOWUP_RETRY_CAP_SECONDS", 1800.0, 0.01, 86400.0),
        trigger_timeout_seconds=_number(env, "FOLLOWUP_TRIGGER_TIMEOUT_SECONDS", 10.0, 0.5,
                                        120.0),
    )


def _networks(raw: str) -> Tuple[str, ...]:
    """``"127.0.0.1, 10.0.0.0/8"`` -> normalised networks; unreadable entries are dropped."""
    networks = []
    for part in raw.split(","):
        try:
            networks.append(str(ipaddress.ip_network(part.strip(), strict=False)))
        except ValueError:
            continue
    return tuple(dict.fromkeys(networks))


def load_console(env: Mapping[str, str]) -> ConsoleSettings:
    """Review console settings (``CONSOLE_*``)."""
    return ConsoleSettings(
        host=env.get("CONSOLE_HOST", "127.0.0.1"),
        port=_number(env, "CONSOLE_PORT", 8000, 1, 65535),
        idle_minutes=_number(env, "CONSOLE_IDLE_MINUTES", 30, 1, 24 * 60),
        max_hours=_number(env, "CONSOLE_MAX_HOURS", 12, 1, 24 * 7),
        secure_cookies=_flag(env, "CONSOLE_SECURE_COOKIES"),
        max_failed_logins=_number(env, "CONSOLE_MAX_FAILED_LOGINS", 5, 1, 100),
        max_failed_logins_per_address=_number(env, "CONSOLE_MAX_FAILED_LOGINS_PER_ADDRESS", 20,
                                              1, 1000),
        lockout_minutes=_number(env, "CONSOLE_LOCKOUT_MINUTES", 15, 1, 24 * 60),
        trusted_proxies=_networks(env.get("CONSOLE_TRUSTED_PROXIES", "")),
        low_confidence=_number(env, "CONSOLE_LOW_CONFIDENCE", 0.6, 0.0, 1.0),
        answers_refresh_seconds=_number(env, "ANSWERS_REFRESH_SECONDS", 15.0, 0.0, 60.0),
        # outside the training inputs: adopting it is a reviewed step (make adopt-reviewed)
        reviewed_data=Path(env.get("REVIEWED_DATA_FILE")
                           or PROJECT_ROOT / "var" / "exports" / "reviewed.yml"),
    )


def load_secret(env: Mapping[str, str], key: str, default_file: Path) -> str:
    """A shared secret: ``KEY``, else the file ``KEY_FILE`` (default: what ``make run`` writes)."""
    token = env.get(key, "").strip()
    path = Path(env.get(f"{key}_FILE") or default_file)
    if not token and path.is_file():
        token = path.read_text(encoding="utf-8").strip()
    return token


def load_api_token(env: Mapping[str, str]) -> str:
    """Rasa HTTP API token: ``RASA_API_TOKEN``, else the file ``make run`` writes."""
    return load_secret(env, "RASA_API_TOKEN", DEFAULT_API_TOKEN_FILE)


def load_settings(env: Optional[Mapping[str, str]] = None) -> Settings:
    """Build settings from an environment mapping (``os.environ`` by default)."""
    env = os.environ if env is None else env
    default_db = f"sqlite:///{PROJECT_ROOT / 'var' / 'clinic.db'}"
    clinic_file = load_yaml_file(Path(env.get("CLINIC_CONFIG", DEFAULT_CLINIC_FILE)))
    clinic = load_clinic(env, clinic_file)
    office_hours = load_office_hours(clinic_file.get("office_hours") or {}, env)
    return Settings(
        clinic=clinic,
        max_message_chars=_number(env, "MAX_MESSAGE_CHARS", 1000, 50, 10000),
        turn_timeout_seconds=_number(env, "TURN_TIMEOUT_SECONDS", 8.0, 0.5, 120.0),
        # Rasa 3.6 waits 300 s on an action call, longer than its 60 s conversation lock;
        # bounded, a hung action server cannot hold a conversation past the lock
        action_call_seconds=_number(env, "ACTION_CALL_TIMEOUT_SECONDS", 20.0, 1.0, 55.0),
        database_url=env.get("DATABASE_URL") or default_db,
        fallback_suggestions=_number(env, "FALLBACK_SUGGESTIONS", 3, 1, 5),
        office_hours=office_hours,
        handoff_reply_minutes=_number(
            {"HANDOFF_REPLY_MINUTES": str(clinic_file.get("handoff_reply_minutes", 30)), **env},
            "HANDOFF_REPLY_MINUTES", 30, 1, 1440,
        ),
        notify=load_notify(env),
        scheduling=load_scheduling(env, clinic_file.get("scheduling") or {}),
        sms=load_sms(env, clinic),
        web=load_web_chat(env),
        followups=load_followups(env, clinic_file.get("follow_ups") or {},
                                 office_hours.timezone),
        console=load_console(env),
        rasa_url=(env.get("RASA_URL") or "http://localhost:5005").rstrip("/"),
        rasa_api_token=load_api_token(env),
        rest_api_token=load_secret(env, "REST_API_TOKEN", DEFAULT_REST_TOKEN_FILE),
        action_server_token=load_secret(env, "ACTION_SERVER_TOKEN", DEFAULT_ACTION_TOKEN_FILE),
        alert_spool_dir=Path(env.get("ALERT_SPOOL_DIR") or DEFAULT_ALERT_SPOOL_DIR),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once on first use."""
    return load_settings()
