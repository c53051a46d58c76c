# SPDX-License-Identifier: MIT
"""jwtmint-kms-mint against a stand-in of Google Cloud KMS's REST API.

The stand-in serves GET /v1/{keyVersion}/publicKey and POST /v1/{keyVersion}:asymmetricSign the
way the service documents them, on 127.0.0.1 and a free port, signing with keys of the
cryptography package (DER for EC keys). PyJWT checks each token against the public key.

Usage: kms_test.py [TestCase ...]; JWTMINT_KMS_MINT names the program.
"""
import base64
import json
import os
import subprocess
import sys
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

MINT = os.environ.get("JWTMINT_KMS_MINT", "jwtmint-kms-mint")
ACCESS_TOKEN = "ya29.stand-in-access-token"
PREFIX = "projects/demo/locations/global/keyRings/widget/cryptoKeys/"
HASHES = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}


def pem_of(public_key):
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class KeyVersion:
    """A key version: its algorithm, its private key, and the public key getPublicKey reports."""

    def __init__(self, algorithm, private_key, reported_public=None):
        self.algorithm = algorithm
        self.private_key = private_key
        self.reported_public = reported_public or private_key.public_key()
        self.signs = 0

    def sign(self, field, digest):
        h = HASHES[field]
        if len(digest) != h.digest_size:
            raise ValueError(f"Digest of wrong length: {len(digest)}")
        if self.algorithm.startswith("EC_SIGN_"):
            return self.private_key.sign(digest, ec.ECDSA(utils.Prehashed(h)))  # DER
        pad = (padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)
               if self.algorithm.startswith("RSA_SIGN_PSS_") else padding.PKCS1v15())
        return self.private_key.sign(digest, pad, utils.Prehashed(h))


class StandIn(BaseHTTPRequestHandler):
    versions = {}

    def log_message(self, *args):
        pass

    def reply(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, code, status, message):
        self.reply(code, {"error": {"code": code, "message": message, "status": status}})

    def version(self, name):
        v = self.versions.get(name)
        if v is None:
            self.error(404, "NOT_FOUND", f"{name} not found.")
        return v

    def authorised(self):
        if self.headers.get("Authorization") != "Bearer " + ACCESS_TOKEN:
            self.error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
            return False
        return True

    def do_GET(self):
        if not self.authorised():
            return
        if not (self.path.startswith("/v1/") and self.path.endswith("/publicKey")):
            return self.error(404, "NOT_FOUND", "no such method")
        name = self.path[len("/v1/"):-len("/publicKey")]
        v = self.version(name)
        if v:
            self.reply(200, {"pem": pem_of(v.reported_public), "algorithm": v.algorithm, "name": name,
                             "protectionLevel": "HSM"})

    def do_POST(self):
        if not self.authorised():
            return
        if not (self.path.startswith("/v1/") and self.path.endswith(":asymmetricSign")):
            return self.error(404, "NOT_FOUND", "no such method")
        name = self.path[len("/v1/"):-len(":asymmetricSign")]
        v = self.version(name)
        if not v:
            return
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        (field, b64), = request["digest"].items()
        try:
            signature = v.sign(field, base64.b64decode(b64, validate=True))
        except ValueError as e:
            return self.error(400, "INVALID_ARGUMENT", str(e))
        v.signs += 1
        self.reply(200, {"signature": base64.b64encode(signature).decode(), "name": name,
                         "verifiedDigestCrc32c": False, "protectionLevel": "HSM"})


class KmsTestBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        p256 = ec.generate_private_key(ec.SECP256R1())
        other = ec.generate_private_key(ec.SECP256R1())
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        StandIn.versions = {
            PREFIX + "es256/cryptoKeyVersions/1": KeyVersion("EC_SIGN_P256_SHA256", p256),
            PREFIX + "es384/cryptoKeyVersions/1": KeyVersion("EC_SIGN_P384_SHA384",
                                                             ec.generate_private_key(ec.SECP384R1())),
            PREFIX + "ps256/cryptoKeyVersions/1": KeyVersion("RSA_SIGN_PSS_2048_SHA256", rsa_key),
            PREFIX + "rs256/cryptoKeyVersions/1": KeyVersion("RSA_SIGN_PKCS1_2048_SHA256", rsa_key),
            # getPublicKey reports another key than the one that signs
            PREFIX + "mixed/cryptoKeyVersions/1": KeyVersion("EC_SIGN_P256_SHA256", p256, other.public_key()),
            PREFIX + "k1/cryptoKeyVersions/1": KeyVersion("EC_SIGN_SECP256K1_SHA256",
                                                          ec.generate_private_key(ec.SECP256K1())),
        }
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
        cls.endpoint = f"http://127.0.0.1:{cls.server.server_address[1]}"
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def mint(self, key, *extra, token=ACCESS_TOKEN, endpoint=None):
        env = dict(os.environ)
        env.pop("GOOGLE_OAUTH_ACCESS_TOKEN", None)
        if token is not None:
            env["GOOGLE_OAUTH_ACCESS_TOKEN"] = token
        args = [MINT, "--endpoint", endpoint or self.endpoint, "--key-version",
                PREFIX + key + "/cryptoKeyVersions/1", "--role", "Accounting Team", *extra]
        return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)


class MintTest(KmsTestBase):
    def check_minted(self, key, alg):
        v = StandIn.versions[PREFIX + key + "/cryptoKeyVersions/1"]
        before = v.signs
        r = self.mint(key, "--email", "ada@example.com", "--role", "Support Team")
        self.assertEqual(r.returncode, 0, r.stderr)
        token = r.stdout.strip()
        self.assertEqual(jwt.get_unverified_header(token)["alg"], alg)
        claims = jwt.decode(token, pem_of(v.reported_public), algorithms=[alg])
        self.assertEqual(claims["roles"], ["Accounting Team", "Support Team"])
        self.assertEqual(claims["email"], "ada@example.com")
        self.assertEqual(claims["exp"] - claims["iat"], 600)
        self.assertEqual(v.signs - before, 2)  # the start-up probe, then the token

    def test_es256(self):
        self.check_minted("es256", "ES256")

    def test_es384(self):
        self.check_minted("es384", "ES384")

    def test_ps256(self):
        self.check_minted("ps256", "PS256")

    def test_rs256(self):
        self.check_minted("rs256", "RS256")


class RefusalTest(KmsTestBase):
    def check_refused(self, r, status, text):
        self.assertEqual(r.returncode, status, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertIn(text, r.stderr)

    def test_public_key_of_another_key(self):
        self.check_refused(self.mint("mixed"), 1, "do not belong together")

    def test_bad_access_token(self):
        self.check_refused(self.mint("es256", token="expired"), 1, "UNAUTHENTICATED")

    def test_unknown_key_version(self):
        self.check_refused(self.mint("missing"), 1, "NOT_FOUND")

    def test_secp256k1(self):
        self.check_refused(self.mint("k1"), 1, "EC_SIGN_SECP256K1_SHA256 has no JOSE algorithm")

    def test_no_access_token(self):
        self.check_refused(self.mint("es256", token=None), 2, "gcloud auth print-access-token")

    def test_plain_http_elsewhere(self):
        self.check_refused(self.mint("es256", endpoint="http://kms.example.com"), 2, "https://")


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], *sys.argv[1:]], verbosity=2)
