"""`farechain verify`'s check of the payment tables against their ledger records.

The balance check (`trips.audit`) proves the money adds up; this proves the rows riders
and support read say what the records say. For each table:

- `payments`: a row points at the latest `payment` record of its key and agrees with it
  field by field (rider, kind, trip, amount, attempt, status, provider, its ref, the
  decline reason), except that a row being retried after a decline is `new`/`pending`
  at the next attempt. Its keys are the derived ones (`payments.keys`): the attempt key
  from (payment key, attempt), and a trip's payment key from its trip; a trip payment
  is for a charge of that trip, of the same rider and amount. A row without a record is
  one the provider has not answered yet (`new`/`pending`, first attempt).
- `refunds`: the same, with a `requested` record for a `new`/`pending` row, and the key
  derived from the credit note.
- `payment_accounts`: the agreement a rider's account shows is the one its latest
  `payment_agreement` record states.

A record without its row is named too. Records are read once in index order, remembering
each key's latest record (about 100 bytes per payment), and rows are read joined to the
record they point at.

Version-2 records commit to their personal fields (the rider, times, the provider's
ref); they are read whole with their openings (`ledger.openings.whole_record`). A record
whose opening was erased has nobody left to compare a row with, so its row is not
compared, and an account may then lack its agreement record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from ledger.exceptions import RecordError
from ledger.models import LedgerOpening, LedgerRecord
from ledger.openings import whole_record
from payments import keys, records
from payments.models import Payment, PaymentAccount, Refund
from storage.types import core_table
from trips.models import Charge

__all__ = ["check_payment_rows"]

_STREAM = 2_000
_RECORDS = core_table(LedgerRecord)
_OPENINGS = core_table(LedgerOpening)
_ERASED: dict[str, Any] = {}  # a record whose opening was erased: nothing to compare
_UNANSWERED = ("new", "pending")  # a payment or refund row's states that have no record


def _record_rider(record: Mapping[str, Any]) -> str:
    """The rider a payment, refund or agreement record is about, as `_row_rider` says it."""
    return str(record["rider"])


def _row_rider(rider_id: str) -> str:
    return rider_id


def check_payment_rows(session: Session) -> str | None:
    """The first disagreement between the payment tables and their records, or None."""
    try:
        latest, erased_agreements = _latest_records(session)
        return (
            _check_payments(session, latest[records.PAYMENT])
            or _check_refunds(session, latest[records.REFUND])
            or _check_accounts(session, latest[records.AGREEMENT], erased_agreements)
        )
    except RecordError as error:
        return f"a payment record does not match its opening: {error}"


def _with_opening(query: Any, index: Any) -> Any:
    """`query` with the opening of the record at `index` (NULLs when there is none)."""
    return query.add_columns(_OPENINGS.c.salt, _OPENINGS.c.personal).join(
        _OPENINGS, _OPENINGS.c.idx == index, isouter=True
    )


def _whole(body: bytes, salt: bytes | None, personal: bytes | None) -> dict[str, Any]:
    record = whole_record(body, salt, personal)
    return _ERASED if record is None else record


def _latest_records(session: Session) -> tuple[dict[str, dict[str, int]], bool]:
    """For each record type: the key (payment, refund) or rider (agreement) -> the index of
    its latest record; and whether an agreement record's opening was erased."""
    latest: dict[str, dict[str, int]] = {records.PAYMENT: {}, records.REFUND: {}}
    latest[records.AGREEMENT] = {}
    erased = False
    query = _with_opening(select(_RECORDS.c.idx, _RECORDS.c.type, _RECORDS.c.body), _RECORDS.c.idx)
    rows: Iterable[tuple[int, str, bytes, bytes | None, bytes | None]] = session.execute(
        query.where(_RECORDS.c.type.in_(list(latest))).order_by(_RECORDS.c.idx)
    ).yield_per(_STREAM)
    for index, kind, body, salt, personal in rows:
        if kind in (records.PAYMENT, records.REFUND):
            # The key is public (it names no person): no opening needed.
            latest[kind][orjson.loads(body)[kind]] = index
            continue
        record = _whole(body, salt, personal)
        if record is _ERASED:
            erased = True
        else:
            latest[kind][_record_rider(record)] = index
    return latest, erased


def _joined(session: Session, table: Table, *extra: Any) -> Iterable[Any]:
    """Each row of `table` with the record it points at (None, None if there is none)."""
    query = _with_opening(
        select(table, _RECORDS.c.type.label("record_type"), _RECORDS.c.body.label("record"))
        .add_columns(*extra)
        .join(_RECORDS, _RECORDS.c.idx == table.c.record_index, isouter=True),
        table.c.record_index,
    ).order_by(table.c.key)
    if extra:
        charges = core_table(Charge)
        query = query.join(charges, charges.c.trip_event_id == table.c.trip_event_id, isouter=True)
    return session.execute(query).yield_per(_STREAM)


def _differ(where: str, row: Any, record: Mapping[str, Any], fields: Iterable[str]) -> str | None:
    for name in fields:
        if getattr(row, name) != record.get(name):
            return _mismatch(where, name, getattr(row, name), record.get(name))
    if _row_rider(row.rider_id) != _record_rider(record):
        return f"{where}: its rider is not the record's"
    return None


def _mismatch(where: str, name: str, stored: object, recorded: object) -> str:
    return f"{where}: {name} is {stored!r} in the table, {recorded!r} on the ledger"


