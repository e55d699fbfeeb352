"""What one check group found: checks tried, held and failed, and the table of them all.

Every group module returns a `GroupResult`; a failure carries a one-line reason that
names what was tried and what came back ("expected X, got Y"), so the report can be
read without the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["GroupResult", "exit_status", "render_report"]


@dataclass
class GroupResult:
    """The checks of one group; `skipped` says why a group could not run at all."""

    name: str
    held: int = 0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # figures and facts that fail nothing
    skipped: str | None = None  # why the group could not run here (fails nothing)

    @property
    def tried(self) -> int:
        return self.held + len(self.failures)

    def check(self, held: bool, failure: str) -> bool:
        """Count one check; `failure` is its reason when it did not hold."""
        if held:
            self.held += 1
        else:
            self.failures.append(_one_line(failure))
        return held

    def fail(self, failure: str) -> None:
        self.failures.append(_one_line(failure))

    def note(self, text: str) -> None:
        self.notes.append(_one_line(text))


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def render_report(results: Sequence[GroupResult]) -> str:
    """The table "check group | tried | held | failed", then each failure on its line."""
    rows = [(r.name, str(r.tried), str(r.held), str(len(r.failures))) for r in results]
    total = ("total", *(str(sum(int(row[i]) for row in rows)) for i in (1, 2, 3)))
    header = ("check group", "tried", "held", "failed")
    widths = [max(len(row[i]) for row in [header, *rows, total]) for i in range(4)]

    def line(cells: Iterable[str]) -> str:
        parts = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return " | ".join(parts)

    out = [line(header), "-+-".join("-" * w for w in widths)]
    out += [line(row) for row in rows]
    out += ["-+-".join("-" * w for w in widths), line(total)]
    failures = [f"FAILED {r.name}: {failure}" for r in results for failure in r.failures]
    notes = [f"skipped {r.name}: {r.skipped}" for r in results if r.skipped]
    notes += [f"note {r.name}: {note}" for r in results for note in r.notes]
    if notes:
        out += ["", *notes]
    if failures:
        out += ["", *failures]
    return "\n".join(out)


def exit_status(results: Sequence[GroupResult]) -> int:
    """1 when any check failed (or a group that ran tried nothing), else 0."""
    return 1 if any(r.failures or (r.tried == 0 and not r.skipped) for r in results) else 0
