"""One HTTP exchange as an outsider makes it: urllib, any method, any body, no retries.

Errors are answers here (a 404 is what an access check hopes for), so `call` never
raises on a status; a broken connection comes back as status 0 with the error as body.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

__all__ = ["Answer", "call"]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip()

    def json(self) -> Any:
        return json.loads(self.body)

    def brief(self) -> str:
        """The status and the start of the body, for a failure's one line."""
        text = self.body[:120].decode("utf-8", "replace")
        return f"{self.status} {text}"


def call(
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: bytes | None = None,
    json_body: Any = None,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
    timeout_s: float = 15.0,
) -> Answer:
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    if json_body is not None:
        body = json.dumps(json_body, ensure_ascii=False).encode()
        content_type = content_type or "application/json"
    if content_type is not None:
        sent["Content-Type"] = content_type
    request = urllib.request.Request(url, data=body, headers=sent, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return Answer(response.status, _lower(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, _lower(error.headers.items()), error.read())
    except OSError as error:
        return Answer(0, {}, str(error).encode())


def _lower(items: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in items}
