"""A logged-in test client for the review console (in-process aiohttp server)."""

from __future__ import annotations

import re
from typing import Any, Dict, Optional

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from clinic import accounts
from clinic.db import session_scope

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class ConsoleClient:
    """Wraps aiohttp's ``TestClient``: log in as a role, then get and post with CSRF."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""
        self.username = ""

    @staticmethod
    def add_user(username: str, role: str = "reviewer", password: str = PASSWORD) -> None:
        with session_scope() as session:
            accounts.create_user(session, username, password, role, username.title())

    async def login(self, username: str = "rita", role: str = "reviewer",
                    create: bool = True) -> ConsoleClient:
        if create:
            self.add_user(username, role)
        page = await self.client.get("/login")
        token = CSRF.search(await page.text())
        assert token, "login form without a CSRF token"
        response = await self.client.post("/login", data={
            "csrf_token": token.group(1), "username": username, "password": PASSWORD,
            "next": "/conversations"}, allow_redirects=False)
        assert response.status == 303, await response.text()
        self.username = username
        await self.refresh_csrf()
        return self

    async def refresh_csrf(self) -> None:
        """Read the session's CSRF token from a page (every page's log-out form has it)."""
        page = await self.client.get("/account", allow_redirects=False)
        match = CSRF.search(await page.text()) if page.status == 200 else None
        if match:
            self.csrf = match.group(1)

    async def get(self, path: str, **kwargs: Any) -> ClientResponse:
        return await self.client.get(path, allow_redirects=False, **kwargs)

    async def post(self, path: str, data: Optional[Dict[str, Any]] = None,
                   csrf: bool = True, **kwargs: Any) -> ClientResponse:
        fields = dict(data or {})
        if csrf:
            fields.setdefault("csrf_token", self.csrf)
        return await self.client.post(path, data=fields, allow_redirects=False, **kwargs)

    async def page(self, path: str) -> str:
        """The HTML of a page that must load (200)."""
        response = await self.get(path)
        body = await response.text()
        assert response.status == 200, f"{path}: {response.status} {body[:300]}"
        return body
