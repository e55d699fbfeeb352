"""The gate's offline check: every refusal by name, rotation, and bit flips."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ridecodes.errors import (
    CertificateExpired,
    RetiredIssuerKey,
    RideCodeError,
    RideCodeForged,
    RideCodeMalformed,
    RideCodeOutOfWindow,
    UnknownIssuerKey,
)
from ridecodes.issuer import IssuerKey, IssuerSigner, KeySet
from ridecodes.wire import Category, b64url
from tests.ridecodes.codes import (
    AT,
    MAX_SPAN_S,
    NONCE,
    SERIAL,
    VALID_FROM,
    VALID_UNTIL,
    WINDOW_S,
    code,
    issuer,
    key_set,
    phone,
    verifier,
)

_VERIFIER = verifier()


def test_a_valid_code_gives_the_rider_category_serial_and_nonce() -> None:
    verified = _VERIFIER.verify(code(), at=AT)
    assert (verified.rider, verified.category, verified.serial, verified.nonce) == (
        "r0000001",
        Category.STUDENT,
        SERIAL,
        NONCE,
    )
    assert (verified.timestamp, verified.valid_until) == (AT, VALID_UNTIL)
    assert _VERIFIER.verify_text(b64url(code()), at=AT) == verified


def test_the_second_code_of_a_phone_is_checked_as_fully_as_the_first() -> None:
    device, check = phone(), verifier()
    check.verify(device.code(AT), at=AT)
    forged = bytearray(device.code(AT + 1))
    forged[-1] ^= 1  # its certificate is remembered; its phone signature is not
    with pytest.raises(RideCodeForged, match="phone"):
        check.verify(bytes(forged), at=AT + 1)


@given(bit=st.integers(min_value=0, max_value=203 * 8 - 1))
def test_any_single_bit_flip_is_refused(bit: int) -> None:
    flipped = bytearray(code())
    flipped[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(RideCodeError):
        _VERIFIER.verify(bytes(flipped), at=AT)


@given(position=st.integers(min_value=0, max_value=270), char=st.sampled_from("AQgw_-9z"))
def test_any_changed_character_of_the_text_is_refused(position: int, char: str) -> None:
    text = b64url(code())
    changed = text[:position] + char + text[position + 1 :]
    if changed != text:
        with pytest.raises(RideCodeError):
            _VERIFIER.verify_text(changed, at=AT)


@pytest.mark.parametrize("cut", [0, 100, 126, 127, 128, 202])
def test_a_truncated_code_is_malformed(cut: int) -> None:
    with pytest.raises(RideCodeMalformed):
        _VERIFIER.verify(code()[:cut], at=AT)


def test_a_certificate_signed_by_another_key_under_our_key_id_is_forged() -> None:
    impostor = IssuerSigner.generate()
    impostor.key_id = issuer().key_id  # claims to be the issuer
    with pytest.raises(RideCodeForged, match="issuer"):
        verifier().verify(phone(signer=impostor).code(AT), at=AT)


def test_another_riders_certificate_with_my_phone_signature_is_forged() -> None:
    theirs = phone("r0000002", seed=bytes(32))
    mine = phone("r0000001")
    # My phone signs over their certificate: their phone key does not match my key.
    mine.certificate = theirs.certificate
    with pytest.raises(RideCodeForged, match="phone"):
        verifier().verify(mine.code(AT), at=AT)


def test_an_unknown_issuer_key_is_named() -> None:
    stranger = IssuerSigner.generate()
    with pytest.raises(UnknownIssuerKey, match=stranger.key_id.hex()):
        verifier().verify(phone(signer=stranger).code(AT), at=AT)


@pytest.mark.parametrize("at", [VALID_FROM - 1, VALID_UNTIL, VALID_UNTIL + 86_400])
def test_outside_the_certificates_validity_is_expired(at: int) -> None:
    with pytest.raises(CertificateExpired, match="valid from"):
        verifier().verify(phone().code(at), at=at)


@pytest.mark.parametrize(
    ("made", "words"),
    [(AT - WINDOW_S - 1, "before the scan"), (AT + WINDOW_S + 1, "ahead of the scan")],
)
def test_a_clock_off_by_more_than_the_window_is_refused(made: int, words: str) -> None:
    with pytest.raises(RideCodeOutOfWindow, match=words):
        verifier().verify(phone().code(made), at=AT)


@pytest.mark.parametrize("made", [AT - WINDOW_S, AT + WINDOW_S])
def test_the_window_edges_are_accepted(made: int) -> None:
    assert verifier().verify(phone().code(made), at=AT).timestamp == made


def test_rotation_keeps_old_certificates_until_they_expire() -> None:
    old, new = issuer(), IssuerSigner.generate()
    rotated_at = VALID_FROM + 600
    keys = key_set(old).with_key(IssuerKey(new.public_key, rotated_at), retire_others_at=rotated_at)
    check = verifier(keys)
    assert check.verify(phone(signer=old).code(AT), at=AT).rider == "r0000001"
    later = phone(signer=new, valid_from=rotated_at + 1)
    assert check.verify(later.code(AT), at=AT).rider == "r0000001"
    # A certificate the retired key claims to have made after its retirement.
    minted = phone(signer=old, valid_from=rotated_at)
    with pytest.raises(RetiredIssuerKey, match="retired"):
        check.verify(minted.code(AT), at=AT)


def test_a_retired_key_leaves_the_set_once_its_certificates_have_expired() -> None:
    retired = IssuerKey(issuer().public_key, created_at=0, retired_at=VALID_FROM)
    current = IssuerKey(IssuerSigner.generate().public_key, created_at=VALID_FROM)
    keys = KeySet((retired, current))
    assert keys.pruned(VALID_FROM + 10, max_validity_s=30) == keys
    assert keys.pruned(VALID_FROM + 30, max_validity_s=30) == KeySet((current,))
    with pytest.raises(UnknownIssuerKey):
        verifier(keys.pruned(VALID_FROM + 30, max_validity_s=30)).verify(code(), at=AT)


def test_retire_keeps_the_first_retirement() -> None:
    key = IssuerKey(b"k" * 32, created_at=1)
    assert key.retire(5).retire(9).retired_at == 5
    assert replace(key, retired_at=None).retired_at is None


def test_a_certificate_cannot_name_a_bad_rider_or_key() -> None:
    with pytest.raises(ValueError, match="rider id"):
        phone("r 1")
    with pytest.raises(ValueError, match="rider id"):
        phone("r" * 33)


def test_a_certificate_longer_than_the_issuer_grants_is_refused() -> None:
    long = phone(valid_until=VALID_FROM + MAX_SPAN_S + 1)
    with pytest.raises(CertificateExpired, match="spans"):
        verifier().verify(long.code(AT), at=AT)


def test_the_published_key_set_round_trips_and_is_checked() -> None:
    keys = key_set(issuer()).with_key(IssuerKey(b"n" * 32, VALID_FROM), retire_others_at=AT)
    document = keys.to_document()
    assert document["keys"][0]["retired_at"] == "2026-09-21T15:13:20Z"
    assert KeySet.from_document(document) == keys
    document["keys"][1]["key_id"] = "00000000"
    with pytest.raises(RideCodeMalformed, match="key id"):
        KeySet.from_document(document)
