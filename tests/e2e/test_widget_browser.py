"""The website widget in real headless Chromium (Debian's /usr/bin/chromium) against the
real servers: demo page, questions, buttons, reload, staff reply, HTML as text, keyboard,
phone screen, lost connection. Screenshots go to results/browser/ (git-ignored).

Chromium missing is a failure, not a skip: CI installs it (.ci/run).
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List

import pytest
import requests

from clinic.content.knowledge import faq_keys, faq_title
from tests.browser import SHOTS, TIMEOUT_MS, chromium
from tests.conftest import MODEL_PATH
from tests.helpers import render

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not MODEL_PATH.exists(), reason="run `make train` first"),
]

XSS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


class Widget:
    """The demo page with the widget, seen the way a patient's browser sees it."""

    def __init__(self, browser: Any, url: str, setup: Any = None, **context: Any) -> None:
        self.context = browser.new_context(**context)
        if setup is not None:
            setup(self.context)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.dialogs: List[str] = []
        self.errors: List[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.url = url
        self.page.goto(url)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    @property
    def launcher(self) -> Any:
        return self.page.get_by_role("button", name=re.compile("^Chat with us"))

    @property
    def log(self) -> Any:
        return self.page.get_by_role("log", name="Conversation")

    @property
    def input(self) -> Any:
        return self.page.get_by_role("textbox", name="Type your message")

    def open(self) -> None:
        self.launcher.click()
        from playwright.sync_api import expect

        expect(self.input).to_be_focused()

    def bubbles(self, who: str) -> Any:
        return self.log.locator(f".msg.{who} .text")

    def ask(self, text: str) -> None:
        """Type and send; wait until the answer is complete (typing indicator gone)."""
        from playwright.sync_api import expect

        before = self.bubbles("bot").count()
        self.input.fill(text)
        self.input.press("Enter")
        expect(self.bubbles("user").last).to_have_text(text)
        expect(self.bubbles("bot")).not_to_have_count(before)
        expect(self.page.locator(".typing")).to_be_hidden()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"{name}.png"))

    def chat_id(self) -> str:
        token = self.page.evaluate("localStorage.getItem('clinicChat:' + location.origin)")
        return str(token).split(".")[0]

    def close(self) -> None:
        assert self.dialogs == [], self.dialogs
        assert self.errors == [], self.errors
        self.context.close()


def demo_url(servers: Any) -> str:
    return f"{servers.rasa_url}/webhooks/socketio/demo"


def faq_by_title(domain: Dict[str, Any]) -> Dict[str, str]:
    return {faq_title(domain, key) or key: key for key in faq_keys(domain)}


def staff_reply(servers: Any, chat_id: str, text: str) -> None:
    response = requests.post(
        f"{servers.rasa_url}/conversations/{chat_id}/tracker/events",
        params={"token": servers.token, "output_channel": "latest",
                "execute_side_effects": "true"},
        json=[{"event": "bot", "text": text, "metadata": {"staff_reply": True}}], timeout=30)
    assert response.status_code == 200


def test_ask_click_reload_staff_reply(browser, servers, domain, vague):
    from playwright.sync_api import expect

    widget = Widget(browser, demo_url(servers), viewport={"width": 1280, "height": 800})
    widget.open()
    expect(widget.log).to_contain_text("not medical advice")  # the greeting
    widget.ask("will I be asleep?")
    anesthesia = render(domain, "utter_faq/anesthesia")
    expect(widget.bubbles("bot").last).to_have_text(anesthesia)

    widget.ask(vague[0])
    choices = widget.log.get_by_role("group", name="Suggested replies").get_by_role("button")
    expect(choices.first).to_be_visible()
    widget.shot("01-desktop-suggestions")
    title = choices.first.inner_text()
    key = faq_by_title(domain)[title]
    choices.first.click()
    expect(widget.bubbles("user").last).to_have_text(title)
    expect(widget.bubbles("bot").last).to_have_text(render(domain, f"utter_faq/{key}"))
    expect(widget.log.get_by_role("group")).to_have_count(0)
    widget.shot("02-desktop-button-answer")

    chat_id = widget.chat_id()
    widget.page.reload()
    # a returning patient is reconnected without opening the panel: staff replies arrive
    dana = "Hello, this is Dana from the clinic."
    widget.page.wait_for_function("""() => document.getElementById('clinic-chat-widget')
        ?.shadowRoot.querySelector('.log').childElementCount > 0""")
    staff_reply(servers, chat_id, dana)
    expect(widget.page.get_by_role("button", name="Chat with us (new message)")).to_be_visible()
    widget.open()
    expect(widget.bubbles("user")).to_have_text(["will I be asleep?", vague[0], title])
    expect(widget.log).to_contain_text(anesthesia)
    expect(widget.log.locator(".msg.staff .text")).to_have_text(dana)
    assert widget.chat_id() == chat_id
    widget.shot("03-desktop-reload-and-staff-reply")
    widget.close()


