"""Schemathesis over the OpenAPI, with every role's token, for a bounded number of cases.

Each operation is generated from the published schema (schemathesis 4's Python API:
`schemathesis.openapi.from_url`, `APIOperation.as_strategy`, `Case.call` and
`Case.validate_response`) and sent with the token of the role it belongs to (a rider
under /v1/me, a company under /v1/companies/me, the tax officer under /v1/tax, an
operator on its own /v1/operators/{id}, a device on its own /v1/devices/{id}; none for
the public routes); the full run also sends every operation with every other role's
token and none. A response fails when it is a 5xx, or its status or content type is not
one the schema declares for the operation. One (operation, role) pair is one check; its
failure line is the first problem schemathesis saw, with the request that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import HypothesisException
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.errors import SchemathesisError
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from securityaudit.outcome import GroupResult

__all__ = ["FuzzPlan", "Role", "roles_from_credentials", "run_fuzz"]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]


@dataclass(frozen=True)
class Role:
    name: str
    token: str | None
    path_parameters: dict[str, str]  # its own ids, fixed in the paths it owns
    prefix: str | None  # the paths it owns; None: the public routes


@dataclass(frozen=True)
class FuzzPlan:
    max_examples: int = 3
    every_role: bool = False  # also every operation with every other role's token
    negative: bool = False  # also invalid data (schemathesis's negative mode)


def roles_from_credentials(credentials: dict[str, Any]) -> list[Role]:
    operator = credentials["operators"][0]
    device = next(d for d in credentials["devices"] if d["kind"] == "gate")
    return [
        Role("rider", credentials["riders"][0]["token"], {}, "/v1/me"),
        Role("company", credentials["companies"][0]["token"], {}, "/v1/companies/me"),
        Role("tax officer", credentials["tax_bureau"]["token"], {}, "/v1/tax"),
        Role(
            "operator",
            operator["token"],
            {"operator_id": operator["operator"]},
            "/v1/operators/",
        ),
        Role("device", device["token"], {"device_id": device["id"]}, "/v1/devices/"),
        Role("anonymous", None, {}, None),
    ]


def _owner(path: str, roles: list[Role]) -> Role:
    for role in roles:
        if role.prefix is not None and path.startswith(role.prefix):
            return role
    return next(r for r in roles if r.prefix is None)


def run_fuzz(base_url: str, roles: list[Role], plan: FuzzPlan) -> GroupResult:
    result = GroupResult("schemathesis")
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    modes = [GenerationMode.POSITIVE, *([GenerationMode.NEGATIVE] if plan.negative else [])]
    cases = 0
    ungenerated: list[str] = []
    for loaded in schema.get_all_operations():
        if not isinstance(loaded, Ok):
            result.fail(f"the OpenAPI has an operation schemathesis cannot read: {loaded.err()}")
            continue
        operation = loaded.ok()
        owner = _owner(operation.path, roles)
        for role in roles if plan.every_role else [owner]:
            fixed = role.path_parameters if role is owner else {}
            problems: list[str] = []
            for mode in modes:
                try:
                    cases += _fuzz(operation, role, fixed, mode, base_url, plan, problems)
                except (HypothesisException, SchemathesisError) as error:
                    # No case to send (e.g. no invalid data for an operation without
                    # parameters): a gap in generation, not an answer of the API.
                    ungenerated.append(f"{operation.label} ({mode.value}): {type(error).__name__}")
            result.check(
                not problems,
                f"{operation.label} as {role.name}: {problems[0] if problems else ''}",
            )
    result.note(f"schemathesis sent {cases} requests")
    if ungenerated:
        shown = "; ".join(sorted(set(ungenerated))[:5])
        result.note(f"{len(ungenerated)} runs generated no case to send, e.g. {shown}")
    return result


def _fuzz(
    operation: Any,
    role: Role,
    fixed: dict[str, str],
    mode: GenerationMode,
    base_url: str,
    plan: FuzzPlan,
    problems: list[str],
) -> int:
    headers = {"Authorization": f"Bearer {role.token}"} if role.token else {}
    sent = 0
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed or None)

    @settings(
        max_examples=plan.max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: one line per failure is enough
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def send(case: Case[Any]) -> None:
        nonlocal sent
        sent += 1
        try:
            response = case.call(base_url=base_url, headers=headers, timeout=15)
        except Exception as error:
            problems.append(f"no answer: {type(error).__name__}: {error}")
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            problems.append(_describe(group.exceptions[0], case, response.status_code))
        except Failure as failure:
            problems.append(_describe(failure, case, response.status_code))

    send()
    return sent


def _describe(failure: Failure, case: Case[Any], status: int) -> str:
    query = f"?{urlencode(case.query, doseq=True)}" if case.query else ""
    request = f"{case.method} {case.formatted_path}{query}"
    detail = " ".join(failure.message.split())[:160]
    return f"{failure.title} ({status}) for {request}: {detail}"
