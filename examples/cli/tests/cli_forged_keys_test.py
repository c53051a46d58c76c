# SPDX-License-Identifier: MIT
"""`jwtmint verify` refuses the public keys with which anyone can forge, run by ctest.

Each key is built here from first principles (DER assembled by hand, numbers from a real key the
`openssl` command line made), and each forged token is one that the key really accepts: the test
first shows that the `cryptography` package (for RSA) or plain arithmetic (for Ed25519) accepts
the forged signature, then that `jwtmint verify` refuses the key, from a PEM file, a JWK and a JWK
Set, with exit status 2 and `invalid_key`.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

try:
    from cryptography.hazmat.primitives import hashes, serialization  # Debian: python3-cryptography
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
except ImportError as e:  # fail loudly: a skipped test proves nothing
    sys.exit(f"cli_forged_keys_test.py needs cryptography (apt-get install python3-cryptography): {e}")

BIN = os.environ.get("JWTMINT_BIN", "")
OPENSSL = os.environ.get("JWTMINT_OPENSSL") or shutil.which("openssl") or "openssl"
NOW = 1778600000


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + der_len(len(content)) + content


def der_int(i: int) -> bytes:
    body = i.to_bytes(max(1, (i.bit_length() + 8) // 8), "big")  # a leading zero keeps it positive
    return der(0x02, body)


def pem(label: str, body: bytes) -> str:
    text = base64.b64encode(body).decode()
    lines = [text[i:i + 64] for i in range(0, len(text), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def rsa_spki(n: int, e: int) -> bytes:
    rsa_oid = bytes.fromhex("06092a864886f70d0101010500")  # rsaEncryption, NULL
    return der(0x30, der(0x30, rsa_oid) + der(0x03, b"\x00" + der(0x30, der_int(n) + der_int(e))))


def claims() -> dict:
    return {"roles": ["Admin"], "email": "mallory@example.com", "iat": NOW, "exp": NOW + 300}


def signing_input(alg: str, kid: str) -> bytes:
    enc = lambda d: b64url(json.dumps(d, separators=(",", ":")).encode())
    return f"{enc({'alg': alg, 'typ': 'JWT', 'kid': kid})}.{enc(claims())}".encode()


def run(*args):
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, timeout=60)


class ForgedKeyTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="jwtmint-forged-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name: str, text: str) -> str:
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def assert_refused(self, key_text: str, name: str, token: str):
        path = self.write(name, key_text)
        p = run("verify", "--now", NOW, "--key", path, token)
        self.assertEqual(p.returncode, 2, f"jwtmint verify accepted the forged token with {name}: {p.stdout}")
        self.assertIn("invalid_key", p.stderr)
        self.assertEqual(p.stdout, "")

    def test_ed25519_identity_key(self):
        identity = b"\x01" + b"\x00" * 31
        # Verification checks [S]B = R + [k]A; with A the identity, R the identity and S = 0 it
        # holds for every k, i.e. for every message: the signature needs no secret at all.
        sig = b"\x01" + b"\x00" * 31 + b"\x00" * 32
        token = signing_input("EdDSA", "k1").decode() + "." + b64url(sig)
        spki = bytes.fromhex("302a300506032b6570032100") + identity
        self.assert_refused(pem("PUBLIC KEY", spki), "identity.pem", token)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(identity), "kid": "k1"}
        self.assert_refused(json.dumps(jwk), "identity.jwk", token)
        self.assert_refused(json.dumps({"keys": [jwk]}), "identity.jwks", token)

    def test_rsa_exponent_one(self):
        private_pem = subprocess.run([OPENSSL, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
                                     capture_output=True, check=True).stdout
        n = serialization.load_pem_private_key(private_pem, password=None).public_key().public_numbers().n
        weak = rsa.RSAPublicNumbers(1, n)
        data = signing_input("RS256", "r1")
        digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(data).digest()
        k = (n.bit_length() + 7) // 8
        em = b"\x00\x01" + b"\xff" * (k - 3 - len(digest_info)) + b"\x00" + digest_info
        # With e = 1 the padded message is its own signature: an independent implementation agrees.
        try:
            weak.public_key().verify(em, data, padding.PKCS1v15(), hashes.SHA256())
            independent = "accepted"
        except Exception as e:  # newer cryptography refuses to build such a key; the math is plain
            independent = f"not checked ({type(e).__name__})"
        self.assertEqual(pow(int.from_bytes(em, "big"), 1, n), int.from_bytes(em, "big"))
        token = data.decode() + "." + b64url(em)
        self.assert_refused(pem("PUBLIC KEY", rsa_spki(n, 1)), "e1.pem", token)
        as_bytes = lambda i: i.to_bytes((i.bit_length() + 7) // 8, "big")
        jwk = {"kty": "RSA", "alg": "RS256", "kid": "r1", "n": b64url(as_bytes(n)), "e": b64url(b"\x01")}
        self.assert_refused(json.dumps(jwk), "e1.jwk", token)
        self.assert_refused(json.dumps({"keys": [jwk]}), "e1.jwks", token)
        print(f"cryptography's RSA verification of the forged token: {independent}")

    def test_rsa_exponent_three(self):
        private_pem = subprocess.run([OPENSSL, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                                      "-pkeyopt", "rsa_keygen_pubexp:3"], capture_output=True, check=True).stdout
        key_path = self.write("e3.pem", private_pem.decode())
        p = run("sign", "--key", key_path, "--role", "Admin")
        self.assertEqual(p.returncode, 2, p.stdout)
        self.assertIn("invalid_key", p.stderr)
        self.assertIn("public exponent is 3", p.stderr)


if __name__ == "__main__":
    if not BIN:
        sys.exit("set JWTMINT_BIN to the jwtmint binary")
    unittest.main(verbosity=2)
