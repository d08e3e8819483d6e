"""Hostile and odd inputs for the fuzz run (``scripts/fuzz.py``), drawn from a seeded RNG.

Each generator returns what one request sends; none of it is patient data. The texts mix
real questions (so conversations grow and the model works) with everything a channel may
receive by mistake or on purpose.
"""

from __future__ import annotations

import json
import random
from typing import Any, Callable, Dict, List, Optional, Tuple

QUESTIONS = [
    "what is kyphoplasty", "how long is recovery", "will i be asleep", "can i drive after",
    "what are the risks", "i want to book an appointment", "talk to a nurse", "yes", "no",
    "thanks", "my legs are numb since the procedure", "hola", "1", "2", "stop", "start",
]


def _random_unicode(rng: random.Random, size: int) -> str:
    return "".join(chr(rng.choice([rng.randint(0x20, 0x7e), rng.randint(0xa0, 0xd7ff),
                                   rng.randint(0xe000, 0x10ffff)])) for _ in range(size))


def text(rng: random.Random) -> str:
    """One message text: a real question, or something odd."""
    kinds: List[Callable[[], str]] = [
        lambda: rng.choice(QUESTIONS),
        lambda: "",
        lambda: " \t\n " * rng.randint(1, 50),
        lambda: "\x00\x01\x02" * rng.randint(1, 20),
        lambda: "😀🎉" * rng.randint(1, 200),
        lambda: "<script>alert(1)</script><img src=x onerror=alert(2)> " + rng.choice(QUESTIONS),
        lambda: "'; DROP TABLE events; -- " + rng.choice(QUESTIONS),
        lambda: "%s%n%x{0}{sender}${ACTION_SERVER_TOKEN}" * rng.randint(1, 5),
        lambda: "/restart", lambda: '/faq{"topic": "x"}', lambda: "/" + "a" * rng.randint(1, 300),
        lambda: "\u202e" + rng.choice(QUESTIONS) + "\u200b" * 50,
        lambda: "Z\u0336\u0337\u0338" * rng.randint(10, 400),
        lambda: "x" * rng.choice([999, 1001, 5000, 60_000, 300_000]),
        lambda: _random_unicode(rng, rng.randint(1, 2000)),
        lambda: bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 500))).decode("latin-1"),
        lambda: rng.choice(QUESTIONS) + " " + "\ud83d",  # a lone surrogate
        lambda: str(rng.randint(-10**12, 10**12)),
    ]
    return rng.choice(kinds)()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def rest_body(rng: random.Random, sender: str) -> Tuple[bytes, str]:
    """(body, content type) for one REST call."""
    message = text(rng)
    shapes: List[Callable[[], Any]] = [
        lambda: {"sender": sender, "message": message},
        lambda: {"sender": sender, "message": message},
        lambda: {"sender": sender, "message": message},
        lambda: {"sender": sender, "message": message,
                 "metadata": {"k": rng.choice([1, "v" * 5000, [1] * 10, None, "\udc00"])}},
        lambda: {"sender": rng.choice(["", " ", "a b", "<x>", "x" * 200, 5, None]),
                 "message": message},
        lambda: {"sender": sender, "message": rng.choice([5, None, [], {}, True, 1.5])},
        lambda: {"message": message},
        lambda: [sender, message],
        lambda: rng.choice([None, 0, "text", True]),
    ]
    raw: Optional[bytes] = None
    roll = rng.random()
    if roll < 0.05:
        raw = _nested(rng.choice([100, 10_000, 200_000])).encode()
    elif roll < 0.08:
        raw = b'{"sender": "%s", "message": "hi", "metadata": %s}' % (
            sender.encode(), _nested(rng.choice([50, 5000, 100_000])).encode())
    elif roll < 0.12:
        raw = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 3000)))
    elif roll < 0.14:
        raw = b'{"sender": "' + sender.encode() + b'", "message": "' + b"\\ud83d" * 20 + b'"}'
    if raw is None:
        raw = json.dumps(rng.choice(shapes)()).encode("utf-8", "surrogatepass")
    content_type = rng.choice(["application/json"] * 8 + ["text/plain", "application/xml", ""])
    return raw, content_type


def sms_form(rng: random.Random, phone: str) -> Dict[str, str]:
    """The fields of one (signed) Twilio webhook call, some of them wrong."""
    form = {"MessageSid": f"SM{rng.getrandbits(128):032x}", "AccountSid": "AC" + "0" * 32,
            "From": phone, "To": "+15005550006", "NumMedia": "0", "Body": text(rng)}
    roll = rng.random()
    if roll < 0.05:
        form["From"] = rng.choice(["", "12345", "ALPHA", "+1" + "9" * 30, "web-abc", "rest-x"])
    elif roll < 0.08:
        form["NumMedia"] = rng.choice(["-1", "x", "99999999999999999999", "2"])
    elif roll < 0.10:
        form.pop("Body")
    elif roll < 0.12:
        form["OptOutType"] = rng.choice(["STOP", "START", "HELP", "???"])
    form["Body"] = form.get("Body", "").encode("utf-8", "replace").decode("utf-8")[:20_000]
    return form


def socket_event(rng: random.Random) -> Tuple[str, Any, bool]:
    """(event, data, expects an answer) for one socket.io emit."""
    roll = rng.random()
    if roll < 0.75:
        return "user_uttered", {"message": text(rng)}, True
    choices: List[Tuple[str, Any]] = [
        ("user_uttered", rng.choice(["text", 7, ["a"], None, {"message": 5}, {"text": "hi"}])),
        ("session_request", rng.choice(["not a dict", {"session_id": "forged.token"},
                                        {"session_id": 12}])),
        ("no_such_event", {"message": "hi"}),
        ("user_uttered", {"message": "q" * 400_000}),
    ]
    event, data = rng.choice(choices)
    return event, data, event == "user_uttered" and isinstance(data, dict) and isinstance(
        data.get("message"), str)
