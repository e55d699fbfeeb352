"""Signed notes and keys against the reference examples of golang.org/x/mod/sumdb/note
and c2sp.org/signed-note (Ed25519 is deterministic, so signatures must match byte for byte)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.exceptions import NoteError
from ledger.keys import KeyType, Signer, Verifier, key_id
from ledger.note import (
    NoteSignature,
    add_signatures,
    format_note,
    open_note,
    parse_note,
    parse_signature_line,
    sign_note,
)

PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"  # noqa: E501
PETER_LINE = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"  # noqa: E501
ENOCH_LINE = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"  # noqa: E501
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"  # noqa: E501


def test_private_key_yields_the_reference_verifier_key_and_key_id() -> None:
    signer = Signer.parse(PETER_SKEY)
    assert signer.key_id.hex() == "c74f20a3"
    assert signer.verifier.vkey == PETER_VKEY
    assert signer.skey == PETER_SKEY
    assert str(Verifier.parse(PETER_VKEY)) == PETER_VKEY
    assert "AYEK" not in repr(signer)


def test_signing_reproduces_the_reference_note() -> None:
    assert sign_note(TEXT, [Signer.parse(PETER_SKEY)]) == TEXT + "\n" + PETER_LINE


def test_reference_notes_open_with_their_keys() -> None:
    peter, enoch = Verifier.parse(PETER_VKEY), Verifier.parse(ENOCH_VKEY)
    opened = open_note(TEXT + "\n" + PETER_LINE + ENOCH_LINE, [enoch, peter])
    assert opened.text == TEXT
    assert opened.names == ["PeterNeumann", "EnochRoot"]
    assert open_note(SPEC_NOTE, [Verifier.parse(SPEC_VKEY)]).text == "This is an example message.\n"


def test_unknown_keys_are_ignored_but_one_known_signature_is_required() -> None:
    peter = Verifier.parse(PETER_VKEY)
    assert open_note(TEXT + "\n" + ENOCH_LINE + PETER_LINE, [peter]).names == ["PeterNeumann"]
    with pytest.raises(NoteError, match="expected a signature by one of"):
        open_note(TEXT + "\n" + ENOCH_LINE, [peter])
    # Same name, different key: unknown, not a failure.
    impostor = Signer.generate("PeterNeumann")
    note = sign_note(TEXT, [impostor])
    with pytest.raises(NoteError, match="expected a signature by one of"):
        open_note(note, [peter])


def test_a_failing_known_signature_rejects_the_note() -> None:
    tampered = TEXT.replace("answer", "answers") + "\n" + PETER_LINE + ENOCH_LINE
    with pytest.raises(NoteError, match="does not verify"):
        open_note(tampered, [Verifier.parse(PETER_VKEY), Verifier.parse(ENOCH_VKEY)])


@pytest.mark.parametrize(
    "note",
    [
        TEXT + PETER_LINE,  # no blank line
        TEXT + "\n" + PETER_LINE.rstrip("\n"),  # no final newline
        TEXT + "\n",  # no signatures
        TEXT + "\n" + PETER_LINE.replace("—", "-"),  # hyphen, not em dash
        TEXT + "\n" + PETER_LINE.replace(" x08go", "  x08go"),  # two spaces
        TEXT + "\n" + PETER_LINE.replace("AM=", "AN="),  # non-canonical base64
        TEXT.replace("problem,", "problem,\t") + "\n" + PETER_LINE,  # control character
        TEXT + "\n" + "— PeterNeumann AAAA\n",  # too short for key ID and signature
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(NoteError):
        open_note(note, [Verifier.parse(PETER_VKEY)])


def test_parse_and_format_round_trip() -> None:
    note = TEXT + "\n" + PETER_LINE + ENOCH_LINE
    parsed = parse_note(note.encode())
    assert parsed.text == TEXT
    assert [s.name for s in parsed.signatures] == ["PeterNeumann", "EnochRoot"]
    assert format_note(parsed.text, parsed.signatures) == note
    assert parse_signature_line(PETER_LINE).line == PETER_LINE


def test_add_signatures_appends_new_lines_only() -> None:
    enoch = parse_signature_line(ENOCH_LINE)
    note = add_signatures(TEXT + "\n" + PETER_LINE, [enoch, enoch])
    assert note == TEXT + "\n" + PETER_LINE + ENOCH_LINE
    assert add_signatures(note, [enoch]) == note


@pytest.mark.parametrize(
    "vkey",
    [
        PETER_VKEY.replace("c74f20a3", "c74f20a4"),  # wrong key ID
        PETER_VKEY.replace("+ARpc", "+BRpc"),  # unknown type byte
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann",
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteError):
        Verifier.parse(vkey)


def test_every_truncation_of_a_key_is_refused() -> None:
    for end in range(len(PETER_VKEY)):
        with pytest.raises(NoteError):
            Verifier.parse(PETER_VKEY[:end])
    for end in range(len(PETER_SKEY)):
        with pytest.raises(NoteError):
            Signer.parse(PETER_SKEY[:end])


def test_key_id_separates_signature_types() -> None:
    public = Signer.parse(PETER_SKEY).public_key
    assert key_id("PeterNeumann", KeyType.ED25519, public).hex() == "c74f20a3"
    assert key_id("PeterNeumann", KeyType.COSIGNATURE_V1, public).hex() != "c74f20a3"
    with pytest.raises(NoteError):
        key_id("has+plus", KeyType.ED25519, public)


def test_sign_note_refuses_cosigner_keys_and_bad_text() -> None:
    with pytest.raises(NoteError, match="cosign_note"):
        sign_note(TEXT, [Signer.generate("w.example", KeyType.COSIGNATURE_V1)])
    with pytest.raises(NoteError, match="final newline"):
        sign_note("no newline", [Signer.parse(PETER_SKEY)])
    with pytest.raises(NoteError, match="at least one signer"):
        sign_note(TEXT, [])


@given(st.text(st.characters(exclude_categories=("Cs", "Cc"))).map(lambda t: t + "\n"))
def test_generated_keys_sign_and_verify_any_text(text: str) -> None:
    signer = Signer.generate("example.com/log")
    verifier = Verifier.parse(signer.verifier.vkey)
    opened = open_note(sign_note(text, [signer]), [verifier])
    assert opened.text == text
    assert Signer.parse(signer.skey).public_key == signer.public_key


def test_signature_lines_carry_the_key_id() -> None:
    signer = Signer.parse(PETER_SKEY)
    parsed = parse_note(sign_note(TEXT, [signer]))
    assert parsed.signatures == (
        NoteSignature("PeterNeumann", signer.key_id, signer.sign(TEXT.encode())),
    )
