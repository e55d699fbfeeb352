"""The report's table and the exit status, on known results."""

from __future__ import annotations

from securityaudit.outcome import GroupResult, exit_status, render_report


def _groups() -> list[GroupResult]:
    chaos = GroupResult("chaos")
    chaos.check(True, "")
    chaos.check(False, "kill -9 batcher: expected a restart,\n got the supervisor exiting")
    access = GroupResult("access")
    for _ in range(12):
        access.check(True, "")
    return [chaos, access]


def test_the_table_counts_each_group_and_lists_each_failure_on_one_line() -> None:
    assert render_report(_groups()).splitlines() == [
        "check group | tried | held | failed",
        "------------+-------+------+-------",
        "chaos       |     2 |    1 |      1",
        "access      |    12 |   12 |      0",
        "------------+-------+------+-------",
        "total       |    14 |   13 |      1",
        "",
        "FAILED chaos: kill -9 batcher: expected a restart, got the supervisor exiting",
    ]


def test_any_failure_exits_1_and_a_clean_run_exits_0() -> None:
    chaos, access = _groups()
    assert exit_status([chaos, access]) == 1
    assert exit_status([access]) == 0


def test_a_group_that_tried_nothing_fails_unless_it_says_why_it_was_skipped() -> None:
    empty = GroupResult("tamper")
    assert exit_status([empty]) == 1
    empty.skipped = "the copies are SQLite files"
    assert exit_status([empty]) == 0
    assert "skipped tamper: the copies are SQLite files" in render_report([empty])


def test_a_long_reason_is_cut_to_one_short_line() -> None:
    group = GroupResult("corpus")
    group.fail("x" * 1000)
    (line,) = group.failures
    assert len(line) == 300 and line.endswith("…")
