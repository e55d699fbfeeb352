"""The log's key file: private from the first byte, refused when others can read it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ledger import keyfiles
from storage.private_files import ExposedSecret

ORIGIN = "farechain.example/ledger"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_log_key_is_created_0600_even_under_a_permissive_umask(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "ledger.key"
    old = os.umask(0o022)
    try:
        keyfiles.ensure_log_key(path, ORIGIN)
        keyfiles.start_rotation(path, ORIGIN)
        assert _mode(path) == 0o600
        keyfiles.finish_rotation(path, ORIGIN)
    finally:
        os.umask(old)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert len(keyfiles.load_log_signers(path, ORIGIN)) == 1
    assert len(keyfiles.load_verifier_keys(keyfiles.public_keys_path(path))) == 2


def test_a_second_ensure_keeps_the_first_key(tmp_path: Path) -> None:
    path = tmp_path / "ledger.key"
    keyfiles.ensure_log_key(path, ORIGIN)
    first = path.read_text()
    keyfiles.ensure_log_key(path, ORIGIN)
    assert path.read_text() == first


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620])
def test_a_log_key_open_to_others_is_refused_with_what_to_do(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "ledger.key"
    keyfiles.ensure_log_key(path, ORIGIN)
    path.chmod(mode)
    exposed = rf"ledger\.key is open to other users \(mode 0{mode:o}"
    with pytest.raises(ExposedSecret, match=exposed):
        keyfiles.load_log_signers(path, ORIGIN)
    with pytest.raises(ExposedSecret, match="chmod 600"):
        keyfiles.start_rotation(path, ORIGIN)
    assert len(path.read_text().splitlines()) == 1  # nothing added to an exposed file
    path.chmod(0o600)
    assert len(keyfiles.load_log_signers(path, ORIGIN)) == 1
