# SPDX-License-Identifier: MIT
"""A jwtmint key ring's rotation, checked by an independent implementation through the JWK Sets
the ring publishes, as a relying party that fetches the set would check it.

    /usr/bin/python3 rotation_test.py --peer pyjwt|jose --tool PATH/TO/interop_tool [--node NODE] [--require]

For RS256, ES256 and EdDSA, with two keys made by the openssl command line, interop_tool rotate
runs a jwt::key_ring from the old key to the new one and writes each step's token and JWK Set.
The peer picks the key by the token's kid from the set (PyJWT: PyJWKSet; jose: createLocalJWKSet)
and verifies with the algorithm pinned. What must hold:

  - a token names the key that signed it: before and during the rotation the old key's kid,
    after promote() the new key's; the two kids differ;
  - the next key is published before it signs, and the retired key is published after it stops,
    so every token verifies against the set published when it was minted and against the next;
  - after retire() the old key's tokens find no key, and the new key's still verify;
  - controls: the new key's token finds no key in the set from before the rotation, and a token
    whose payload was altered is refused.

Exits 77 (ctest's "skipped") when the peer is missing, unless --require is given or CI is "true".
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
KEYGEN = {"RS256": "-algorithm RSA -pkeyopt rsa_keygen_bits:2048",
          "ES256": "-algorithm EC -pkeyopt ec_paramgen_curve:P-256",
          "EdDSA": "-algorithm ED25519"}

parser = argparse.ArgumentParser()
parser.add_argument("--peer", required=True, choices=("pyjwt", "jose"))
parser.add_argument("--tool", required=True)
parser.add_argument("--node", default=shutil.which("node") or shutil.which("nodejs"))
parser.add_argument("--openssl", default=shutil.which("openssl"))
parser.add_argument("--require", action="store_true")
ARGS = parser.parse_args()
REQUIRED = ARGS.require or os.environ.get("CI") == "true"
HERE = os.path.dirname(os.path.abspath(__file__))


def skip(reason):
    print(f"{'FAIL' if REQUIRED else 'SKIP'}: {reason}", file=sys.stderr)
    sys.exit(1 if REQUIRED else SKIP)


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def kid_of(token):
    return json.loads(b64url_decode(token.split(".")[0]))["kid"]


def tamper(token):
    h, p, s = token.split(".")
    claims = json.loads(b64url_decode(p))
    claims["email"] = "mallory@example.com"
    body = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return ".".join([h, body, s])


def pyjwt_verifier():
    try:
        import jwt  # PyJWT (Debian: python3-jwt python3-cryptography)
    except ImportError:
        skip("PyJWT is not installed for this interpreter (apt-get install python3-jwt python3-cryptography)")

    def verify_many(jobs):
        out = []
        for job in jobs:
            with open(job["jwks"], encoding="utf-8") as f:
                keys = jwt.PyJWKSet.from_json(f.read()).keys
            kid = jwt.get_unverified_header(job["token"]).get("kid")
            key = next((k for k in keys if k.key_id == kid), None)
            if key is None:
                out.append({"ok": False, "code": "no-matching-key"})
                continue
            try:
                jwt.decode(job["token"], key.key, algorithms=[job["alg"]], options={"require": ["exp", "iat"]})
                out.append({"ok": True, "kid": kid})
            except jwt.InvalidTokenError as e:
                out.append({"ok": False, "code": type(e).__name__})
        return out
    return verify_many


def jose_verifier():
    if not ARGS.node:
        skip("node not found (apt-get install nodejs npm)")

    def verify_many(jobs):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(jobs, f)
        try:
            r = subprocess.run([ARGS.node, os.path.join(HERE, "rotation_peer.mjs"), f.name],
                               capture_output=True, text=True, check=False)
        finally:
            os.unlink(f.name)
        if r.returncode == SKIP:
            skip(r.stderr.strip())
        if r.returncode != 0:
            raise SystemExit(f"rotation_peer.mjs failed ({r.returncode}): {r.stderr}")
        return json.loads(r.stdout)
    return verify_many


def main():
    if not ARGS.openssl:
        skip("the openssl command line is not installed")
    verify_many = pyjwt_verifier() if ARGS.peer == "pyjwt" else jose_verifier()
    failures = []
    checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        for alg, keygen in KEYGEN.items():
            d = os.path.join(tmp, alg)
            os.mkdir(d)
            old, new = os.path.join(d, "old.pem"), os.path.join(d, "new.pem")
            for path in (old, new):
                subprocess.run([ARGS.openssl, "genpkey", *keygen.split(), "-out", path], check=True,
                               capture_output=True)
            r = subprocess.run([ARGS.tool, "rotate", alg, d, old, new], capture_output=True, text=True, check=False)
            if r.returncode != 0:
                failures.append(f"{alg}: interop_tool rotate failed: {r.stderr.strip()}")
                continue
            token = {}
            for name in ("before", "during", "after"):
                with open(os.path.join(d, f"{name}.jwt"), encoding="ascii") as f:
                    token[name] = f.read().strip()
            old_kid, new_kid = kid_of(token["before"]), kid_of(token["after"])
            if kid_of(token["during"]) != old_kid or old_kid == new_kid:
                failures.append(f"{alg}: kids before/during/after are {old_kid}/{kid_of(token['during'])}/{new_kid}")

            def jwks(name):
                return os.path.join(d, f"jwks-{name}.json")
            # (token, set, expected: True = verifies with the kid's key; else the key is missing or refused)
            cases = [
                ("before", "before", True), ("before", "next", True), ("during", "next", True),
                ("during", "promoted", True), ("before", "promoted", True), ("after", "promoted", True),
                ("after", "retired", True), ("before", "retired", False), ("after", "before", False),
                ("tampered", "promoted", False),
            ]
            token["tampered"] = tamper(token["after"])
            jobs = [{"token": token[t], "jwks": jwks(s), "alg": alg} for t, s, _ in cases]
            for (t, s, expected), got in zip(cases, verify_many(jobs)):
                checked += 1
                if got["ok"] != expected:
                    failures.append(f"{alg}: the {t} token against jwks-{s}.json: expected "
                                    f"{'accepted' if expected else 'refused'}, got {got}")
                elif got["ok"] and got["kid"] != kid_of(token[t]):
                    failures.append(f"{alg}: the {t} token verified under kid {got['kid']}")
            with open(jwks("retired"), encoding="utf-8") as f:
                published = [k["kid"] for k in json.load(f)["keys"]]
            if published != [new_kid]:
                failures.append(f"{alg}: after retire() the set lists {published}, expected [{new_kid}]")
    for f in failures:
        print(f"FAIL {f}")
    print(f"rotation, {ARGS.peer}: {checked} checks, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