def _pointed_at(
    where: str, row: Any, kind: str, latest: dict[str, int]
) -> tuple[str | None, dict[str, Any] | None]:
    """The record the row points at, if it is the latest of the row's key; or a problem."""
    newest = latest.pop(row.key.hex(), None)
    if row.record_index is None:
        if newest is not None:
            return f"{where}: no record index, but record {newest} is its latest {kind}", None
        return None, None
    if row.record_type != kind:
        return f"{where}: record {row.record_index} is not a {kind} record", None
    if newest != row.record_index:
        return f"{where}: points at record {row.record_index}, its latest {kind} is {newest}", None
    record = _whole(row.record, row.salt, row.personal)
    if record is _ERASED:
        return None, record
    if record.get(kind) != row.key.hex():
        return f"{where}: record {row.record_index} is about {kind} {record.get(kind)}", None
    return None, record


def _check_payments(session: Session, latest: dict[str, int]) -> str | None:
    charges = core_table(Charge)
    for row in _joined(
        session,
        core_table(Payment),
        charges.c.rider_id.label("charge_rider"),
        charges.c.amount_fen.label("charge_fen"),
    ):
        where = f"payment {row.key.hex()}"
        if row.attempt_key != keys.attempt_key(row.key, row.attempt):
            return f"{where}: attempt key is not the one derived for attempt {row.attempt}"
        if row.kind == "trip":
            if row.trip_event_id is None or row.key != keys.trip_payment_key(row.trip_event_id):
                return f"{where}: key is not the one derived from trip {row.trip_event_id}"
            if (row.charge_rider, row.charge_fen) != (row.rider_id, row.amount_fen):
                return (
                    f"{where}: expected a charge of {row.amount_fen} fen to {row.rider_id} for "
                    f"trip {row.trip_event_id}, found {row.charge_fen} fen to {row.charge_rider}"
                )
        elif row.trip_event_id is not None:
            return f"{where}: a {row.kind} payment names trip {row.trip_event_id}"
        problem, record = _pointed_at(where, row, records.PAYMENT, latest)
        if problem is not None:
            return problem
        if record is None:
            if row.status not in _UNANSWERED or row.attempt != 1:
                return f"{where}: {row.status} at attempt {row.attempt} but no record of it"
            continue
        if record is _ERASED:
            continue
        fields = ["kind", "trip_event_id", "amount_fen", "provider"]
        retried = (
            row.status in _UNANSWERED
            and record.get("status") == "declined"
            and row.attempt == record.get("attempt", 0) + 1
        )
        if not retried:
            fields += ["status", "attempt", "provider_ref", "reason"]
        problem = _differ(where, row, record, fields)
        if problem is not None:
            return problem
    if latest:
        return f"payment {min(latest, key=latest.__getitem__)}: on the ledger, no payments row"
    return None


def _check_refunds(session: Session, latest: dict[str, int]) -> str | None:
    for row in _joined(session, core_table(Refund)):
        where = f"refund {row.key.hex()}"
        if row.key != keys.refund_key(row.credit_note):
            return f"{where}: key is not the one derived from credit note {row.credit_note}"
        problem, record = _pointed_at(where, row, records.REFUND, latest)
        if problem is not None:
            return problem
        if record is None:
            return f"{where}: no record of it (a refund is recorded when it is created)"
        if record is _ERASED:
            continue
        status = "requested" if row.status in _UNANSWERED else row.status
        if status != record.get("status"):
            return _mismatch(where, "status", row.status, record.get("status"))
        fields = ["credit_note", "trip_event_id", "credit_fen", "amount_fen", "provider"]
        if status != "requested":
            fields += ["provider_ref", "reason"]
        problem = _differ(where, row, record, fields)
        if problem is not None:
            return problem
    if latest:
        return f"refund {min(latest, key=latest.__getitem__)}: on the ledger, no refunds row"
    return None


def _check_accounts(
    session: Session, latest: dict[str, int], erased_agreements: bool
) -> str | None:
    """Each account's agreement is what its rider's latest agreement record says."""
    table = core_table(PaymentAccount)
    accounts: Iterable[Any] = session.execute(
        select(table.c.rider_id, table.c.agreement, table.c.agreement_ref).order_by(
            table.c.rider_id
        )
    ).yield_per(_STREAM)
    wanted: dict[int, tuple[str, str, str | None]] = {}
    for rider_id, agreement, ref in accounts:
        newest = latest.pop(_row_rider(rider_id), None)
        if newest is None:
            if agreement != "none" and not erased_agreements:
                return f"account of {rider_id}: agreement {agreement} but no record of it"
        else:
            wanted[newest] = (rider_id, agreement, ref)
        if len(wanted) >= _STREAM:
            problem = _compare_agreements(session, wanted)
            if problem is not None:
                return problem
            wanted.clear()
    problem = _compare_agreements(session, wanted)
    if problem is None and latest:
        rider = min(latest, key=latest.__getitem__)
        problem = f"agreement record {latest[rider]}: its rider has no payment account"
    return problem


def _compare_agreements(
    session: Session, wanted: Mapping[int, tuple[str, str, str | None]]
) -> str | None:
    query = _with_opening(select(_RECORDS.c.idx, _RECORDS.c.body), _RECORDS.c.idx)
    bodies = {
        index: _whole(body, salt, personal)
        for index, body, salt, personal in session.execute(
            query.where(_RECORDS.c.idx.in_(list(wanted)))
        )
    }
    for index, (rider_id, agreement, ref) in sorted(wanted.items()):
        record = bodies[index]
        shown = {"authorised": "active", "revoked": "revoked"}.get(str(record.get("status")))
        if (agreement, ref) != (shown, record.get("provider_ref")):
            return (
                f"account of {rider_id}: agreement {agreement} ({ref}) in the table, "
                f"{record.get('status')} ({record.get('provider_ref')}) by record {index}"
            )
    return None
