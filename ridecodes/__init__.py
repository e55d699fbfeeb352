"""Signed ride codes (乘车码): two-level Ed25519 signatures checked offline at the gate.

The pure core (no database, Redis or settings): `wire` (the bytes), `issuer` (keys,
rotation, certificates), `verify` (the gate's offline check), `phone` (the reference
phone), `errors`. Around it: `keyfiles` (the issuer keys under var/keys), `models`,
`schemas`, `service` and `api` (the rider's phones and certificates, the public key set).
The gates import only the pure core.
"""
