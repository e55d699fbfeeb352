"""The rider's web client: the page at `/`, its static assets, and two small JSON files.

    GET /                       the single page (hash routes inside it)
    GET /sw.js                  the service worker, served at the root so its scope is `/`
    GET /manifest.webmanifest   the web app manifest (installable)
    GET /app/{path}             static files under webclient/static (no build step)
    GET /app/names.json         station, line, operator and route names, English and Chinese
    GET /app/keys.json          the public keys a receipt is checked with in the browser
    GET /app/features.json      which optional APIs this server has (ride codes, payments)

Everything is served by farechain itself, so `./run` needs nothing else on the machine.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.exceptions import HTTPException

import fare
from fare.names import load_zh_names
from webclient.names import Names, network_names

__all__ = ["STATIC_DIR", "router"]

STATIC_DIR = Path(__file__).parent / "static"
_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
}
# Scripts, styles and connections from this origin only; the QR is drawn into a canvas.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# The page and the worker are revalidated on every load so a new version is picked up;
# the service worker keeps its own copies for offline use.
_REVALIDATE = "no-cache"

router = APIRouter(tags=["web client"], include_in_schema=False)


def _file(path: Path, cache: str = _REVALIDATE, **headers: str) -> FileResponse:
    media_type = _MEDIA_TYPES.get(path.suffix)
    if media_type is None or not path.is_file():
        raise HTTPException(404, f"no file {path.name} in the web client")
    return FileResponse(
        path,
        media_type=media_type,
        headers={
            "Cache-Control": cache,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": _CSP,
            **headers,
        },
    )


@router.get("/")
def read_page() -> FileResponse:
    return _file(STATIC_DIR / "index.html")


@router.get("/sw.js")
def read_service_worker() -> FileResponse:
    return _file(STATIC_DIR / "sw.js", **{"Service-Worker-Allowed": "/"})


@router.get("/manifest.webmanifest")
def read_manifest() -> FileResponse:
    return _file(STATIC_DIR / "manifest.webmanifest")


@router.get("/app/names.json")
def read_names() -> JSONResponse:
    return JSONResponse(_names(), headers={"Cache-Control": "max-age=3600"})


@router.get("/app/keys.json")
def read_keys(request: Request) -> dict[str, Any]:
    """The log's verifier keys (every one ever used) and the witnesses the log trusts."""
    witnesses = request.app.state.witness_verifiers
    return {
        "log": list(request.app.state.log_verifier_keys),
        "witnesses": [w.vkey for w in witnesses],
    }


# The page asks rather than probing: a probe's 404 would be a console error.
_FEATURES = {"ride_codes": "/v1/me/phones", "payments": "/v1/me/account"}


@router.get("/app/features.json")
def read_features(request: Request) -> dict[str, bool]:
    # The OpenAPI document lists every route, however routers were nested (and is cached).
    paths = request.app.openapi()["paths"]
    return {name: path in paths for name, path in _FEATURES.items()}


@router.get("/app/{path:path}")
def read_static(path: str) -> FileResponse:
    target = (STATIC_DIR / path).resolve()
    if not target.is_relative_to(STATIC_DIR.resolve()):
        raise HTTPException(404, f"no file {path} in the web client")
    return _file(target)


@functools.cache
def _names() -> Names:
    book = fare.load_tariffs()
    return network_names((t.network for t in book.versions), load_zh_names())
