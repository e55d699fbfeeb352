// Verify a receipt (c2sp.org/tlog-proof@v1) in the browser, with public keys only.
// Mirrors ledger/receipt.py, ledger/note.py, ledger/checkpoint.py, ledger/cosignature.py:
//   leaf = SHA-256(0x00 || record), node = SHA-256(0x01 || left || right)  (RFC 6962)
//   inclusion proof checked by RFC 9162 section 2.1.3.2
//   checkpoint = signed note; the log signs its text (Ed25519, key type 0x01), the
//   witness signs "cosignature/v1\ntime <t>\n" + text (key type 0x04, 8-byte time first)
//   key ID = SHA-256(name || 0x0A || type || public key)[:4]
//   personal = hex SHA-256("farechain/personal-fields/v1" || 0x00 || salt || fields)
//   (ledger/commitment.py): an owner's receipt opens it with an `opening` line
// Every check returns a step {ok, key, vars} that the page says in plain words.

import { b64decode, concat, equalBytes, hex, utf8 } from "./b64.js";

const HEADER = "c2sp.org/tlog-proof@v1";
const PERSONAL_DOMAIN = utf8("farechain/personal-fields/v1\0");
const SALT_SIZE = 16;
const EM_DASH = "\u2014";
const subtle = () => globalThis.crypto.subtle;

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest("SHA-256", bytes));
}

export const leafHash = (record) => sha256(concat(new Uint8Array([0]), record));
const nodeHash = (left, right) => sha256(concat(new Uint8Array([1]), left, right));

// RFC 9162 2.1.3.2 over BigInt indexes (bit operations on Numbers stop at 2^31).
export async function rootFromInclusion(leaf, index, size, proof) {
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  if (fn < 0n || fn > sn) throw new Error(`index ${index} is not below the tree size ${size}`);
  if (leaf.length !== 32 || proof.some((p) => p.length !== 32)) {
    throw new Error("expected 32-byte hashes");
  }
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new Error("the proof is longer than the tree needs");
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new Error("the proof is shorter than the tree needs");
  return r;
}

export function parseReceipt(text) {
  const lines = text.split("\n");
  if (lines[0] !== HEADER) throw new Error(`expected the first line ${HEADER}`);
  let pos = 1;
  let extra = null;
  if (lines[pos]?.startsWith("extra ")) extra = b64decode(lines[pos++].slice(6), "extra");
  let opening = null;
  if (extra !== null && lines[pos]?.startsWith("opening ")) {
    opening = b64decode(lines[pos++].slice(8), "opening");
  }
  if (!lines[pos]?.startsWith("index ")) throw new Error("expected an 'index N' line");
  const indexText = lines[pos++].slice(6);
  if (!/^(0|[1-9][0-9]*)$/.test(indexText)) throw new Error("index: expected a decimal number");
  const proof = [];
  while (pos < lines.length && lines[pos] !== "") {
    const item = b64decode(lines[pos++], `proof[${proof.length}]`);
    if (item.length !== 32) throw new Error(`proof[${proof.length}]: expected 32 bytes`);
    proof.push(item);
  }
  if (pos >= lines.length - 1) throw new Error("expected a blank line and a checkpoint");
  const checkpoint = lines.slice(pos + 1).join("\n");
  return { extra, opening, index: BigInt(indexText), proof, checkpoint };
}

export function parseNote(note) {
  if (!note.endsWith("\n")) throw new Error("checkpoint: expected a final newline");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new Error("checkpoint: expected a blank line before the signatures");
  const text = note.slice(0, split + 1);
  const signatures = note
    .slice(split + 2, -1)
    .split("\n")
    .map((line) => {
      const parts = line.split(" ");
      if (parts.length !== 3 || parts[0] !== EM_DASH) throw new Error(`bad signature line ${line}`);
      const raw = b64decode(parts[2], `signature by ${parts[1]}`);
      return { name: parts[1], keyId: raw.slice(0, 4), signature: raw.slice(4) };
    });
  return { text, signatures };
}

// A verifier key "name+hexid+base64(type || 32-byte key)", its key ID checked.
export async function parseVerifierKey(vkey) {
  const first = vkey.indexOf("+");
  const second = vkey.indexOf("+", first + 1);
  if (first < 1 || second < 0) throw new Error(`expected name+keyid+key, got ${vkey}`);
  const name = vkey.slice(0, first);
  const declared = vkey.slice(first + 1, second);
  const material = b64decode(vkey.slice(second + 1), "verifier key");
  if (material.length !== 33) throw new Error(`${name}: expected a 33-byte key`);
  const type = material[0];
  const publicKey = material.slice(1);
  const keyId = (await sha256(concat(utf8(name + "\n"), material))).slice(0, 4);
  if (hex(keyId) !== declared.toLowerCase()) throw new Error(`${name}: key ID does not match`);
  const key = await subtle().importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  return { name, type, keyId, key, vkey };
}

const ed25519Verify = (key, signature, message) =>
  subtle().verify({ name: "Ed25519" }, key, signature, message);

function parseCheckpoint(text) {
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) throw new Error("checkpoint: expected origin, size and root lines");
  if (!/^(0|[1-9][0-9]*)$/.test(lines[1])) throw new Error("checkpoint size: expected a number");
  return { origin: lines[0], size: BigInt(lines[1]), root: b64decode(lines[2], "root") };
}

// The canonical record form of ledger/records.py: sorted keys, no spaces, UTF-8.
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

