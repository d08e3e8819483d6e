"""The website widget's files: one script (socket.io client + widget), its stylesheet, a demo.

``widget.js`` is assembled per request from ``web/build/socket.io.min.js`` (copied from npm
by ``make web``) and ``web/src/widget.js``, inside one function scope: the page needs a
single ``<script>`` tag, and the bundled client neither overwrites a global ``io`` of the
host page nor trips an AMD loader. Settings the widget needs are injected as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional

from sanic import response
from sanic.response import HTTPResponse

WEB_DIR = Path(__file__).resolve().parent.parent.parent / "web"
SOURCE_DIR = WEB_DIR / "src"
VENDOR_FILE = WEB_DIR / "build" / "socket.io.min.js"

JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
HTML = "text/html; charset=utf-8"
HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}

BUNDLE = """/* Clinic chat widget. Bundles socket.io-client (MIT, see web/package.json). */
;(function () {
var module = { exports: {} }, exports = module.exports, define = undefined;
%(vendor)s
;var io = module.exports;
var CONFIG = %(config)s;
%(widget)s
})();
"""


def _script_json(value: Dict[str, Any]) -> str:
    """JSON that is also safe inside a script (no tag or line-separator surprises)."""
    text = json.dumps(value, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _without_source_map(script: str) -> str:
    lines = script.rstrip().splitlines()
    return "\n".join(line for line in lines if not line.startswith("//# sourceMappingURL="))


def widget_script(config: Dict[str, Any]) -> Optional[str]:
    """The bundled widget script; None when the socket.io client was not copied yet."""
    if not VENDOR_FILE.is_file():
        return None
    return BUNDLE % {
        "vendor": _without_source_map(VENDOR_FILE.read_text(encoding="utf-8")),
        "config": _script_json(config),
        "widget": (SOURCE_DIR / "widget.js").read_text(encoding="utf-8"),
    }


def script_response(config: Dict[str, Any]) -> HTTPResponse:
    """``widget.js``, or a 503 that says how to build it."""
    script = widget_script(config)
    if script is None:
        return response.text("/* widget not built: run `make web` */", status=503,
                             content_type=JS, headers=HEADERS)
    return response.text(script, content_type=JS, headers=HEADERS)


def file_response(name: str, content_type: str) -> HTTPResponse:
    """A file of ``web/src`` with its content type."""
    body = (SOURCE_DIR / name).read_text(encoding="utf-8")
    return response.text(body, content_type=content_type, headers=HEADERS)
