"""The log's signing keys: active private keys in one file, every public key in another.

`ledger.key` holds one C2SP private key line per active key. During a rotation it
holds the old and the new key, and every checkpoint carries both signatures; finishing
the rotation drops the old private key. `ledger.pub` keeps the verifier key of every
key ever used, so the audit and old receipts still verify after a rotation.

`ledger.key` is created 0600 and never exists with a wider mode for a moment; one that
group or others can read is refused at load (storage.private_files.ExposedSecret): a
copied log key can sign checkpoints of a forged history.
"""

from __future__ import annotations

import os
from pathlib import Path

from ledger.keys import Signer, Verifier
from storage.private_files import PRIVATE_FILE_MODE, check_private, create_private


def public_keys_path(key_path: Path) -> Path:
    return key_path.with_suffix(".pub")


def ensure_log_key(path: Path, origin: str) -> None:
    """Create the log's first key if there is none yet."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    signer = Signer.generate(origin)
    # O_EXCL: of two processes starting at once, one key is kept, not both appended.
    if create_private(path, signer.skey + "\n"):
        _publish(path, signer)


def start_rotation(path: Path, origin: str) -> Signer:
    """A new key that signs alongside the current ones from the next block on."""
    signer = Signer.generate(origin)
    _add(path, signer)
    return signer


def finish_rotation(path: Path, origin: str) -> Signer:
    """Keep only the newest key; the retired keys' verifier keys stay published."""
    newest = load_log_signers(path, origin)[-1]
    # O_TRUNC keeps the file's (private, checked above) mode.
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "w") as file:
        file.write(newest.skey + "\n")
    return newest


def load_log_signers(path: Path, origin: str) -> list[Signer]:
    if not path.exists():
        raise FileNotFoundError(f"no log key at {path}; run `farechain up` or `farechain seed`")
    check_private(path)
    signers = [Signer.parse(line) for line in path.read_text().splitlines() if line.strip()]
    for signer in signers:
        if signer.name != origin:
            raise ValueError(f"{path}: key named {signer.name!r}, expected the origin {origin!r}")
    if not signers:
        raise ValueError(f"{path} holds no key")
    return signers


def load_verifier_keys(path: Path) -> list[str]:
    """Verifier keys listed one per line (log keys or witness keys); none if no file."""
    if not path.exists():
        return []
    keys = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    for key in keys:
        Verifier.parse(key)  # fail at start-up, not at the first request
    return keys


def _add(path: Path, signer: Signer) -> None:
    if path.exists():
        check_private(path)  # never add a new key to a file others may have read
    # Created with its mode: open("a") then chmod would leave it 0644 for a moment.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "a") as file:
        file.write(signer.skey + "\n")
    _publish(path, signer)


def _publish(path: Path, signer: Signer) -> None:
    with public_keys_path(path).open("a") as file:
        file.write(signer.verifier.vkey + "\n")
