"""The load test's CPU meter counts a role's descendants, found again every few seconds."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from loadtest.sampler import _CpuMeter

# A parent that starts a busy child after `delay` seconds and waits for it.
PARENT = """
import subprocess, sys, time
time.sleep(float(sys.argv[1]))
busy = "import time\\nend = time.time() + 2.5\\nwhile time.time() < end: pass"
subprocess.run([sys.executable, "-c", busy])
"""


@contextmanager
def parent(delay_s: float) -> Iterator[int]:
    process = subprocess.Popen([sys.executable, "-c", PARENT, str(delay_s)])
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


# A busy child uses a whole core on a quiet machine and well under one when the tests
# share two cores with other work; a role without it reads about 0. The lines sit
# between the two, far enough from both for a loaded machine.
COUNTED_PCT, UNCOUNTED_PCT = 10, 5


def busy_share(meter: _CpuMeter, seconds: float) -> float:
    meter.read()  # cpu_percent measures from the previous reading
    time.sleep(seconds)
    return meter.read()["api"]


def test_a_roles_busy_child_is_counted() -> None:
    with parent(0.0) as pid:
        meter = _CpuMeter({"api": [pid]}, rescan_s=0.0)
        time.sleep(0.3)  # the child has started
        assert busy_share(meter, 0.6) > COUNTED_PCT


def test_children_started_later_are_found_at_the_next_rescan_only() -> None:
    with parent(0.5) as pid:
        meter = _CpuMeter({"api": [pid]}, rescan_s=60.0)
        meter.read()  # the family now: the parent alone
        time.sleep(0.8)  # the child has started
        assert busy_share(meter, 0.3) < UNCOUNTED_PCT
        meter.add("locust", pid)  # adding a role looks the families up again
        assert busy_share(meter, 0.3) > COUNTED_PCT
