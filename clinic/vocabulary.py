"""Names that Python code shares with the domain, the data and Rasa: one spelling each.

Intents, channels and message keys used in more than one module are defined here; a name
used by one module only stays there. ``domain.yml`` and ``data/`` spell the same names.
"""

from __future__ import annotations

# channels: each input channel's ``name()``, also the ``channel:`` of response variants
SMS_CHANNEL = "twilio"  # the conversation id of an SMS chat is the patient's phone number

# intents
FAQ_INTENT = "faq"  # the retrieval intent: ``faq/<key>`` answered by ``utter_faq/<key>``
FALLBACK_INTENT = "nlu_fallback"
URGENT_INTENT = "urgent_symptom"  # the router's alarm class, read by the safety components
HANDOFF_INTENT = "request_human"
CHECKIN_INTENT = "EXTERNAL_followup_checkin"  # the worker starts a check-in with it

# the metadata key that marks a bot message as a staff member's reply
STAFF_REPLY_KEY = "staff_reply"
# the metadata key of a patient message that asks several questions: each one's answer key
MORE_QUESTIONS_KEY = "more_questions"
# the metadata (and parse data) key of a follow-up such as "and for vertebroplasty?"
FOLLOW_UP_KEY = "follow_up"

# slots Python code sets that the rules read
SAFETY_FRAME_SLOT = "safety_frame"  # a red-flag instruction was given: stay in that frame
HANDOFF_WAITING_SLOT = "handoff_waiting"  # the patient waits for staff (the bot still answers)
