"""What the journal implies for the ledger, scenario by scenario."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from loadtest import Line, expect_ledger, read_journals
from loadtest.journal import JournalWriter


def line(
    event_id: str,
    kind: str,
    outcome: str,
    *,
    rider: str = "r1",
    flag: str = "n",
    replayed: str = "0",
    attempts: int = 1,
    expected: str = "-",
    ms: int = 1_000,
) -> Line:
    return Line(ms, rider, event_id, kind, flag, outcome, replayed, attempts, expected)


def test_a_closed_trip_is_its_exit_and_an_entry_is_not_a_trip() -> None:
    out = expect_ledger([line("e1", "entry", "opened"), line("x1", "exit", "closed")])
    assert out.exactly_once == {"x1"}
    assert out.taps_accepted == 2 and not out.problems and out.open_at_end == 0


def test_an_entry_superseded_by_a_new_entry_is_an_incomplete_trip() -> None:
    out = expect_ledger(
        [line("e1", "entry", "opened"), line("e2", "entry", "opened"), line("x2", "exit", "closed")]
    )
    assert out.exactly_once == {"e1", "x2"}


def test_an_exit_without_entry_is_an_incomplete_trip_of_its_own() -> None:
    out = expect_ledger([line("x1", "exit", "incomplete"), line("b1", "board", "recorded")])
    assert out.exactly_once == {"x1", "b1"} and not out.problems


def test_an_entry_the_api_forgot_is_a_problem() -> None:
    out = expect_ledger([line("e1", "entry", "opened"), line("x1", "exit", "incomplete")])
    assert out.problems and "e1" in out.problems[0] and "lost" in out.problems[0]
    assert "x1" in out.exactly_once and "e1" in out.at_most_once


def test_an_entry_still_open_at_the_end_may_or_may_not_be_swept() -> None:
    out = expect_ledger([line("e1", "entry", "opened"), line("e2", "entry", "opened", rider="r2")])
    assert out.exactly_once == set() and out.at_most_once == {"e1", "e2"}
    assert out.open_at_end == 2


def test_a_deduplicated_resend_is_counted_and_an_undeduplicated_one_is_a_problem() -> None:
    good = line("t1", "taxi", "recorded", flag="r", replayed="1", expected="recorded")
    bad = line("t2", "taxi", "recorded", flag="r", replayed="0", expected="recorded")
    out = expect_ledger([line("t1", "taxi", "recorded"), good])
    assert (out.resends, out.resends_replayed, out.problems) == (1, 1, [])
    out = expect_ledger([line("t2", "taxi", "recorded"), bad])
    assert out.problems and "not deduplicated" in out.problems[0]
    assert out.exactly_once == {"t2"}  # a resend never adds a trip-end


def test_refused_and_unanswered_requests() -> None:
    out = expect_ledger(
        [
            line("e1", "entry", "opened"),
            line("x1", "exit", "refused:422"),
            line("e2", "entry", "lost", attempts=4),
        ]
    )
    assert out.absent == {"x1"}
    # The lost entry may have opened a journey (superseding e1) or not.
    assert out.at_most_once == {"e1", "e2"} and out.exactly_once == set()
    assert (out.refused, out.lost) == (1, 1)


def test_a_new_id_answered_as_a_replay_means_ids_collided() -> None:
    out = expect_ledger([line("b1", "board", "recorded", replayed="1")])
    assert out.problems and "collided" in out.problems[0]
    retried = expect_ledger([line("b1", "board", "recorded", replayed="1", attempts=2)])
    assert not retried.problems  # the first try landed; its answer was lost


def test_accepted_taps_are_counted_per_second() -> None:
    out = expect_ledger([line(f"b{n}", "board", "recorded", ms=5_000 + n * 300) for n in range(10)])
    assert out.accepted_per_s == {5: 4, 6: 3, 7: 3}
    assert (out.first_ms, out.last_ms) == (5_000, 7_700)


ids = st.text(alphabet="abcdef0123456789-", min_size=1, max_size=20)


@given(ids, ids, st.sampled_from(["opened", "closed", "lost", "refused:409"]), st.integers(1, 4))
def test_a_line_reads_back_as_written(rider: str, event_id: str, outcome: str, n: int) -> None:
    written = line(event_id, "exit", outcome, rider=rider, attempts=n)
    assert Line.from_text(written.to_text()) == written


def test_journals_of_several_processes_are_read_together(tmp_path: Path) -> None:
    for pid, event_id in ((11, "x1"), (12, "x2")):
        writer = JournalWriter(tmp_path / f"journal-{pid}.tsv")
        writer.write(line(event_id, "exit", "incomplete"))
        writer.close()
    assert {x.event_id for x in read_journals(tmp_path)} == {"x1", "x2"}
