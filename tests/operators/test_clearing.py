"""Clearing: known answers on a small hand-made day, and the properties that must hold."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from fare.apportion import apportion
from operators.clearing import Item, business_day, clear, day_bounds

DAY = dt.date(2026, 12, 3)
OPERATORS = ("mtr-sz", "szbus", "szmc")


def hand_made_day() -> list[Item]:
    return [
        # metro trip ending at an MTR gate, kilometres on both companies' lines
        Item(10, DAY, "mtr-sz", 500, (("mtr-sz", 272), ("szmc", 228))),
        Item(13, DAY, "szmc", 300, (("szmc", 300),)),
        # capped: 300 fen saved, the 100 left split in the same proportion as the path
        Item(16, DAY, "szmc", 100, (("mtr-sz", 60), ("szmc", 40)), cap_saved_fen=200),
        Item(19, DAY, "szbus", 200, (("szbus", 200),)),
        Item(22, DAY, "szmc", 400, (("mtr-sz", 150), ("szmc", 250))),
        # the rider was refunded trip 22 in full the same day
        Item(31, DAY, "szmc", 400, (("mtr-sz", 150), ("szmc", 250)), refund=True),
    ]


def test_a_hand_made_day_clears_to_known_figures() -> None:
    result = clear(hand_made_day())
    mtr, szmc, bus = result.of("mtr-sz"), result.of("szmc"), result.of("szbus")
    assert (mtr.collected_fen, mtr.earned_fen, mtr.net_fen) == (500, 332, -168)
    assert (szmc.collected_fen, szmc.earned_fen, szmc.net_fen) == (400, 568, 168)
    assert (bus.collected_fen, bus.earned_fen, bus.net_fen) == (200, 200, 0)
    assert (szmc.trips, szmc.refunds, szmc.refunded_fen, szmc.cap_saved_fen) == (3, 1, 400, 200)
    assert result.position("szmc", "mtr-sz") == 168
    assert result.position("mtr-sz", "szmc") == -168
    assert result.positions("szmc") == {"mtr-sz": (228, 60)}
    assert result.position("szbus", "szmc") == 0
    assert sorted(result.indexes) == [10, 13, 16, 19, 22, 31]


def test_business_days_cut_at_half_past_four_in_shanghai() -> None:
    start, end = day_bounds(DAY)
    assert start == dt.datetime(2026, 12, 2, 20, 30, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 12, 3, 20, 30, tzinfo=dt.UTC)
    assert business_day(start) == DAY
    assert business_day(end - dt.timedelta(microseconds=1)) == DAY
    assert business_day(end) == DAY + dt.timedelta(days=1)
    assert business_day(start - dt.timedelta(seconds=1)) == DAY - dt.timedelta(days=1)
    assert business_day(start, cut_min=0) == DAY  # 04:30 local is on the day either way
    assert business_day(dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.UTC), cut_min=0) == DAY


def test_an_item_whose_shares_do_not_add_up_is_refused() -> None:
    try:
        Item(1, DAY, "szmc", 300, (("szmc", 200),))
    except ValueError as error:
        assert "expected shares adding up to 300 fen, got 200" in str(error)
    else:  # pragma: no cover
        raise AssertionError("accepted shares that do not add up")


@st.composite
def items(draw: st.DrawFn) -> Item:
    amount = draw(st.integers(0, 20_000))
    seller = draw(st.sampled_from(OPERATORS))
    parts = draw(st.lists(st.sampled_from(OPERATORS), min_size=1, max_size=3, unique=True))
    weights = tuple((op, draw(st.integers(1, 30_000))) for op in sorted(parts))
    return Item(
        draw(st.integers(0, 10**9)),
        DAY,
        seller,
        amount,
        apportion(amount, weights),
        refund=draw(st.booleans()),
    )


@given(st.lists(items(), max_size=40))
def test_earned_adds_up_to_collected_and_positions_to_zero(cleared: list[Item]) -> None:
    result = clear(cleared)
    fares = sum(-i.amount_fen if i.refund else i.amount_fen for i in cleared)
    assert sum(result.of(op).earned_fen for op in OPERATORS) == fares
    assert sum(result.of(op).collected_fen for op in OPERATORS) == fares
    assert sum(result.position(a, b) for a in OPERATORS for b in OPERATORS) == 0
    for a in OPERATORS:
        assert sum(result.position(a, b) for b in OPERATORS if b != a) == result.of(a).net_fen
        for b in OPERATORS:
            assert result.position(a, b) == -result.position(b, a)
