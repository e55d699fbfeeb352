"""The issuer's keys on disk, under var/keys like the log's.

`ride-issuer.key` holds the active private key (a base64url Ed25519 seed, one line);
`ride-issuers.json` the published key set, retired keys included, in the shape of the
public endpoint. Rotation writes both, each with a rename, so a reader sees the old set
or the new, never half of one. API processes notice a new set within `_RECHECK_S`.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ridecodes.issuer import IssuerKey, IssuerSigner, KeySet
from ridecodes.verify import RideCodeVerifier
from ridecodes.wire import b64url, from_b64url

__all__ = [
    "VerifierSource",
    "ensure_issuer_key",
    "load_issuer_signer",
    "load_key_set",
    "rotate_issuer_key",
]

_RECHECK_S = 2.0


def ensure_issuer_key(
    key_path: Path, set_path: Path, *, now: int, seed: bytes | None = None
) -> None:
    """Create the first issuer key if there is none (`seed`: a fixed key, for tests)."""
    if key_path.exists():
        return
    signer = IssuerSigner.from_seed(seed) if seed is not None else IssuerSigner.generate()
    _install(
        key_path,
        set_path,
        signer,
        load_key_set(set_path).with_key(IssuerKey(signer.public_key, now)),
    )


def rotate_issuer_key(key_path: Path, set_path: Path, *, now: int, max_span_s: int) -> IssuerSigner:
    """A new key signs from now on; the old ones are retired and later dropped."""
    signer = IssuerSigner.generate()
    keys = load_key_set(set_path).with_key(IssuerKey(signer.public_key, now), retire_others_at=now)
    _install(key_path, set_path, signer, keys.pruned(now, max_span_s))
    return signer


def load_issuer_signer(key_path: Path) -> IssuerSigner:
    if not key_path.exists():
        raise FileNotFoundError(f"no ride-code issuer key at {key_path}; run `farechain up`")
    return IssuerSigner.from_seed(from_b64url(key_path.read_text().strip(), "issuer key"))


def load_key_set(set_path: Path) -> KeySet:
    """The published issuer keys; none if there is no file yet."""
    if not set_path.exists():
        return KeySet(())
    return KeySet.from_document(json.loads(set_path.read_text()))


def _install(key_path: Path, set_path: Path, signer: IssuerSigner, keys: KeySet) -> None:
    key_path.parent.mkdir(parents=True, exist_ok=True)
    seed = signer.seed()
    _replace(key_path, b64url(seed) + "\n", mode=0o600)
    _replace(set_path, json.dumps(keys.to_document(), indent=2) + "\n", mode=0o644)


def _replace(path: Path, text: str, *, mode: int) -> None:
    scratch = path.with_name(path.name + ".new")
    scratch.write_text(text)
    scratch.chmod(mode)
    os.replace(scratch, path)


class VerifierSource:
    """The gate's verifier for the current key set, rebuilt when the set's file changes."""

    def __init__(self, set_path: Path, *, window_s: int, max_span_s: int) -> None:
        self._path = set_path
        self._window_s = window_s
        self._max_span_s = max_span_s
        self._stamp: tuple[int, int] | None = None
        self._next_check = 0.0
        self._verifier = self._load()

    def __call__(self) -> RideCodeVerifier:
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + _RECHECK_S
            if self._mtime() != self._stamp:
                self._verifier = self._load()
        return self._verifier

    def _mtime(self) -> tuple[int, int] | None:
        # A rotation renames a new file in place: a new inode, whatever the clock's tick.
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def _load(self) -> RideCodeVerifier:
        self._stamp = self._mtime()
        return RideCodeVerifier(
            load_key_set(self._path), window_s=self._window_s, max_span_s=self._max_span_s
        )
