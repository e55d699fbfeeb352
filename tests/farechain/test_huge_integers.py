"""Every integer the API reads is bounded: walk every route, send 2**70, expect a 422.

An integer past 64 bits used to reach the database driver and come back as a 500. The
walk reads the routes from the app's own OpenAPI document, so a route added later is
walked too; each integer parameter or body field is tried under every role's token (the
one the route accepts gets past its 401), and no answer may be a 500.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from farechain.settings import Settings
from tests.builders import device
from tests.operators.world import accounts

HUGE = 2**70
# Values that pass the other parameters' own checks, so the 422 is the integer's.
_GOOD = {
    "number": "0" * 20,
    "date": "2026-12-05",
    "day": "2026-12-05",
    "operator_id": "szmc",
    "device_id": "gate-szmc-luohu",
}
_METHODS = ("get", "put", "post", "delete", "patch")


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return resolved


def _is_integer(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return any(option.get("type") == "integer" for option in options)


def _sample(name: str, schema: dict[str, Any]) -> Any:
    if _is_integer(schema):
        return 1
    kind = schema.get("type")
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if "enum" in schema:
        return schema["enum"][0]
    return _GOOD.get(name, "x")


def _integer_targets(document: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    targets = [
        f"{p['in']}.{p['name']}"
        for p in operation.get("parameters", [])
        if p["in"] in ("path", "query") and _is_integer(p["schema"])
    ]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        schema = _resolve(document, body["schema"])
        targets += [
            f"body.{name}"
            for name, field in schema.get("properties", {}).items()
            if _is_integer(field)
        ]
    return targets


def _request(
    document: dict[str, Any], path: str, operation: dict[str, Any], target: str
) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
    query: dict[str, Any] = {}
    for p in operation.get("parameters", []):
        where, name = p["in"], p["name"]
        value = HUGE if target == f"{where}.{name}" else _sample(name, p["schema"])
        if where == "path":
            path = path.replace("{" + name + "}", str(value))
        elif where == "query" and (p.get("required") or target == f"query.{name}"):
            query[name] = value
    body = None
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is not None:
        schema = _resolve(document, content["schema"])
        body = {
            name: HUGE if target == f"body.{name}" else _sample(name, _resolve(document, field))
            for name, field in schema.get("properties", {}).items()
            if name in schema.get("required", []) or target == f"body.{name}"
        }
    return path, query, body


def test_every_integer_of_every_route_is_bounded(
    system: tuple[TestClient, dict[str, Any], Settings], engine: Engine
) -> None:
    client, creds, _ = system
    roles: dict[str, dict[str, str]] = {
        "anyone": {},
        "rider": {"Authorization": f"Bearer {creds['riders'][0]['token']}"},
        "company": {"Authorization": f"Bearer {creds['companies'][0]['token']}"},
        "tax bureau": {"Authorization": f"Bearer {creds['tax_bureau']['token']}"},
        "device": device(creds, "gate-szmc-luohu")[1],
        "operator": {"Authorization": f"Bearer {accounts(engine)['szmc']}"},
    }
    document = client.get("/openapi.json").json()
    walked, unbounded = 0, []
    for template, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            for target in _integer_targets(document, operation):
                walked += 1
                path, query, body = _request(document, template, operation, target)
                answers = {}
                for role, headers in roles.items():
                    answer = client.request(
                        method.upper(), path, params=query, json=body, headers=headers
                    )
                    assert answer.status_code != 500, (method, template, target, role)
                    fields = [e["field"] for e in answer.json().get("errors", [])]
                    answers[role] = (answer.status_code, fields)
                if not any(code == 422 and target in fields for code, fields in answers.values()):
                    unbounded.append((method, template, target, answers))
    assert walked >= 25  # the walk found the routes: a broken walk must not pass
    assert unbounded == []
