"""The daily settlement statement of one operator: canonical bytes, signed.

A statement is a ledger record (`type` `operator_statement`, `v` 1) encoded by
`ledger.records.encode_record` (sorted keys, integers, UTF-8: the same bytes for the
same inputs, every time). It holds no wall-clock time and no rider data: only the day,
the ledger range it covers, the operator's totals, its net position against each other
operator, the adjustments for late items of days settled before, and the SHA-256 of the
ledger indexes it clears (`items_sha256`, over each index as 8 big-endian bytes, in
ascending order) so anyone holding the records can check the sums.

It is signed twice over: the record sits in the Merkle log under a signed checkpoint
(an inclusion proof proves it), and its body carries an Ed25519 signature by the log's
own key, over `SIGNING_CONTEXT + body`, where the body is the record without its
`signature` member. So an operator holding only the statement file and `ledger.pub`
can check who issued it, offline. The log key is used rather than a key of its own
because verifiers already trust and rotate it (`farechain rotate-key`).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Mapping, Sequence

from ledger import records
from ledger.keys import Signer, Verifier
from operators.clearing import Clearing

__all__ = [
    "RECORD_TYPE",
    "SIGNING_CONTEXT",
    "items_digest",
    "sign_statement",
    "statement_csv",
    "statement_fields",
    "verify_statement",
]

RECORD_TYPE = "operator_statement"
SIGNING_CONTEXT = b"farechain operator statement v1\n"


def items_digest(indexes: Iterable[int]) -> str:
    digest = hashlib.sha256()
    for index in sorted(indexes):
        digest.update(index.to_bytes(8, "big"))
    return digest.hexdigest()


def _positions(clearing: Clearing, operator: str) -> list[dict[str, object]]:
    return [
        {
            "counterparty": other,
            "receivable_fen": receivable,
            "payable_fen": payable,
            "net_fen": receivable - payable,
        }
        for other, (receivable, payable) in sorted(clearing.positions(operator).items())
    ]


def statement_fields(
    *,
    operator: str,
    day: dt.date,
    cut_min: int,
    ledger_from: int,
    ledger_to: int,
    day_clearing: Clearing,
    adjustments: Mapping[dt.date, Clearing],
) -> dict[str, object]:
    """The unsigned statement of `operator` for `day`.

    `ledger_to` is the tree size the settlement saw: the day's items are those below it;
    adjustments are the late items of settled days in `[ledger_from, ledger_to)`.
    """
    adjusted = [
        {
            "day": adjusted_day.isoformat(),
            "totals": clearing.of(operator).as_record(),
            "positions": _positions(clearing, operator),
            "items": len(clearing.indexes),
            "items_sha256": items_digest(clearing.indexes),
        }
        for adjusted_day, clearing in sorted(adjustments.items())
        if operator in clearing.operators()
    ]
    day_net = day_clearing.of(operator).net_fen
    late_net = sum(adjustments[d].of(operator).net_fen for d in adjustments)
    return {
        "type": RECORD_TYPE,
        "v": 1,
        "operator": operator,
        "day": day.isoformat(),
        "cut_min": cut_min,
        "ledger_from": ledger_from,
        "ledger_to": ledger_to,
        "totals": day_clearing.of(operator).as_record(),
        "positions": _positions(day_clearing, operator),
        "items": len(day_clearing.indexes),
        "items_sha256": items_digest(day_clearing.indexes),
        "adjustments": adjusted,
        "payable_net_fen": day_net + late_net,
    }


def sign_statement(fields: Mapping[str, object], signer: Signer) -> dict[str, object]:
    """The statement with its `signature` member: key name, key id, Ed25519 signature."""
    body = records.encode_record(dict(fields))
    signature = signer.sign(SIGNING_CONTEXT + body)
    return {
        **fields,
        "signature": {
            "key": signer.name,
            "key_id": signer.key_id.hex(),
            "ed25519": base64.b64encode(signature).decode(),
        },
    }


def verify_statement(record: Mapping[str, object], verifiers: Sequence[Verifier]) -> bool:
    """True when a known key signed this statement's body."""
    signature = record.get("signature")
    if not isinstance(signature, Mapping):
        return False
    body = records.encode_record({k: v for k, v in record.items() if k != "signature"})
    raw = base64.b64decode(str(signature.get("ed25519", "")))
    return any(
        v.name == signature.get("key")
        and v.key_id.hex() == signature.get("key_id")
        and v.verify(SIGNING_CONTEXT + body, raw)
        for v in verifiers
    )


_CSV_COLUMNS = (
    "operator",
    "day",
    "section",
    "of_day",
    "counterparty",
    "figure",
    "fen",
    "ledger_index",
    "ledger_from",
    "ledger_to",
)


def statement_csv(record: Mapping[str, object], ledger_index: int) -> str:
    """One line per figure; every line names the statement's own ledger index."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    common = (record["operator"], record["day"])
    tail = (ledger_index, record["ledger_from"], record["ledger_to"])
    sections: list[tuple[str, object, object, object]] = [
        ("day", record["day"], record["totals"], record["positions"])
    ]
    for adjustment in record["adjustments"]:  # type: ignore[attr-defined]
        sections.append(
            ("adjustment", adjustment["day"], adjustment["totals"], adjustment["positions"])
        )
    for section, of_day, totals, positions in sections:
        for figure, fen in totals.items():  # type: ignore[attr-defined]
            writer.writerow((*common, section, of_day, "", figure, fen, *tail))
        for position in positions:  # type: ignore[attr-defined]
            for figure in ("receivable_fen", "payable_fen", "net_fen"):
                row = (*common, section, of_day, position["counterparty"], figure)
                writer.writerow((*row, position[figure], *tail))
    total = (*common, "total", record["day"], "", "payable_net_fen", record["payable_net_fen"])
    writer.writerow((*total, *tail))
    return out.getvalue()