// The record completed by its opening (salt || canonical personal fields), after checking
// the opening hashes to the record's `personal` commitment; throws on a mismatch.
export async function openRecord(record, opening) {
  if (typeof record.personal !== "string") throw new Error("the record has no commitment");
  if (opening.length <= SALT_SIZE) throw new Error("the opening is too short");
  const salt = opening.slice(0, SALT_SIZE);
  const personalBytes = opening.slice(SALT_SIZE);
  const personalText = new TextDecoder("utf-8", { fatal: true }).decode(personalBytes);
  const personal = JSON.parse(personalText);
  if (personal === null || typeof personal !== "object" || Array.isArray(personal)) {
    throw new Error("the opening does not hold an object");
  }
  if (canonical(personal) !== personalText) throw new Error("the opening is not canonical");
  const digest = hex(await sha256(concat(PERSONAL_DOMAIN, salt, personalBytes)));
  if (digest !== record.personal) throw new Error("the opening does not match the commitment");
  const whole = { ...record };
  delete whole.personal;
  for (const [key, value] of Object.entries(personal)) {
    const inner = whole[key];
    const bothObjects = [inner, value].every((v) => v && typeof v === "object" && !Array.isArray(v));
    whole[key] = bothObjects ? { ...inner, ...value } : value;
  }
  return whole;
}

// Check a receipt against the log's keys and the witnesses' keys (verifier key strings).
// Returns {ok, record, steps}; each step is {ok, key, vars} for the page to put in words.
export async function verifyReceipt(text, { logKeys, witnessKeys }) {
  const steps = [];
  const fail = (key, vars = {}) => {
    steps.push({ ok: false, key, vars });
    return { ok: false, record: null, steps };
  };
  let receipt;
  let note;
  let checkpoint;
  try {
    receipt = parseReceipt(text);
    note = parseNote(receipt.checkpoint);
    checkpoint = parseCheckpoint(note.text);
  } catch (error) {
    return fail("verify.malformed", { detail: error.message });
  }
  if (receipt.extra === null) return fail("verify.noRecord");
  let record;
  try {
    const recordText = new TextDecoder("utf-8", { fatal: true }).decode(receipt.extra);
    record = JSON.parse(recordText);
    if (canonical(record) !== recordText) return fail("verify.notCanonical");
  } catch (error) {
    return fail("verify.malformed", { detail: error.message });
  }
  steps.push({ ok: true, key: "verify.record", vars: { type: record.type ?? "?" } });
  if (receipt.opening !== null) {
    try {
      record = await openRecord(record, receipt.opening);
    } catch (error) {
      return fail("verify.openingBad", { detail: error.message });
    }
    steps.push({ ok: true, key: "verify.opened", vars: { rider: String(record.rider ?? "?") } });
  }

  const leaf = await leafHash(receipt.extra);
  let root;
  try {
    root = await rootFromInclusion(leaf, receipt.index, checkpoint.size, receipt.proof);
  } catch (error) {
    return fail("verify.proofBad", { detail: error.message });
  }
  const vars = {
    index: String(receipt.index),
    size: String(checkpoint.size),
    hashes: receipt.proof.length,
    leaf: hex(leaf).slice(0, 16),
  };
  if (!equalBytes(root, checkpoint.root)) return fail("verify.rootMismatch", vars);
  steps.push({ ok: true, key: "verify.included", vars });

  const logs = await Promise.all(logKeys.map(parseVerifierKey));
  const witnesses = await Promise.all(witnessKeys.map(parseVerifierKey));
  const message = utf8(note.text);
  let logSigned = null;
  const cosigned = [];
  for (const sig of note.signatures) {
    const log = logs.find((k) => k.type === 1 && k.name === sig.name && equalBytes(k.keyId, sig.keyId));
    if (log) {
      if (!(await ed25519Verify(log.key, sig.signature, message))) {
        return fail("verify.logSigBad", { name: sig.name });
      }
      logSigned = log;
      continue;
    }
    const w = witnesses.find((k) => k.type === 4 && k.name === sig.name && equalBytes(k.keyId, sig.keyId));
    if (!w) continue; // unknown signers are ignored, as c2sp.org/signed-note says
    if (sig.signature.length !== 72) return fail("verify.cosigBad", { name: sig.name });
    const time = new DataView(sig.signature.buffer, sig.signature.byteOffset, 8).getBigUint64(0);
    const signed = concat(utf8(`cosignature/v1\ntime ${time}\n`), message);
    if (!(await ed25519Verify(w.key, sig.signature.slice(8), signed))) {
      return fail("verify.cosigBad", { name: sig.name });
    }
    cosigned.push({ name: w.name, time: Number(time) });
  }
  if (logSigned === null) return fail("verify.logSigMissing", { origin: checkpoint.origin });
  if (logSigned.name !== checkpoint.origin) {
    return fail("verify.originMismatch", { origin: checkpoint.origin, name: logSigned.name });
  }
  steps.push({
    ok: true,
    key: "verify.logSigned",
    vars: { name: logSigned.name, keyId: hex(logSigned.keyId), size: String(checkpoint.size) },
  });
  if (cosigned.length === 0) return fail("verify.cosigMissing");
  for (const c of cosigned) {
    steps.push({ ok: true, key: "verify.cosigned", vars: { name: c.name, time: c.time } });
  }
  return { ok: true, record, steps };
}
