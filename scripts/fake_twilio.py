"""A local fake of Twilio's Messages API, and signed webhook calls, for SMS tests and
the benchmark.

The real twilio SDK talks to it: ``TWILIO_API_BASE`` points the client's HTTP layer at
this server on loopback. It checks what Twilio checks (Basic auth with the account SID and
token, ``To``, ``Body``, ``From`` or ``MessagingServiceSid``), records every accepted
message, and can be told to fail the next requests (429, 500, a 21610 opt-out refusal...).
It runs in a thread, so tests in any event loop and the separate Rasa process can use it.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import parse_qs

import requests
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-twilio-auth-token"
FROM_NUMBER = "+15550100999"
_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")


@dataclass
class FakeTwilio:
    """State of the fake: accepted messages and scripted failures."""

    url: str = ""
    messages: List[Dict[str, str]] = field(default_factory=list)
    requests: int = 0
    failures: List[Tuple[int, int]] = field(default_factory=list)  # (status, code)
    delay_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int, code: int, times: int = 1) -> None:
        """Answer the next ``times`` requests with an error."""
        with self.lock:
            self.failures.extend([(status, code)] * times)

    def to(self, number: str) -> List[str]:
        """Bodies of the accepted messages to ``number``."""
        with self.lock:
            return [m["Body"] for m in self.messages if m["To"] == number]

    def wait_for(self, number: str, count: int, timeout: float = 20.0) -> List[str]:
        """Wait until ``count`` messages went to ``number``; return them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            bodies = self.to(number)
            if len(bodies) >= count:
                return bodies
            time.sleep(0.05)
        return self.to(number)

    def reset(self) -> None:
        """Forget messages and scripted failures."""
        with self.lock:
            self.messages.clear()
            self.failures.clear()
            self.requests = 0
            self.delay_seconds = 0.0

    def accept(self, path: str, auth: str, form: Dict[str, str]) -> Tuple[int, Dict[str, Any]]:
        """Handle one API call the way Twilio would."""
        match = _MESSAGES.match(path)
        if not match:
            return 404, {"code": 20404, "message": "Not found", "status": 404}
        expected = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if match.group(1) != ACCOUNT_SID or auth != f"Basic {expected}":
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        with self.lock:
            self.requests += 1
            if self.failures:
                status, code = self.failures.pop(0)
                return status, {"code": code, "message": "scripted failure", "status": status}
            if not form.get("To") or not form.get("Body"):
                return 400, {"code": 21604, "message": "'To' and 'Body' are required",
                             "status": 400}
            if not (form.get("From") or form.get("MessagingServiceSid")):
                return 400, {"code": 21603, "message": "'From' is required", "status": 400}
            self.messages.append(form)
        sid = "SM" + uuid.uuid4().hex
        return 201, {"sid": sid, "account_sid": ACCOUNT_SID, "to": form["To"],
                     "from": form.get("From"), "body": form["Body"], "status": "queued",
                     "direction": "outbound-api", "num_segments": "1"}


def _handler(fake: FakeTwilio) -> type:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8")
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            if fake.delay_seconds:
                time.sleep(fake.delay_seconds)
            status, body = fake.accept(self.path, self.headers.get("Authorization", ""), form)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            return

    return Handler


def start_fake() -> Tuple[FakeTwilio, ThreadingHTTPServer]:
    """Start the fake on a free loopback port (stop it with ``server.shutdown()``)."""
    fake = FakeTwilio()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server


def twilio_env(fake: FakeTwilio, webhook_url: str = "") -> Dict[str, str]:
    """Environment for a server that sends through the fake."""
    env = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "TWILIO_FROM_NUMBER": FROM_NUMBER, "TWILIO_API_BASE": fake.url}
    if webhook_url:
        env["TWILIO_WEBHOOK_URL"] = webhook_url
    return env


def inbound(sender: str, body: Optional[str], **extra: str) -> Dict[str, str]:
    """The form Twilio posts for an incoming text (``body=None``: no Body field)."""
    form = {"MessageSid": "SM" + uuid.uuid4().hex, "AccountSid": ACCOUNT_SID,
            "From": sender, "To": FROM_NUMBER, "NumMedia": "0", **extra}
    if body is not None:
        form["Body"] = body
    return form


def post_signed(url: str, form: Dict[str, str], token: str = AUTH_TOKEN,
                signature: Optional[str] = None) -> requests.Response:
    """POST ``form`` to ``url`` as Twilio does, signed with ``token`` unless given one."""
    if signature is None:
        signature = RequestValidator(token).compute_signature(url, form)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    return requests.post(url, data=form, headers=headers, timeout=30)
