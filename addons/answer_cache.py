"""The answer texts staff edited in the review console, as the bot's NLG sees them.

The newest revision of every edited response (``clinic.content.answers.latest_texts``) is read
from the project database at most once every ``answers_refresh_seconds`` (15 s by default),
in a worker thread, one refresh at a time. A reply waits at most ``wait_seconds`` for a
refresh; if the database cannot be read, the last known texts stay in use (the domain's
texts before the first successful read) and a warning without any text is logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Callable, Dict, Mapping, Optional

from clinic.db import run_in_thread
from clinic.vocabulary import SMS_CHANNEL

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class RevisedText:
    """An edited response: chat text, and SMS text (None: the chat text on SMS too)."""

    chat_text: str
    sms_text: Optional[str] = None

    def for_channel(self, output_channel: str) -> str:
        """The SMS text for the SMS channel (if written), the chat text everywhere else."""
        if output_channel == SMS_CHANNEL and self.sms_text:
            return self.sms_text
        return self.chat_text


Loader = Callable[[], Mapping[str, RevisedText]]


def load_from_database() -> Dict[str, RevisedText]:
    """The newest revision of every edited response, from the project database."""
    from clinic.content.answers import latest_texts
    from clinic.db import session_scope

    with session_scope() as session:
        return {name: RevisedText(chat, sms) for name, (chat, sms) in
                latest_texts(session).items()}


class AnswerCache:
    """Edited answer texts, refreshed in the background of replies (see module docstring)."""

    def __init__(
        self,
        refresh_seconds: float,
        loader: Loader = load_from_database,
        clock: Callable[[], float] = time.monotonic,
        wait_seconds: float = 1.0,
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self.loader = loader
        self.clock = clock
        self.wait_seconds = wait_seconds
        self.texts: Dict[str, RevisedText] = {}
        self._due: Optional[float] = None  # None: never read yet
        self._task: Optional[asyncio.Future] = None
        self._failing = False

    async def text_for(self, response: str) -> Optional[RevisedText]:
        """The edited text of ``response`` (None: use the domain's)."""
        await self.refresh_if_due()
        return self.texts.get(response)

    async def refresh_if_due(self) -> None:
        """Start a refresh when the interval has passed (unless one runs); wait briefly."""
        task = self._task
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            now = self.clock()
            if self._due is not None and now < self._due:
                return
            self._due = now + self.refresh_seconds
            task = self._task = asyncio.ensure_future(self._refresh())
        try:
            await asyncio.wait_for(asyncio.shield(task), self.wait_seconds)
        except asyncio.TimeoutError:
            pass  # a slow database: answer with the last known texts; the refresh goes on

    async def _refresh(self) -> None:
        try:
            texts = await run_in_thread(self.loader)
        except Exception as error:  # noqa: BLE001 - the bot must answer without the database
            logger.warning("Edited answers could not be read (%s); using the last known texts",
                           type(error).__name__)
            self._failing = True
            return
        if self._failing:
            logger.info("Edited answers can be read again")
            self._failing = False
        self.texts = dict(texts)
