"""Reading device journals: both layouts, row problems as lines, file faults as errors."""

from __future__ import annotations

import datetime as dt

import pytest

from operators.journal import JournalError, JournalRow, RowProblem, read_journal

AT = "2026-12-03T08:00:00+08:00"


def _read(text: bytes, *, max_rows: int = 100, chunk: int = 7) -> list[JournalRow | RowProblem]:
    pieces = [text[i : i + chunk] for i in range(0, len(text), chunk)]
    return list(read_journal(pieces, max_rows=max_rows))


def test_our_columns_in_any_order_and_split_anywhere() -> None:
    text = (
        "\ufeffdevice_id,event_id,at,kind,amount_fen\r\n"
        f"gate-1,e-1,{AT},entry,0\r\n"
        f'gate-1,"e,2",{AT},exit,\r\n'
    ).encode()
    rows = _read(text, chunk=3)
    at = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    assert rows == [
        JournalRow("e-1", "gate-1", at, "entry", 0, 2),
        JournalRow("e,2", "gate-1", at, "exit", None, 3),
    ]


def test_tides_fare_transactions_amounts_are_yuan() -> None:
    text = (
        "transaction_id,service_date,event_timestamp,amount,currency_type,fare_action,"
        "device_id,fare_capped\n"
        f"t1,2026-12-03,{AT},2.5,CNY,Exit,gate-1,false\n"
        f"t2,2026-12-03,{AT},3,CNY,Enter,gate-1,false\n"
        f"t3,2026-12-03,{AT},1.234,CNY,Exit,gate-1,false\n"
    ).encode()
    rows = _read(text)
    assert [(r.key, r.amount_fen) for r in rows if isinstance(r, JournalRow)] == [
        ("t1", 250),
        ("t2", 300),
    ]
    assert rows[2] == RowProblem(
        4, "t3", "expected an amount in yuan with at most 2 decimals, got '1.234'"
    )


def test_row_problems_are_lines_not_failures() -> None:
    text = (
        b"event_id,device_id,kind,at,amount_fen\n"
        b"e-1,gate-1,exit,2026-12-03T08:00:00,200\n"
        b"e-2,gate-1,exit\n"
        b",gate-1,exit,2026-12-03T08:00:00+08:00,1\n"
        b"e-4,gate-1,exit,2026-12-03T08:00:00+08:00,2.00\n"
    )
    problems = _read(text)
    assert [(p.line, p.reason) for p in problems if isinstance(p, RowProblem)] == [
        (2, "expected a time with a UTC offset, got '2026-12-03T08:00:00'"),
        (3, "expected 5 fields, got 3"),
        (4, "expected a transaction id, got an empty one"),
        (5, "expected amount_fen as an integer, got '2.00'"),
    ]


@pytest.mark.parametrize(
    ("text", "status", "message"),
    [
        (b"", 422, "expected a header line, got an empty file"),
        (b"id,time,fare\n1,2,3\n", 422, "expected the columns event_id,device_id,kind,at"),
        (b"event_id,device_id,kind,at,amount_fen,rider\n", 422, "unknown columns ['rider']"),
        (b"event_id,device_id,kind,at,at\n", 422, "expected each column once"),
        (b"event_id,device_id,kind,at,amount_fen\ne-\xe9,g,exit,x,1\n", 422, "expected UTF-8"),
        ("event_id,device_id,kind,at,amount_fen\n".encode("utf-16"), 422, "expected UTF-8"),
        (b"event_id,device_id,kind,at,amount_fen\n" + b"e,g,exit,x,1\n" * 3, 413, "at most 2"),
    ],
)
def test_faults_of_the_file_raise_with_a_status(text: bytes, status: int, message: str) -> None:
    with pytest.raises(JournalError) as caught:
        _read(text, max_rows=2)
    assert caught.value.status == status
    assert message in str(caught.value)
