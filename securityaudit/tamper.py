"""Tamper: flip one byte of one row on a copy of the database; `farechain verify` must see it.

The tables `farechain verify` vouches for are the ledger's own (records, Merkle nodes,
blocks, head, cosignatures) and every table projected from it (rows with a
`record_index`, and riders' balances). Each is tried alone on a fresh copy of the
stopped system's SQLite file: one byte of the newest row's chosen column is changed (a
digit or letter of text moved by one bit, one byte of a blob, the low bit of an
integer), then `farechain verify` runs against the copy with the system's keys. A
mutation it passes is a failure. One more copy rolls the last block back consistently
(its records, rows, nodes and the head, all together), which only a comparison with a
checkpoint kept outside the database can catch. Other tables (sandbox state, exports)
and the columns in `NOT_ON_LEDGER` are not the ledger's and are not tried.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from securityaudit.outcome import GroupResult

__all__ = ["LEDGER_TABLES", "flip_one_byte", "run_tamper"]

# The column to change in each table the ledger vouches for (the short run's choice).
LEDGER_TABLES = {
    "ledger_records": "body",
    "merkle_nodes": "hash",
    "blocks": "root",
    "ledger_head": "block_hash",
    "cosignatures": "signature_line",
    "trips": "fare_fen",
    "charges": "amount_fen",
    "invoices": "total_fen",
    "invoice_events": "status",
    "payments": "amount_fen",
    "refunds": "amount_fen",
    "operator_statements": "payable_net_fen",
    "riders": "balance_fen",
}


# Columns of those tables that no record states: credentials, reference data and the
# system's own bookkeeping. Changing one is not a lie about what was recorded.
NOT_ON_LEDGER = {
    ("riders", "token_sha256"): "a credential's digest",
    ("riders", "token_expires_at"): "a credential's lifetime",
    ("riders", "category"): "reference data; each trip record states the fare it set",
    ("riders", "blocked"): "the gate's deny state, recomputed from payment standing",
    ("payments", "created_at"): "bookkeeping; the payment record states its own time",
    ("payments", "updated_at"): "bookkeeping; the payment record states its own time",
}


def flip_one_byte(value: object) -> object:
    """The value with one byte changed: still of its type, and for text still readable."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value ^ 1
    if isinstance(value, bytes):
        if not value:
            return b"\x01"
        middle = len(value) // 2
        return value[:middle] + bytes([value[middle] ^ 1]) + value[middle + 1 :]
    if isinstance(value, str):
        # The last digit or letter: JSON and hex stay well-formed, so the check must be
        # the ledger's, not a parser's.
        for at in range(len(value) - 1, -1, -1):
            if value[at].isascii() and value[at].isalnum():
                swapped = {"9": "8", "z": "y", "Z": "Y"}.get(value[at], chr(ord(value[at]) ^ 1))
                return value[:at] + swapped + value[at + 1 :]
        return value + "x"
    raise TypeError(f"expected int, bytes or str to flip, got {type(value).__name__}")


def run_tamper(database: Path, var_dir: Path, work_dir: Path, *, every_column: bool) -> GroupResult:
    result = GroupResult("tamper")
    pristine = work_dir / "pristine.sqlite3"
    pristine.unlink(missing_ok=True)
    with _open(f"file:{database}?mode=ro") as source, _open(str(pristine)) as target:
        source.backup(target)
        # No -wal beside the copies: each copy is one self-contained file.
        target.execute("PRAGMA journal_mode=DELETE")
    baseline = _verify(pristine, var_dir)
    if baseline is not None:
        result.fail(f"the untouched copy already fails verify: {baseline}")
        return result
    with _open(str(pristine)) as connection:
        present = {n for (n,) in connection.execute("SELECT name FROM sqlite_master")}
        plans: list[tuple[str, str]] = []
        for table, column in LEDGER_TABLES.items():
            if table not in present:
                continue
            if connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == 0:
                result.note(f"{table} is empty: not tried")
                continue
            # Not the keys: a key changed to another row's is refused by the database.
            columns = [
                r[1] for r in connection.execute(f'PRAGMA table_info("{table}")') if not r[5]
            ]
            for c in columns if every_column else [column]:
                if (table, c) in NOT_ON_LEDGER:
                    result.note(f"{table}.{c}: not tried, {NOT_ON_LEDGER[table, c]}")
                else:
                    plans.append((table, c))
    for n, (table, column) in enumerate(plans):
        # A new file each time: engines of earlier runs may still hold the last one open.
        copy = work_dir / f"tampered-{n}.sqlite3"
        shutil.copyfile(pristine, copy)
        try:
            changed = _mutate(copy, table, column)
        except sqlite3.IntegrityError as error:
            result.note(f"{table}.{column}: the database refused the change ({error})")
            _remove(copy)
            continue
        if changed is None:
            result.note(f"{table}.{column}: the newest row has no value to change")
            _remove(copy)
            continue
        problem = _verify(copy, var_dir)
        result.check(
            problem is not None,
            f"{table}.{column}: one byte changed ({changed}) and farechain verify passed",
        )
        _remove(copy)
    copy = work_dir / "rolled-back.sqlite3"
    shutil.copyfile(pristine, copy)
    _roll_back_last_block(copy)
    result.check(
        _verify(copy, var_dir) is not None,
        "the last block rolled back consistently (records, rows, nodes, head) and "
        "farechain verify passed; expected it to compare with a checkpoint kept elsewhere",
    )
    _remove(copy)
    _remove(pristine)
    return result


