"""Staff review console: transcripts, queues, annotation into training data, answer edits.

A separate web app (aiohttp, port 8000 by default) on the project database; ``make run``
starts it next to Rasa. Start it alone with ``python -m console``. ``pages/`` holds the views
(one module a page group, templates under ``templates/<group>/``), ``conversations/`` the
transcripts; accounts, the index and exports are the core's (``clinic.accounts``,
``clinic.review``).
"""
