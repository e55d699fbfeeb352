"""Errors the ledger's pure code raises on data that is malformed or does not verify.

(HTTP-facing errors of the API live in ledger.errors.) Every class here is a
``ValueError``; messages say what was expected and what was found::

    VerificationError (ValueError)
    ├── RecordError       record bytes that are not a canonical ledger record
    ├── ProofError        a Merkle inclusion or consistency proof that does not verify
    ├── TreeError         a node a proof or root needs is missing, or a frontier is wrong
    ├── NoteError         a malformed signed note or key, or one without a valid signature
    ├── CheckpointError   a malformed checkpoint, or one lacking the log's signature or a quorum
    └── ReceiptError      a receipt that fails any check; the cause is chained (``from``)

Encoding a record with a value JSON cannot carry exactly (a float, a set, ...) is a
programming error and raises ``TypeError`` instead. Bad arguments from the caller
(a negative size, a quorum above the number of witness keys) raise plain ``ValueError``.
"""

from __future__ import annotations

__all__ = [
    "CheckpointError",
    "NoteError",
    "ProofError",
    "ReceiptError",
    "RecordError",
    "TreeError",
    "VerificationError",
]


class VerificationError(ValueError):
    """Data handed to the ledger's pure code is malformed or does not verify."""


class RecordError(VerificationError):
    """The bytes are not a canonical ledger record."""


class ProofError(VerificationError):
    """A Merkle proof does not prove what it claims."""


class TreeError(VerificationError):
    """The node store lacks a node that a proof or root needs, or a frontier is wrong."""


class NoteError(VerificationError):
    """A signed note or a key string is malformed, or no known key signed the note."""


class CheckpointError(VerificationError):
    """A checkpoint is malformed, unsigned by the log, or short of witness cosignatures."""


class ReceiptError(VerificationError):
    """A receipt failed verification; the message names the failed check."""
