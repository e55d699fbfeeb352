"""The verifiable ledger: records, Merkle log, checkpoints, notes, receipts, witnesses.

The names below are the pure core: nothing they reach touches a database or the
network. The rest is imported by module: `store` (blocks, nodes and proofs in the
database), `api` (the public /v1/ledger routes), `audit` (`farechain verify`),
`witness` (the protocol a witness follows), `keyfiles` (the log's key files),
`commitment` (pure: the salted commitments to a record's personal fields) and
`openings` (the private table of their openings, and erasing a rider).
"""

from ledger.checkpoint import Checkpoint, VerifiedCheckpoint, sign_checkpoint, verify_checkpoint
from ledger.cosignature import cosign, cosignature_message, open_cosignature
from ledger.exceptions import (
    CheckpointError,
    NoteError,
    ProofError,
    ReceiptError,
    RecordError,
    TreeError,
    VerificationError,
)
from ledger.keys import KeyType, Signer, Verifier, key_id
from ledger.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from ledger.note import (
    NoteSignature,
    OpenedNote,
    VerifiedSignature,
    add_signatures,
    cosign_note,
    open_note,
    parse_note,
    parse_signature_line,
    sign_note,
)
from ledger.receipt import (
    Receipt,
    VerifiedReceipt,
    format_receipt,
    parse_receipt,
    verify_receipt,
)
from ledger.records import decode_record, encode_record
from ledger.tree import (
    AppendResult,
    NodeAddr,
    append,
    consistency_plan,
    consistency_proof,
    frontier_addresses,
    inclusion_plan,
    inclusion_proof,
    root_at,
)

__all__ = [
    "EMPTY_ROOT",
    "AppendResult",
    "Checkpoint",
    "CheckpointError",
    "KeyType",
    "NodeAddr",
    "NoteError",
    "NoteSignature",
    "OpenedNote",
    "ProofError",
    "Receipt",
    "ReceiptError",
    "RecordError",
    "Signer",
    "TreeError",
    "VerificationError",
    "VerifiedCheckpoint",
    "VerifiedReceipt",
    "VerifiedSignature",
    "Verifier",
    "add_signatures",
    "append",
    "consistency_plan",
    "consistency_proof",
    "cosign",
    "cosign_note",
    "cosignature_message",
    "decode_record",
    "encode_record",
    "format_receipt",
    "frontier_addresses",
    "inclusion_plan",
    "inclusion_proof",
    "key_id",
    "leaf_hash",
    "node_hash",
    "open_cosignature",
    "open_note",
    "parse_note",
    "parse_receipt",
    "parse_signature_line",
    "root_at",
    "root_of",
    "sign_checkpoint",
    "sign_note",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_receipt",
]
