"""A slice of the fuzz run (``make fuzz`` sends 10,200): hostile input never gets a 5xx.

REST, the signed SMS webhook and the website socket get seeded odd input (deep JSON,
lone surrogates, binary, huge texts, wrong types, forged signatures); every socket message
that should be answered is answered, and the server is still up.
"""

from __future__ import annotations

import asyncio

import pytest

from scripts.fuzz import run
from tests.conftest import MODEL_PATH

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not MODEL_PATH.exists(), reason="run `make train` first"),
]


def test_a_fuzz_slice_gets_no_server_error_and_every_message_answered(servers):
    tally = asyncio.run(run(servers, total=360, concurrency=3, seed=7))
    assert tally.sent == 360
    assert tally.server_errors == 0, tally.statuses
    assert tally.unanswered == 0 and tally.socket_drops == 0
    assert not [key for key in tally.statuses if key.startswith("client")], tally.statuses
    assert servers.processes[-1].poll() is None
