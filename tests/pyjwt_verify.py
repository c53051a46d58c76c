# SPDX-License-Identifier: MIT
"""Verifies tokens minted by jwtmint with PyJWT, an independent implementation.

Usage: pyjwt_verify.py MANIFEST.json. The manifest lists {alg, token, key} where key is a public
key PEM, or for HS* the secret in base64url (key_encoding "base64url"). Each token must verify
with exactly its algorithm, carry the expected claims, and be refused under a tampered
signature. Prints one line per token; exits non-zero on the first failure.
"""
import base64
import json
import sys

import jwt


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        manifest = json.load(f)
    for entry in manifest:
        alg, token = entry["alg"], entry["token"]
        key = entry["key"]
        if entry.get("key_encoding") == "base64url":
            key = b64url_decode(key)
        claims = jwt.decode(token, key, algorithms=[alg], options={"require": ["exp", "iat"], "verify_exp": False})
        header = jwt.get_unverified_header(token)
        if header["alg"] != alg or claims.get("roles") != ["Accounting Team"] or claims.get("email") != "ada@example.com":
            print(f"FAIL {alg}: unexpected header {header} or claims {claims}")
            return 1
        head, payload, sig = token.split(".")
        raw = bytearray(b64url_decode(sig))
        raw[len(raw) // 2] ^= 0x01
        bad = head + "." + payload + "." + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
        try:
            jwt.decode(bad, key, algorithms=[alg], options={"verify_exp": False})
        except jwt.InvalidSignatureError:
            pass
        else:
            print(f"FAIL {alg}: a tampered signature verified")
            return 1
        print(f"ok {alg}: PyJWT {jwt.__version__} verified the token and refused a tampered copy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
