"""What the audit reads from the supervisor's log and the system's directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from securityaudit.chaos import _stopping_lines, _stream_id
from securityaudit.system import AuditedSystem


def _system(tmp_path: Path, log: str) -> AuditedSystem:
    (tmp_path / "var" / "redis").mkdir(parents=True)
    (tmp_path / "system.log").write_text(log, encoding="utf-8")
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return AuditedSystem(
        tmp_path, "http://127.0.0.1:1", done, tmp_path / "system.log", None, 1, 1, 1
    )


def test_the_redis_url_is_the_newest_announced_with_its_password_read_from_var(
    tmp_path: Path,
) -> None:
    system = _system(
        tmp_path,
        "embedded Redis (AOF on) at unix:///old.sock?db=0, data in /x\n"
        "embedded Redis (AOF on) at unix://:***@/new.sock?db=0, data in /x\n",
    )
    (tmp_path / "var" / "redis" / "password").write_text("p/w+1\n")
    assert system.redis_url() == "unix://:p%2Fw%2B1@/new.sock?db=0"


def test_no_announcement_no_url(tmp_path: Path) -> None:
    assert _system(tmp_path, "farechain is up\n").redis_url() is None


def test_the_supervisor_giving_up_is_told_from_a_restart(tmp_path: Path) -> None:
    system = _system(
        tmp_path,
        "supervisor: batcher died (killed by SIGKILL) after 3.0 s; restarting in 0.5 s\n"
        "batcher exited with -9; stopping\n",
    )
    assert _stopping_lines(system) == ["batcher exited with -9; stopping"]


def test_stream_ids_order_by_time_then_sequence() -> None:
    assert _stream_id(b"1700000000000-2") > _stream_id("1700000000000-1")
    assert _stream_id("1700000000001-0") > _stream_id(b"1700000000000-9")
