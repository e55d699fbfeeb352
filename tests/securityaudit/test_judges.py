"""The verdicts on answers, file modes and public records, on known inputs."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from securityaudit.http import Answer
from securityaudit.judges import (
    clear_personal_data,
    must_be_refused,
    must_carry_allow,
    private_mode,
)
from securityaudit.tamper import flip_one_byte

PROBLEM = {"content-type": "application/problem+json"}


def test_a_bad_input_holds_only_as_a_4xx_problem() -> None:
    assert must_be_refused(Answer(422, PROBLEM, b"{}"), why="x") is None
    assert must_be_refused(Answer(500, PROBLEM, b"{}"), why="huge id") == (
        "huge id: expected a 4xx problem, got 500 {}"
    )
    assert must_be_refused(Answer(202, {}, b"ok"), why="text/plain").startswith(  # type: ignore[union-attr]
        "text/plain: expected a 4xx problem, got 202"
    )
    assert must_be_refused(Answer(422, {"content-type": "application/json"}, b""), why="x") == (
        "x: expected application/problem+json, got 422 application/json"
    )
    assert must_be_refused(Answer(0, {}, b"refused"), why="x") is not None


def test_a_405_must_say_what_is_allowed() -> None:
    assert must_carry_allow(Answer(405, {"allow": "GET"}, b""), why="PUT /v1/me") is None
    assert must_carry_allow(Answer(405, {}, b""), why="PUT /v1/me") == (
        "PUT /v1/me: expected an Allow header on the 405, got none"
    )
    assert must_carry_allow(Answer(404, {}, b""), why="x") is not None


def test_state_files_must_be_private_to_the_user(tmp_path: Path) -> None:
    secret = tmp_path / "ledger.key"
    secret.write_text("k")
    os.chmod(secret, 0o644)
    assert private_mode("ledger.key", secret.stat().st_mode, directory=False) == (
        "ledger.key: expected mode 0600, got 0644"
    )
    os.chmod(secret, 0o600)
    assert private_mode("ledger.key", secret.stat().st_mode, directory=False) is None
    os.chmod(tmp_path, 0o755)
    assert private_mode("var", tmp_path.stat().st_mode, directory=True) == (
        "var: expected mode 0700, got 0755"
    )
    os.chmod(tmp_path, 0o700)
    assert private_mode("var", tmp_path.stat().st_mode, directory=True) is None


def test_a_public_record_leaks_the_rider_ids_and_names_it_contains() -> None:
    body = '{"buyer":{"kind":"individual","name":"张三丰"},"rider":"r0000005"}'
    assert clear_personal_data(body, ["r0000005", "r0000006", "张三丰"]) == ["r0000005", "张三丰"]
    assert clear_personal_data('{"rider":"9f2c…"}', ["r0000005", ""]) == []


@given(st.one_of(st.integers(), st.binary(), st.text()))
def test_a_flipped_value_differs_and_keeps_its_type(value: int | bytes | str) -> None:
    flipped = flip_one_byte(value)
    assert flipped != value
    assert type(flipped) is type(value)


def test_a_flip_keeps_json_and_hex_well_formed() -> None:
    assert flip_one_byte('{"fare_fen":700}') == '{"fare_fen":701}'
    assert flip_one_byte("ab9") == "ab8"
    assert flip_one_byte(b"\x00\x00") == b"\x00\x01"
