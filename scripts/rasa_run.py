"""``python -m scripts.rasa_run ARGS``: ``rasa ARGS`` with the API token kept out of argv.

``rasa run --auth-token T`` shows the token to every user of the machine (``ps``). This
launcher takes it from ``RASA_API_TOKEN`` (environment, readable by the owner only) and hands
it to Rasa's own command line inside the process.
"""

from __future__ import annotations

import os
import sys


def bound_action_calls() -> None:
    """Cap Rasa's wait for the action server (``ACTION_CALL_TIMEOUT_SECONDS``).

    Rasa 3.6 has no setting for it: each call waits up to the module's
    ``DEFAULT_REQUEST_TIMEOUT`` (300 s), which outlives Rasa's 60 s conversation lock, so the
    patient's next message would start from the stored state and the held turn's events
    would be lost. Rasa reads the constant at call time; a failed call is logged and the
    turn goes on (the red flag's alert is made sure of by the channel).
    """
    import rasa.core.actions.action as rasa_action

    from clinic.settings import get_settings

    rasa_action.DEFAULT_REQUEST_TIMEOUT = get_settings().action_call_seconds  # type: ignore[assignment]


def main() -> None:
    """Run Rasa's CLI with ``--auth-token`` added from the environment."""
    from rasa.__main__ import main as rasa_main

    token = os.environ.get("RASA_API_TOKEN", "").strip()
    if not token:
        sys.exit("RASA_API_TOKEN is not set: Rasa's HTTP API would be open to anyone")
    # one argument "--auth-token=T": a token that starts with "-" would read as an option
    sys.argv = ["rasa", *sys.argv[1:], f"--auth-token={token}"]
    bound_action_calls()
    rasa_main()


if __name__ == "__main__":
    main()
