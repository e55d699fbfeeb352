"""The load generator's journal, and what it implies the ledger must hold.

Every request the generator finishes is one tab-separated line, in the order its
traveller sent them (a rider belongs to one traveller, so each rider's lines are in the
order the API saw them):

    answered_ms  rider  event_id  kind  flag  outcome  replayed  attempts  expected

`flag` is `n` for a new request, `r` for a deliberate resend of an answered one;
`outcome` is the status the API gave (opened, closed, incomplete, recorded),
`refused:<http status>`, `lost` (no answer after every attempt) or `stopped` (Locust
stopped the user while the request was in flight); `replayed` is the
`Idempotent-Replayed` header (1, 0, or - without an answer); `expected` is, for a
resend, the status the first answer gave (else -).

`expect_ledger` replays the journal rider by rider, as the Lua script pairs taps, and
says which trip-end event_ids must be on the ledger exactly once, which at most once
(their fate is unknown to the generator), and which never.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

ACCEPTED = frozenset({"opened", "closed", "incomplete", "recorded"})
_MAX_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class Line:
    answered_ms: int
    rider: str
    event_id: str
    kind: str  # entry | exit | board | taxi
    flag: str  # n | r
    outcome: str
    replayed: str  # 1 | 0 | -
    attempts: int
    expected: str = "-"

    def to_text(self) -> str:
        return (
            f"{self.answered_ms}\t{self.rider}\t{self.event_id}\t{self.kind}\t{self.flag}\t"
            f"{self.outcome}\t{self.replayed}\t{self.attempts}\t{self.expected}\n"
        )

    @classmethod
    def from_text(cls, text: str) -> Line:
        parts = text.rstrip("\n").split("\t")
        if len(parts) != 9:
            raise ValueError(f"expected 9 tab-separated journal fields, got {text!r}")
        ms, rider, event_id, kind, flag, outcome, replayed, attempts, expected = parts
        return cls(int(ms), rider, event_id, kind, flag, outcome, replayed, int(attempts), expected)


class JournalWriter:
    """Appends lines to one file; one writer per Locust process."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: TextIO = path.open("a", encoding="utf-8")

    def write(self, line: Line) -> None:
        self._file.write(line.to_text())

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


def read_journals(directory: Path) -> Iterator[Line]:
    """Every line of every `journal-*.tsv` in `directory`."""
    for path in sorted(directory.glob("journal-*.tsv")):
        with path.open(encoding="utf-8") as handle:
            for text in handle:
                if text.strip():
                    yield Line.from_text(text)


@dataclass
class Expectations:
    exactly_once: set[str] = field(default_factory=set)
    at_most_once: set[str] = field(default_factory=set)
    absent: set[str] = field(default_factory=set)
    taps_accepted: int = 0  # new requests answered 202 (resends not counted)
    requests: int = 0  # every journal line
    refused: int = 0
    lost: int = 0
    stopped: int = 0  # in flight when the load stopped
    resends: int = 0
    resends_replayed: int = 0
    open_at_end: int = 0
    first_ms: int | None = None
    last_ms: int | None = None
    accepted_per_s: dict[int, int] = field(default_factory=dict)  # epoch second -> taps
    problems: list[str] = field(default_factory=list)  # each one fails the run
    notes: list[str] = field(default_factory=list)  # surprises that lose nothing

    def problem(self, text: str) -> None:
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(text)
        elif len(self.problems) == _MAX_PROBLEMS:
            self.problems.append("... more problems not shown")

    def note(self, text: str) -> None:
        if len(self.notes) < _MAX_PROBLEMS:
            self.notes.append(text)


def expect_ledger(lines: Iterable[Line]) -> Expectations:
    """What the ledger must show for the requests in `lines` (see the module docstring)."""
    out = Expectations()
    open_entry: dict[str, str] = {}  # rider -> event_id of the entry the API holds open
    unsure: set[str] = set()  # riders whose journey state the generator lost track of
    for line in lines:
        out.requests += 1
        if line.flag == "r":
            _check_resend(out, line)
            continue
        if line.outcome in ("lost", "stopped"):
            if line.outcome == "lost":
                out.lost += 1
            else:
                out.stopped += 1
            out.at_most_once.add(line.event_id)
            unsure.add(line.rider)
            if line.rider in open_entry:
                out.at_most_once.add(open_entry.pop(line.rider))
            continue
        if line.outcome.startswith("refused"):
            out.refused += 1
            out.absent.add(line.event_id)
            continue
        if line.outcome not in ACCEPTED:
            out.problem(f"{line.event_id}: expected a known status, got {line.outcome!r}")
            continue
        out.taps_accepted += 1
        second = line.answered_ms // 1000
        out.accepted_per_s[second] = out.accepted_per_s.get(second, 0) + 1
        if out.first_ms is None:
            out.first_ms = line.answered_ms
        out.last_ms = line.answered_ms
        if line.replayed == "1" and line.attempts == 1:
            out.problem(f"{line.event_id}: a new event_id was answered as a replay; ids collided")
        _pair(out, open_entry, unsure, line)
    for event_id in open_entry.values():
        out.at_most_once.add(event_id)  # still open, or swept by the sweeper later
    out.open_at_end = len(open_entry)
    out.exactly_once -= out.at_most_once
    return out


def _pair(out: Expectations, open_entry: dict[str, str], unsure: set[str], line: Line) -> None:
    rider, event_id = line.rider, line.event_id
    if line.kind == "entry":
        previous = open_entry.get(rider)
        if previous is not None:
            out.exactly_once.add(previous)  # superseded: an incomplete trip-end
        open_entry[rider] = event_id
    elif line.kind == "exit":
        out.exactly_once.add(event_id)
        entry = open_entry.pop(rider, None)
        if line.outcome == "incomplete" and entry is not None:
            out.problem(
                f"rider {rider}: entry {entry} was accepted but exit {event_id} found no "
                "open journey; the entry was lost"
            )
            out.at_most_once.add(entry)
        elif line.outcome == "closed" and entry is None and rider not in unsure:
            out.note(f"rider {rider}: exit {event_id} closed a journey opened before this run")
    else:
        out.exactly_once.add(event_id)


def _check_resend(out: Expectations, line: Line) -> None:
    out.resends += 1
    if line.outcome not in ACCEPTED:
        return  # an unanswered resend proves nothing either way; counted as an error
    if line.replayed == "1" and line.outcome == line.expected:
        out.resends_replayed += 1
        return
    out.problem(
        f"{line.event_id}: the resend was not deduplicated (replayed={line.replayed}, "
        f"status {line.outcome!r}, first answer {line.expected!r})"
    )
