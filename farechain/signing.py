"""The log's signing keys, kept in a file of C2SP private key lines.

One line per key. During a key rotation the file holds the old and the new key and
every checkpoint carries both signatures; once the old key is retired its line is
removed, and receipts made before still verify with its (published) verifier key.
"""

from __future__ import annotations

from pathlib import Path

from ledger.keys import Signer


def ensure_log_key(path: Path, origin: str) -> None:
    """Create the log's first key if there is none yet."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(Signer.generate(origin).skey + "\n")
    path.chmod(0o600)


def add_log_key(path: Path, origin: str) -> Signer:
    """Start a rotation: a new key that signs alongside the current ones."""
    signer = Signer.generate(origin)
    with path.open("a") as file:
        file.write(signer.skey + "\n")
    return signer


def load_log_signers(path: Path, origin: str) -> list[Signer]:
    if not path.exists():
        raise FileNotFoundError(f"no log key at {path}; run `farechain up` or `farechain seed`")
    signers = [Signer.parse(line) for line in path.read_text().splitlines() if line.strip()]
    for signer in signers:
        if signer.name != origin:
            raise ValueError(f"{path}: key named {signer.name!r}, expected the origin {origin!r}")
    if not signers:
        raise ValueError(f"{path} holds no key")
    return signers
