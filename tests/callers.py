"""The API as tests call it: the Flask test client acting with one token, and the
check every refusal must pass."""

from __future__ import annotations

import json
from typing import Any


class Caller:
    """The test client acting with one token."""

    def __init__(self, client: Any, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers={**self.headers, **kwargs.pop("headers", {})},
                               **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.post(path, json=json,
                                headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.put(path, json=json,
                               headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The answer is problem+json with this status and code, and says what went wrong."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json", response.get_data(as_text=True)
    body = json.loads(response.get_data(as_text=True))
    assert {"type", "title", "status", "detail", "code"} <= set(body), body
    assert (body["status"], body["code"]) == (status, code), body
    assert isinstance(body["detail"], str) and body["detail"], body
    return body
