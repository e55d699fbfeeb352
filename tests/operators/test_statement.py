"""Statements: canonical bytes that do not move, and a signature only the log key makes."""

from __future__ import annotations

import csv
import datetime as dt
import io

from hypothesis import given
from hypothesis import strategies as st

from ledger import records
from ledger.keys import Signer
from operators.clearing import Item, clear
from operators.statement import (
    items_digest,
    sign_statement,
    statement_csv,
    statement_fields,
    verify_statement,
)
from tests.operators.test_clearing import DAY, hand_made_day, items

SIGNER = Signer.generate("farechain.example/ledger")
LATE_DAY = DAY - dt.timedelta(days=1)


def _statement(operator: str, cleared: list[Item]) -> dict[str, object]:
    late = [Item(5, LATE_DAY, "mtr-sz", 300, (("mtr-sz", 100), ("szmc", 200)))]
    return statement_fields(
        operator=operator,
        day=DAY,
        cut_min=270,
        ledger_from=40,
        ledger_to=90,
        day_clearing=clear(cleared),
        adjustments={LATE_DAY: clear(late)},
    )


def test_the_statement_of_the_hand_made_day() -> None:
    fields = _statement("szmc", hand_made_day())
    assert fields["totals"] == {
        "trips": 3,
        "refunds": 1,
        "collected_fen": 400,
        "refunded_fen": 400,
        "earned_fen": 568,
        "net_fen": 168,
        "incomplete": 0,
        "cap_saved_fen": 200,
        "discount_fen": 0,
    }
    assert fields["positions"] == [
        {"counterparty": "mtr-sz", "receivable_fen": 228, "payable_fen": 60, "net_fen": 168}
    ]
    adjustments = fields["adjustments"]
    assert isinstance(adjustments, list) and len(adjustments) == 1
    adjustment = adjustments[0]
    assert adjustment["day"] == "2026-12-02" and adjustment["totals"]["net_fen"] == 200
    assert fields["payable_net_fen"] == 368
    assert fields["items"] == 6
    assert fields["items_sha256"] == items_digest([31, 10, 13, 16, 19, 22])
    # an operator with no part in the late item has no adjustment line
    assert _statement("szbus", hand_made_day())["adjustments"] == []


def test_statement_bytes_are_pinned() -> None:
    body = records.encode_record(_statement("mtr-sz", hand_made_day()))
    assert body.startswith(b'{"adjustments":[{"day":"2026-12-02","items":1,"items_sha256":"')
    assert b'"ledger_from":40,"ledger_to":90,"operator":"mtr-sz"' in body
    assert b'"payable_net_fen":-368,' in body and b'"type":"operator_statement","v":1}' in body


@given(st.lists(items(), max_size=20), st.randoms(use_true_random=False))
def test_statement_bytes_do_not_depend_on_item_order(cleared: list[Item], rng: object) -> None:
    shuffled = list(cleared)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    for operator in ("szmc", "mtr-sz"):
        first = records.encode_record(sign_statement(_statement(operator, cleared), SIGNER))
        again = records.encode_record(sign_statement(_statement(operator, shuffled), SIGNER))
        assert first == again


def test_the_signature_verifies_with_the_log_key_only() -> None:
    signed = sign_statement(_statement("szmc", hand_made_day()), SIGNER)
    assert verify_statement(signed, [SIGNER.verifier])
    assert not verify_statement(signed, [Signer.generate("farechain.example/ledger").verifier])
    tampered = {**signed, "payable_net_fen": 1}
    assert not verify_statement(tampered, [SIGNER.verifier])
    assert not verify_statement(_statement("szmc", hand_made_day()), [SIGNER.verifier])


def test_every_csv_line_carries_the_ledger_index() -> None:
    fields = _statement("szmc", hand_made_day())
    rows = list(csv.DictReader(io.StringIO(statement_csv(fields, 777))))
    assert {r["ledger_index"] for r in rows} == {"777"}
    assert {(r["ledger_from"], r["ledger_to"]) for r in rows} == {("40", "90")}
    by = {(r["section"], r["of_day"], r["counterparty"], r["figure"]): r["fen"] for r in rows}
    assert by[("day", "2026-12-03", "", "earned_fen")] == "568"
    assert by[("day", "2026-12-03", "mtr-sz", "net_fen")] == "168"
    assert by[("adjustment", "2026-12-02", "", "net_fen")] == "200"
    assert by[("total", "2026-12-03", "", "payable_net_fen")] == "368"
