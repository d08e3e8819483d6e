"""The project's tables, one module per group, re-exported here."""

from clinic.models.assistant import *  # noqa: F401,F403
from clinic.models.console import *  # noqa: F401,F403
from clinic.models.rasa import *  # noqa: F401,F403
