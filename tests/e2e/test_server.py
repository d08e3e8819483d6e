"""End-to-end HTTP tests against the real Rasa server, action server and trained model.

Bad input must get a clear answer or a 4xx (never a 5xx), typed commands must not steer the
bot, patient text must stay out of the logs, and a dead action server must not leave the
patient without an answer.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Dict

import pytest
import requests
import sqlalchemy as sa

from addons.channels.rest import conversation_id as rest_id
from clinic.models import StaffAlert
from clinic.settings import get_settings
from scripts.servers import ACTION_TOKEN, REST_TOKEN, start
from tests.conftest import MODEL_PATH
from tests.helpers import (
    frame_text,
    instruction_texts,
    level_text,
    render,
    rows_for,
    sender,
    unsure_messages,
)

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not MODEL_PATH.exists(), reason="run `make train` first"),
]


def test_greeting_carries_the_disclaimer(servers):
    [text] = servers.texts(sender(), "hello there")
    assert "not medical advice" in text
    assert "911" in text


@pytest.mark.parametrize(
    "question,key",
    [
        ("will I be asleep during kyphoplasty?", "anesthesia"),
        ("my mom is having kypho next week, how long will she be in the hospital", "hospital_stay"),
        ("how much does vertebroplasty cost with medicare", "cost_insurance"),
    ],
)
def test_faq_questions_get_the_curated_answer(servers, domain, question, key):
    assert servers.texts(sender(), question) == [render(domain, f"utter_faq/{key}")]


# One question per curated answer, in a patient's own words (not training or held-out data).
ALL_TOPICS = {
    "what_is_kyphoplasty": "my surgeon mentioned kyphoplasty, what is that exactly?",
    "what_is_vertebroplasty": "what is vertebroplasty?",
    "difference": "how is kyphoplasty different from vertebroplasty",
    "compression_fracture": "what causes a compression fracture of the spine",
    "symptoms": "what are the usual symptoms of a broken vertebra",
    "diagnosis": "what scans do they use to diagnose a spinal fracture",
    "candidacy": "how do i know if im a good candidate for vertebroplasty",
    "contraindications": "can i still have kyphoplasty if i take warfarin",
    "preparation": "what do i need to do to get ready for my kyphoplasty",
    "anesthesia": "will they put me to sleep for the procedure",
    "procedure_steps": "can you describe how the vertebroplasty is actually done",
    "duration": "how many minutes does the kyphoplasty procedure last",
    "cement": "what is the bone cement made of",
    "hospital_stay": "will my dad have to stay overnight in the hospital after kypho",
    "recovery_time": "how long is the recovery from vertebroplasty",
    "activity_restrictions": "how soon can i lift heavy things after the procedure",
    "pain_after": "how sore will my back be after the procedure",
    "risks": "are there any complications from kyphoplasty",
    "success_rate": "how well does kyphoplasty work for most people",
    "benefits": "what are the benefits of getting kyphoplasty",
    "incision": "will i have stitches afterwards",
    "brace": "do i have to wear a back brace after kyphoplasty",
    "bone_health": "how can i keep from breaking another bone in my spine",
    "alternatives": "are there other treatment options besides kyphoplasty",
    "multiple_levels": "can they fix three fractured vertebrae in one session",
    "follow_up": "will i have a follow up appointment after vertebroplasty",
    "cost_insurance": "is kyphoplasty covered by insurance",
    "not_covered": "can i take a bath a few days after the procedure",
    "medicines": "should i stop taking my aspirin before the procedure",
    "location": "what is the address of your clinic",
    "hours": "what time does your office open in the morning",
    "phone": "what phone number do i call to reach the clinic",
}


def test_every_topic_answered_over_http(servers, domain):
    keys = {name.split("/", 1)[1] for name in domain["responses"] if name.startswith("utter_faq/")}
    assert set(ALL_TOPICS) == keys
    wrong = {}
    for key, question in ALL_TOPICS.items():
        texts = servers.texts(sender(), question)
        if texts != [render(domain, f"utter_faq/{key}")]:
            wrong[key] = (question, texts[0][:80] if texts else None)
    assert not wrong


@pytest.mark.parametrize("message", ["", "   ", "\n\t"])
def test_empty_messages_get_a_clear_reply(servers, domain, message):
    assert servers.texts(sender(), message) == [render(domain, "utter_empty_message")]


def test_emoji_only_gets_a_clear_reply_but_thumbs_up_is_read(servers, domain):
    assert servers.texts(sender(), "😀🎉🎉") == [render(domain, "utter_no_words")]
    assert servers.texts(sender(), "👍") != [render(domain, "utter_no_words")]


def test_huge_message_is_capped_and_answered(servers, domain):
    user = sender()
    message = "will I be asleep during kyphoplasty? " + "x" * 100_000
    response = servers.send(user, message, timeout=60)
    assert response.status_code == 200
    texts = [m["text"] for m in response.json()]
    cap = get_settings().max_message_chars
    assert texts[0] == render(domain, "utter_message_truncated").replace(
        "{max_chars}", str(cap)
    )
    assert len(texts) >= 2
    stored = [e for e in servers.tracker(rest_id(user))["events"] if e["event"] == "user"]
    assert len(stored[-1]["text"]) <= cap


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"\xff\xfe\x00\x81binary\x00", "application/octet-stream"),
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (json.dumps({"message": "hi"}).encode(), "application/json"),
        (json.dumps({"sender": "", "message": "hi"}).encode(), "application/json"),
        (json.dumps({"sender": "a b<script>", "message": "hi"}).encode(), "application/json"),
        (json.dumps({"sender": "x" * 500, "message": "hi"}).encode(), "application/json"),
        (json.dumps({"sender": "abc", "message": 42}).encode(), "application/json"),
        (json.dumps({"sender": "abc"}).encode(), "application/json"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "application/json", id="deep-array"),
        pytest.param(b'{"sender": "abc", "message": "hi", "metadata": ' + b"[" * 60_000
                     + b"]" * 60_000 + b"}", "application/json", id="deep-metadata"),
    ],
)
def test_malformed_requests_get_a_4xx_with_a_reason(servers, body, content_type):
    response = requests.post(
        f"{servers.rasa_url}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": content_type, "Authorization": f"Bearer {REST_TOKEN}"},
        timeout=30,
    )
    assert 400 <= response.status_code < 500 and response.status_code != 401
    assert response.json()["error"]


@pytest.mark.parametrize("header", [None, "Bearer wrong", REST_TOKEN, f"Basic {REST_TOKEN}",
                                    "Bearer ", f"Bearer {ACTION_TOKEN}"])
def test_rest_answers_only_integrations_with_the_token(servers, header):
    headers = {"Authorization": header} if header is not None else {}
    response = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", headers=headers,
                             json={"sender": "intruder", "message": "hi"}, timeout=30)
    assert response.status_code == 401 and "REST_API_TOKEN" in response.json()["error"]
    assert servers.send("intruder", "hi").status_code == 200


def test_rest_conversations_live_in_their_own_namespace(servers):
    phone, chat = "+13125550888", "web-" + "a" * 32
    for who in (phone, chat):
        servers.texts(who, "what is kyphoplasty?")
        assert servers.tracker(rest_id(who))["events"]
        assert not [e for e in servers.tracker(who)["events"] if e["event"] == "user"]


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Bearer {REST_TOKEN}"])
def test_the_action_server_answers_rasa_only(servers, server_db, header):
    headers = {"Authorization": header} if header is not None else {}
    forged: Dict[str, Any] = {
        "next_action": "action_raise_staff_alert", "sender_id": "forged", "version": "3.6.2",
        "tracker": {"sender_id": "forged", "slots": {}, "events": [],
                    "latest_message": {"text": "chest pain", "intent": {}}},
        "domain": {}}
    for method, path in (("post", "/webhook"), ("get", "/actions")):
        response = requests.request(method, servers.actions_url + path, json=forged,
                                    headers=headers, timeout=30)
        assert response.status_code == 403
    assert rows_for(StaffAlert, "forged") == []
    assert requests.get(servers.actions_url + "/health", timeout=10).status_code == 200
    own = requests.get(servers.actions_url + "/actions", timeout=10,
                       headers={"Authorization": f"Bearer {ACTION_TOKEN}"})
    assert own.status_code == 200 and own.json()


def test_a_red_flag_with_a_broken_character_gets_its_instruction_and_alert(servers, server_db,
                                                                         domain):
    """JSON may carry half of a surrogate pair; the rest of the message still counts."""
    user = sender()
    body = ('{"sender": "' + user + '", "message": "since the kyphoplasty i cant feel my'
            ' legs \\ud83d", "metadata": {"note": "\\udc00"}}')
    response = requests.post(
        f"{servers.rasa_url}/webhooks/rest/webhook", data=body.encode("ascii"),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {REST_TOKEN}"},
        timeout=30)
    assert response.status_code == 200
    assert [m["text"] for m in response.json()][0] == level_text(domain, "emergency")
    deadline = time.monotonic() + 20
    while not rows_for(StaffAlert, rest_id(user)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(rows_for(StaffAlert, rest_id(user))) == 1
    stored = [e for e in servers.tracker(rest_id(user))["events"] if e["event"] == "user"]
    assert stored[-1]["text"].endswith("legs \ufffd")


def test_oversized_body_is_refused_with_413(servers):
    response = servers.send(sender(), "a" * 300_000)
    assert response.status_code == 413


def test_html_is_answered_and_kept_as_typed(servers, domain):
    user = sender()
    message = "<script>alert(1)</script> what is kyphoplasty?"
    assert servers.texts(user, message) == [render(domain, "utter_faq/what_is_kyphoplasty")]
    stored = [e for e in servers.tracker(rest_id(user))["events"] if e["event"] == "user"]
    assert stored[-1]["text"] == message


def test_typed_commands_cannot_force_intents_or_restart(servers):
    user = sender()
    servers.texts(user, "what is vertebroplasty")
    replies = servers.texts(user, "/restart")
    assert replies and all(replies)
    events = servers.tracker(rest_id(user))["events"]
    assert not any(e["event"] == "restart" for e in events)
    servers.texts(user, "/urgent_symptom")
    last_user = [e for e in servers.tracker(rest_id(user))["events"] if e["event"] == "user"][-1]
    assert last_user["text"] == "urgent_symptom"
    assert last_user["parse_data"]["text"] == "urgent_symptom"


def test_http_api_requires_the_token(servers):
    url = f"{servers.rasa_url}/conversations/someone/tracker"
    assert requests.get(url, timeout=10).status_code in (401, 403)
    assert requests.get(url, params={"token": "wrong"}, timeout=10).status_code in (401, 403)
    assert requests.get(url, params={"token": servers.token}, timeout=10).status_code == 200


def test_patient_text_and_ids_stay_out_of_info_logs(servers):
    user = "patient-5550100777"
    secret = "my neighbour zanzibar-4471 asked about kyphoplasty risks"
    servers.texts(user, secret)
    servers.send(user, "\xff" * 10)
    requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", data=b"\xff\x00", timeout=10)
    logs = servers.settled_logs()
    assert "zanzibar-4471" not in logs
    assert "5550100777" not in logs


def test_action_server_down_still_answers_fast(tmp_path: Path, domain):
    running = start(tmp_path / "no-actions", with_actions=False)
    try:
        user = sender()
        started = time.monotonic()
        texts = running.texts(user, unsure_messages(running)[0])
        elapsed = time.monotonic() - started
        assert texts == [render(domain, "utter_technical_difficulty")]
        assert elapsed < get_settings().turn_timeout_seconds
        # a red flag still gets its instruction first (the alert action is what fails),
        # and the Rasa server records the staff alert itself, once
        assert running.texts(user, "i cant breathe properly")[0] == level_text(
            domain, "emergency")
        engine = sa.create_engine(running.database_url)
        for _ in range(40):  # recorded in the background, right after the answer
            with engine.connect() as connection:
                alerts = connection.execute(sa.text(
                    "SELECT level, conversation_id FROM staff_alerts")).all()
            if alerts:
                break
            time.sleep(0.25)
        engine.dispose()
        assert [tuple(a) for a in alerts] == [("emergency", rest_id(user))]
        # asking for a person can't be queued: the phone instead, and no pause
        assert running.texts(user, "can i talk to a real person") == [
            render(domain, "utter_technical_difficulty")]
        # answers that need no custom action keep working
        assert running.texts(user, "what is vertebroplasty?") == [
            render(domain, "utter_faq/what_is_vertebroplasty")
        ]
    finally:
        running.stop()


@pytest.mark.parametrize(
    "message,level",
    [
        ("i had kyphoplasty tuesday and now i cant feel my legs", "emergency"),
        ("my incision is red and oozing pus since yesterday", "urgent"),
        ("honestly some days i just want to end my life", "crisis"),
        ("is this from the surgery? my chest feels heavy and it goes into my left arm",
         "emergency"),
    ],
)
def test_red_flags_get_their_level_then_the_frame_until_the_patient_is_safe(
        servers, domain, message, level):
    user = sender()
    assert servers.texts(user, message) == instruction_texts(domain, level)
    # no FAQ answer and no new advice while help is on its way
    assert servers.texts(user, "what should i do while i wait?") == [frame_text(domain, level)]
    assert servers.texts(user, "what is vertebroplasty?") == [frame_text(domain, level)]
    assert servers.texts(user, "/safe_now") == [render(domain, "utter_safe_now")]
    assert servers.texts(user, "what is vertebroplasty?") == [
        render(domain, "utter_faq/what_is_vertebroplasty")
    ]


def test_negated_symptom_is_not_an_alarm(servers, domain):
    texts = servers.texts(sender(), "no fever and no redness, when can i drive?")
    assert level_text(domain, "urgent") not in texts
    assert level_text(domain, "emergency") not in texts


def test_a_spanish_emergency_gets_the_spanish_instruction(servers, domain):
    texts = servers.texts(sender(), "mi esposo no puede respirar, lo operaron ayer")
    assert texts[0] == level_text(domain, "emergency_es")


def test_other_spanish_gets_the_spanish_reply_with_the_phone(servers, domain):
    assert servers.texts(sender(), "¿cuánto tiempo dura la recuperación?") == [
        render(domain, "utter_spanish")]
