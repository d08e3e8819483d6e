"""Rasa's memoization and rule policies, at the same cost on turn 500 as on turn 5.

Stock policies turn the whole conversation into dialogue states before every prediction
(``tracker.past_states`` replays every event), so a turn of a 500-message chat took ten
times as long as the first. These subclasses predict from the last :data:`RECENT_TURNS`
patient messages, started from the slots and active form in force at that point:

- rules match the end of the conversation and none spans more than a few messages, and
  none is marked ``conversation_start`` (a rule that only applies to a whole conversation);
- the memoization policy remembers whole training stories (``max_history`` unset), none
  longer than a few messages, so a longer conversation never matches one either way.

So the prediction is the same as from the whole conversation; ``tests/model/test_policies.py``
checks both conditions on the training data and compares the two on long conversations.
``config.yml`` names these classes (changing them means retraining).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

# More than any story or rule spans (5 patient messages today; a test keeps it so).
RECENT_TURNS = 10


def _cut(events: List[Event], turns: int) -> Optional[int]:
    """Index of the ``action_listen`` before the ``turns``-th latest patient message."""
    seen = 0
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            seen += 1
            if seen == turns:
                before = events[index - 1] if index > 0 else None
                listen = (isinstance(before, ActionExecuted)
                          and before.action_name == ACTION_LISTEN_NAME)
                return index - 1 if listen else index
    return None


def recent_tracker(tracker: DialogueStateTracker, domain: Domain,
                   turns: Optional[int] = None) -> DialogueStateTracker:
    """The conversation from ``turns`` patient messages ago, with the state it had then.

    ``turns`` defaults to :data:`RECENT_TURNS`. Returns ``tracker`` itself when it is not
    longer than that.
    """
    applied = tracker.applied_events()  # resets, reverts and loops already resolved
    cut = _cut(applied, turns or RECENT_TURNS)
    if cut is None or cut == 0:
        return tracker
    slots: Dict[str, Any] = {}
    loop: Optional[ActiveLoop] = None
    for event in applied[:cut]:
        if isinstance(event, SlotSet):
            slots[event.key] = event.value
        elif isinstance(event, ActiveLoop):
            loop = event
    start: List[Event] = [SlotSet(key, value) for key, value in slots.items()]
    if loop is not None and loop.name:
        start.append(ActiveLoop(loop.name))
    return DialogueStateTracker.from_events(
        tracker.sender_id, start + applied[cut:], slots=domain.slots, domain=domain)


# The policies of one prediction see the same tracker: build its recent view once.
_last: Dict[str, Any] = {"key": None, "tracker": None}


def _recent_once(tracker: DialogueStateTracker, domain: Domain) -> DialogueStateTracker:
    events = tracker.events
    key = (id(tracker), len(events), id(events[-1]) if events else None, RECENT_TURNS)
    if _last["key"] != key:
        _last["key"], _last["tracker"] = key, recent_tracker(tracker, domain)
    return _last["tracker"]  # type: ignore[no-any-return]


class _Recent:
    """Mixin: compute prediction states from :func:`recent_tracker`."""

    def _prediction_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: Optional[Dict[str, Any]] = None,
    ) -> List[State]:
        return super()._prediction_states(  # type: ignore[misc, no-any-return]
            _recent_once(tracker, domain), domain,
            use_text_for_last_user_input=use_text_for_last_user_input,
            rule_only_data=rule_only_data)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT,
                          is_trainable=True)
class RecentMemoizationPolicy(_Recent, MemoizationPolicy):
    """``MemoizationPolicy`` predicting from the recent conversation (see the module)."""


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT,
                          is_trainable=True)
class RecentRulePolicy(_Recent, RulePolicy):
    """``RulePolicy`` predicting from the recent conversation (see the module)."""
