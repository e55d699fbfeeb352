"""The streaming join: every kind of line, sorted output, and spilling to disk."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import given
from hypothesis import strategies as st

from operators.journal import JournalRow
from operators.matcher import LedgerTap, MatchCounts, match
from operators.spill import sorted_stream

AT = dt.datetime(2026, 12, 3, 1, tzinfo=dt.UTC)


def _row(key: str, amount: int | None, line: int, device: str = "g1") -> JournalRow:
    return JournalRow(key, device, AT, "exit", amount, line)


def _tap(key: str, amount: int, index: int, device: str = "g1") -> LedgerTap:
    return LedgerTap(key, device, AT, "exit", amount, index)


def test_each_kind_of_line() -> None:
    journal = [
        _row("a", 200, 2),
        _row("b", 300, 3),
        _row("b", 300, 4),
        _row("c", None, 5),
        _row("d", 100, 6),
        _row("e", 100, 7, device="g2"),
    ]
    ledger = [_tap("a", 200, 10), _tap("b", 250, 13), _tap("c", 400, 16), _tap("e", 100, 19)]
    ledger.append(_tap("f", 500, 22))
    counts = MatchCounts()
    lines = list(match(sorted_stream(journal, key=lambda r: r.key), ledger, counts))
    assert [(line.kind, line.key, line.ledger_index) for line in lines] == [
        ("matched", "a", 10),
        ("amount_difference", "b", 13),
        ("duplicate", "b", None),
        ("matched", "c", 16),  # no amount in the journal: nothing to compare
        ("missing_on_ledger", "d", None),
        ("device_difference", "e", 19),
        ("missing_in_journal", "f", 22),
    ]
    assert lines[1].detail == "journal 300 fen, ledger 250 fen"
    assert counts.as_dict()["matched"] == 2 and counts.ledger_fen == 1450
    assert counts.journal_fen == 200 + 300 + 300 + 100 + 100


@given(st.lists(st.integers(0, 50), max_size=200), st.integers(1, 17))
def test_spilled_sorting_equals_sorting_in_memory(keys: list[int], chunk_rows: int) -> None:
    rows = [(k, n) for n, k in enumerate(keys)]
    assert list(sorted_stream(rows, key=lambda r: r[0], chunk_rows=chunk_rows)) == sorted(
        rows, key=lambda r: r[0]
    )


def test_the_report_does_not_depend_on_the_journal_order() -> None:
    journal = [_row(f"k{n:04d}", n % 7, n) for n in range(500)] + [_row("k0003", 3, 999)]
    ledger = [_tap(f"k{n:04d}", n % 5, n) for n in range(0, 600, 2)]
    shuffled = list(journal)
    random.Random(4).shuffle(shuffled)
    reports = []
    for rows in (journal, shuffled):
        counts = MatchCounts()
        lines = list(match(sorted_stream(rows, key=lambda r: r.key, chunk_rows=64), ledger, counts))
        reports.append(([(x.kind, x.key) for x in lines], counts.as_dict()))
    assert reports[0][1] == reports[1][1]
    assert sorted(reports[0][0]) == sorted(reports[1][0])
    assert reports[0][1]["duplicate"] == 1 and reports[0][1]["missing_in_journal"] == 50
