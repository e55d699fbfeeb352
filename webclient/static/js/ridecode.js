// The ride code a phone shows (contract of ridecodes/, all integers big-endian):
//   code = certificate | timestamp u32 unix seconds | nonce 8 random bytes | signature 64
//   signature = Ed25519(phone key, "farechain/ride-code/v1\n" || certificate || timestamp || nonce)
// The QR carries the code as base64url text without padding.

import { b64urlDecode, b64urlEncode, concat, utf8 } from "./b64.js";

const DOMAIN = utf8("farechain/ride-code/v1\n");
export const REFRESH_S = 5;

// A new, non-extractable Ed25519 key pair; only the public half ever leaves the browser.
export async function newPhoneKey() {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return { pair, publicKey: b64urlEncode(raw) };
}

export async function rideCode(certificateB64url, privateKey, nowS, nonce) {
  const certificate = b64urlDecode(certificateB64url, "certificate");
  const stamp = new Uint8Array(4);
  new DataView(stamp.buffer).setUint32(0, nowS);
  const random = nonce ?? crypto.getRandomValues(new Uint8Array(8));
  const body = concat(certificate, stamp, random);
  const signature = new Uint8Array(
    await crypto.subtle.sign({ name: "Ed25519" }, privateKey, concat(DOMAIN, body)),
  );
  return b64urlEncode(concat(body, signature));
}
