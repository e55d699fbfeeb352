"""The web client's routes: the page, its assets, the names and the keys it reads."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

import fare
from fare.names import load_zh_names
from farechain.settings import Settings
from webclient.api import STATIC_DIR
from webclient.names import network_names

System = tuple[TestClient, dict[str, Any], Settings]


def test_the_page_is_served_at_the_root_with_a_strict_content_policy(system: System) -> None:
    client, _, _ = system
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<script type="module" src="/app/js/app.js">' in page.text
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page.text


def test_the_service_worker_may_control_the_whole_origin(system: System) -> None:
    client, _, _ = system
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"] == "text/javascript; charset=utf-8"
    assert worker.headers["service-worker-allowed"] == "/"
    assert worker.headers["cache-control"] == "no-cache"


def test_every_file_the_worker_keeps_offline_is_served(system: System) -> None:
    client, _, _ = system
    listed = re.search(r"SHELL_FILES = \[(.*?)\];", client.get("/sw.js").text, re.S)
    assert listed is not None
    paths = re.findall(r'"(/[^"]*)"', listed.group(1))
    assert "/app/js/views/code.js" in paths
    for path in paths:
        assert client.get(path).status_code == 200, path
    # ... and every script module of the page is among them, so none is missing offline.
    modules = {f"/app/{p.relative_to(STATIC_DIR)}" for p in (STATIC_DIR / "js").rglob("*.js")}
    assert modules <= set(paths)


def test_the_manifest_makes_the_page_installable(system: System) -> None:
    client, _, _ = system
    answer = client.get("/manifest.webmanifest")
    assert answer.headers["content-type"] == "application/manifest+json"
    manifest = json.loads(answer.text)
    assert manifest["display"] == "standalone" and manifest["start_url"].startswith("/")
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/app/../api.py",
        "/app/%2e%2e/api.py",
        "/app/..%2f..%2fpyproject.toml",
        "/app/js",
        "/app/nothing.js",
        "/app/js/app.py",
    ],
)
def test_nothing_outside_the_static_files_is_served(system: System, path: str) -> None:
    client, _, _ = system
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_the_keys_are_the_logs_and_the_trusted_witnesses(system: System) -> None:
    client, _, settings = system
    keys = client.get("/app/keys.json").json()
    assert keys["log"] == client.get("/v1/ledger/key").text.split()
    assert keys["witnesses"] == []  # the test world trusts no witness until one is added
    assert keys["log"][0].startswith(settings.ledger.origin + "+")


def test_the_features_say_which_optional_apis_are_present(system: System) -> None:
    client, _, _ = system
    features = client.get("/app/features.json").json()
    paths = client.get("/openapi.json").json()["paths"]
    assert features == {
        "ride_codes": "/v1/me/phones" in paths,
        "payments": "/v1/me/account" in paths,
    }


def test_every_station_line_operator_and_route_has_a_chinese_name() -> None:
    book = fare.load_tariffs()
    zh = load_zh_names()
    names = network_names((t.network for t in book.versions), zh)
    for kind, entries in names.items():
        missing = sorted(key for key in entries if key not in zh[kind])
        assert missing == [], f"{kind} without a Chinese name: {missing}"
        assert all(re.search(r"[\u4e00-\u9fff]", entry["zh"]) for entry in entries.values())
    assert names["stations"]["luohu"] == {"en": "Luohu", "zh": "罗湖"}
    assert names["routes"]["M375"]["en"] == "M375 Shenzhen North - Futian"
    # Both network versions count: Niuhu exists only in the 2020 one.
    assert "niuhu" in names["stations"] and len(names["stations"]) == 101


def test_a_name_without_a_translation_falls_back_to_english() -> None:
    network = fare.load_tariffs().versions[-1].network
    names = network_names([network], {"stations": {}, "lines": {}, "operators": {}})
    assert names["stations"]["luohu"] == {"en": "Luohu", "zh": "Luohu"}


def test_the_names_file_is_served(system: System) -> None:
    client, _, _ = system
    answer = client.get("/app/names.json")
    assert answer.json()["stations"]["shenzhen-north"] == {"en": "Shenzhen North", "zh": "深圳北站"}
