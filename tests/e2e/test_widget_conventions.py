"""The website widget follows chat conventions (as Intercom, Drift and rasa-webchat do), in
real headless Chromium against the real servers: tappable phone numbers and links, emergency
instructions shown apart and announced at once, timestamps, a multi-line message box, "End
chat" for a shared computer, and the greeting (with its disclaimer) after a reload.

Screenshots go to results/browser/ (git-ignored).
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, List
from zoneinfo import ZoneInfo

import pytest

from tests.browser import chromium
from tests.conftest import MODEL_PATH
from tests.e2e.test_widget_browser import Widget, demo_url, staff_reply
from tests.helpers import frame_text, level_text, render

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not MODEL_PATH.exists(), reason="run `make train` first"),
]

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
ZONE = "America/Los_Angeles"
LEGS = "i had kyphoplasty tuesday and now i cant feel my legs"
RED = "rgb(180, 35, 24)"

NUMBERS = ("Call us at (555) 010-0199 or 555-010-0100. In an emergency call 911; "
           "in a crisis call or text 988.")
NOT_NUMBERS = ("We open at 8:00 AM, it takes 1 to 2 hours, since 2026, on 2026-12-08, "
               "reference 5550100199123, 1911 and 9110, version 911.5.")
LINKS = ("See https://example.org/care?topic=recovery&x=1. Or (http://example.org/a). "
         "Not javascript:alert(1) nor ftp://example.org/file nor www.example.org.")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


class ConfirmingWidget(Widget):
    """A widget whose confirm() dialogs are answered with ``self.answer``."""

    answer = True

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        if self.answer:
            dialog.accept()
        else:
            dialog.dismiss()


def started(browser: Any, servers: Any, **context: Any) -> Widget:
    widget = Widget(browser, demo_url(servers), **{**DESKTOP, **context})
    widget.open()
    from playwright.sync_api import expect

    expect(widget.log).to_contain_text("not medical advice")
    return widget


def tel_hrefs(bubble: Any) -> List[str]:
    return [str(a.get_attribute("href")) for a in bubble.locator("a[href^='tel:']").all()]


def test_phone_numbers_and_911_are_tappable_and_never_wrap(browser, servers, domain):
    from playwright.sync_api import expect

    widget = started(browser, servers)
    greeting = widget.log.locator(".msg.bot").first  # "In an emergency, call 911."
    expect(greeting.locator("a[href='tel:911']")).to_have_text("911")
    widget.ask(LEGS)  # the instruction names 911 and the urgent line
    instruction = widget.log.locator(".msg.bot", has_text=level_text(domain, "emergency"))
    assert set(tel_hrefs(instruction)) == {"tel:911", "tel:5550100199"}

    chat_id = widget.chat_id()
    staff_reply(servers, chat_id, NUMBERS)
    numbers = widget.log.locator(".msg.staff").last
    expect(numbers.locator(".text")).to_have_text(NUMBERS)  # the text itself is unchanged
    assert tel_hrefs(numbers) == ["tel:5550100199", "tel:5550100100", "tel:911", "tel:988"]
    assert numbers.locator("a").all_inner_texts() == [
        "(555) 010-0199", "555-010-0100", "911", "988"]
    staff_reply(servers, chat_id, NOT_NUMBERS)
    others = widget.log.locator(".msg.staff").last
    expect(others.locator(".text")).to_have_text(NOT_NUMBERS)
    assert others.locator("a").count() == 0

    # a number never breaks across lines, wherever it falls in the line
    lines = "\n".join(f"{'ab ' * k}call (555) 010-0199 now" for k in range(1, 30))
    staff_reply(servers, chat_id, lines)
    links = widget.log.locator(".msg.staff").last.locator("a.tel")
    expect(links).to_have_count(29)
    assert links.first.evaluate("a => getComputedStyle(a).whiteSpace") == "nowrap"
    rects = links.evaluate_all("links => links.map(a => a.getClientRects().length)")
    assert rects == [1] * 29
    widget.shot("10-phone-links")
    widget.close()


def test_http_links_open_in_a_new_tab_and_other_schemes_stay_text(browser, servers):
    from playwright.sync_api import expect

    widget = started(browser, servers)
    widget.context.route(re.compile(r"^https?://example\.org/"),
                         lambda route: route.fulfill(body="<title>care</title>ok",
                                                     content_type="text/html"))
    widget.ask("will I be asleep?")  # staff replies reach the channel the patient spoke on
    staff_reply(servers, widget.chat_id(), LINKS)
    bubble = widget.log.locator(".msg.staff").last
    expect(bubble.locator(".text")).to_have_text(LINKS)
    links = bubble.locator("a")
    expect(links).to_have_count(2)
    assert links.all_inner_texts() == ["https://example.org/care?topic=recovery&x=1",
                                       "http://example.org/a"]
    for link in links.all():
        assert link.get_attribute("target") == "_blank"
        assert link.get_attribute("rel") == "noopener noreferrer"
    with widget.context.expect_page() as opened:
        links.first.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == "https://example.org/care?topic=recovery&x=1"
    assert tab.evaluate("window.opener") is None
    tab.close()
    widget.close()


def test_emergency_instructions_stand_out_and_are_announced_at_once(browser, servers, domain):
    from playwright.sync_api import expect

    widget = started(browser, servers)
    alert = widget.page.locator("[aria-live='assertive']")
    expect(widget.log).to_have_attribute("aria-live", "polite")
    widget.ask("will I be asleep?")
    expect(alert).to_have_text("")  # ordinary answers wait their turn (the polite log)
    answer = widget.log.locator(".msg.bot").last
    assert answer.evaluate("m => getComputedStyle(m).borderTopColor") != RED

    widget.ask(LEGS)
    instruction = level_text(domain, "emergency")
    urgent = widget.log.locator(".msg.emergency")
    expect(urgent).to_have_count(1)
    expect(urgent.locator(".text")).to_have_text(instruction)
    expect(urgent.locator(".tag")).to_have_text(re.compile("Emergency"))
    assert urgent.evaluate("m => getComputedStyle(m).borderTopColor") == RED
    assert urgent.evaluate("m => parseFloat(getComputedStyle(m).borderTopWidth)") >= 2
    expect(alert).to_contain_text(instruction)
    # the line after the instruction is an ordinary message
    expect(widget.log.locator(".msg.bot").last).not_to_have_class(re.compile("emergency"))
    widget.shot("11-emergency")

    widget.ask("how long is the recovery from vertebroplasty")  # inside the safety frame
    expect(urgent).to_have_count(2)
    expect(urgent.last.locator(".text")).to_have_text(frame_text(domain, "emergency"))
    expect(alert).to_contain_text(frame_text(domain, "emergency"))

    widget.page.reload()  # the marks come back with the history, without a new alarm
    widget.open()
    expect(urgent).to_have_count(2)
    expect(urgent.first.locator(".text")).to_have_text(instruction)
    expect(alert).to_have_text("")
    widget.close()


def local_time(iso: str) -> str:
    when = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo(ZONE))
    return when.strftime("%I:%M %p").lstrip("0")


def stamps(widget: Widget) -> List[Any]:
    return widget.log.locator(".msg time").all()


def assert_stamped(widget: Widget, since: float, until: float) -> None:
    """Every message has a <time> in local time, said between ``since`` and ``until``."""
    found = stamps(widget)
    assert found and len(found) == widget.log.locator(".msg").count()
    for stamp in found:
        iso = str(stamp.get_attribute("datetime"))
        text = stamp.inner_text().replace("\u202f", " ").replace("\u00a0", " ")
        assert re.fullmatch(r"\d{1,2}:\d{2} [AP]M", text), text
        assert text == local_time(iso)
        said = datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
        assert since - 5 <= said <= until + 5, (iso, since, until)


def test_messages_show_their_local_time_also_after_a_reload(browser, servers):
    from playwright.sync_api import expect

    since = time.time()
    widget = started(browser, servers, locale="en-US", timezone_id=ZONE)
    widget.ask("will I be asleep?")
    widget.ask("what is kyphoplasty?")
    until = time.time()
    assert_stamped(widget, since, until)

    # hours later on this computer: the history still says when each message was written
    later = datetime.now(timezone.utc) + timedelta(hours=3)
    widget.page.clock.set_fixed_time(later)
    widget.page.reload()
    widget.open()
    expect(widget.bubbles("user")).to_have_count(2)
    assert widget.page.evaluate("Date.now()") >= later.timestamp() * 1000 - 1000
    assert_stamped(widget, since, until)
    widget.close()


def test_the_message_box_takes_several_lines(browser, servers, domain):
    from playwright.sync_api import expect

    widget = started(browser, servers)
    box = widget.input
    assert box.evaluate("el => el.tagName") == "TEXTAREA"
    height = box.evaluate("el => el.offsetHeight")
    box.press_sequentially("will I be asleep?")
    box.press("Shift+Enter")
    box.press_sequentially("and for how long?")
    expect(box).to_have_value("will I be asleep?\nand for how long?")
    assert widget.bubbles("user").count() == 0  # Shift+Enter is a new line, not a send
    assert box.evaluate("el => el.offsetHeight") > height  # the box grew with its text
    box.press("Enter")
    expect(widget.bubbles("user").last).to_have_text("will I be asleep?\nand for how long?")
    expect(box).to_have_value("")
    expect(box).to_be_focused()
    expect(widget.page.locator(".typing")).to_be_hidden()
    assert box.evaluate("el => el.offsetHeight") == height
    widget.close()


def test_end_chat_forgets_the_conversation_on_this_computer(browser, servers, domain):
    from playwright.sync_api import expect

    widget = ConfirmingWidget(browser, demo_url(servers), **DESKTOP)
    widget.open()
    expect(widget.log).to_contain_text("not medical advice")
    widget.ask("will I be asleep?")
    old = widget.chat_id()
    end = widget.page.get_by_role("button", name="End chat")

    widget.answer = False  # "Cancel": nothing changes
    end.click()
    assert len(widget.dialogs) == 1 and "End this chat?" in widget.dialogs[0]
    expect(widget.bubbles("user")).to_have_text(["will I be asleep?"])
    assert widget.chat_id() == old

    widget.answer = True
    end.click()
    expect(widget.page.get_by_role("dialog")).to_be_hidden()
    expect(widget.launcher).to_be_focused()
    assert widget.page.evaluate(
        "localStorage.getItem('clinicChat:' + location.origin)") is None
    assert widget.log.locator(".msg").count() == 0
    staff_reply(servers, old, "Hello from the clinic")  # the old chat no longer reaches here
    widget.page.wait_for_timeout(1000)
    expect(widget.launcher).to_have_accessible_name("Chat with us")
    assert widget.log.locator(".msg").count() == 0

    widget.page.reload()  # nothing comes back, and the next chat is a new one
    widget.page.wait_for_timeout(500)
    assert widget.log.locator(".msg").count() == 0
    widget.open()
    expect(widget.bubbles("bot")).to_have_text([render(domain, "utter_greet")])
    expect(widget.bubbles("user")).to_have_count(0)
    assert widget.chat_id() != old
    widget.ask("what is kyphoplasty?")
    assert widget.chat_id() != old
    widget.dialogs.clear()
    widget.close()


def test_the_greeting_and_disclaimer_stay_after_a_reload(browser, servers, domain):
    from playwright.sync_api import expect

    widget = started(browser, servers)
    widget.ask("will I be asleep?")
    widget.page.reload()
    widget.open()
    expect(widget.bubbles("user")).to_have_text(["will I be asleep?"])
    expect(widget.bubbles("bot")).to_have_text(
        [render(domain, "utter_greet"), render(domain, "utter_faq/anesthesia")])
    expect(widget.log.locator(".msg").first).to_contain_text("not medical advice")
    widget.close()
