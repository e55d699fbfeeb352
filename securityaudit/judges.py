"""Pure verdicts on what the system answered or left on disk: None when the check held,
else the one-line reason it failed. No I/O, so each can be tried on known answers.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable

from securityaudit.http import Answer

__all__ = [
    "clear_personal_data",
    "must_be_refused",
    "must_carry_allow",
    "private_mode",
]

_PROBLEM = "application/problem+json"


def must_be_refused(answer: Answer, *, why: str) -> str | None:
    """A bad request answered 4xx with a problem document (never 2xx, never 5xx)."""
    if answer.status == 0:
        return f"{why}: expected a 4xx problem, got no answer ({answer.brief()})"
    if not 400 <= answer.status < 500:
        return f"{why}: expected a 4xx problem, got {answer.brief()}"
    if answer.content_type != _PROBLEM:
        return f"{why}: expected {_PROBLEM}, got {answer.status} {answer.content_type or '(none)'}"
    return None


def must_carry_allow(answer: Answer, *, why: str) -> str | None:
    """A 405 names the methods that are allowed (RFC 9110 section 15.5.6)."""
    if answer.status != 405:
        return f"{why}: expected 405, got {answer.brief()}"
    if not answer.headers.get("allow"):
        return f"{why}: expected an Allow header on the 405, got none"
    return None


def private_mode(name: str, mode: int, *, directory: bool) -> str | None:
    """State files 0600 and their directories 0700: nothing for the group or others."""
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        wanted = "0700" if directory else "0600"
        return f"{name}: expected mode {wanted}, got {stat.S_IMODE(mode):04o}"
    return None


def clear_personal_data(body: str, secrets: Iterable[str]) -> list[str]:
    """The personal values (rider ids, buyer names) a public record shows in clear."""
    return sorted({s for s in secrets if s and s in body})
