"""The system a load test starts: which processes its sampler counts as Redis, its env."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from loadtest.system import _roles, system_env
from storage.redis_server import EmbeddedRedis


def test_the_embedded_redis_is_known_by_its_process_and_a_machines_by_its_port(
    tmp_path: Path,
) -> None:
    ours, other = EmbeddedRedis(tmp_path / "ours"), EmbeddedRedis(tmp_path / "other")
    ours.start()
    other.start()
    try:
        # Its URL is a Unix socket's, with no port in it: the process is what tells.
        assert ours.url.startswith("unix://")
        assert _roles(os.getpid(), ours.url, ours) == {"redis": [ours.pid]}
        # A Redis named by a TCP URL is found by its port, and only that one.
        assert _roles(os.getpid(), other.tcp_url, None) == {"redis": [other.pid]}
        # A Unix socket URL of a server we did not start: nothing to sample.
        assert _roles(os.getpid(), other.url, None) == {}
    finally:
        ours.stop()
        other.stop()


def test_the_load_tests_riders_always_pay_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("FARECHAIN_PAYMENTS__SANDBOX_DECLINE_RATE", raising=False)
    assert (
        system_env(tmp_path, "redis://x", None)["FARECHAIN_PAYMENTS__SANDBOX_DECLINE_RATE"] == "0"
    )
    monkeypatch.setenv("FARECHAIN_PAYMENTS__SANDBOX_DECLINE_RATE", "0.5")
    env = system_env(tmp_path, "redis://x", None)
    assert env["FARECHAIN_PAYMENTS__SANDBOX_DECLINE_RATE"] == "0.5"
