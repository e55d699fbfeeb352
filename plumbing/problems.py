"""RFC 9457 problem details: every error the API returns has this shape.

Domain errors (`plumbing.errors.DomainError`) carry `status_code` and `title`; one
handler renders them all, so a handler never builds an error response by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException

from plumbing.errors import DomainError

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"


def problem_document(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The RFC 9457 body; `extra` adds members such as `errors`."""
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = problem_document(status, title, detail, **extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def domain_problem(error: DomainError) -> dict[str, Any]:
    """The body of a domain error: its status, title, detail and `extra` members."""
    return problem_document(error.status_code, error.title, error.detail, **error.extra)


def invalid_request(errors: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """422 for pydantic errors; each names its field (`body.kind`) and the reason."""
    fields = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in errors]
    detail = "; ".join(f"{f['field']}: {f['reason']}" for f in fields)
    return problem_document(422, "Invalid request", detail, errors=fields)


def unavailable(detail: str) -> dict[str, Any]:
    """503 when Redis fails; send it with `retry_soon()` headers."""
    return problem_document(503, "Service unavailable", detail)


def retry_soon() -> dict[str, str]:
    return {"Retry-After": "1"}


def install(app: FastAPI) -> None:
    async def on_domain_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, DomainError)
        body = domain_problem(error)
        return JSONResponse(body, body["status"], media_type=MEDIA_TYPE)

    async def on_validation_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return JSONResponse(invalid_request(error.errors()), 422, media_type=MEDIA_TYPE)

    async def on_http_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        # Keep the exception's headers: a 405 carries `Allow` (RFC 9110 section 15.5.6).
        response = problem(error.status_code, str(error.detail), str(error.detail))
        response.headers.update(error.headers or {})
        return response

    async def on_redis_error(request: Request, error: Exception) -> JSONResponse:
        log.warning("Redis failed on %s %s: %s", request.method, request.url.path, error)
        body = unavailable("a backing service is unreachable; retry in a moment")
        return JSONResponse(body, 503, headers=retry_soon(), media_type=MEDIA_TYPE)

    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "Internal error", "the server failed; nothing was recorded")

    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(RedisError, on_redis_error)
    app.add_exception_handler(Exception, on_unexpected)
