"""The console web app: ``create_app()`` wires middleware, pages and static files."""

from __future__ import annotations

import importlib
import logging
from typing import Optional

from aiohttp import web

from clinic.settings import Settings, get_settings
from console.web import HERE, SETTINGS_KEY, require_login, security_headers

logger = logging.getLogger(__name__)

# One module a page group (templates in ``templates/<group>/``); each has ``routes`` (an
# aiohttp RouteTableDef) and may have ``setup(app)`` for background work (called once per app).
PAGES = (
    "console.pages.auth",
    "console.pages.conversations",
    "console.pages.queues",
    "console.pages.dashboard",
    "console.pages.admin",
    "console.pages.answers",
    "console.pages.annotations",
)
MAX_BODY = 1024 * 1024


def create_app(settings: Optional[Settings] = None) -> web.Application:
    """A console app on the project database (``clinic.db``); nothing runs until served."""
    app = web.Application(middlewares=[security_headers, require_login],
                          client_max_size=MAX_BODY)
    app[SETTINGS_KEY] = settings or get_settings()
    for name in PAGES:
        module = importlib.import_module(name)
        app.add_routes(module.routes)
        if callable(getattr(module, "setup", None)):
            module.setup(app)
    app.router.add_static("/static/", HERE / "static", append_version=True)
    return app


def main() -> None:
    """Serve the console on ``CONSOLE_HOST:CONSOLE_PORT`` (127.0.0.1:8000 by default)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # URLs hold conversation ids
    settings = get_settings()
    web.run_app(create_app(settings), host=settings.console.host, port=settings.console.port,
                print=lambda _: logger.info("Review console on http://%s:%s",
                                            settings.console.host, settings.console.port))
