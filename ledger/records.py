"""Canonical ledger records: the bytes that become Merkle leaves.

A record is a JSON object encoded as UTF-8 with keys sorted by code point, no
insignificant whitespace and non-ASCII characters kept as UTF-8 (not ``\\u`` escapes).
Values are limited to what JSON carries exactly: strings, integers in the signed
64-bit range (money is integer fen), booleans, null, arrays and objects. Floats are
refused because two encoders can print the same float differently, and a record's
bytes must be reproducible by anyone who re-encodes it.

Every record has a string ``type`` (``trip``, ``invoice``, ...) and an integer schema
version ``v``. ``decode_record`` accepts only bytes that ``encode_record`` would have
produced, so a verifier rejects a record someone re-serialised by hand.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson

from ledger.exceptions import RecordError

__all__ = [
    "decode_record",
    "decode_value",
    "encode_record",
    "encode_reference",
    "encode_value",
]

_INT_MIN = -(2**63)
_INT_MAX = 2**63 - 1


def encode_record(fields: Mapping[str, object]) -> bytes:
    """Encode ``fields`` canonically; ``TypeError`` names the key holding a bad value."""
    return _encode(fields, header=True)


def encode_value(fields: Mapping[str, object]) -> bytes:
    """The same canonical JSON for an object that is not a record (no type or version):
    the personal fields a commitment covers (``ledger.commitment``)."""
    return _encode(fields, header=False)


def _encode(fields: Mapping[str, object], *, header: bool) -> bytes:
    if type(fields) is dict and _is_plain(fields):
        # The batcher's hot path: orjson writes the same bytes as the reference encoder
        # below (a property test holds them equal) about eight times faster.
        try:
            data = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # e.g. a lone surrogate; the reference path names the key
        else:
            if header:
                _check_header(fields)
            return data
    return encode_reference(fields, header=header)


def encode_reference(fields: Mapping[str, object], *, header: bool = True) -> bytes:
    """The reference encoder: slower, and its errors name the offending key path."""
    if not isinstance(fields, Mapping):
        raise TypeError(f"record: expected a mapping, got {type(fields).__name__}")
    plain = _plain(fields, "")
    if header:
        _check_header(plain)
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def _check_header(plain: Mapping[str, object]) -> None:
    record_type = plain.get("type")
    if not isinstance(record_type, str) or not record_type:
        raise RecordError(f"record: expected a non-empty str 'type', got {record_type!r}")
    version = plain.get("v")
    if not isinstance(version, int) or isinstance(version, bool):
        raise RecordError(f"record: expected an int schema version 'v', got {version!r}")


def _is_plain(value: object) -> bool:
    """True when ``value`` holds only exact JSON types (no subclasses, no floats)."""
    # This runs for every record the batcher writes, so it is written for speed: the
    # scalars (most values) are checked inline and only containers recurse, and plain
    # loops beat all() over generators several times.
    kind = type(value)
    if kind is dict:
        for key in value:  # type: ignore[attr-defined]
            if type(key) is not str:
                return False
        items = value.values()  # type: ignore[attr-defined]
    elif kind is list or kind is tuple:
        items = value
    else:
        if kind is str or kind is bool or value is None:
            return True
        return kind is int and _INT_MIN <= value <= _INT_MAX  # type: ignore[operator]
    for item in items:
        item_kind = type(item)
        if item_kind is str or item_kind is bool or item is None:
            continue
        if item_kind is int:
            if not _INT_MIN <= item <= _INT_MAX:
                return False
        elif not _is_plain(item):
            return False
    return True


def decode_record(data: bytes) -> dict[str, object]:
    """Decode record bytes, refusing anything that is not exactly canonical."""
    return _decode(data, header=True)


def decode_value(data: bytes) -> dict[str, object]:
    """Decode canonical JSON of an object that is not a record (see ``encode_value``)."""
    return _decode(data, header=False)


def _decode(data: bytes, *, header: bool) -> dict[str, object]:
    try:
        text = bytes(data).decode("utf-8")
        value = json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_float=_refuse_float,
            parse_constant=_refuse_float,
        )
    except (UnicodeDecodeError, json.JSONDecodeError, _FloatFound, _DuplicateKey) as exc:
        raise RecordError(f"record: expected canonical JSON, got {exc}") from exc
    if not isinstance(value, dict):
        raise RecordError(f"record: expected a JSON object, got {type(value).__name__}")
    try:
        canonical = _encode(value, header=header)
    except TypeError as exc:
        raise RecordError(str(exc)) from exc
    if canonical != data:
        raise RecordError(
            f"record: expected canonical bytes {_preview(canonical)}, got {_preview(data)}"
        )
    return value


def _plain(value: object, path: str) -> Any:
    """Return ``value`` as plain JSON types, or raise ``TypeError`` naming its key path."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        _check_utf8(value, path)
        return str(value)
    if isinstance(value, int):
        if not _INT_MIN <= value <= _INT_MAX:
            raise TypeError(f"{path or 'record'}: expected a signed 64-bit int, got {value}")
        return int(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path or 'record'}: expected str keys, got {key!r}")
            _check_utf8(key, path)
            out[key] = _plain(item, f"{path}.{key}" if path else key)
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{path}[{i}]") for i, item in enumerate(value)]
    kind = type(value).__name__
    raise TypeError(f"{path or 'record'}: expected str, int, bool, None, list or dict, got {kind}")


def _check_utf8(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate has no UTF-8 form
        raise TypeError(f"{path or 'record'}: expected UTF-8 encodable text, got {text!r}") from exc


class _FloatFound(ValueError):
    pass


class _DuplicateKey(ValueError):
    pass


def _refuse_float(text: str) -> object:
    raise _FloatFound(f"a non-integer number {text}")


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(f"duplicate key {key!r}")
        out[key] = value
    return out


def _preview(data: bytes, limit: int = 80) -> str:
    text = bytes(data)[:limit].decode("utf-8", errors="replace")
    return repr(text) + ("..." if len(data) > limit else "")
