"""Pages as a browser without JavaScript sees them: the Flask test client, logged in
through the form, on both engines."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from registry.bootstrap import Registry
from registry.config import Settings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # The session cookie's key derives from the log's signing key: keep it in the test's
    # folder on both engines.
    return Settings.from_env({"REGISTRY_DATABASE_URL": database_url,
                              "REGISTRY_SIGNING_KEY_FILE": str(tmp_path / "registry.key")})


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html
    return found.group(1)


def log_in(client: Any, token: str) -> Any:
    """POST the login form as a browser does; the answer."""
    form = client.get("/ui/login").get_data(as_text=True)
    return client.post("/ui/login", data={"token": token, "csrf_token": csrf_of(form)})


@pytest.fixture
def browser_as(app: Any, registry: Registry) -> Any:
    """browser_as("auditor", "12.75") -> a test client logged in with a fresh token."""

    def make(role: str = "admin", *regions: str) -> Any:
        client = app.test_client()
        token = registry.tokens.create(f"{role}-{uuid.uuid4().hex[:8]}", role, list(regions))
        assert log_in(client, token).status_code == 303
        client.token = token
        return client

    return make


def text_of(response: Any) -> str:
    """The page's words, without markup, spaces folded."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
