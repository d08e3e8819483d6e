"""``python -m scripts.rasa_run ARGS``: ``rasa ARGS`` with the API token kept out of argv.

``rasa run --auth-token T`` shows the token to every user of the machine (``ps``). This
launcher takes it from ``RASA_API_TOKEN`` (environment, readable by the owner only) and hands
it to Rasa's own command line inside the process.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run Rasa's CLI with ``--auth-token`` added from the environment."""
    from rasa.__main__ import main as rasa_main

    token = os.environ.get("RASA_API_TOKEN", "").strip()
    if not token:
        sys.exit("RASA_API_TOKEN is not set: Rasa's HTTP API would be open to anyone")
    sys.argv = ["rasa", *sys.argv[1:], "--auth-token", token]
    rasa_main()


if __name__ == "__main__":
    main()
