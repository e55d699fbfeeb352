"""Where the API and the batcher find the stream MAC key: the environment, else var/."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from farechain.settings import Settings
from farechain.stream_key import stream_mac_key
from gates.stream import new_stream_key, parse_stream_key
from storage.private_files import ExposedSecret


def test_the_key_file_is_made_once_0600_and_shared(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    key = stream_mac_key(settings)
    assert len(key) == 32
    path = tmp_path / "var" / "keys" / "stream.key"
    assert settings.stream_key_path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stream_mac_key(Settings(var_dir=tmp_path / "var")) == key  # another process
    assert stream_mac_key(Settings(var_dir=tmp_path / "elsewhere")) != key


def test_the_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = new_stream_key()
    monkeypatch.setenv("FARECHAIN_GATES__STREAM_MAC_KEY", text)
    settings = Settings(var_dir=tmp_path)
    assert stream_mac_key(settings) == parse_stream_key(text)
    assert text not in repr(settings)  # a secret, not printed with the settings
    assert not (tmp_path / "keys" / "stream.key").exists()
    monkeypatch.setenv("FARECHAIN_GATES__STREAM_MAC_KEY", "dG9vLXNob3J0")  # 9 bytes
    with pytest.raises(ValueError, match=r"STREAM_MAC_KEY: .* at least 32 random bytes, got 9"):
        stream_mac_key(Settings(var_dir=tmp_path))


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    stream_mac_key(settings)
    settings.stream_key_path.chmod(0o644)
    with pytest.raises(ExposedSecret, match=r"stream\.key is open to other users"):
        stream_mac_key(settings)
    settings.stream_key_path.chmod(0o600)
    settings.stream_key_path.write_text("not base64!\n")
    with pytest.raises(ValueError, match=r"stream\.key: a stream key is base64url"):
        stream_mac_key(settings)
