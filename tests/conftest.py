"""Shared fixtures: project paths, the merged domain, a tracker factory, a dispatcher,
settings from a test environment and an in-memory database session."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
import yaml
from aiohttp import web
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from clinic import db
from clinic.models import Base
from clinic.models import console as console_models  # noqa: F401  (the console's tables)
from clinic.settings import Settings, get_settings
from scripts.fake_twilio import FakeTwilio, start_fake, twilio_env
from scripts.servers import Servers, start
from tests.console_client import ConsoleClient
from tests.helpers import serve

ROOT = Path(__file__).resolve().parent.parent
SOURCES_DIR = Path(os.environ.get("SOURCES_DIR", ROOT.parent / "shared" / "sources"))
MODEL_PATH = ROOT / "models" / "clinic.tar.gz"


class Receiver:
    """A webhook receiver: answers with the queued statuses (200 once they run out)."""

    def __init__(self) -> None:
        self.statuses: List[int] = []
        self.requests: List[Dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append({"headers": dict(request.headers), "body": body})
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    def only_signed_payload(self, secret: str) -> Dict[str, Any]:
        """The one request received: its signature must verify with ``secret`` (and only
        with it) and its event header match the body; returns the JSON body."""
        from clinic.delivery.notifier import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

        [request] = self.requests
        headers, body = request["headers"], request["body"]
        assert verify(secret, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
        assert not verify(secret + "x", headers[TIMESTAMP_HEADER], body,
                          headers[SIGNATURE_HEADER])
        payload: Dict[str, Any] = json.loads(body)
        assert payload["type"] == headers["X-Clinic-Event"]
        assert payload["delivery_id"] == headers["X-Clinic-Delivery"]
        return payload


async def deliver_all(settings: Settings) -> int:
    """Run the outbox worker once with ``settings``; returns how many rows were delivered."""
    import aiohttp

    from clinic.worker import run_once

    async with aiohttp.ClientSession() as http:
        return await run_once(settings, http)


@pytest.fixture
async def receiver() -> AsyncIterator[Tuple[Receiver, str]]:
    """A local HTTP server standing in for a staff or scheduling system: (receiver, url)."""
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    async with serve(app) as url:
        yield hook, f"{url}/hook"


LANES = {"e2e": "server", "model": "model"}  # tests/<folder>/ -> the marker its tests carry
SERVER_FIXTURES = frozenset({"servers", "server_db", "private_servers", "browser"})


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """Mark tests by folder: ``tests/e2e`` start servers or a browser, ``tests/model`` need
    the trained model or the NLU pipeline; ``make test-fast`` leaves both out. A test
    elsewhere that asks for a server fixture is refused (it would slow the fast lane)."""
    misplaced = []
    for item in items:
        folder = Path(str(item.fspath)).relative_to(ROOT / "tests").parts[0]
        if folder in LANES:
            item.add_marker(LANES[folder])
        elif SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            misplaced.append(item.nodeid)
    if misplaced:
        raise pytest.UsageError(f"tests that start servers belong in tests/e2e/: {misplaced}")


def load_yaml(path: Path) -> Dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def merged_domain() -> Dict[str, Any]:
    """domain.yml plus every response file under data/responses (as Rasa merges them)."""
    domain = load_yaml(ROOT / "domain.yml")
    responses: Dict[str, Any] = dict(domain.get("responses") or {})
    for path in sorted((ROOT / "data" / "responses").glob("*.yml")):
        responses.update(load_yaml(path).get("responses") or {})
    domain["responses"] = responses
    return domain


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    return merged_domain()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    """Build a rasa-sdk Tracker with a given latest message, slots and events."""

    def _make(
        latest_message: Optional[Dict[str, Any]] = None,
        slots: Optional[Dict[str, Any]] = None,
        events: Optional[List[Dict[str, Any]]] = None,
        sender_id: str = "test-user",
        channel: Optional[str] = None,
    ) -> Tracker:
        events = list(events or [])
        if channel is not None:
            events.append({"event": "user", "text": (latest_message or {}).get("text", ""),
                           "input_channel": channel})
        return Tracker(
            sender_id=sender_id,
            slots=slots or {},
            latest_message=latest_message or {},
            events=events,
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )

    return _make


@pytest.fixture
def tracker(make_tracker: Callable[..., Tracker]) -> Tracker:
    return make_tracker()


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Settings]]:
    """Apply environment variables and return the settings the code will now see."""

    def _apply(**env: str) -> Settings:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        return get_settings()

    yield _apply
    get_settings.cache_clear()


@pytest.fixture
def db_engine() -> Iterator[Engine]:
    """A fresh in-memory database with the project's tables, used by all code under test."""
    engine = db.make_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    db.set_engine(engine)
    yield engine
    db.set_engine(None)
    engine.dispose()


@pytest.fixture
def file_db(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite file with the project's tables (a connection per thread: for code
    that writes from several threads at once)."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'clinic.db'}")
    Base.metadata.create_all(engine)
    db.set_engine(engine)
    yield engine
    db.set_engine(None)
    engine.dispose()


@pytest.fixture
def db_session(db_engine: Engine) -> Iterator[Session]:
    """A session on the in-memory database, for arranging and checking rows."""
    with Session(db_engine, future=True) as session:
        yield session


@pytest.fixture
async def console(db_engine: Engine, settings_env: Callable[..., Settings]
                  ) -> AsyncIterator[ConsoleClient]:
    """The review console in-process on the in-memory database; ``await console.login()``."""
    from aiohttp.test_utils import TestClient, TestServer

    from console.app import create_app

    client = TestClient(TestServer(create_app(settings_env())))
    await client.start_server()
    yield ConsoleClient(client)
    await client.close()


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[FakeTwilio]:
    """A local fake of Twilio's Messages API (the servers' SMS go there)."""
    fake, server = start_fake()
    yield fake
    server.shutdown()


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory, fake_twilio: FakeTwilio) -> Iterator[Servers]:
    """The real Rasa server, action server and notification worker, shared by HTTP tests.

    Texts they send go to the ``fake_twilio`` server.
    """
    if not MODEL_PATH.exists():
        pytest.skip("run `make train` first")
    env: Dict[str, str] = twilio_env(fake_twilio)
    env["ANSWERS_REFRESH_SECONDS"] = "1"  # edited answers reach the bot within a second
    running = start(Path(tmp_path_factory.mktemp("servers")), True, "test-token", True, **env)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def vague(servers: Servers) -> list:
    """Vague messages the trained model is unsure about."""
    from tests.helpers import unsure_messages

    return unsure_messages(servers)


@pytest.fixture
def server_db(servers: Servers) -> Iterator[Engine]:
    """The running servers' database, for checking the rows a conversation left."""
    engine = db.make_engine(servers.database_url)
    db.set_engine(engine)
    yield engine
    db.set_engine(None)
    engine.dispose()


@pytest.fixture
def phone(servers: Servers, fake_twilio: FakeTwilio, server_db: Engine) -> Any:
    """A patient texting the servers (signed Twilio webhooks; reads the texts they got)."""
    from tests.sms_phone import Phone

    return Phone(servers, fake_twilio)
