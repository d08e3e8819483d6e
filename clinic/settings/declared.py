"""Every setting, declared once: environment variable, ``clinic.yml`` key, default, type.

The environment wins over ``clinic.yml``, which wins over the default (a blank value counts
as unset); a value that can't be read gives the default, numbers are clamped to their bounds
(``clinic.settings.reader``). The README's configuration table is generated from this list
(``make settings-table``). ``shown`` is the README's default where it is worked out at run time;
``reader`` names what reads a setting outside ``clinic.settings`` (only documented here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VAR = PROJECT_ROOT / "var"


@dataclass(frozen=True)
class Setting:
    """One setting: where it comes from, its default, its type and bounds, what it is for."""

    env: str  # environment variable
    key: str  # clinic.yml key, dotted if nested; "" = environment only
    default: Any  # a value of the kind's type
    kind: str  # a kind of clinic.settings.reader (KINDS), or "list[<kind>]" (comma-separated)
    text: str  # one line for the README
    low: Optional[float] = None  # numbers are clamped to [low, high]; list items outside dropped
    high: Optional[float] = None
    choices: Tuple[str, ...] = ()  # kind "choice": the allowed values, in this order
    shown: str = ""  # the README's default, when the default is worked out at run time
    reader: str = ""  # read by this file instead of clinic.settings


def _s(env: str, key: str, default: Any, kind: str, text: str, **more: Any) -> Setting:
    return Setting(env, key, default, kind, text, **more)


_MAIN = "the clinic's main number"
_DB = f"sqlite:///{VAR / 'clinic.db'}"

SETTINGS: Tuple[Setting, ...] = (
    # -- the clinic's public details, shown to patients (placeholders in answers) -----------
    _s("CLINIC_NAME", "name", "the clinic", "text", "clinic name (`{clinic_name}`)"),
    _s("CLINIC_PHONE", "phone", _MAIN, "text", "main phone number (`{clinic_phone}`)"),
    _s("CLINIC_URGENT_PHONE", "urgent_phone", _MAIN, "text",
       "urgent line, answered 24/7 (`{clinic_urgent_phone}`)"),
    _s("CLINIC_BILLING_PHONE", "billing_phone", _MAIN, "text", "billing phone (`{billing_phone}`)"),
    _s("CLINIC_HOURS", "hours", "office hours", "text", "opening hours as told (`{clinic_hours}`)"),
    _s("CLINIC_ADDRESS", "address", "the clinic", "text", "address (`{clinic_address}`)"),
    _s("CLINIC_CRISIS_LINE", "crisis_line", "988", "text",
       "crisis line, call or text (`{crisis_line}`; 988 Suicide & Crisis Lifeline)"),
    _s("CLINIC_EMERGENCY_NUMBER", "emergency_number", "911", "text",
       "emergency number (`{emergency_number}`)"),
    _s("CLINIC_CONFIG", "", PROJECT_ROOT / "clinic.yml", "path", "the clinic file to read"),
    # -- office hours: when staff answer a patient who asks for a person --------------------
    _s("CLINIC_TIMEZONE", "office_hours.timezone", "America/Chicago", "zone",
       "the clinic's time zone (IANA name)"),
    _s("CLINIC_OPEN_DAYS", "office_hours.days", frozenset(range(5)), "days",
       "opening days (`mon-fri`, `mon,wed,fri`)"),
    _s("CLINIC_OPENS", "office_hours.opens", time(8, 0), "time", "office opens (local time)"),
    _s("CLINIC_CLOSES", "office_hours.closes", time(17, 0), "time",
       "office closes (after it opens, else both defaults)"),
    _s("HANDOFF_REPLY_MINUTES", "handoff_reply_minutes", 30, "int",
       "typical staff reply time when open (minutes)", low=1, high=1440),
    # -- conversations -----------------------------------------------------------------------
    _s("MAX_MESSAGE_CHARS", "", 1000, "int", "message length cap (characters)",
       low=50, high=10000),
    _s("TURN_TIMEOUT_SECONDS", "", 8.0, "float", "turn timeout before the phone fallback",
       low=0.5, high=120.0),
    _s("ACTION_CALL_TIMEOUT_SECONDS", "", 20.0, "float",
       "longest wait for one action-server call (Rasa's own 300 s outlasts its 60 s lock)",
       low=1.0, high=55.0),
    _s("FALLBACK_SUGGESTIONS", "", 3, "int", "\"Did you mean\" suggestions", low=1, high=5),
    _s("DATABASE_URL", "", _DB, "text",
       "project database: transcripts, alerts, hand-offs, requests, outbox, console"),
    _s("ALERT_SPOOL_DIR", "", VAR / "spool" / "alerts", "path",
       "staff alerts waiting for a failing database"),
    # -- services and shared secrets (scripts/run.sh makes the files, mode 600) ---------------
    _s("RASA_URL", "", "http://localhost:5005", "url", "where the staff tools find Rasa"),
    _s("RASA_PORT", "", 5005, "int", "Rasa's port", reader="scripts/run.sh"),
    _s("ACTIONS_HOST", "", "127.0.0.1", "text", "action server address",
       reader="action_server/__main__.py"),
    _s("ACTIONS_PORT", "", 5055, "int", "action server port", reader="action_server/__main__.py"),
    _s("RASA_API_TOKEN", "", "", "text", "Rasa HTTP API token (staff tools use it too)",
       shown="in `RASA_API_TOKEN_FILE`"),
    _s("RASA_API_TOKEN_FILE", "", VAR / "api_token", "path",
       "file with the Rasa API token when `RASA_API_TOKEN` is unset"),
    _s("REST_API_TOKEN", "", "", "text",
       "REST channel token (`Authorization: Bearer ...`); none: REST refused",
       shown="in `REST_API_TOKEN_FILE`"),
    _s("REST_API_TOKEN_FILE", "", VAR / "rest_token", "path",
       "file with the REST token when `REST_API_TOKEN` is unset"),
    _s("ACTION_SERVER_TOKEN", "", "", "text",
       "secret Rasa sends the action server; none: calls refused",
       shown="in `ACTION_SERVER_TOKEN_FILE`"),
    _s("ACTION_SERVER_TOKEN_FILE", "", VAR / "action_token", "path",
       "file with the action server secret when `ACTION_SERVER_TOKEN` is unset"),
    _s("LOG_TAG_SECRET", "", "", "text", "key of the conversation tags in logs",
       shown="in `LOG_TAG_SECRET_FILE`", reader="clinic/privacy.py"),
    _s("LOG_TAG_SECRET_FILE", "", VAR / "log_tag_key", "path",
       "file with the log tag key when `LOG_TAG_SECRET` is unset, made on first use",
       reader="clinic/privacy.py"),
    # -- staff notifications (delivered by the worker) ---------------------------------------
    _s("STAFF_NOTIFY", "", ("log",), "list[choice]", "how staff are told about alerts",
       choices=("log", "webhook"), shown="`log` (+ `webhook` when a URL is set)"),
    _s("STAFF_WEBHOOK_URL", "", "", "text", "staff webhook URL"),
    _s("STAFF_WEBHOOK_SECRET", "", "", "text", "staff webhook signing secret"),
    _s("STAFF_WEBHOOK_TIMEOUT_SECONDS", "", 5.0, "float", "one staff webhook call",
       low=0.5, high=60.0),
    _s("STAFF_WEBHOOK_INCLUDE_TEXT", "", False, "flag", "send the patient's words to the webhook"),
    _s("WORKER_POLL_SECONDS", "", 1.0, "float", "worker polling", low=0.05, high=60.0),
    _s("WORKER_ALERT_POLL_SECONDS", "", 0.2, "float", "worker polling for staff alerts",
       low=0.05, high=60.0),
    _s("NOTIFY_CLAIM_MARGIN_SECONDS", "", 5.0, "float",
       "a claim outlives its longest delivery attempt by this", low=0.5, high=300.0),
    _s("WORKER_HEARTBEAT_SECONDS", "", 1.0, "float", "worker heartbeat", low=0.1, high=30.0),
    _s("WORKER_STALE_SECONDS", "", 3.0, "float",
       "a worker is dead (its claims free) after this; at least 3 heartbeats", low=0.5, high=300.0),
    _s("NOTIFY_RETRY_BASE_SECONDS", "", 5.0, "float", "delivery retry: first wait, doubling",
       low=0.01, high=3600.0),
    _s("NOTIFY_RETRY_CAP_SECONDS", "", 600.0, "float", "delivery retry: longest wait",
       low=0.01, high=86400.0),
    _s("NOTIFY_GIVE_UP_HOURS", "", 72.0, "float", "a delivery is given up after this",
       low=0.001, high=720.0),
    # -- appointment requests ----------------------------------------------------------------
    _s("SCHEDULING_ADAPTER", "", "queue", "choice", "how requests reach the scheduling team",
       choices=("queue", "webhook"), shown="`queue` (`webhook` when a URL is set)"),
    _s("SCHEDULING_WEBHOOK_URL", "", "", "text", "scheduling webhook URL"),
    _s("SCHEDULING_WEBHOOK_SECRET", "", "", "text", "scheduling webhook signing secret"),
    _s("SCHEDULING_WEBHOOK_TIMEOUT_SECONDS", "", 5.0, "float", "one scheduling webhook call",
       low=0.5, high=60.0),
    _s("SCHEDULING_REPLY_WITHIN", "scheduling.reply_within", "one business day", "text",
       "when the scheduling team gets back to patients"),
    _s("PHONE_REGION", "scheduling.phone_region", "US", "code",
       "region of phone numbers typed without +country code"),
    _s("PHONE_REGIONS", "scheduling.phone_regions", (), "list[code]",
       "regions whose numbers the clinic calls", shown="`PHONE_REGION`"),
    # -- text messages (Twilio) --------------------------------------------------------------
    _s("TWILIO_ACCOUNT_SID", "", "", "text", "Twilio account; none: texts refused (503)"),
    _s("TWILIO_AUTH_TOKEN", "", "", "text", "Twilio token (also checks webhook signatures)"),
    _s("TWILIO_FROM_NUMBER", "", "", "text", "number texts come from (E.164)"),
    _s("TWILIO_MESSAGING_SERVICE_SID", "", "", "text",
       "messaging service texts come from (instead of a number)"),
    _s("TWILIO_WEBHOOK_URL", "", "", "text", "the public URL Twilio signs (behind a proxy)",
       shown="the URL requests arrive at"),
    _s("TWILIO_API_BASE", "", "", "url", "Twilio API host (tests use a local fake)",
       shown="Twilio's"),
    _s("TWILIO_TIMEOUT_SECONDS", "", 10.0, "float", "one send attempt", low=1.0, high=60.0),
    _s("SMS_PROGRAM_NAME", "", "", "text", "program name in HELP answers",
       shown="<clinic name> patient texts"),
    # -- website chat ------------------------------------------------------------------------
    _s("WEB_CHAT_SECRET", "", "", "text", "key that signs chat ids",
       shown="in `WEB_CHAT_SECRET_FILE`"),
    _s("WEB_CHAT_SECRET_FILE", "", VAR / "web_chat_secret", "path",
       "file with the chat id key when `WEB_CHAT_SECRET` is unset, made on first use"),
    _s("WEB_CHAT_SESSION_DAYS", "", 30, "int",
       "days a chat id keeps its conversation (renewed on each visit)", low=1, high=365),
    _s("WEB_CHAT_ORIGINS", "", ("*",), "list[url]", "sites that may open the chat (`*`: any)"),
    _s("WEB_CHAT_DEMO", "", True, "flag", "serve the demo page"),
    # -- post-procedure check-ins by text (patient-local times) ------------------------------
    _s("FOLLOWUP_DAYS", "follow_ups.days", (1, 3, 7), "list[int]",
       "check-in days after the procedure", low=0, high=365),
    _s("FOLLOWUP_SEND_AT", "follow_ups.send_at", time(10, 0), "time", "planned check-in time"),
    _s("FOLLOWUP_SEND_FROM", "follow_ups.send_from", time(9, 0), "time",
       "quiet hours end: no check-in is sent before this"),
    _s("FOLLOWUP_SEND_UNTIL", "follow_ups.send_until", time(20, 0), "time",
       "quiet hours start: none is sent from this time (after send_from, else both defaults)"),
    _s("FOLLOWUP_MAX_PER_DAY", "follow_ups.max_per_day", 1, "int",
       "check-ins per patient per local day", low=1, high=10),
    _s("FOLLOWUP_MAX_PER_WEEK", "follow_ups.max_per_week", 3, "int",
       "check-ins per patient in any 7 days", low=1, high=50),
    _s("FOLLOWUP_TIMEZONE", "follow_ups.timezone", "", "zone",
       "patient time zone when staff give none", shown="`CLINIC_TIMEZONE`"),
    _s("FOLLOWUP_STALE_HOURS", "", 36.0, "float", "a check-in not sent this late is dropped",
       low=1.0, high=168.0),
    _s("FOLLOWUP_LEASE_SECONDS", "", 120.0, "float", "a claimed check-in is due again after this",
       low=1.0, high=3600.0),
    _s("FOLLOWUP_RETRY_BASE_SECONDS", "", 30.0, "float", "Rasa unreachable: first wait, doubling",
       low=0.01, high=3600.0),
    _s("FOLLOWUP_RETRY_CAP_SECONDS", "", 1800.0, "float", "Rasa unreachable: longest wait",
       low=0.01, high=86400.0),
    _s("FOLLOWUP_TRIGGER_TIMEOUT_SECONDS", "", 10.0, "float", "one trigger_intent call",
       low=0.5, high=120.0),
    # -- staff review console ----------------------------------------------------------------
    _s("CONSOLE_HOST", "", "127.0.0.1", "text", "console address"),
    _s("CONSOLE_PORT", "", 8000, "int", "console port", low=1, high=65535),
    _s("CONSOLE_IDLE_MINUTES", "", 30, "int", "a session ends after this long idle",
       low=1, high=1440),
    _s("CONSOLE_MAX_HOURS", "", 12, "int", "a session ends this long after login",
       low=1, high=168),
    _s("CONSOLE_SECURE_COOKIES", "", False, "flag", "Secure cookies (set behind HTTPS)"),
    _s("CONSOLE_MAX_FAILED_LOGINS", "", 5, "int",
       "failed logins from one address for one user name that lock that name", low=1, high=100),
    _s("CONSOLE_MAX_FAILED_LOGINS_PER_ADDRESS", "", 20, "int",
       "failed logins from one address for any names that lock the address", low=1, high=1000),
    _s("CONSOLE_LOCKOUT_MINUTES", "", 15, "int", "failed logins count for this many minutes",
       low=1, high=1440),
    _s("CONSOLE_TRUSTED_PROXIES", "", (), "list[network]",
       "proxies whose `X-Forwarded-For` names the client", shown="none (the TCP peer is)"),
    _s("CONSOLE_LOW_CONFIDENCE", "", 0.6, "float", "default \"low confidence\" threshold",
       low=0.0, high=1.0),
    _s("ANSWERS_REFRESH_SECONDS", "", 15.0, "float", "how often the bot re-reads edited answers",
       low=0.0, high=60.0),
    _s("REVIEWED_DATA_FILE", "", VAR / "exports" / "reviewed.yml", "path",
       "annotations exported as training data (`make adopt-reviewed` adopts them)"),
)

BY_ENV: Dict[str, Setting] = {setting.env: setting for setting in SETTINGS}
BY_KEY: Dict[str, Setting] = {setting.key: setting for setting in SETTINGS if setting.key}


def default(env: str) -> Any:
    """The declared default of the setting read from ``env``."""
    return BY_ENV[env].default


DEFAULT_CLINIC_FILE: Path = default("CLINIC_CONFIG")
DEFAULT_API_TOKEN_FILE: Path = default("RASA_API_TOKEN_FILE")  # Rasa HTTP API (staff tools)
DEFAULT_REST_TOKEN_FILE: Path = default("REST_API_TOKEN_FILE")  # REST channel integrations
DEFAULT_ACTION_TOKEN_FILE: Path = default("ACTION_SERVER_TOKEN_FILE")  # Rasa -> action server
DEFAULT_LOG_TAG_FILE: Path = default("LOG_TAG_SECRET_FILE")  # keys the conversation tags in logs
DEFAULT_WEB_SECRET_FILE: Path = default("WEB_CHAT_SECRET_FILE")  # signs website chat ids
DEFAULT_ALERT_SPOOL_DIR: Path = default("ALERT_SPOOL_DIR")  # staff alerts the database refused
NOTIFY_TARGETS: Tuple[str, ...] = BY_ENV["STAFF_NOTIFY"].choices
SCHEDULING_ADAPTERS: Tuple[str, ...] = BY_ENV["SCHEDULING_ADAPTER"].choices
