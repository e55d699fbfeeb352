"""The witness process: `farechain witness`, one-shot or a long-running loop.

Each round it fetches the log's newest checkpoint over HTTP, lets ``ledger.witness``
decide, and when the decision is to cosign, saves its state file and then posts the
``cosignature/v1`` line (c2sp.org/tlog-cosignature) to the log. The state is saved
*before* posting: once the line may have reached the log, the witness must remember it
(see ``ledger.witness``). A post that fails is simply repeated next round, because the
log's checkpoint at that size still lacks our cosignature.

The log's API (``{base}/v1/ledger/...``)::

    GET  checkpoint                          200 text/plain signed note | 404 empty log
    GET  proofs/consistency?first=N&second=M 200 {"first", "second", "proof": [base64]}
    POST cosignatures {"tree_size", "signature_line"}      201 | 404/422 problem+json

Only the standard library speaks HTTP here, so a witness run by another party needs
nothing beyond this package. Exit codes: 0 done, 1 the log failed us (unreachable,
an error status, a malformed answer), 2 a checkpoint was refused, 3 the state file is
unreadable or cannot be written (the witness stops: it cannot decide safely).

A refused checkpoint that the log did sign (rollback, fork, rewritten history) is
proof of the log's misbehaviour that anyone can check with the log's public key, so
it is kept next to the state file in ``<state>.refused/``.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ledger._encoding import b64decode_strict
from ledger.keys import KeyType, Signer, Verifier
from ledger.witness import (
    Action,
    Decision,
    Refusal,
    WitnessRefusal,
    WitnessState,
    consistency_sizes,
    cosign_checkpoint,
    decide,
    log_origin,
    next_timestamp,
    open_log_checkpoint,
)
from storage.private_files import create_private

__all__ = [
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_STATE",
    "LogClient",
    "LogClientError",
    "WitnessStateError",
    "load_or_create_witness_key",
    "load_state",
    "run_witness",
    "save_state",
    "witness_round",
]

log = logging.getLogger("farechain.witness")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_REFUSED = 2
EXIT_STATE = 3

# A checkpoint note or a proof is a few KiB at most; never buffer a hostile log's flood.
_MAX_BODY_BYTES = 1 << 20
# Refusals that carry the log's own signature on a contradiction are worth keeping.
_EVIDENCE = {Refusal.ROLLBACK, Refusal.FORK, Refusal.INCONSISTENT}


class LogClientError(Exception):
    """The log could not be reached, or answered other than its API promises."""


class WitnessStateError(Exception):
    """The state file cannot be read or written; the witness must not guess."""


class LogClient:
    """The log's checkpoint, proof and cosignature endpoints over urllib."""

    def __init__(self, base_url: str, *, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def checkpoint(self) -> str | None:
        """The newest signed checkpoint note, or None while the log is empty."""
        status, body = self._request("GET", "/v1/ledger/checkpoint")
        if status == 404:
            return None
        self._expect(200, status, body, "checkpoint")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LogClientError(f"checkpoint: expected UTF-8 text, got {exc}") from exc

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        query = urllib.parse.urlencode({"first": first, "second": second})
        status, body = self._request("GET", f"/v1/ledger/proofs/consistency?{query}")
        self._expect(200, status, body, f"consistency proof {first} -> {second}")
        data = _json_object(body, "consistency proof")
        if data.get("first") != first or data.get("second") != second:
            raise LogClientError(
                f"consistency proof: expected sizes {first} -> {second}, "
                f"got {data.get('first')!r} -> {data.get('second')!r}"
            )
        hashes = data.get("proof")
        if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
            raise LogClientError(f"consistency proof: expected a list of base64, got {hashes!r}")
        try:
            return [b64decode_strict(h, f"proof[{i}]") for i, h in enumerate(hashes)]
        except ValueError as exc:
            raise LogClientError(f"consistency proof: {exc}") from exc

    def post_cosignature(self, tree_size: int, signature_line: str) -> None:
        payload = {"tree_size": tree_size, "signature_line": signature_line}
        status, body = self._request("POST", "/v1/ledger/cosignatures", payload)
        self._expect(201, status, body, f"cosignature for size {tree_size}")

    def _request(
        self, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> tuple[int, bytes]:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return response.status, _read_capped(response)
        except urllib.error.HTTPError as exc:  # an answer, only not a 2xx one
            with exc:
                return exc.code, _read_capped(exc)
        except (OSError, http.client.HTTPException) as exc:  # refused, DNS, timeout, garbage
            raise LogClientError(f"{method} {self.base_url}{path}: {exc}") from exc

    @staticmethod
    def _expect(wanted: int, status: int, body: bytes, what: str) -> None:
        if status == wanted:
            return
        detail = _problem_detail(body)
        raise LogClientError(f"{what}: expected HTTP {wanted}, got {status}: {detail[:500]}")


def load_or_create_witness_key(path: Path, name: str) -> Signer:
    """The witness's cosigning key (type 0x04) from ``path``, created on first use (0600)."""
    if not path.exists():
        signer = Signer.generate(name, KeyType.COSIGNATURE_V1)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Never overwrites a key another process wrote a moment ago: that one is read below.
        if create_private(path, signer.skey + "\n"):
            log.info("created witness key %s in %s", signer.verifier.vkey, path)
            return signer
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if len(lines) != 1:
        raise ValueError(f"{path}: expected one private key line, got {len(lines)}")
    signer = Signer.parse(lines[0])
    if signer.name != name:
        raise ValueError(f"{path}: expected a key named {name!r}, got {signer.name!r}")
    if signer.key_type != KeyType.COSIGNATURE_V1:
        raise ValueError(f"{path}: expected a cosigner key (type 0x04), got {signer.key_type!r}")
    if path.stat().st_mode & 0o077:
        log.warning("%s is readable by others; chmod 600 it", path)
    return signer


def load_state(path: Path) -> WitnessState | None:
    """The saved state, or None before the first cosignature (trust on first use)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise WitnessStateError(f"{path}: {exc}") from exc
    try:
        return WitnessState.from_json(text)
    except ValueError as exc:
        raise WitnessStateError(f"{path}: {exc}") from exc


def save_state(path: Path, state: WitnessState) -> None:
    """Replace the state file atomically: a crash leaves the old state or the new one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as file:
                file.write(state.to_json())
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)
    except OSError as exc:
        raise WitnessStateError(f"{path}: cannot save the state: {exc}") from exc


def witness_round(
    client: LogClient,
    signer: Signer,
    log_keys: Sequence[Verifier],
    state_path: Path,
    *,
    now_s: Callable[[], int] = lambda: int(time.time()),
) -> Decision | None:
    """Check the newest checkpoint and cosign it if it deserves it; None on an empty log.

    Raises ``WitnessRefusal``, ``LogClientError`` or ``WitnessStateError``.
    """
    note = client.checkpoint()
    if note is None:
        log.info("the log is empty: nothing to witness yet")
        return None
    seen = open_log_checkpoint(note, log_keys, signer.verifier)
    state = load_state(state_path)
    sizes = consistency_sizes(state, seen)
    proof = client.consistency_proof(*sizes) if sizes is not None else []
    try:
        decision = decide(state, seen, proof)
    except WitnessRefusal as refusal:
        if refusal.kind in _EVIDENCE:
            _keep_evidence(state_path, refusal, seen.note)
        raise
    if decision.action is Action.COSIGN:
        cosigned = cosign_checkpoint(seen, signer, next_timestamp(state, now_s()))
        save_state(state_path, cosigned.state)
        client.post_cosignature(seen.checkpoint.size, cosigned.signature.line)
        log.info("cosigned %s: %s", seen.checkpoint.origin, decision.reason)
    else:
        log.info("nothing new: %s", decision.reason)
    return decision


def run_witness(
    base_url: str,
    signer: Signer,
    log_verifiers: Sequence[Verifier],
    state_path: Path,
    *,
    once: bool,
    interval_s: float,
    stop: threading.Event | None = None,
    timeout_s: float = 10.0,
) -> int:
    """Witness the log at ``base_url``: one round, or rounds until ``stop`` is set.

    Returns the exit code (see the module docstring). A loop keeps running after a
    refusal or a network error, cosigning nothing it refused; it returns 2 at the end
    if it refused anything, and stops at once with 3 on a state file it cannot use.
    """
    if signer.key_type != KeyType.COSIGNATURE_V1:
        raise ValueError(f"witness key: expected type 0x04 (cosignature/v1), got {signer!r}")
    origin = log_origin(log_verifiers)
    client = LogClient(base_url, timeout_s=timeout_s)
    stop = stop if stop is not None else threading.Event()
    log.info("witness %s watching %s at %s", signer.verifier.vkey, origin, client.base_url)
    refused_any = False
    last_refusal = ""
    while True:
        try:
            witness_round(client, signer, log_verifiers, state_path)
            status = EXIT_OK
        except WitnessRefusal as refusal:
            refused_any = True
            status = EXIT_REFUSED
            if str(refusal) != last_refusal:
                log.critical("%s; nothing was cosigned", refusal)
            else:
                log.error("still refusing: %s", refusal)
            last_refusal = str(refusal)
        except LogClientError as exc:
            status = EXIT_ERROR
            log.error("log unavailable: %s", exc)
        except WitnessStateError as exc:
            log.critical("witness state unusable, stopping: %s", exc)
            return EXIT_STATE
        if once:
            return status
        if stop.wait(interval_s):
            return EXIT_REFUSED if refused_any else EXIT_OK


def _keep_evidence(state_path: Path, refusal: WitnessRefusal, note: str) -> None:
    folder = state_path.parent / f"{state_path.name}.refused"
    digest = hashlib.sha256(note.encode()).hexdigest()[:16]
    target = folder / f"{refusal.kind}-{digest}.note"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target.write_text(note)
    except OSError as exc:  # the refusal matters more than its copy
        log.error("could not keep the refused checkpoint in %s: %s", target, exc)
        return
    log.critical("the refused checkpoint, signed by the log, is kept in %s", target)


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise LogClientError(f"{what}: expected JSON, got {exc}") from exc
    if not isinstance(data, dict):
        raise LogClientError(f"{what}: expected a JSON object, got {type(data).__name__}")
    return data


def _problem_detail(body: bytes) -> str:
    """The ``detail`` of a problem+json body (RFC 9457), else the body as text."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and "detail" in data:
        return str(data["detail"])
    return body.decode("utf-8", "replace")


def _read_capped(response: Any) -> bytes:
    body: bytes = response.read(_MAX_BODY_BYTES + 1)
    if len(body) > _MAX_BODY_BYTES:
        raise LogClientError(f"expected a response under {_MAX_BODY_BYTES} bytes, got more")
    return body


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the directory entry is; POSIX needs this fsync.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
