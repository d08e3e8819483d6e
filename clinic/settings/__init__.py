"""The one place that reads configuration: environment variables over ``clinic.yml``.

Each setting is declared once in :mod:`clinic.settings.declared` (environment variable,
``clinic.yml`` key, default, type, bounds); :mod:`clinic.settings.reader` reads any of them
(environment over ``clinic.yml`` over the default) and :mod:`clinic.settings.loader` builds
the dataclasses of :mod:`clinic.settings.model`. Nothing is read at import time; call
:func:`get_settings` (cached) when a value is needed.
"""

from clinic.settings.declared import (
    DEFAULT_ACTION_TOKEN_FILE,
    DEFAULT_ALERT_SPOOL_DIR,
    DEFAULT_API_TOKEN_FILE,
    DEFAULT_CLINIC_FILE,
    DEFAULT_LOG_TAG_FILE,
    DEFAULT_REST_TOKEN_FILE,
    DEFAULT_WEB_SECRET_FILE,
    NOTIFY_TARGETS,
    PROJECT_ROOT,
    SCHEDULING_ADAPTERS,
    SETTINGS,
    Setting,
)
from clinic.settings.loader import (
    CLINIC_FIELDS,
    FALLBACK_CLINIC,
    build_settings,
    get_settings,
    load_api_token,
    load_clinic,
    load_console,
    load_followups,
    load_hours,
    load_notify,
    load_scheduling,
    load_secret,
    load_settings,
    load_sms,
    load_web_chat,
    load_yaml_file,
)
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

__all__ = [
    "CLINIC_FIELDS", "DEFAULT_ACTION_TOKEN_FILE", "DEFAULT_ALERT_SPOOL_DIR",
    "DEFAULT_API_TOKEN_FILE", "DEFAULT_CLINIC_FILE", "DEFAULT_LOG_TAG_FILE",
    "DEFAULT_REST_TOKEN_FILE", "DEFAULT_WEB_SECRET_FILE", "FALLBACK_CLINIC", "NOTIFY_TARGETS",
    "PROJECT_ROOT", "SCHEDULING_ADAPTERS", "SETTINGS", "ClinicInfo", "ConsoleSettings",
    "FollowUpSettings", "NotifySettings", "SchedulingSettings", "Setting", "Settings",
    "SmsSettings", "Values", "WebChatSettings", "build_settings", "get_settings",
    "load_api_token", "load_clinic", "load_console", "load_followups", "load_hours",
    "load_notify", "load_scheduling", "load_secret", "load_settings", "load_sms",
    "load_web_chat", "load_yaml_file",
]
