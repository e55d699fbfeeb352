"""Canonical record encoding: known bytes, refusals, and decode(encode(x)) round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.exceptions import RecordError
from ledger.records import decode_record, encode_record, encode_reference


def test_known_encoding_sorts_keys_and_keeps_utf8() -> None:
    record = {"v": 1, "type": "trip", "fare_fen": 400, "station": "深圳北站", "ok": True, "x": None}
    expected = '{"fare_fen":400,"ok":true,"station":"深圳北站","type":"trip","v":1,"x":null}'
    assert encode_record(record) == expected.encode("utf-8")


def test_nested_values_are_sorted_at_every_depth() -> None:
    record = {"type": "t", "v": 2, "legs": [{"b": 1, "a": [3, 2]}, []], "m": {"z": "", "a": -5}}
    assert (
        encode_record(record)
        == b'{"legs":[{"a":[3,2],"b":1},[]],"m":{"a":-5,"z":""},"type":"t","v":2}'
    )


def test_escapes_are_the_minimal_json_ones() -> None:
    record = {"type": "t", "v": 1, "s": 'a"b\\c\n\u0001é'}
    assert encode_record(record) == b'{"s":"a\\"b\\\\c\\n\\u0001\xc3\xa9","type":"t","v":1}'


def test_a_float_is_refused_naming_its_key() -> None:
    with pytest.raises(TypeError, match=r"legs\[1\]\.km"):
        encode_record({"type": "trip", "v": 1, "legs": [{"km": 1}, {"km": 4.5}]})


@pytest.mark.parametrize(
    ("value", "kind"),
    [({1, 2}, "set"), (b"raw", "bytes"), (object(), "object"), (2**63, "64-bit")],
)
def test_non_json_values_are_refused(value: object, kind: str) -> None:
    with pytest.raises(TypeError, match=kind):
        encode_record({"type": "t", "v": 1, "field": value})


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, {"b": 0.5}]},  # a float deep inside
        [[2**63]],  # an int past the signed 64-bit range, nested
        ({"x": -(2**63) - 1},),  # ... and below it, inside a tuple
    ],
)
def test_values_deep_inside_are_checked_too(value: object) -> None:
    with pytest.raises(TypeError):
        encode_record({"type": "t", "v": 1, "field": value})


class _Text(str):
    pass


def test_a_subclass_deep_inside_takes_the_reference_path() -> None:
    record = {"type": "t", "v": 1, "field": {"k": [True, None, _Text("sub"), (1,)]}}
    assert encode_record(record) == b'{"field":{"k":[true,null,"sub",[1]]},"type":"t","v":1}'


def test_non_string_keys_and_lone_surrogates_are_refused() -> None:
    with pytest.raises(TypeError, match="str keys"):
        encode_record({"type": "t", "v": 1, "m": {1: "a"}})
    with pytest.raises(TypeError, match="name"):
        encode_record({"type": "t", "v": 1, "name": "\ud800"})


@pytest.mark.parametrize(
    "fields",
    [{"v": 1}, {"type": "", "v": 1}, {"type": 3, "v": 1}, {"type": "t"}, {"type": "t", "v": "1"}],
)
def test_type_and_version_are_required(fields: dict[str, object]) -> None:
    with pytest.raises(RecordError):
        encode_record(fields)


def test_bool_is_not_a_version() -> None:
    with pytest.raises(RecordError, match="'v'"):
        encode_record({"type": "t", "v": True})


@pytest.mark.parametrize(
    "data",
    [
        b'{"v":1,"type":"t"}',  # keys out of order
        b'{"type": "t","v":1}',  # whitespace
        b'{"type":"t","v":1}\n',  # trailing newline
        b'{"type":"\\u0074","v":1}',  # needless escape
        b'{"s":"\\u00e9","type":"t","v":1}',  # non-ASCII escaped instead of UTF-8
        b'{"type":"t","v":1.0}',  # float
        b'{"type":"t","v":1e0}',  # exponent
        b'{"n":-0,"type":"t","v":1}',  # negative zero
        b'{"n":NaN,"type":"t","v":1}',
        b'{"type":"t","type":"t","v":1}',  # duplicate key
        b'["type","t"]',  # not an object
        b'{"type":"t","v":1',  # truncated
        b'\xff{"type":"t","v":1}',  # not UTF-8
    ],
)
def test_decode_rejects_non_canonical_bytes(data: bytes) -> None:
    with pytest.raises(RecordError):
        decode_record(data)


def test_decode_returns_the_fields() -> None:
    data = '{"fare_fen":200,"station":"福田","type":"trip","v":1}'.encode()
    assert decode_record(data) == {"fare_fen": 200, "station": "福田", "type": "trip", "v": 1}


_scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text()
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
_records = st.dictionaries(st.text(), _values, max_size=6).map(
    lambda d: {**d, "type": "trip", "v": 1}
)


@given(_records)
def test_the_fast_encoder_writes_the_reference_bytes(fields: dict[str, object]) -> None:
    assert encode_record(fields) == encode_reference(fields)


@given(_records)
def test_decode_inverts_encode(fields: dict[str, object]) -> None:
    data = encode_record(fields)
    assert decode_record(data) == fields
    assert encode_record(decode_record(data)) == data


@given(_records, st.data())
def test_any_single_byte_change_is_refused_or_changes_the_record(
    fields: dict[str, object], data: st.DataObject
) -> None:
    original = encode_record(fields)
    position = data.draw(st.integers(0, len(original) - 1))
    bit = data.draw(st.integers(0, 7))
    mutated = bytearray(original)
    mutated[position] ^= 1 << bit
    try:
        decoded = decode_record(bytes(mutated))
    except RecordError:
        return
    # Still canonical: then it must be a different record, never a second spelling.
    assert decoded != fields
