"""rasa-sdk's action server, closed: loopback by default and a shared secret on every call.

Stock ``python -m rasa_sdk`` listens on every interface and runs any action for anyone who
can reach the port, so a forged POST could raise an emergency alert or book appointments.
Here every route but ``GET /health`` needs ``Authorization: Bearer <ACTION_SERVER_TOKEN>``,
which Rasa sends from ``endpoints.yml`` (``action_endpoint: headers:``); anything else gets
403. Without a configured token the server refuses to start.
"""

from __future__ import annotations

from typing import Optional

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from clinic.bearer import bearer_matches

OPEN_PATHS = frozenset({"/health"})


def build_app(token: str, actions_package: str = "actions") -> Sanic:
    """The rasa-sdk app with the token check in front of every route but the health check."""
    if not token:
        raise ValueError("ACTION_SERVER_TOKEN is empty")
    app = create_app(actions_package, cors_origins=None)

    @app.on_request
    async def require_token(request: Request) -> Optional[HTTPResponse]:
        header = request.headers.get("authorization")
        if request.path in OPEN_PATHS or bearer_matches(header, token):
            return None
        return response.json({"error": "Forbidden: this server answers Rasa only."}, status=403)

    return app
