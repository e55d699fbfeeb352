"""Durations as people type them on a command line: `90s`, `15m`, `1h30m`, `2h`.

Locust's own `--run-time` accepts the same shapes; we parse them ourselves so the plan
(pacing, simulated clock) and Locust agree on the length of a run.
"""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)([hms])")
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0}


def parse_duration_s(text: str) -> float:
    """Seconds in `text`; a bare number is seconds."""
    cleaned = text.strip().lower()
    if not cleaned:
        raise ValueError("expected a duration such as 90s, 15m or 1h30m, got an empty string")
    try:
        seconds = float(cleaned)
    except ValueError:
        pos, seconds = 0, 0.0
        for match in _PART.finditer(cleaned):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNIT_S[match.group(2)]
            pos = match.end()
        if pos != len(cleaned):
            raise ValueError(
                f"expected a duration such as 90s, 15m or 1h30m, got {text!r}"
            ) from None
    if seconds <= 0:
        raise ValueError(f"expected a positive duration, got {text!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest of `1h2m3s` that `parse_duration_s` reads back (whole seconds)."""
    whole = max(1, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if v]
    return "".join(parts)