def _remove(database: Path) -> None:
    """The copy and the -wal and -shm files its verify left (its engine set WAL mode)."""
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


@contextlib.contextmanager
def _open(target: str) -> Iterator[sqlite3.Connection]:
    """A connection committed and closed on leaving (sqlite3's own `with` only commits)."""
    connection = sqlite3.connect(target, uri=target.startswith("file:"))
    try:
        with connection:
            yield connection
    finally:
        connection.close()


def _mutate(path: Path, table: str, column: str) -> str | None:
    with _open(str(path)) as connection:
        row = connection.execute(
            f'SELECT rowid, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL '
            "ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        rowid, value = row
        changed = flip_one_byte(value)
        connection.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', (changed, rowid))
        return f"row {rowid}: {_short(value)} -> {_short(changed)}"


def _short(value: object) -> str:
    text = value.hex() if isinstance(value, bytes) else repr(value)
    return text if len(text) <= 24 else text[:10] + "…" + text[-10:]


def _roll_back_last_block(path: Path) -> None:
    with _open(str(path)) as connection:
        last = connection.execute(
            "SELECT height, first_index FROM blocks ORDER BY height DESC LIMIT 1"
        ).fetchone()
        if last is None or last[0] == 0:
            return
        height, first = last
        previous = connection.execute(
            "SELECT tree_size, block_hash FROM blocks WHERE height = ?", (height - 1,)
        ).fetchone()
        present = {n for (n,) in connection.execute("SELECT name FROM sqlite_master")}
        for table in LEDGER_TABLES:
            if table not in present:
                continue
            columns = {r[1] for r in connection.execute(f'PRAGMA table_info("{table}")')}
            if "record_index" in columns:
                connection.execute(f'DELETE FROM "{table}" WHERE record_index >= ?', (first,))
        connection.execute("DELETE FROM ledger_records WHERE idx >= ?", (first,))
        # A node at (level, idx) covers leaves [idx << level, (idx + 1) << level).
        connection.execute("DELETE FROM merkle_nodes WHERE ((idx + 1) << level) > ?", (first,))
        connection.execute("DELETE FROM cosignatures WHERE tree_size > ?", (previous[0],))
        connection.execute("DELETE FROM blocks WHERE height = ?", (height,))
        connection.execute(
            "UPDATE ledger_head SET tree_size = ?, height = ?, block_hash = ?",
            (previous[0], height - 1, previous[1]),
        )


def _verify(database: Path, var_dir: Path) -> str | None:
    """None when `farechain verify` passes the database, else what it said.

    The command runs in this process (Typer's runner sets the environment for the call):
    a fresh interpreter per copy cost ~3 s of imports each.
    """
    from typer.testing import CliRunner

    from farechain.cli import app

    env = {"DATABASE_URL": f"sqlite:///{database}", "FARECHAIN_VAR_DIR": str(var_dir)}
    done = CliRunner().invoke(app, ["verify"], env=env)
    if done.exit_code == 0:
        return None
    said = (done.output or "").strip() or repr(done.exception)
    return said[-200:]
