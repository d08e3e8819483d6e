"""What the settings are: one frozen dataclass per area, built by ``clinic.settings.loader``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Dict, Tuple

from clinic.office_hours import OfficeHours


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
    """How staff are told about alerts and hand-offs (delivered by ``clinic.worker``)."""

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
    """Post-procedure check-ins by text (``clinic.followups.schedule``; sent by the worker)."""

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
    alert_spool_dir: Path  # staff alerts waiting for the database (clinic/safety/alert_spool.py)

