"""The batcher's invoice numbers and records (invoicing.issue), without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing import DEFAULT_LAYOUT, GENERAL_9, SequenceOverflow, format_number, issue_year
from invoicing.errors import InvalidAmount
from invoicing.issue import INDIVIDUAL, SellerInfo, invoice_fields, invoiceable, numbers_for

SELLER = SellerInfo("szmc", "深圳市地铁集团有限公司", "91440300MA5FC00019", GENERAL_9, "0301")


def test_known_numbers_of_a_reservation() -> None:
    at = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # already 2027 in Shenzhen
    assert numbers_for(SELLER, at, 9, 3) == [
        "27440301000000000009",
        "27440301000000000010",
        "27440301000000000011",
    ]
    assert numbers_for(SELLER, at, 1, 0) == []


@given(
    st.integers(1, DEFAULT_LAYOUT.max_sequence),
    st.integers(1, 300),
    st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 30), timezones=st.just(UTC)),
)
def test_numbers_are_format_numbers_of_each_sequence(first: int, count: int, at: datetime) -> None:
    year = issue_year(at)
    last = first + count - 1
    if last > DEFAULT_LAYOUT.max_sequence:
        with pytest.raises(SequenceOverflow):
            numbers_for(SELLER, at, first, count)
        return
    assert numbers_for(SELLER, at, first, count) == [
        format_number(year=year, channel="0301", sequence=s) for s in range(first, last + 1)
    ]


def _fields(issued_at: datetime) -> dict[str, object]:
    return invoice_fields(
        number="26440301000000000001",
        seller=SELLER,
        buyer=INDIVIDUAL,
        rider_id="r1",
        trip_event_id="e1",
        total_fen=700,
        issued_at=issued_at,
        trip_leaf_hash=bytes(32),
    )


def test_issue_times_follow_each_moment_not_the_last_one_asked() -> None:
    # The texts are kept between calls for the same object: an equal moment in another
    # zone (or a later one) must still print as itself.
    at = datetime(2026, 5, 6, 17, 30, tzinfo=UTC)
    shenzhen = at.astimezone(timezone(timedelta(hours=8)))
    assert at == shenzhen
    first = _fields(at)
    assert (first["issued_at"], first["issue_date"]) == ("2026-05-06T17:30:00+00:00", "2026-05-07")
    assert _fields(at)["issued_at"] == "2026-05-06T17:30:00+00:00"
    other = _fields(shenzhen)
    assert (other["issued_at"], other["issue_date"]) == ("2026-05-07T01:30:00+08:00", "2026-05-07")
    later = _fields(at + timedelta(hours=7))
    assert (later["issued_at"], later["issue_date"]) == ("2026-05-07T00:30:00+00:00", "2026-05-07")
    assert (first["base_fen"], first["tax_fen"], first["buyer"]) == (
        642,
        58,
        {"kind": "individual", "name": "个人", "tax_id": None},
    )


def test_a_zero_yuan_invoice_is_refused() -> None:
    # Free rides and capped trips are recorded with their zero charge, never invoiced.
    assert invoiceable(1) and not invoiceable(0)
    with pytest.raises(InvalidAmount, match="expected an invoice total above 0 fen, got 0"):
        invoice_fields(
            number="26440301000000000001",
            seller=SELLER,
            buyer=INDIVIDUAL,
            rider_id="r1",
            trip_event_id="e1",
            total_fen=0,
            issued_at=datetime(2026, 5, 6, tzinfo=UTC),
            trip_leaf_hash=bytes(32),
        )
