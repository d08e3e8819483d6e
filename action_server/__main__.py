"""``python -m action_server``: the project's actions on loopback, behind the shared secret.

Options: ``--host`` (``ACTIONS_HOST``, default 127.0.0.1), ``--port`` (``ACTIONS_PORT``,
default 5055). The secret is ``ACTION_SERVER_TOKEN`` or the file ``make run`` writes.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import List, Optional

from clinic.settings import get_settings


def main(argv: Optional[List[str]] = None) -> int:
    """Parse options and serve until stopped; 2 without a token."""
    parser = argparse.ArgumentParser(prog="python -m action_server", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("ACTIONS_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", "5055")))
    parser.add_argument("--actions", default="actions", help="package with the actions")
    args = parser.parse_args(argv)
    token = get_settings().action_server_token
    if not token:
        print("action server: no ACTION_SERVER_TOKEN (or var/action_token); refusing to start "
              "an action server anyone could call. `make run` creates one.", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from action_server.app import build_app  # rasa_sdk is heavy: import once options are valid

    app = build_app(token, args.actions)
    logging.getLogger(__name__).info("Action server on http://%s:%d", args.host, args.port)
    app.run(args.host, args.port, workers=1, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
