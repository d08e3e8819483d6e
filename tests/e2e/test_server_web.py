"""Website chat against the real Rasa and action servers: the widget's files, server-issued
and signed chat ids, history after a reload, bad input, malformed events, staff pushes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import requests

from addons.channels.web_session import sign
from tests.conftest import MODEL_PATH
from tests.helpers import render
from tests.web_client import ChatClient

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not MODEL_PATH.exists(), reason="run `make train` first"),
]

PREFIX = "/webhooks/socketio"


def user_texts(servers, conversation: str) -> list:
    return [e["text"] for e in servers.tracker(conversation)["events"] if e["event"] == "user"]


def key_of(servers) -> bytes:
    return (Path(servers.workdir) / "web_chat_secret").read_text().strip().encode()


@pytest.mark.parametrize("path,content_type", [
    ("/widget.js", "text/javascript"),
    ("/widget.css", "text/css"),
    ("/demo", "text/html"),
])
def test_widget_files_are_served_with_their_content_type(servers, path, content_type):
    response = requests.get(f"{servers.rasa_url}{PREFIX}{path}", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.text.strip()


def test_widget_script_bundles_the_client_and_its_settings(servers):
    script = requests.get(f"{servers.rasa_url}{PREFIX}/widget.js", timeout=10).text
    assert "Socket.IO v4.8" in script  # the npm client, from web/build
    assert '"path": "/socket.io"' in script
    assert "sourceMappingURL" not in script
    demo = requests.get(f"{servers.rasa_url}{PREFIX}/demo", timeout=10).text
    assert f'src="{PREFIX}/widget.js"' in demo


async def test_new_chat_gets_a_signed_id_and_the_greeting(servers, domain):
    async with ChatClient(servers.rasa_url) as chat:
        token, history = await chat.start()
    assert token.startswith("web-") and token.count(".") == 2
    assert history == [{"sender": "bot", "text": render(domain, "utter_greet")}]


@pytest.mark.parametrize("chosen", [
    "+15551234567", "test-someone", "web-" + "0" * 32, 42, {"a": 1}, "x" * 5000,
])
async def test_client_chosen_ids_are_refused(servers, chosen):
    async with ChatClient(servers.rasa_url) as chat:
        token, history = await chat.start(chosen)
        await chat.say("what is kyphoplasty?")
    chat_id = token.split(".")[0]
    assert chat_id != chosen and chat_id.startswith("web-")
    assert len(history) == 1  # a new conversation: just the greeting
    assert user_texts(servers, chat_id) == ["what is kyphoplasty?"]
    if isinstance(chosen, str) and len(chosen) < 200:
        assert user_texts(servers, chosen) == []  # nothing written to the chosen id


async def test_tampered_or_foreign_tokens_are_refused(servers):
    async with ChatClient(servers.rasa_url) as chat:
        token, _ = await chat.start()
        await chat.say("what is vertebroplasty?")
    chat_id, issued, signature = token.split(".")
    other = "web-" + "1" * 32
    forged = [
        f"{other}.{issued}.{signature}",  # someone else's id with this signature
        f"{chat_id}.{int(issued) + 1}.{signature}",  # changed date
        f"{chat_id}.{issued}.{signature[:-2]}xx",  # changed signature
        sign(b"not the server key at all", chat_id),
        sign(key_of(servers), chat_id, issued_at=int(time.time()) - 400 * 86400),  # expired
    ]
    for bad in forged:
        async with ChatClient(servers.rasa_url) as chat:
            new_token, history = await chat.start(bad)
        assert new_token.split(".")[0] not in (chat_id, other), bad
        assert [m["sender"] for m in history] == ["bot"]


async def test_reload_replays_the_conversation_with_the_last_buttons(servers, domain, vague):
    async with ChatClient(servers.rasa_url) as chat:
        token, _ = await chat.start()
        [answer] = await chat.say("will I be asleep?")
        assert answer["text"] == render(domain, "utter_faq/anesthesia")
        [suggest] = await chat.say(vague[0])
        buttons = suggest["buttons"]
        assert len(buttons) >= 2
    async with ChatClient(servers.rasa_url) as chat:  # the page reloads
        again, history = await chat.start(token)
        assert again.split(".")[0] == token.split(".")[0]
        assert [m["sender"] for m in history] == ["user", "bot", "user", "bot"]
        assert history[0]["text"] == "will I be asleep?"
        assert history[1] == {"sender": "bot", "text": answer["text"]}
        assert history[3]["buttons"] == buttons
        # clicking a button sends its payload; the history shows the title the patient saw
        await chat.say(buttons[0]["payload"])
        _, history = await chat.start(again)
    clicked = [m for m in history if m["sender"] == "user"][-1]
    assert clicked["text"] == buttons[0]["title"]
    assert not any("buttons" in m for m in history[:-1])


@pytest.mark.parametrize("message,response", [
    ("", "utter_empty_message"), ("   \n\t", "utter_empty_message"),
    ("\x00\x01\x02", "utter_empty_message"), ("😀🎉🎉", "utter_no_words"),
    ("?!?!...", "utter_no_words"),
])
async def test_bad_input_gets_the_same_answers_as_rest(servers, domain, message, response):
    async with ChatClient(servers.rasa_url) as chat:
        await chat.start()
        assert await chat.texts(message) == [render(domain, response)]


async def test_html_and_huge_messages_are_answered(servers, domain):
    async with ChatClient(servers.rasa_url) as chat:
        token, _ = await chat.start()
        html = "<script>alert(1)</script> what is kyphoplasty?"
        assert await chat.texts(html) == [render(domain, "utter_faq/what_is_kyphoplasty")]
        texts = await chat.texts("will I be asleep during kyphoplasty? " + "x" * 100_000)
        # a packet over engine.io's old 256 KB limit used to close the socket unanswered
        bigger = await chat.texts("will I be asleep during kyphoplasty? " + "y" * 400_000)
    assert bigger[0] == texts[0] and len(bigger) >= 2
    assert texts[0].startswith(render(domain, "utter_message_truncated")[:30])
    assert len(texts) >= 2
    assert user_texts(servers, token.split(".")[0])[0] == html


async def test_typed_commands_do_not_restart(servers):
    async with ChatClient(servers.rasa_url) as chat:
        token, _ = await chat.start()
        assert await chat.texts("/restart")
    events = servers.tracker(token.split(".")[0])["events"]
    assert not any(e["event"] == "restart" for e in events)


async def test_malformed_events_are_ignored_and_the_chat_goes_on(servers, domain):
    async with ChatClient(servers.rasa_url) as chat:
        token, _ = await chat.start()
        for bad in ("text", 7, ["a"], {"message": 5}, {"message": None}, {"text": "hi"}):
            await chat.sio.emit("user_uttered", bad)
        await chat.sio.emit("user_uttered")
        await chat.sio.emit("session_request", "not a dict")
        await chat.sio.emit("no_such_event", {"message": "hi"})
        assert await chat.quiet(1.5) == []
        assert await chat.texts("will I be asleep?") == [render(domain, "utter_faq/anesthesia")]
    assert "Traceback" not in servers.logs()[-20000:]


async def test_staff_reply_reaches_the_open_widget(servers):
    async with ChatClient(servers.rasa_url) as chat, ChatClient(servers.rasa_url) as tab:
        token, _ = await chat.start()
        await chat.say("what is kyphoplasty?")
        await tab.start(token)  # the same conversation open in a second tab
        chat_id = token.split(".")[0]
        response = await asyncio.to_thread(
            requests.post,
            f"{servers.rasa_url}/conversations/{chat_id}/tracker/events",
            params={"token": servers.token, "output_channel": "latest",
                    "execute_side_effects": "true"},
            json=[{"event": "bot", "text": "Hi, this is Dana from the clinic.",
                   "metadata": {"staff_reply": True, "staff": "dana"}}],
            timeout=30,
        )
        assert response.status_code == 200
        for client in (chat, tab):
            pushed = await client.expect("bot_uttered", timeout=10)
            assert pushed == {"sender": "bot", "text": "Hi, this is Dana from the clinic.",
                              "custom": {"from_staff": True}}
        _, history = await chat.start(token)
    assert history[-1]["custom"] == {"from_staff": True}


async def test_chat_text_and_ids_stay_out_of_info_logs(servers):
    async with ChatClient(servers.rasa_url) as chat:
        token, _ = await chat.start()
        await chat.say("my cousin quokka-9921 asked about kyphoplasty risks")
    logs = await asyncio.to_thread(servers.settled_logs)
    assert "quokka-9921" not in logs
    assert token.split(".")[0] not in logs
