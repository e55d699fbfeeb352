"""The OpenAPI document says what the API really answers: statuses and content types.

FastAPI documents a 422 as `application/json` with its own error shape, and nothing of
the problems the handlers in `plumbing.problems` render. `install` post-processes the
generated document once: every 4xx and 5xx answer is `application/problem+json` with the
`Problem` schema (RFC 9457); every operation lists 500, every one that takes parameters
or a body lists 422, every one with a body 400 (a body that cannot be parsed), every one
behind a bearer token 401, every one naming an object in its path 404. Downloads whose
handlers build the response themselves name their media type by the path's ending.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from plumbing.problems import MEDIA_TYPE

__all__ = ["PROBLEM_SCHEMA", "install"]

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "422: each invalid field (`body.kind`, `query.limit`) and why",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

_ALWAYS = {"500": "the server failed; nothing was recorded"}
_INVALID = "a parameter or the body is invalid; `errors` names each field"
_UNREADABLE = "the body cannot be read as its media type (e.g. broken JSON)"
_UNAUTHENTICATED = "missing, wrong, expired or revoked bearer token"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def install(app: FastAPI, downloads: Mapping[str, str]) -> None:
    """Make `app.openapi()` return the corrected document.

    `downloads` maps a path's ending (a regular expression) to the media type of its
    success answer, for handlers that return a built `Response`.
    """
    generate = app.openapi
    endings = [(re.compile(f"(?:{pattern})$"), media) for pattern, media in downloads.items()]

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            _correct(document, endings)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _correct(document: dict[str, Any], endings: list[tuple[re.Pattern[str], str]]) -> None:
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    problem = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            answers: dict[str, Any] = operation.setdefault("responses", {})
            if operation.get("parameters") or operation.get("requestBody"):
                answers.setdefault("422", {"description": _INVALID})
            if operation.get("requestBody"):
                answers.setdefault("400", {"description": _UNREADABLE})
            if "{" in path:
                answers.setdefault("404", {"description": "no such object (or not yours)"})
            if operation.get("security"):
                answers.setdefault("401", {"description": _UNAUTHENTICATED})
            for status, description in _ALWAYS.items():
                answers.setdefault(status, {"description": description})
            for status, answer in answers.items():
                if status[0] in "45":
                    if answer.get("description") == "Validation Error":
                        answer["description"] = _INVALID
                    answer["content"] = problem
                elif status[0] == "2" and not answer.get("content") and status != "204":
                    media = next((m for rx, m in endings if rx.search(path)), None)
                    if media is not None:
                        answer["content"] = {media: {"schema": {"type": "string"}}}
    for unused in ("HTTPValidationError", "ValidationError"):
        if not _referenced(document.get("paths", {}), unused):
            components.pop(unused, None)


def _referenced(paths: dict[str, Any], name: str) -> bool:
    return f"#/components/schemas/{name}" in repr(paths)
