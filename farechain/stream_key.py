"""The stream MAC key for the processes that write and read the trip-end stream.

The API processes seal each tap with it and the batcher checks every entry
(gates/stream.py), so all of them must read the same key: from
FARECHAIN_GATES__STREAM_MAC_KEY when set (several machines), else from the 0600 file
`<var_dir>/keys/stream.key`, made on first use and refused if others can read it.
"""

from __future__ import annotations

from farechain.settings import Settings
from gates.stream import new_stream_key, parse_stream_key
from storage.private_files import load_or_create_secret


def stream_mac_key(settings: Settings) -> bytes:
    configured = settings.gates.stream_mac_key
    if configured is not None:
        try:
            return parse_stream_key(configured.get_secret_value())
        except ValueError as error:
            raise ValueError(f"FARECHAIN_GATES__STREAM_MAC_KEY: {error}") from error
    path = settings.stream_key_path
    try:
        return parse_stream_key(load_or_create_secret(path, new_stream_key))
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error
