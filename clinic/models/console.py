"""Tables of the review console (same metadata and migrations as ``clinic.models``).

Times are naive UTC. ``conversation_index`` and ``conversation_messages`` are a derived,
rebuildable index of Rasa's ``events`` table (the transcripts themselves stay Rasa's);
everything else is staff work that exists nowhere else.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)

from clinic.models.assistant import Base, utcnow


class StaffUser(Base):
    """A console account; the password is stored only as a salted scrypt hash."""

    __tablename__ = "staff_users"
    ROLES = ("reviewer", "admin")

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)  # lower case
    display_name = Column(String(120), nullable=False)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False, default="reviewer")
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_login_at = Column(DateTime)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime)


class StaffSession(Base):
    """A logged-in browser: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "staff_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_seen_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)  # absolute limit; idle limit from last_seen

    __table_args__ = (Index("ix_staff_sessions_user", "user_id"),)


class AuditEntry(Base):
    """Who did or saw what: transcript views, exports, edits, status changes, logins."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    username = Column(String(64), nullable=False)
    action = Column(String(48), nullable=False)  # view_conversation, export_annotations, ...
    target_type = Column(String(32))
    target_id = Column(String(255))
    detail = Column(JSON, nullable=False, default=dict)  # never message text
    client_address = Column(String(64))  # the request's client (None: command line, worker)

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_target", "target_type", "target_id"),
        Index("ix_audit_log_client_at", "client_address", "at"),  # log-in throttling
    )


class ConversationSummary(Base):
    """One conversation (Rasa sender id) as the console lists it; built from ``events``."""

    __tablename__ = "conversation_index"

    conversation_id = Column(String(255), primary_key=True)
    channel = Column(String(32), nullable=False, default="")
    started_at = Column(DateTime, nullable=False)
    last_message_at = Column(DateTime, nullable=False)
    user_messages = Column(Integer, nullable=False, default=0)
    bot_messages = Column(Integer, nullable=False, default=0)
    min_confidence = Column(Float)  # lowest intent confidence of a patient message
    fallback_turns = Column(Integer, nullable=False, default=0)
    preview = Column(Text, nullable=False, default="")  # first patient message (masked on show)
    reviewed_at = Column(DateTime)
    reviewed_by = Column(String(64))

    __table_args__ = (
        Index("ix_conversation_index_last", "last_message_at"),
        Index("ix_conversation_index_channel_last", "channel", "last_message_at"),
        Index("ix_conversation_index_min_conf", "min_confidence"),
    )


class ConversationMessage(Base):
    """One patient message with what the assistant understood (from a ``user`` event)."""

    __tablename__ = "conversation_messages"

    id = Column(Integer, primary_key=True)
    event_id = Column(Integer, nullable=False, unique=True)  # Rasa events.id
    conversation_id = Column(String(255), nullable=False)
    at = Column(DateTime, nullable=False)
    text = Column(Text, nullable=False, default="")
    search_text = Column(Text, nullable=False, default="")  # lower-cased, for search
    intent = Column(String(96))
    confidence = Column(Float)
    faq_key = Column(String(96))  # e.g. faq/recovery_time
    faq_confidence = Column(Float)
    fallback = Column(Boolean, nullable=False, default=False)

    __table_args__ = (
        Index("ix_conversation_messages_conv_at", "conversation_id", "at"),
        Index("ix_conversation_messages_intent", "intent"),
        Index("ix_conversation_messages_faq", "faq_key"),
    )


class IndexState(Base):
    """How far the console's index has read Rasa's ``events`` table."""

    __tablename__ = "review_index_state"

    id = Column(Integer, primary_key=True)  # always 1
    last_event_id = Column(Integer, nullable=False, default=0)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class ConversationTag(Base):
    """A staff label on a conversation (e.g. ``billing``, ``needs-answer``)."""

    __tablename__ = "conversation_tags"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False)
    tag = Column(String(40), nullable=False)
    created_by = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (
        UniqueConstraint("conversation_id", "tag", name="uq_conversation_tag"),
        Index("ix_conversation_tags_tag", "tag"),
    )


class Annotation(Base):
    """A reviewer's label for one patient message: the right intent / FAQ key, or as is."""

    __tablename__ = "annotations"

    id = Column(Integer, primary_key=True)
    event_id = Column(Integer, nullable=False, unique=True)  # Rasa events.id of the message
    conversation_id = Column(String(255), nullable=False)
    text = Column(Text, nullable=False)  # the message as sent (PII removed on export)
    predicted = Column(String(96))  # intent, or faq/<key> for FAQ questions
    label = Column(String(96), nullable=False)  # the correct intent or faq/<key>
    correct_as_is = Column(Boolean, nullable=False, default=False)
    author = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    exported_at = Column(DateTime)

    __table_args__ = (Index("ix_annotations_label", "label"),)


class AnswerRevision(Base):
    """One edit of a response's text; the newest revision is what patients get.

    Revision numbers count per response from 1; a rollback is a new revision that copies
    an older one (``rollback_of``), so history is never rewritten.
    """

    __tablename__ = "answer_revisions"

    id = Column(Integer, primary_key=True)
    response_name = Column(String(128), nullable=False)  # utter_faq/recovery_time, utter_...
    revision = Column(Integer, nullable=False)
    chat_text = Column(Text, nullable=False)
    sms_text = Column(Text)  # None: SMS patients get the revised chat text (made plain)
    author = Column(String(64), nullable=False)
    reason = Column(String(300), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    rollback_of = Column(Integer)  # revision number copied (0 = the domain's text)

    __table_args__ = (
        UniqueConstraint("response_name", "revision", name="uq_answer_revision"),
    )
