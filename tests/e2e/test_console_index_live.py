"""Conversations held with the real servers reach the console's index."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from addons.channels.rest import conversation_id as rest_id
from clinic.models import ConversationMessage
from clinic.review import indexer
from tests.console.test_console_indexer import summary


def test_conversations_with_the_real_servers_reach_the_index(servers, server_db):
    user = f"console-index-{datetime.now().timestamp():.0f}"
    sender = rest_id(user)
    assert servers.texts(user, "how long is the recovery after kyphoplasty")
    indexer.catch_up()
    with Session(server_db) as session:
        row = summary(session, sender)
        assert row.user_messages == 1 and row.bot_messages >= 1
        message = session.scalars(select(ConversationMessage).where(
            ConversationMessage.conversation_id == sender)).one()
        assert message.intent == "faq" and message.faq_key == "faq/recovery_time"
