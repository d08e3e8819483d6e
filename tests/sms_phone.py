"""A patient's phone for server tests: signed Twilio webhooks in, texts read from the fake."""

from __future__ import annotations

import itertools
from typing import Any, Dict, List, Optional

import requests

from clinic.settings import get_settings
from clinic.sms import text as sms_text
from scripts.fake_twilio import FakeTwilio, inbound, post_signed

_numbers = itertools.count(100)


def sms_of(domain: Dict[str, Any], name: str, condition: Optional[str] = None,
           **values: Any) -> str:
    """A response as the SMS channel sends it (twilio variant, plain, numbered choices);
    ``condition`` picks the variant for that slot value (e.g. a red-flag level)."""
    def matches(variant: Dict[str, Any]) -> bool:
        wanted = (variant.get("condition") or [{}])[0].get("value")
        return wanted == condition

    variants = [v for v in domain["responses"][name] if matches(v)]
    variant = next((v for v in variants if v.get("channel") == "twilio"),
                   next(v for v in variants if not v.get("channel")))
    settings = get_settings()
    text = str(variant["text"]).format(**settings.clinic.as_template_vars(),
                                       sms_program_name=settings.sms.program_name, **values)
    return sms_text.render_sms(text, variant.get("buttons"))


class Phone:
    """A patient texting the clinic: sends signed webhooks, reads the texts they got."""

    def __init__(self, servers: Any, fake: FakeTwilio) -> None:
        self.number = f"+1312555{next(_numbers):04d}"
        self.url = f"{servers.rasa_url}/webhooks/twilio/webhook"
        self.fake = fake
        self.seen = 0

    def post(self, body: Optional[str], **extra: Any) -> requests.Response:
        return post_signed(self.url, inbound(self.number, body), **extra)

    def text(self, body: Optional[str]) -> List[str]:
        """Send one text; return the texts it got back (all sent before the webhook returns)."""
        response = self.post(body)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/xml")
        assert "<Response></Response>" in response.text
        got = self.fake.to(self.number)[self.seen:]
        self.seen += len(got)
        for sms in got:
            assert sms_text.is_gsm7(sms) and sms_text.segments(sms) <= 2, sms
        return got
