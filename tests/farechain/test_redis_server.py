"""The embedded Redis that `farechain up` starts on a machine without one."""

from __future__ import annotations

from pathlib import Path

import redis

from farechain.redis_server import EmbeddedRedis


def test_embedded_redis_keeps_an_append_only_file_and_rewrites_it_rarely(
    tmp_path: Path,
) -> None:
    server = EmbeddedRedis(tmp_path)
    client = redis.Redis.from_url(server.start(), decode_responses=True)
    try:
        client.set("tap", "kept")
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("auto-aof-rewrite-min-size") == {
            "auto-aof-rewrite-min-size": str(512 * 1024 * 1024)
        }
        assert client.config_get("auto-aof-rewrite-percentage") == {
            "auto-aof-rewrite-percentage": "300"
        }
    finally:
        client.close()
        server.stop()
    assert any(tmp_path.rglob("appendonly*"))