def test_html_is_shown_as_text_and_never_runs(browser, servers):
    from playwright.sync_api import expect

    widget = Widget(browser, demo_url(servers), viewport={"width": 1280, "height": 800})
    widget.open()
    expect(widget.log).to_contain_text("not medical advice")
    for text in XSS:
        widget.ask(text)
    expect(widget.bubbles("user")).to_have_text(XSS)
    assert widget.log.locator("img, script").count() == 0
    widget.page.wait_for_timeout(500)  # an onerror handler would have fired by now
    widget.shot("05-html-as-text")
    widget.close()  # asserts no dialog and no page error


def test_keyboard_and_typing_indicator(browser, servers):
    from playwright.sync_api import expect

    widget = Widget(browser, demo_url(servers), viewport={"width": 1280, "height": 800})
    widget.launcher.focus()
    widget.page.keyboard.press("Enter")
    expect(widget.input).to_be_focused()
    expect(widget.launcher).to_have_count(0)  # it now says "Close chat"
    expect(widget.page.get_by_role("button", name="Close chat").first).to_have_attribute(
        "aria-expanded", "true")
    expect(widget.log).to_contain_text("not medical advice")
    # the indicator shows as soon as a message is sent, in the same task as the click
    shown = widget.page.evaluate("""() => {
        const root = document.getElementById('clinic-chat-widget').shadowRoot;
        root.getElementById('input').value = 'what is kyphoplasty?';
        root.querySelector('form').requestSubmit();
        return !root.querySelector('.typing').hidden;
    }""")
    assert shown
    expect(widget.page.locator(".typing")).to_be_hidden()
    widget.page.keyboard.press("Escape")
    expect(widget.page.get_by_role("dialog")).to_be_hidden()
    expect(widget.launcher).to_be_focused()
    outline = widget.launcher.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline == "solid"  # the widget's own visible focus style (browsers default: auto)
    widget.close()


def test_phone_screen_gets_a_full_screen_panel(browser, servers, domain):
    from playwright.sync_api import expect

    widget = Widget(browser, demo_url(servers), viewport={"width": 390, "height": 844},
                    is_mobile=True, has_touch=True, device_scale_factor=2)
    widget.open()
    expect(widget.log).to_contain_text("not medical advice")  # connected: the greeting
    box = widget.page.get_by_role("dialog").bounding_box()
    assert box == {"x": 0, "y": 0, "width": 390, "height": 844}
    widget.ask("how long is the recovery from vertebroplasty")
    expect(widget.bubbles("bot").last).to_have_text(render(domain, "utter_faq/recovery_time"))
    widget.shot("06-phone")
    widget.close()


def test_lost_connection_is_shown_and_nothing_typed_is_lost(browser, servers, domain):
    from playwright.sync_api import expect

    sockets: List[Any] = []
    down = {"now": False}  # while down, a reconnecting websocket is refused too

    def through(ws: Any) -> None:
        if down["now"]:
            ws.close()
            return
        ws.connect_to_server()
        sockets.append(ws)

    def setup(context: Any) -> None:
        context.route_web_socket(re.compile(r"/socket\.io/"), through)

    widget = Widget(browser, demo_url(servers), setup, viewport={"width": 1280, "height": 800})
    context = widget.context
    widget.open()
    expect(widget.log).to_contain_text("not medical advice")
    for _ in range(100):  # socket.io upgrades from long polling to a websocket
        if sockets:
            break
        widget.page.wait_for_timeout(100)
    assert sockets, "the widget should talk over a websocket"

    down["now"] = True
    context.route(re.compile(r"/socket\.io/"), lambda route: route.abort())
    for ws in sockets:
        ws.close()
    status = widget.page.locator(".status")
    expect(status).to_contain_text("Connection lost")
    widget.shot("07-connection-lost")
    widget.input.fill("will I be asleep?")
    widget.input.press("Enter")
    expect(widget.input).to_have_value("will I be asleep?")  # kept, not sent into the void
    expect(status).to_contain_text("Not connected")
    assert widget.bubbles("user").count() == 0

    down["now"] = False
    context.unroute(re.compile(r"/socket\.io/"))
    expect(status).to_be_hidden()
    widget.input.press("Enter")
    expect(widget.bubbles("bot").last).to_have_text(render(domain, "utter_faq/anesthesia"))
    widget.close()


@pytest.fixture
def clinic_site(servers: Any) -> Iterator[str]:
    """Another origin (the clinic's own website) whose page carries the README's one tag."""
    page = (f'<!doctype html><html lang="en"><title>Riverside Spine</title><h1>Our clinic</h1>'
            f'<script src="{servers.rasa_url}/webhooks/socketio/widget.js" async></script>')

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = page.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:  # "localhost" and another port: a different origin from the Rasa server
        yield f"http://localhost:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_one_tag_embed_works_on_another_site_with_the_defaults(browser, servers, domain,
                                                                   clinic_site):
    from playwright.sync_api import expect

    assert not clinic_site.startswith(servers.rasa_url)
    widget = Widget(browser, clinic_site, viewport={"width": 1280, "height": 800})
    widget.open()
    expect(widget.log).to_contain_text("not medical advice")
    widget.ask("will I be asleep during kyphoplasty?")
    expect(widget.bubbles("bot").last).to_have_text(
        re.compile(re.escape(render(domain, "utter_faq/anesthesia")[:40])))
    expect(widget.page.get_by_text("Connection lost")).to_have_count(0)
    widget.shot("09-embedded-on-another-origin")
    widget.close()
