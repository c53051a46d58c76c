# SPDX-License-Identifier: MIT
"""End-to-end tests of the `jwtmint` command line tool, run by ctest.

Each TestCase class is one ctest test: `python3 cli_test.py KeygenTest`. The binary comes from
JWTMINT_BIN, the expected version from JWTMINT_VERSION (CMake's project() version).

Expected values never come from the tool under test: keys are described by `openssl`,
signatures are checked by `openssl dgst` and by PyJWT, JWKs are computed with the
`cryptography` package, times with Python's datetime, and hand-made tokens come from PyJWT or
are assembled here.
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests"))
from ecdsa_der import raw_to_der  # noqa: E402  (tests/ecdsa_der.py)

try:
    import jwt as pyjwt  # Debian: python3-jwt
    from cryptography.hazmat.primitives import serialization  # Debian: python3-cryptography
    from cryptography.hazmat.primitives.asymmetric import rsa
except ImportError as e:  # fail loudly: a skipped interop test proves nothing
    sys.exit(f"cli_test.py needs PyJWT and cryptography (apt-get install python3-jwt python3-cryptography): {e}")

BIN = os.environ.get("JWTMINT_BIN", "")
OPENSSL = os.environ.get("JWTMINT_OPENSSL") or shutil.which("openssl") or "openssl"
VERSION = os.environ.get("JWTMINT_VERSION", "")

T0 = 1778600000  # the vendor's example iat: 2026-05-12T15:33:20Z


# ---------------------------------------------------------------------------------------------
# helpers

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def segments(token: str):
    """(header dict, claims dict, signature bytes, signing input bytes), decoded here."""
    h, p, s = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), b64url_decode(s), f"{h}.{p}".encode()


def assemble(header: dict, claims: dict, signature: bytes = b"") -> str:
    """A compact token built by hand (for alg none and other tokens no library will sign)."""
    enc = lambda d: b64url(json.dumps(d, separators=(",", ":")).encode())
    return f"{enc(header)}.{enc(claims)}.{b64url(signature)}"


def utc(ts: int) -> str:
    return datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def run(*args, stdin=""):
    """Runs jwtmint; text in and out (standard input is empty unless given)."""
    return subprocess.run([BIN, *map(str, args)], input=stdin, capture_output=True, text=True, timeout=60)


def general_run(command, *args, stdin=""):
    """Runs a jwtmint command with --general: not for the widget, so any algorithm the key fits."""
    return run(command, "--general", *args, stdin=stdin)


def openssl(*args, stdin=None):
    p = subprocess.run([OPENSSL, *map(str, args)], input=stdin, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(f"openssl {' '.join(map(str, args))} failed: {p.stderr.decode()}")
    return p.stdout


def random_secret(n=32) -> bytes:
    """Random bytes that are plainly a secret file (not starting like JSON or DER)."""
    while True:
        s = os.urandom(n)
        if s[0] not in (0x30, 0x7B) and s[-1] != 0x0A:
            return s


def rfc7638_thumbprint(members: dict) -> str:
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return b64url(hashlib.sha256(canonical).digest())


def public_jwk_of(private_pem: bytes, **extra) -> dict:
    """The public JWK of a PEM private key, computed with `cryptography`."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    numbers = key.public_key().public_numbers()
    if isinstance(key, rsa.RSAPrivateKey):
        as_bytes = lambda i: i.to_bytes((i.bit_length() + 7) // 8, "big")
        jwk = {"kty": "RSA", "n": b64url(as_bytes(numbers.n)), "e": b64url(as_bytes(numbers.e))}
    else:
        jwk = {"kty": "EC", "crv": "P-256", "x": b64url(numbers.x.to_bytes(32, "big")),
               "y": b64url(numbers.y.to_bytes(32, "big"))}
    jwk.update(extra)
    return jwk


DOCTOR_KEY_BLOCKS = ("The vendor's settings must hold this public key", "When you promote the next key")


def doctor_output(stdout):
    """doctor's stdout as (check lines and the summary line, {block intro: PEM}): the public keys
    it prints after the checks, each an intro line ending in ':' and a PEM block."""
    lines, blocks, current = [], {}, None
    for line in stdout.splitlines(keepends=True):
        if current is not None:
            blocks[current] += line
            if line.startswith("-----END "):
                current = None
        elif line.startswith(DOCTOR_KEY_BLOCKS):
            current = line.rstrip("\n")
            blocks[current] = ""
        else:
            lines.append(line.rstrip("\n"))
    return lines, blocks


class CliTestCase(unittest.TestCase):
    """A temporary directory per class, and assertions on exit status and error lines."""

    @classmethod
    def setUpClass(cls):
        if not BIN or not os.access(BIN, os.X_OK):
            raise RuntimeError(f"JWTMINT_BIN does not name the jwtmint binary: {BIN!r}")
        cls._tmp = tempfile.TemporaryDirectory(prefix="jwtmint-cli-test-")
        cls.dir = cls._tmp.name

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    @classmethod
    def path(cls, name):
        return os.path.join(cls.dir, name)

    @classmethod
    def write(cls, name, data, mode=0o600):
        p = cls.path(name)
        with open(p, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        os.chmod(p, mode)
        return p

    @classmethod
    def read(cls, name):
        with open(cls.path(name), "rb") as f:
            return f.read()

    @classmethod
    def openssl_rsa(cls, name, bits=2048):
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}", "-out", cls.path(name))
        openssl("pkey", "-in", cls.path(name), "-pubout", "-out", cls.path(name + ".pub"))
        os.chmod(cls.path(name), 0o600)
        return cls.path(name)

    @classmethod
    def openssl_ec(cls, name, curve="P-256"):
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{curve}", "-out", cls.path(name))
        openssl("pkey", "-in", cls.path(name), "-pubout", "-out", cls.path(name + ".pub"))
        os.chmod(cls.path(name), 0o600)
        return cls.path(name)

    def assertNoCrash(self, p):
        for marker in ("Traceback", "terminate called", "Aborted", "Segmentation", "what():"):
            self.assertNotIn(marker, p.stderr)
        self.assertGreaterEqual(p.returncode, 0, "killed by a signal")

    def assertOk(self, p):
        self.assertNoCrash(p)
        self.assertEqual(p.returncode, 0, f"stderr: {p.stderr}")
        return p

    def assertErrorLine(self, p, status, errc, contains=None):
        """Exit status, and exactly one stderr line 'error: <errc>: ...'."""
        self.assertNoCrash(p)
        self.assertEqual(p.returncode, status, f"stdout: {p.stdout!r} stderr: {p.stderr!r}")
        lines = p.stderr.splitlines()
        self.assertEqual(len(lines), 1, f"expected one error line, got {p.stderr!r}")
        self.assertTrue(lines[0].startswith(f"error: {errc}: "), lines[0])
        if contains:
            self.assertIn(contains, lines[0])
        return lines[0]

    def sign(self, key, *args, roles=("Accounting Team",)):
        role_args = [a for r in roles for a in ("--role", r)]
        p = self.assertOk(run("sign", "--key", key, *role_args, *args))
        self.assertEqual(p.stdout.count("\n"), 1)
        self.assertTrue(p.stdout.endswith("\n"))
        return p.stdout.strip()


# ---------------------------------------------------------------------------------------------

class HelpTest(CliTestCase):
    def test_version(self):
        self.assertTrue(VERSION, "JWTMINT_VERSION is not set")
        p = self.assertOk(run("--version"))
        self.assertEqual(p.stdout, f"jwtmint {VERSION}\n")

    def test_short_version_flag(self):
        self.assertTrue(VERSION, "JWTMINT_VERSION is not set")
        p = self.assertOk(run("-V"))
        self.assertEqual(p.stdout, f"jwtmint {VERSION}\n")

    def test_pubkey_help_marks_no_alternative_as_required(self):
        # --key FILE and the positional KEY are two spellings of one list: one key at least, in
        # either form. Help must not call both REQUIRED, and either form alone must work.
        p = self.assertOk(run("pubkey", "--help"))
        self.assertNotIn("REQUIRED", p.stdout)
        key = self.openssl_ec("help-ec.pem")
        expected = openssl("pkey", "-in", key, "-pubout").decode()
        self.assertEqual(self.assertOk(run("pubkey", "--key", key)).stdout, expected)
        self.assertEqual(self.assertOk(run("pubkey", key)).stdout, expected)
        line = self.assertErrorLine(run("pubkey"), 2, "usage", "--key FILE")
        self.assertIn("argument", line)

    def test_help_on_every_command_has_an_example(self):
        for cmd in ("keygen", "pubkey", "sign", "verify", "inspect", "doctor"):
            with self.subTest(cmd=cmd):
                p = self.assertOk(run(cmd, "--help"))
                self.assertIn(f"Usage: jwtmint {cmd}", p.stdout)
                self.assertIn("Example", p.stdout)
                self.assertIn(f"jwtmint {cmd}", p.stdout.split("Example", 1)[1])
                self.assertEqual(p.stderr, "")
        p = self.assertOk(run("--help"))
        for cmd in ("keygen", "pubkey", "sign", "verify", "inspect", "doctor"):
            self.assertIn(cmd, p.stdout)

    def test_no_arguments_prints_help_and_exits_2(self):
        p = run()
        self.assertNoCrash(p)
        self.assertEqual(p.returncode, 2)
        self.assertIn("Usage: jwtmint", p.stderr)
        self.assertEqual(p.stdout, "")

    def test_unknown_command(self):
        self.assertErrorLine(run("mint", "--key", "x"), 2, "usage")

    def test_unknown_global_option(self):
        self.assertErrorLine(run("--frobnicate"), 2, "usage", "--frobnicate")


class KeygenTest(CliTestCase):
    def assertPrivateMode(self, path):
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)

    def test_rs256_default_2048_bits(self):
        out = self.path("rs.pem")
        p = self.assertOk(run("keygen", "rs256", "--out", out))
        self.assertPrivateMode(out)
        text = openssl("pkey", "-in", out, "-noout", "-text").decode()
        self.assertIn("Private-Key: (2048 bit", text)
        self.assertEqual(p.stdout.encode(), openssl("pkey", "-in", out, "-pubout"))
        self.assertIn("rs.pem", p.stderr)
        self.assertNotIn("PRIVATE", p.stdout)

    def test_rs256_bits_3072(self):
        out = self.path("rs3072.pem")
        self.assertOk(run("keygen", "rs256", "--out", out, "--bits", "3072"))
        self.assertIn("Private-Key: (3072 bit", openssl("pkey", "-in", out, "-noout", "-text").decode())

    def test_es256_is_p256(self):
        out = self.path("es.pem")
        p = self.assertOk(run("keygen", "ES256", "--out", out))  # algorithm names are case-insensitive
        self.assertPrivateMode(out)
        text = openssl("pkey", "-in", out, "-noout", "-text").decode()
        self.assertIn("prime256v1", text)
        self.assertEqual(p.stdout.encode(), openssl("pkey", "-in", out, "-pubout"))

    def test_hs256_raw_secret(self):
        out = self.path("hs.raw")
        p = self.assertOk(run("keygen", "hs256", "--out", out))
        self.assertPrivateMode(out)
        secret = self.read("hs.raw")
        self.assertEqual(len(secret), 32)
        # stdout: the same secret in base64url, for settings that take an encoded secret
        self.assertEqual(b64url_decode(p.stdout.strip()), secret)
        self.assertIn("HS256", p.stderr)
        self.assertIn("same", p.stderr)
        p = self.assertOk(run("keygen", "hs256", "--out", self.path("hs48.raw"), "--bytes", "48"))
        self.assertEqual(len(self.read("hs48.raw")), 48)

    def test_hs256_base64url_secret_is_pasteable_text(self):
        out = self.path("hs.txt")
        p = self.assertOk(run("keygen", "hs256", "--format", "base64url", "--out", out))
        self.assertPrivateMode(out)
        text = self.read("hs.txt").decode()
        self.assertRegex(text, r"\A[A-Za-z0-9_-]{43}\Z")  # 32 random bytes, no line break
        self.assertEqual(p.stdout, text + "\n")
        # The text itself is the HMAC key: PyJWT, given the text, accepts what sign mints.
        token = self.sign(out, "--email", "ada@example.com")
        claims = pyjwt.decode(token, text, algorithms=["HS256"])
        self.assertEqual(claims["roles"], ["Accounting Team"])

    def test_refuses_to_overwrite_without_force(self):
        out = self.write("existing.pem", "keep me\n")
        self.assertErrorLine(run("keygen", "es256", "--out", out), 2, "key_file_error", "--force")
        self.assertEqual(self.read("existing.pem"), b"keep me\n")

    def test_force_replaces_with_mode_0600(self):
        out = self.write("old.pem", "old key\n", mode=0o644)
        self.assertOk(run("keygen", "es256", "--out", out, "--force"))
        self.assertPrivateMode(out)
        self.assertIn(b"-----BEGIN PRIVATE KEY-----", self.read("old.pem"))
        leftovers = [n for n in os.listdir(self.dir) if ".tmp-" in n]
        self.assertEqual(leftovers, [])

    def test_weak_or_misplaced_sizes(self):
        self.assertErrorLine(run("keygen", "rs256", "--out", self.path("weak.pem"), "--bits", "1024"), 2, "weak_key", "2048")
        self.assertFalse(os.path.exists(self.path("weak.pem")))
        self.assertErrorLine(run("keygen", "hs256", "--out", self.path("weak.raw"), "--bytes", "16"), 2, "weak_key")
        self.assertFalse(os.path.exists(self.path("weak.raw")))
        self.assertErrorLine(run("keygen", "es256", "--out", self.path("x.pem"), "--bits", "4096"), 2, "usage", "--bits")
        self.assertErrorLine(run("keygen", "rs256", "--out", self.path("x.pem"), "--format", "base64url"), 2, "usage")

    def test_encrypted_pem(self):
        pw = self.write("pass.txt", "correct horse\n")
        bad = self.write("bad.txt", "wrong horse\n")
        out = self.path("enc.pem")
        self.assertOk(run("keygen", "es256", "--out", out, "--passphrase-file", pw))
        self.assertTrue(self.read("enc.pem").startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        openssl("pkey", "-in", out, "-passin", "pass:correct horse", "-noout")  # decrypts with the passphrase
        token = self.sign(out, "--passphrase-file", pw)
        self.assertEqual(segments(token)[0]["alg"], "ES256")
        self.assertErrorLine(run("sign", "--key", out, "--role", "A"), 2, "passphrase_required")
        self.assertErrorLine(run("sign", "--key", out, "--role", "A", "--passphrase-file", bad), 2, "bad_passphrase")


class KeygenPublicOutTest(CliTestCase):
    """keygen --public-out: both files or neither, and a refusal that names the way back."""

    def test_writes_both_files(self):
        priv, pub = self.path("k1.pem"), self.path("k1.pub.pem")
        p = self.assertOk(run("keygen", "es256", "--out", priv, "--public-out", pub))
        self.assertEqual(p.stdout, "")
        self.assertEqual(stat.S_IMODE(os.stat(priv).st_mode), 0o600)
        self.assertEqual(self.read("k1.pub.pem"), openssl("pkey", "-in", priv, "-pubout"))
        self.assertEqual([n for n in os.listdir(self.dir) if ".tmp-" in n], [])

    def test_second_run_writes_neither_and_names_the_fix(self):
        priv, pub = self.path("k2.pem"), self.path("k2.pub.pem")
        self.assertOk(run("keygen", "es256", "--out", priv, "--public-out", pub))
        before = (self.read("k2.pem"), self.read("k2.pub.pem"))
        line = self.assertErrorLine(run("keygen", "es256", "--out", priv, "--public-out", pub), 2, "key_file_error")
        self.assertIn(f"to print its public key again: jwtmint pubkey --key {priv}", line)
        self.assertIn("--force", line)
        self.assertEqual((self.read("k2.pem"), self.read("k2.pub.pem")), before)
        # The redirect form: the shell has already emptied the public key file; the message says
        # how to print it again, and --public-out.
        line = self.assertErrorLine(run("keygen", "es256", "--out", priv), 2, "key_file_error", "--public-out")
        self.assertIn(f"jwtmint pubkey --key {priv}", line)

    def test_existing_public_file_keeps_the_private_key_from_being_written(self):
        priv, pub = self.path("k3.pem"), self.write("k3.pub.pem", "keep me\n")
        line = self.assertErrorLine(run("keygen", "es256", "--out", priv, "--public-out", pub), 2, "key_file_error")
        self.assertIn("k3.pub.pem", line)
        self.assertFalse(os.path.exists(priv))
        self.assertEqual(self.read("k3.pub.pem"), b"keep me\n")

    def test_force_replaces_both(self):
        priv = self.write("k4.pem", "old\n", mode=0o644)
        pub = self.write("k4.pub.pem", "old\n")
        self.assertOk(run("keygen", "es256", "--out", priv, "--public-out", pub, "--force"))
        self.assertEqual(stat.S_IMODE(os.stat(priv).st_mode), 0o600)
        self.assertEqual(self.read("k4.pub.pem"), openssl("pkey", "-in", priv, "-pubout"))

    def test_not_for_secrets(self):
        self.assertErrorLine(run("keygen", "hs256", "--out", self.path("s"), "--public-out", self.path("s.pub")),
                             2, "usage", "--public-out")
        self.assertFalse(os.path.exists(self.path("s")))


class BearerTokenTest(CliTestCase):
    """A token pasted with the 'Bearer ' of an Authorization header is told to drop it; whitespace
    around a bare token is fine, in every command that reads a token."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.openssl_ec("bearer-ec.pem")

    def commands(self, token_arg):
        """(name, argv) of each command that reads a token, the token given as token_arg."""
        return (("verify", ["verify", "--key", self.key + ".pub", token_arg]),
                ("inspect", ["inspect", token_arg]),
                ("doctor", ["doctor", "--key", self.key, "--token", token_arg]))

    def test_bearer_prefix_is_named(self):
        token = self.sign(self.key)
        for pasted in (f"Bearer {token}", f"bearer   {token}", f"BEARER\t{token}", f"  Bearer {token}\n",
                       f"Authorization: Bearer {token}"):
            for name, argv in self.commands(pasted):
                with self.subTest(command=name, pasted=pasted[:24]):
                    line = self.assertErrorLine(run(*argv), 2, "usage", "'Bearer '")
                    self.assertIn("drop", line)
            with self.subTest(command="verify from stdin", pasted=pasted[:24]):
                self.assertErrorLine(run("verify", "--key", self.key + ".pub", stdin=pasted + "\n"), 2, "usage",
                                     "'Bearer '")

    def test_whitespace_around_a_token_is_fine(self):
        token = self.sign(self.key)
        for pasted in (f"  {token}\n", f"\n{token}\r\n", f"\t{token} "):
            for name, argv in self.commands(pasted):
                with self.subTest(command=name, pasted=repr(pasted[:3])):
                    p = run(*argv)
                    self.assertNoCrash(p)
                    self.assertNotIn("error:", p.stderr)
                    if name != "doctor":  # doctor may warn about the key file; the token is what counts here
                        self.assertEqual(p.returncode, 0, p.stderr)
                    else:
                        self.assertIn("[ ok ] token signature", p.stdout)
            with self.subTest(command="verify from stdin", pasted=repr(pasted[:3])):
                self.assertOk(run("verify", "--key", self.key + ".pub", stdin=pasted))


class PassphraseTest(CliTestCase):
    """Every command that reads a private key takes its passphrase from --passphrase-file or from
    JWTMINT_KEY_PASSPHRASE (the file wins); a missing or wrong passphrase is one clear line."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.path("enc.pem")
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes-256-cbc",
                "-pass", "pass:right horse", "-out", cls.key)
        os.chmod(cls.key, 0o600)
        cls.pub = openssl("pkey", "-in", cls.key, "-passin", "pass:right horse", "-pubout").decode()
        cls.right = cls.write("right.txt", "right horse\n")
        cls.wrong = cls.write("wrong.txt", "wrong horse\n")

    def run_env(self, *args, passphrase=None):
        env = {k: v for k, v in os.environ.items() if k != "JWTMINT_KEY_PASSPHRASE"}
        if passphrase is not None:
            env["JWTMINT_KEY_PASSPHRASE"] = passphrase
        return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, timeout=60, env=env, input="")

    def commands(self):
        """(name, argv) of each command that reads the private key."""
        token = assemble({"alg": "ES256", "typ": "JWT"}, {"roles": ["A"]}, b"x" * 64)
        return (("pubkey", ["pubkey", "--key", self.key]),
                ("sign", ["sign", "--key", self.key, "--role", "A"]),
                ("verify", ["verify", "--key", self.key, token]),
                ("keygen --next", ["keygen", "es256", "--next", "--out", self.key]))

    def test_environment_variable(self):
        p = self.assertOk(self.run_env("pubkey", "--key", self.key, passphrase="right horse"))
        self.assertEqual(p.stdout, self.pub)
        token = self.assertOk(self.run_env("sign", "--key", self.key, "--role", "A", passphrase="right horse")).stdout
        pyjwt.decode(token.strip(), self.pub, algorithms=["ES256"])

    def test_file_wins_over_the_environment(self):
        p = self.assertOk(self.run_env("pubkey", "--key", self.key, "--passphrase-file", self.right,
                                       passphrase="wrong horse"))
        self.assertEqual(p.stdout, self.pub)

    def test_no_passphrase_names_both_ways(self):
        for name, argv in self.commands():
            with self.subTest(command=name):
                line = self.assertErrorLine(self.run_env(*argv), 2, "passphrase_required", self.key)
                self.assertIn("--passphrase-file", line)
                self.assertIn("JWTMINT_KEY_PASSPHRASE", line)
                self.assertNotIn("openssl pkey", line)  # no decrypted copy of the key on disk
        p = self.run_env("doctor", "--key", self.key)
        self.assertEqual(p.returncode, 1)
        self.assertIn("JWTMINT_KEY_PASSPHRASE", [l for l in p.stdout.splitlines() if "key loads" in l][0])

    def test_wrong_passphrase_is_one_clear_message(self):
        for name, argv in self.commands():
            for extra, env, origin in ((["--passphrase-file", self.wrong], None, "--passphrase-file"),
                                       ([], "wrong horse", "JWTMINT_KEY_PASSPHRASE")):
                with self.subTest(command=name, origin=origin):
                    line = self.assertErrorLine(self.run_env(*argv, *extra, passphrase=env), 2, "bad_passphrase")
                    self.assertIn("passphrase", line)
                    self.assertIn("is wrong", line)
                    self.assertIn(origin, line)
                    self.assertLessEqual(line.count("bad decrypt"), 1, line)


class PastedKeyTest(CliTestCase):
    """A public key pasted with its BEGIN or END line lost, indented or on one line is refused with
    what is wrong and the fix (not read as an HMAC secret); CRLF line ends just work."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.openssl_ec("ec.pem")
        with open(cls.key + ".pub") as f:
            cls.pub = f.read()
        with open(cls.key) as f:
            cls.priv = f.read()

    def verify_with(self, name, text):
        token = self.sign(self.key)
        return run("verify", "--key", self.write(name, text), token)

    def test_each_damage_is_named_with_its_fix(self):
        lines = self.pub.splitlines(keepends=True)
        body = "".join(lines[1:-1])
        cases = (
            ("no-begin.pem", "".join(lines[1:]), ("no BEGIN line", "add the line '-----BEGIN PUBLIC KEY-----'")),
            ("no-end.pem", "".join(lines[:-1]), ("no END line", "add the line '-----END PUBLIC KEY-----'")),
            ("bare.pem", body, ("add the BEGIN/END lines", "'-----BEGIN PUBLIC KEY-----' before it")),
            ("spaces.pem", "".join("    " + l for l in lines), ("starts with spaces or tabs", "remove the indentation")),
            ("tabs.pem", lines[0] + "".join("\t" + l for l in lines[1:]), ("line 2 starts with spaces or tabs",)),
            ("one-line.pem", self.pub.replace("\n", " ").strip(),
             ("on one line", "'-----BEGIN PUBLIC KEY-----', the base64 body and '-----END PUBLIC KEY-----' on lines")),
        )
        for name, text, fragments in cases:
            with self.subTest(case=name):
                line = self.assertErrorLine(self.verify_with(name, text), 2, "invalid_key", name)
                for fragment in fragments:
                    self.assertIn(fragment, line)
                self.assertNotIn("HS256", line)  # not taken for an HMAC secret

    def test_private_key_without_begin_line(self):
        key = self.write("priv-no-begin.pem", "".join(self.priv.splitlines(keepends=True)[1:]))
        self.assertErrorLine(run("sign", "--key", key, "--role", "A"), 2, "invalid_key",
                             "add the line '-----BEGIN PRIVATE KEY-----'")

    def test_crlf_line_ends_just_work(self):
        self.assertOk(self.verify_with("crlf.pem", self.pub.replace("\n", "\r\n")))
        crlf_key = self.write("crlf-priv.pem", self.priv.replace("\n", "\r\n"))
        token = self.sign(crlf_key)
        pyjwt.decode(token, self.pub, algorithms=["ES256"])

    def test_public_and_private_swapped(self):
        line = self.assertErrorLine(run("sign", "--key", self.key + ".pub", "--role", "A"), 2, "private_key_required")
        self.assertIn("public key", line)
        self.assertIn("signing needs the private key", line)
        p = run("doctor", "--key", self.key, "--public", self.key)
        self.assertEqual(p.returncode, 1)
        match = [l for l in p.stdout.splitlines() if l[7:].startswith("public key match")][0]
        self.assertTrue(match.startswith("[FAIL]"), match)
        self.assertIn("private key", match)
        self.assertIn(f"jwtmint pubkey --key {self.key}", match)

    def test_text_secrets_still_work_for_hs256(self):
        # a secret in standard base64 (as `openssl rand -base64 48` makes one) and typed text
        for name, secret in (("b64.secret", base64.b64encode(os.urandom(48)).decode()),
                             ("typed.secret", "correct horse battery staple, and then some more")):
            with self.subTest(secret=name):
                path = self.write(name, secret)
                token = self.sign(path)
                self.assertEqual(pyjwt.decode(token, secret, algorithms=["HS256"])["roles"], ["Accounting Team"])
                self.assertOk(run("verify", "--key", path, token))


class TimeFormatTest(CliTestCase):
    """One form for a time in every command: absolute UTC and relative, e.g.
    "2026-05-12T15:43:20Z (50 min ago)"; JSON keeps the numeric seconds."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.openssl_ec("ec.pem")

    def outputs(self, token, now):
        """(verify, inspect, doctor) runs on token at the Unix time now."""
        return (run("verify", "--key", self.key + ".pub", "--now", now, token),
                run("inspect", "--now", now, token),
                run("doctor", "--key", self.key, "--now", now, "--token", token))

    def test_an_expired_token_reads_the_same_everywhere(self):
        token = self.sign(self.key, "--now", T0, "--ttl", "10m", "--email", "ada@example.com")
        now = T0 + 3600  # exp (T0 + 600) was 3000 s, 50 minutes, ago
        exp = f"{utc(T0 + 600)} (50 min ago)"
        verify, inspect, doctor = self.outputs(token, now)
        self.assertIn(f"token expired {exp};", self.assertErrorLine(verify, 1, "token_expired"))
        self.assertIn(f"exp  {exp}\n", inspect.stdout)
        self.assertIn(f"warning: expired {exp};", inspect.stdout)
        self.assertIn(f"expired {exp}", [l for l in doctor.stdout.splitlines() if "token expiry" in l][0])
        for p in (verify, inspect, doctor):
            self.assertNotIn("3000 s", p.stdout + p.stderr)
            self.assertNotIn("50m ago", p.stdout + p.stderr)
        doc = json.loads(self.assertOk(run("inspect", "--json", "--now", now, token)).stdout)
        self.assertEqual(doc["times"]["exp"]["unix"], T0 + 600)
        self.assertEqual(doc["times"]["exp"]["relative"], "50 min ago")

    def test_a_token_from_the_future_reads_the_same_everywhere(self):
        token = self.sign(self.key, "--now", T0, "--ttl", "10m", "--email", "ada@example.com")
        now = T0 - 1000  # iat is 16 min 40 s ahead
        iat = f"{utc(T0)} (in 16 min 40 s)"
        verify, inspect, doctor = self.outputs(token, now)
        self.assertIn(f"token was issued {iat};", self.assertErrorLine(verify, 1, "token_not_yet_valid"))
        self.assertIn(f"iat  {iat}\n", inspect.stdout)
        self.assertIn(f"exp  {utc(T0 + 600)} (in 26 min 40 s)\n", inspect.stdout)
        self.assertIn(f"issued {iat}", [l for l in doctor.stdout.splitlines() if "clock skew" in l][0])
        self.assertIn(f"expires {utc(T0 + 600)} (in 26 min 40 s)",
                      [l for l in doctor.stdout.splitlines() if "token expiry" in l][0])

    def test_spans_read_the_same_in_sign_inspect_and_doctor(self):
        line = self.assertErrorLine(run("sign", "--key", self.key, "--role", "A", "--ttl", "11m"), 2, "usage")
        self.assertIn("the 10 min ceiling", line)
        token = self.sign(self.key, "--now", T0, "--ttl", "9m30s", "--email", "ada@example.com")
        self.assertIn("lifetime  9 min 30 s (exp - iat)", run("inspect", "--now", T0, token).stdout)
        doctor = run("doctor", "--key", self.key, "--now", T0, "--token", token).stdout
        self.assertIn("9 min 30 s (at most 10 min)", doctor)
        self.assertIn(f"expires {utc(T0 + 570)} (in 9 min 30 s)", doctor)


class PubkeyTest(CliTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rsa = cls.openssl_rsa("rsa.pem")
        cls.ec = cls.openssl_ec("ec.pem")
        # PKCS#1 and SEC1 encodings of the same keys
        cls.rsa_pkcs1 = cls.path("rsa-pkcs1.pem")
        openssl("pkey", "-in", cls.rsa, "-traditional", "-out", cls.rsa_pkcs1)
        cls.ec_sec1 = cls.path("ec-sec1.pem")
        openssl("ec", "-in", cls.ec, "-out", cls.ec_sec1)

    def test_pem_output_matches_openssl(self):
        for key in (self.rsa, self.rsa_pkcs1, self.ec, self.ec_sec1):
            with self.subTest(key=os.path.basename(key)):
                p = self.assertOk(run("pubkey", "--key", key))
                self.assertEqual(p.stdout.encode(), openssl("pkey", "-in", key, "-pubout"))

    def test_certificate_and_key_bundle(self):
        cert = self.path("cert.pem")
        openssl("req", "-x509", "-key", self.ec, "-subj", "/CN=jwtmint test", "-days", "1", "-out", cert)
        bundle = self.write("bundle.pem", self.read("cert.pem") + self.read("ec.pem"))
        # A key file holds exactly one key: a bundle is refused with the command that extracts it.
        p = run("pubkey", "--key", bundle)
        self.assertErrorLine(p, 2, "invalid_key", "openssl pkey -in bundle.pem -out private_key.pem")
        self.assertIn("a CERTIFICATE block (line 1), then a PRIVATE KEY block", p.stderr)
        self.assertErrorLine(run("pubkey", "--key", cert), 2, "invalid_key", "openssl x509")

    def test_positional_key_and_public_input(self):
        p = self.assertOk(run("pubkey", self.ec))
        self.assertEqual(p.stdout.encode(), self.read("ec.pem.pub"))
        p = self.assertOk(run("pubkey", "--key", self.path("rsa.pem.pub")))  # a public key is re-printed
        self.assertEqual(p.stdout.encode(), self.read("rsa.pem.pub"))

    def test_jwk_output_matches_cryptography(self):
        for key, alg in ((self.rsa, "RS256"), (self.ec, "ES256")):
            with self.subTest(alg=alg):
                p = self.assertOk(run("pubkey", "--key", key, "--format", "jwk"))
                got = json.loads(p.stdout)
                want = public_jwk_of(self.read(os.path.basename(key)))
                self.assertEqual(got, dict(want, kid=rfc7638_thumbprint(want), use="sig", alg=alg))

    def test_rfc7638_example_thumbprint(self):
        # RFC 7638 section 3.1: the example RSA key and its thumbprint.
        n = ("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs"
             "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n"
             "91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
        jwk = {"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"}
        self.write("rfc7638.jwk", json.dumps(jwk))
        p = self.assertOk(run("pubkey", "--key", self.path("rfc7638.jwk"), "--format", "jwk"))
        self.assertEqual(json.loads(p.stdout)["kid"], "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")

    def test_jwks_output_is_a_set_of_the_jwk(self):
        for key in (self.rsa, self.ec):
            with self.subTest(key=key):
                jwk = json.loads(self.assertOk(run("pubkey", "--key", key, "--format", "jwk")).stdout)
                jwks = json.loads(self.assertOk(run("pubkey", "--key", key, "--format", "jwks")).stdout)
                self.assertEqual(jwks, {"keys": [jwk]})
                self.assertNotIn("d", jwks["keys"][0])

    def test_secret_has_no_public_key(self):
        secret = self.write("hs.raw", random_secret())
        self.assertErrorLine(run("pubkey", "--key", secret), 2, "key_algorithm_mismatch", "symmetric")


class SignVerifyTest(CliTestCase):
    """keygen -> pubkey -> sign -> verify for each algorithm, and every sign/verify option."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.keys = {}
        for alg in ("rs256", "es256", "hs256"):
            key = cls.path(f"{alg}.key")
            p = run("keygen", alg, "--out", key)
            assert p.returncode == 0, p.stderr
            pub = cls.path(f"{alg}.pub")
            if alg != "hs256":
                q = run("pubkey", "--key", key)
                assert q.returncode == 0, q.stderr
                with open(pub, "w") as f:
                    f.write(q.stdout)
            cls.keys[alg] = (key, pub if alg != "hs256" else key)
        cls.other_ec = cls.openssl_ec("other-ec.pem")

    def verify(self, key, token, *args):
        return run("verify", "--key", key, token, *args)

    def test_round_trip_each_algorithm(self):
        for alg, (key, pub) in self.keys.items():
            with self.subTest(alg=alg):
                token = self.sign(key, "--email", "ada@example.com", "--ttl", "10m",
                                  roles=("Accounting Team", "Support Team"))
                header, claims, sig, _ = segments(token)
                self.assertEqual(header, {"alg": alg.upper(), "typ": "JWT"})  # --alg defaults from the key
                self.assertEqual(claims["roles"], ["Accounting Team", "Support Team"])
                self.assertEqual(claims["email"], "ada@example.com")
                self.assertEqual(claims["exp"] - claims["iat"], 600)
                self.assertLessEqual(abs(claims["iat"] - time.time()), 60)
                self.assertEqual(len(sig), {"rs256": 256, "es256": 64, "hs256": 32}[alg])
                p = self.assertOk(self.verify(pub, token))
                self.assertEqual(json.loads(p.stdout), {"header": header, "claims": claims})
                self.assertEqual(p.stderr, "")

    def test_verify_with_private_key_and_stdin(self):
        key, _ = self.keys["es256"]
        token = self.sign(key)
        p = self.assertOk(run("verify", "--key", key, stdin=token + "\n"))
        self.assertEqual(json.loads(p.stdout)["claims"], segments(token)[1])
        p = self.assertOk(run("verify", "--key", key, "-", stdin=token))
        self.assertEqual(json.loads(p.stdout)["header"]["alg"], "ES256")

    def test_ttl_forms(self):
        key, _ = self.keys["hs256"]
        for ttl, seconds in (("600", 600), ("600s", 600), ("10m", 600), ("1m30s", 90), ("45s", 45)):
            with self.subTest(ttl=ttl):
                claims = segments(self.sign(key, "--ttl", ttl))[1]
                self.assertEqual(claims["exp"] - claims["iat"], seconds)
        claims = segments(self.sign(key))[1]
        self.assertEqual(claims["exp"] - claims["iat"], 300)  # the default lifetime, 5 minutes
        self.assertErrorLine(run("sign", "--key", key, "--role", "A", "--ttl", "1h"), 2, "usage", "--max-lifetime")
        self.assertErrorLine(run("sign", "--key", key, "--role", "A", "--ttl", "11m"), 2, "usage", "--max-lifetime")
        claims = segments(self.sign(key, "--ttl", "1h", "--max-ttl", "1h"))[1]
        self.assertEqual(claims["exp"] - claims["iat"], 3600)

    def test_all_claim_options(self):
        key, pub = self.keys["rs256"]
        token = self.sign(key, "--now", T0, "--ttl", "2m", "--upn", "ada@corp.example", "--preferred-username", "ada",
                          "--sub", "user-42", "--iss", "https://backend.example", "--aud", "customgpt", "--kid", "k1",
                          "--jti", "j-1", "--claim", 'dept="sales"', "--claim", "level=3", "--claim", 'tags=["a","b"]',
                          "--role-claim", "groups", "--role-format", "string", roles=("Accounting Team", "Support Team"))
        header, claims, _, _ = segments(token)
        self.assertEqual(header, {"alg": "RS256", "typ": "JWT", "kid": "k1"})
        self.assertEqual(claims, {"iss": "https://backend.example", "sub": "user-42", "aud": "customgpt",
                                  "upn": "ada@corp.example", "preferred_username": "ada",
                                  "groups": "Accounting Team, Support Team", "dept": "sales", "level": 3,
                                  "tags": ["a", "b"], "jti": "j-1", "iat": T0, "exp": T0 + 120})
        now = str(T0 + 60)
        p = self.assertOk(self.verify(pub, token, "--now", now, "--aud", "customgpt", "--iss", "https://backend.example",
                                      "--sub", "user-42", "--role-claim", "groups"))
        self.assertEqual(json.loads(p.stdout)["claims"], claims)
        # the verifier's requirements are enforced
        self.assertErrorLine(self.verify(pub, token, "--now", now, "--role-claim", "groups"), 1, "claim_mismatch")
        self.assertErrorLine(self.verify(pub, token, "--now", now, "--aud", "customgpt", "--iss", "https://evil.example",
                                         "--role-claim", "groups"), 1, "claim_mismatch")
        self.assertErrorLine(self.verify(pub, token, "--now", now, "--aud", "customgpt"), 1, "missing_roles")

    def test_hs256_signature_matches_python_hmac(self):
        key, _ = self.keys["hs256"]
        token = self.sign(key, "--now", T0)
        _, _, sig, signing_input = segments(token)
        self.assertEqual(sig, hmac.new(self.read("hs256.key"), signing_input, hashlib.sha256).digest())

    def test_expired_and_not_yet_valid(self):
        key, pub = self.keys["es256"]
        token = self.sign(key, "--now", T0, "--ttl", "10m")
        self.assertOk(self.verify(pub, token, "--now", T0 + 599))
        self.assertErrorLine(self.verify(pub, token, "--now", T0 + 600), 1, "token_expired")
        self.assertErrorLine(self.verify(pub, token, "--now", T0 + 3600), 1, "token_expired")
        self.assertOk(self.verify(pub, token, "--now", T0 + 630, "--leeway", "60"))
        self.assertOk(self.verify(pub, token, "--now", T0 + 630, "--leeway", "1m"))
        self.assertErrorLine(self.verify(pub, token, "--now", T0 - 120), 1, "token_not_yet_valid")
        self.assertOk(self.verify(pub, token, "--now", T0 - 30, "--leeway", "30"))
        # nbf in the future, from an independent signer
        pem = self.read("es256.key")
        nbf_token = pyjwt.encode({"roles": ["A"], "iat": T0, "nbf": T0 + 100, "exp": T0 + 600}, pem, algorithm="ES256")
        self.assertErrorLine(self.verify(pub, nbf_token, "--now", T0 + 50), 1, "token_not_yet_valid")
        self.assertOk(self.verify(pub, nbf_token, "--now", T0 + 150))

    def test_known_roles_case_insensitive(self):
        key, pub = self.keys["rs256"]
        token = self.sign(key, roles=("support team",))
        self.assertOk(self.verify(pub, token, "--known-roles", "Accounting Team, Support Team"))
        line = self.assertErrorLine(self.verify(pub, token, "--known-roles", "Accounting Team,Support Tea"), 1,
                                    "unknown_role")
        self.assertIn("support team", line)

    def test_lifetime_ceiling(self):
        key, pub = self.keys["rs256"]
        now = int(time.time())
        long_token = pyjwt.encode({"roles": ["A"], "iat": now, "exp": now + 3600}, self.read("rs256.key"),
                                  algorithm="RS256")
        self.assertErrorLine(self.verify(pub, long_token), 1, "lifetime_too_long")
        self.assertOk(self.verify(pub, long_token, "--max-ttl", "1h"))

    def test_refusals(self):
        key, pub = self.keys["rs256"]
        token = self.sign(key)
        h, p, s = token.split(".")
        claims = segments(token)[1]
        forged = b64url(json.dumps(dict(claims, roles=["Admin Team"]), separators=(",", ":")).encode())
        self.assertErrorLine(self.verify(pub, f"{h}.{forged}.{s}"), 1, "invalid_signature")
        self.openssl_rsa("other-rsa.pem")
        self.assertErrorLine(self.verify(self.path("other-rsa.pem.pub"), token), 1, "invalid_signature")
        none = assemble({"alg": "none", "typ": "JWT"}, claims)
        self.assertErrorLine(self.verify(pub, none), 1, "algorithm_mismatch")
        # the algorithm comes from the key: an RS256 token against an EC key is refused
        self.assertErrorLine(self.verify(self.path("other-ec.pem.pub"), token), 1, "algorithm_mismatch")
        self.assertErrorLine(self.verify(pub, "not-a-token"), 1, "malformed_token")
        self.assertErrorLine(self.verify(pub, f"{h}.{p}"), 1, "malformed_token")
        self.assertErrorLine(self.verify(pub, f"{h}.{p}.{s}="), 1, "invalid_base64url")

    def test_jwk_keys_built_independently(self):
        for alg in ("rs256", "es256"):
            with self.subTest(alg=alg):
                key, _ = self.keys[alg]
                jwk = public_jwk_of(self.read(f"{alg}.key"), use="sig", alg=alg.upper())
                path = self.write(f"{alg}.jwk", json.dumps(jwk))
                token = self.sign(key)
                p = self.assertOk(self.verify(path, token))
                self.assertEqual(json.loads(p.stdout)["claims"], segments(token)[1])
                # a JWK marked for another algorithm is refused as a key error
                wrong = self.write(f"{alg}-wrong.jwk", json.dumps(dict(jwk, alg="PS256")))
                self.assertErrorLine(self.verify(wrong, token), 2, "key_algorithm_mismatch")
        # an "oct" JWK is an HS256 secret
        key, _ = self.keys["hs256"]
        oct_jwk = self.write("hs.jwk", json.dumps({"kty": "oct", "k": b64url(self.read("hs256.key"))}))
        token = self.sign(key)
        self.assertOk(self.verify(oct_jwk, token))

    def test_jwk_set_picks_the_token_kid(self):
        key, _ = self.keys["es256"]
        right = public_jwk_of(self.read("es256.key"), kid="right")
        wrong = public_jwk_of(self.read("other-ec.pem"), kid="wrong")
        jwks = self.write("set.json", json.dumps({"keys": [wrong, right]}))
        self.assertOk(self.verify(jwks, self.sign(key, "--kid", "right")))
        self.assertErrorLine(self.verify(jwks, self.sign(key, "--kid", "wrong")), 1, "invalid_signature")
        self.assertErrorLine(self.verify(jwks, self.sign(key)), 2, "invalid_key", "2 keys")

    def test_private_jwk_signs(self):
        key = serialization.load_pem_private_key(self.read("es256.key"), password=None)
        d = key.private_numbers().private_value.to_bytes(32, "big")
        jwk = self.write("es-private.jwk", json.dumps(public_jwk_of(self.read("es256.key"), d=b64url(d))))
        token = self.sign(jwk)
        self.assertOk(self.verify(self.keys["es256"][1], token))

    def test_tokens_from_pyjwt_verify(self):
        now = int(time.time())
        payload = {"email": "ada@example.com", "roles": "Accounting Team, Support Team", "iat": now, "exp": now + 600}
        for alg, (key, pub) in self.keys.items():
            with self.subTest(alg=alg):
                token = pyjwt.encode(payload, self.read(os.path.basename(key)), algorithm=alg.upper())
                p = self.assertOk(self.verify(pub, token, "--known-roles", "Accounting Team,Support Team"))
                self.assertEqual(json.loads(p.stdout)["claims"], payload)

    def test_jwk_naming_a_member_twice_is_refused(self):
        # The key file goes to the library's strict parser whole: a second "x"/"y" is refused, never
        # taken last-wins (which made this file verify the second key's tokens).
        key, _ = self.keys["es256"]
        right = public_jwk_of(self.read("es256.key"))
        other = public_jwk_of(self.read("other-ec.pem"))
        twice = ('{"kty":"EC","crv":"P-256",' + f'"x":"{other["x"]}","y":"{other["y"]}",'
                 + f'"x":"{right["x"]}","y":"{right["y"]}"' + "}")
        path = self.write("x-twice.jwk", twice)
        line = self.assertErrorLine(self.verify(path, self.sign(key)), 2, "invalid_key", "[invalid_jwk]")
        self.assertIn("the member 'x' appears more than once", line)
        # A private JWK with "d" twice cannot sign either.
        d = serialization.load_pem_private_key(self.read("es256.key"), password=None).private_numbers().private_value
        d_text = b64url(d.to_bytes(32, "big"))
        private = json.dumps(right)[:-1] + f', "d": "{d_text}", "d": "{d_text}"' + "}"
        p = run("sign", "--key", self.write("d-twice.jwk", private), "--role", "A")
        line = self.assertErrorLine(p, 2, "invalid_key", "[invalid_jwk]")
        self.assertIn("the member 'd' appears more than once", line)

    def test_jwk_set_whose_keys_share_a_kid_is_refused(self):
        key, _ = self.keys["es256"]
        right = public_jwk_of(self.read("es256.key"), kid="k")
        wrong = public_jwk_of(self.read("other-ec.pem"), kid="k")
        token = self.sign(key, "--kid", "k")
        for order, keys in (("right key first", [right, wrong]), ("wrong key first", [wrong, right])):
            with self.subTest(order=order):
                path = self.write("shared-kid.json", json.dumps({"keys": keys}))
                line = self.assertErrorLine(self.verify(path, token), 2, "invalid_key", "[invalid_jwk]")
                self.assertIn("two keys in the set share the kid 'k'", line)
        # A set whose only key has another kid than the token's is no match either.
        path = self.write("one-key-set.json", json.dumps({"keys": [dict(right, kid="other")]}))
        line = self.assertErrorLine(self.verify(path, token), 2, "invalid_key", "[unknown_key_id]")
        self.assertIn("the set's kids: 'other'", line)


class InteropTest(CliTestCase):
    """Tokens from `sign`, checked by the openssl command line and by PyJWT."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rsa = cls.openssl_rsa("rsa.pem")
        cls.ec = cls.openssl_ec("ec.pem")
        cls.secret = random_secret()
        cls.hs = cls.write("hs.raw", cls.secret)

    def openssl_verify(self, pub, signing_input, der_signature):
        data = self.write("input.bin", signing_input)
        sig = self.write("sig.bin", der_signature)
        p = subprocess.run([OPENSSL, "dgst", "-sha256", "-verify", pub, "-signature", sig, data],
                           capture_output=True, text=True)
        return p.returncode == 0 and "Verified OK" in p.stdout

    def test_rs256_with_openssl(self):
        token = self.sign(self.rsa, "--email", "ada@example.com")
        _, _, sig, signing_input = segments(token)
        self.assertTrue(self.openssl_verify(self.rsa + ".pub", signing_input, sig))
        self.assertFalse(self.openssl_verify(self.rsa + ".pub", signing_input + b"x", sig))

    def test_es256_with_openssl(self):
        token = self.sign(self.ec, "--email", "ada@example.com")
        _, _, sig, signing_input = segments(token)
        self.assertEqual(len(sig), 64)  # raw R||S, not DER
        self.assertTrue(self.openssl_verify(self.ec + ".pub", signing_input, raw_to_der(sig, 32)))
        self.assertFalse(self.openssl_verify(self.ec + ".pub", signing_input + b"x", raw_to_der(sig, 32)))

    def test_hs256_with_openssl(self):
        token = self.sign(self.hs, "--email", "ada@example.com")
        _, _, sig, signing_input = segments(token)
        out = openssl("dgst", "-sha256", "-mac", "HMAC", "-macopt", f"hexkey:{self.secret.hex()}", "-hex",
                      stdin=signing_input).decode()
        self.assertEqual(out.strip().split()[-1], sig.hex())

    def test_pyjwt_decodes_every_algorithm(self):
        keys = (("RS256", self.rsa, self.read("rsa.pem.pub")), ("ES256", self.ec, self.read("ec.pem.pub")),
                ("HS256", self.hs, self.secret))
        for alg, key, verify_key in keys:
            with self.subTest(alg=alg):
                token = self.sign(key, "--email", "ada@example.com", "--aud", "widget", "--ttl", "10m",
                                  roles=("Accounting Team", "Support Team"))
                claims = pyjwt.decode(token, verify_key, algorithms=[alg], audience="widget",
                                      options={"require": ["exp", "iat"]})
                self.assertEqual(claims["roles"], ["Accounting Team", "Support Team"])
                self.assertEqual(claims["email"], "ada@example.com")
                self.assertEqual(claims["exp"] - claims["iat"], 600)
                self.assertEqual(pyjwt.get_unverified_header(token)["alg"], alg)
                h, p, s = token.split(".")
                altered = s[:10] + ("B" if s[10] == "A" else "A") + s[11:]
                with self.assertRaises(pyjwt.InvalidSignatureError):
                    pyjwt.decode(f"{h}.{p}.{altered}", verify_key, algorithms=[alg], audience="widget")


# Every JOSE signature algorithm, with what RFC 7518 / RFC 8037 fix for it: the key `keygen`
# must make (as `openssl pkey -text` describes it) and the signature length in octets.
ALGORITHMS = {
    "RS256": ("Private-Key: (2048 bit", 256), "RS384": ("Private-Key: (2048 bit", 256),
    "RS512": ("Private-Key: (2048 bit", 256), "PS256": ("Private-Key: (2048 bit", 256),
    "PS384": ("Private-Key: (2048 bit", 256), "PS512": ("Private-Key: (2048 bit", 256),
    "ES256": ("ASN1 OID: prime256v1", 64), "ES384": ("ASN1 OID: secp384r1", 96),
    "ES512": ("ASN1 OID: secp521r1", 132), "EdDSA": ("ED25519 Private-Key:", 64),
    "HS256": (32, 32), "HS384": (48, 48), "HS512": (64, 64),
}


class AlgorithmsTest(CliTestCase):
    """keygen -> sign -> verify for all 13 algorithms, checked by openssl and PyJWT; key refusals.

    The widget accepts three of them (WidgetAlgorithmTest): these tests pass --general."""

    def sign(self, key, *args, roles=("Accounting Team",)):
        return super().sign(key, "--general", *args, roles=roles)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.keys = {}  # alg -> (private key or secret file, public PEM file or the secret file)
        for i, alg in enumerate(ALGORITHMS):
            # names are case-insensitive: alternate the spelling
            name = alg.lower() if i % 2 else alg
            key = cls.path(f"{alg}.key")
            p = run("keygen", name, "--out", key)
            assert p.returncode == 0, f"keygen {name}: {p.stderr}"
            if alg.startswith("HS"):
                cls.keys[alg] = (key, key)
            else:
                pub = cls.write(f"{alg}.pub", p.stdout)
                cls.keys[alg] = (key, pub)

    def test_keygen_makes_the_key_each_algorithm_needs(self):
        for alg, (want, _) in ALGORITHMS.items():
            with self.subTest(alg=alg):
                key, pub = self.keys[alg]
                self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
                if alg.startswith("HS"):
                    self.assertEqual(len(self.read(f"{alg}.key")), want)  # the hash length
                    continue
                self.assertIn(want, openssl("pkey", "-in", key, "-noout", "-text").decode())
                self.assertEqual(self.read(f"{alg}.pub"), openssl("pkey", "-in", key, "-pubout"))
        self.assertOk(run("keygen", "ps384", "--out", self.path("ps3072.pem"), "--bits", "3072"))
        self.assertIn("Private-Key: (3072 bit", openssl("pkey", "-in", self.path("ps3072.pem"), "-noout", "-text").decode())
        # the stderr note says how to sign when the key alone would not pick the algorithm
        p = self.assertOk(run("keygen", "PS512", "--out", self.path("ps512-note.pem")))
        self.assertIn("--alg PS512", p.stderr)
        p = self.assertOk(run("keygen", "hs512", "--format", "base64url", "--out", self.path("hs512.txt")))
        self.assertRegex(self.read("hs512.txt").decode(), r"\A[A-Za-z0-9_-]{86}\Z")  # 64 random bytes as text

    def test_round_trip_every_algorithm(self):
        for alg, (_, sig_len) in ALGORITHMS.items():
            with self.subTest(alg=alg):
                key, pub = self.keys[alg]
                token = self.sign(key, "--alg", alg.lower(), "--email", "ada@example.com", "--ttl", "10m",
                                  roles=("Accounting Team", "Support Team"))
                header, claims, sig, _ = segments(token)
                self.assertEqual(header, {"alg": alg, "typ": "JWT"})
                self.assertEqual(claims["roles"], ["Accounting Team", "Support Team"])
                self.assertEqual(claims["exp"] - claims["iat"], 600)
                self.assertEqual(len(sig), sig_len)
                p = self.assertOk(general_run("verify", "--key", pub, "--alg", alg, token))
                self.assertEqual(json.loads(p.stdout), {"header": header, "claims": claims})
                # a private key verifies too (its public half is used)
                self.assertOk(general_run("verify", "--key", key, "--alg", alg, token))
                h, pl, sg = token.split(".")
                altered = b64url(json.dumps(dict(claims, email="mallory@example.com")).encode())
                self.assertErrorLine(general_run("verify", "--key", pub, "--alg", alg, f"{h}.{altered}.{sg}"), 1,
                                     "invalid_signature")

    def test_default_algorithm_from_the_key(self):
        # EC keys name their curve's one algorithm, an Ed25519 key EdDSA; RSA keys and secrets
        # default to RS256 and HS256, so the others need --alg.
        for alg, implied in (("ES384", "ES384"), ("ES512", "ES512"), ("EdDSA", "EdDSA"), ("PS256", "RS256"),
                             ("HS512", "HS256")):
            with self.subTest(alg=alg):
                key, pub = self.keys[alg]
                token = self.sign(key)
                self.assertEqual(segments(token)[0]["alg"], implied)
                self.assertEqual(json.loads(self.assertOk(general_run("verify", "--key", pub, token)).stdout)["header"]["alg"],
                                 implied)
        # the algorithm still comes from the key, never from the token
        ps_token = self.sign(self.keys["PS256"][0], "--alg", "PS256")
        self.assertErrorLine(general_run("verify", "--key", self.keys["PS256"][1], ps_token), 1, "algorithm_mismatch")
        self.assertErrorLine(general_run("verify", "--key", self.keys["PS256"][1], "--alg", "RS256", ps_token), 1,
                             "algorithm_mismatch")

    def test_assumed_algorithm_refusals_name_the_alg_option(self):
        # A PEM RSA key or a raw secret does not say its algorithm: the refusal says what was
        # assumed and which --alg would read the token, and the token is still refused.
        for key_alg, token_alg, assumed in (("PS256", "PS384", "RS256"), ("RS512", "RS512", "RS256"),
                                            ("HS512", "HS512", "HS256"), ("HS384", "HS384", "HS256")):
            with self.subTest(key=key_alg, token=token_alg):
                key, pub = self.keys[key_alg]
                token = self.sign(key, "--alg", token_alg)
                hint = f"so {assumed} was assumed; if the backend signs {token_alg}, pass --alg {token_alg.lower()})"
                line = self.assertErrorLine(general_run("verify", "--key", pub, token), 1, "algorithm_mismatch", hint)
                self.assertIn(f"says alg '{token_alg}'", line)
                self.assertOk(general_run("verify", "--key", pub, "--alg", token_alg.lower(), token))
                p = general_run("doctor", "--key", key, "--token", token)
                self.assertEqual(p.returncode, 1, p.stdout)
                self.assertRegex(p.stdout, r"\[FAIL\] token signature +algorithm_mismatch: .*" + re.escape(hint))
        # No hint where the key fixes the algorithm (an EC curve), where --alg was given, where
        # the key cannot verify the token's algorithm, or for a JWK that names its "alg".
        es384_token = self.sign(self.keys["ES384"][0])
        line = self.assertErrorLine(general_run("verify", "--key", self.keys["ES256"][1], es384_token), 1, "algorithm_mismatch")
        self.assertNotIn("--alg", line)
        ps_token = self.sign(self.keys["PS256"][0], "--alg", "PS256")
        line = self.assertErrorLine(general_run("verify", "--key", self.keys["PS256"][1], "--alg", "RS384", ps_token), 1,
                                    "algorithm_mismatch")
        self.assertNotIn("was assumed", line)
        hs_token = self.sign(self.keys["HS256"][0], "--alg", "HS256")
        line = self.assertErrorLine(general_run("verify", "--key", self.keys["RS256"][1], hs_token), 1, "algorithm_mismatch")
        self.assertNotIn("was assumed", line)
        jwk = self.write("ps256-as-rs256.jwk", self.assertOk(run("pubkey", "--key", self.keys["PS256"][0],
                                                                "--format", "jwk")).stdout)
        self.assertEqual(json.loads(self.read("ps256-as-rs256.jwk"))["alg"], "RS256")
        line = self.assertErrorLine(general_run("verify", "--key", jwk, ps_token), 1, "algorithm_mismatch")
        self.assertNotIn("was assumed", line)

    def pyjwt_key(self, alg, private):
        key, pub = self.keys[alg]
        return self.read(os.path.basename(key if private else pub))

    def test_pyjwt_verifies_every_algorithm(self):
        for alg in ALGORITHMS:
            with self.subTest(alg=alg):
                key, _ = self.keys[alg]
                token = self.sign(key, "--alg", alg, "--email", "ada@example.com", "--aud", "widget",
                                  roles=("Accounting Team",))
                claims = pyjwt.decode(token, self.pyjwt_key(alg, False), algorithms=[alg], audience="widget",
                                      options={"require": ["exp", "iat"]})
                self.assertEqual(claims["roles"], ["Accounting Team"])
                self.assertEqual(claims["email"], "ada@example.com")
                self.assertEqual(pyjwt.get_unverified_header(token)["alg"], alg)
                h, p, s = token.split(".")
                altered = s[:10] + ("B" if s[10] == "A" else "A") + s[11:]
                with self.assertRaises(pyjwt.InvalidSignatureError):
                    pyjwt.decode(f"{h}.{p}.{altered}", self.pyjwt_key(alg, False), algorithms=[alg],
                                 audience="widget")

    def test_tokens_from_pyjwt_verify(self):
        now = int(time.time())
        payload = {"email": "ada@example.com", "roles": ["Support Team"], "iat": now, "exp": now + 300}
        for alg in ALGORITHMS:
            with self.subTest(alg=alg):
                token = pyjwt.encode(payload, self.pyjwt_key(alg, True), algorithm=alg)
                p = self.assertOk(general_run("verify", "--key", self.keys[alg][1], "--alg", alg, token))
                self.assertEqual(json.loads(p.stdout)["claims"], payload)
                if alg in ("RS256", "ES256", "HS256"):  # the widget's algorithms, with its team roles
                    p = self.assertOk(run("verify", "--key", self.keys[alg][1], "--alg", alg, token,
                                          "--known-roles", "Support Team"))
                    self.assertEqual(json.loads(p.stdout)["claims"], payload)

    def test_a_key_of_the_wrong_family_is_refused_with_the_fix(self):
        rsa, _ = self.keys["RS256"]
        p256, _ = self.keys["ES256"]
        p384, p384_pub = self.keys["ES384"]
        ed, ed_pub = self.keys["EdDSA"]
        hs256, _ = self.keys["HS256"]
        hs384, _ = self.keys["HS384"]
        rsa1024 = self.openssl_rsa("rsa1024.pem", bits=1024)
        table = [
            # (key, --alg, errc, fragments of the one error line)
            (rsa, "ES384", "key_algorithm_mismatch", ("ES384 needs an EC P-384 key", "RSA", "jwtmint keygen es384")),
            (p256, "ES384", "key_algorithm_mismatch", ("P-384", "P-256", "jwtmint keygen es384")),
            (p384, "ES512", "key_algorithm_mismatch", ("P-521", "P-384", "jwtmint keygen es512")),
            (ed, "PS256", "key_algorithm_mismatch", ("PS256 needs an RSA key", "Ed25519", "jwtmint keygen ps256")),
            (p256, "EdDSA", "key_algorithm_mismatch", ("EdDSA needs an Ed25519 key", "jwtmint keygen eddsa")),
            (ed, "HS384", "key_algorithm_mismatch", ("HS384 needs a random shared secret", "Ed25519")),
            (hs256, "EdDSA", "key_algorithm_mismatch", ("EdDSA needs a PEM or JWK key", "--alg HS256")),
            (hs256, "HS384", "weak_key", ("HS384 needs at least 48", "jwtmint keygen hs384")),
            (hs384, "HS512", "weak_key", ("HS512 needs at least 64", "jwtmint keygen hs512")),
            (rsa1024, "PS384", "weak_key", ("1024", "2048", "jwtmint keygen ps384")),
        ]
        for key, alg, errc, fragments in table:
            with self.subTest(key=os.path.basename(key), alg=alg):
                p = general_run("sign", "--key", key, "--role", "A", "--alg", alg)
                line = self.assertErrorLine(p, 2, errc)
                self.assertEqual(p.stdout, "")
                for f in fragments:
                    self.assertIn(f, line)
        token = self.sign(p384)
        self.assertErrorLine(general_run("verify", "--key", ed_pub, "--alg", "ES384", token), 2, "key_algorithm_mismatch",
                             "ES384 verification needs an EC P-384 public key")
        self.assertErrorLine(general_run("verify", "--key", p384_pub, "--alg", "EdDSA", token), 2, "key_algorithm_mismatch",
                             "Ed25519")
        self.assertErrorLine(run("pubkey", "--key", hs384), 2, "key_algorithm_mismatch", "symmetric")

    def test_doctor_with_es384_and_eddsa_key_pairs(self):
        for alg, detail in (("ES384", "EC key on P-384"), ("EdDSA", "Ed25519 key")):
            with self.subTest(alg=alg):
                key, pub = self.keys[alg]
                token = self.sign(key, "--email", "ada@example.com", roles=("Support Team",))
                p = self.assertOk(general_run("doctor", "--key", key, "--public", pub, "--token", token))
                lines = {l[7:].split("  ")[0].strip(): l for l in p.stdout.splitlines()[:-1]}
                for name in ("key loads", "key strength", "public key match", "fresh token", "token signature"):
                    self.assertTrue(lines[name].startswith("[ ok ]"), lines[name])
                self.assertTrue(lines["token roles"].startswith("[skip]"), lines["token roles"])  # no team roles
                self.assertIn(f"{alg}: {detail}", lines["key strength"])
                self.assertIn(alg, lines["fresh token"])
                other = self.path(f"other-{alg}.pem")
                q = self.assertOk(run("keygen", alg, "--out", other))
                other_pub = self.write(f"other-{alg}.pub", q.stdout)
                p = general_run("doctor", "--key", key, "--public", other_pub)
                self.assertEqual(p.returncode, 1, p.stdout)
                self.assertIn("[FAIL] public key match", p.stdout)

    def test_public_jwk_of_new_key_types(self):
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519
        for alg, crv, size in (("ES384", "P-384", 48), ("ES512", "P-521", 66), ("EdDSA", "Ed25519", 32)):
            with self.subTest(alg=alg):
                key = serialization.load_pem_private_key(self.read(f"{alg}.key"), password=None)
                if isinstance(key, ed25519.Ed25519PrivateKey):
                    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
                    want = {"kty": "OKP", "crv": crv, "x": b64url(raw)}
                else:
                    self.assertIsInstance(key, ec.EllipticCurvePrivateKey)
                    n = key.public_key().public_numbers()
                    want = {"kty": "EC", "crv": crv, "x": b64url(n.x.to_bytes(size, "big")),
                            "y": b64url(n.y.to_bytes(size, "big"))}
                self.assertEqual(len(b64url_decode(want["x"])), size)
                got = json.loads(self.assertOk(run("pubkey", "--key", self.keys[alg][0], "--format", "jwk")).stdout)
                self.assertEqual(got, dict(want, kid=rfc7638_thumbprint(want), use="sig", alg=alg))
                # and the JWK verifies the algorithm's tokens
                jwk = self.write(f"{alg}.jwk", json.dumps(got))
                self.assertOk(general_run("verify", "--key", jwk, self.sign(self.keys[alg][0])))

    def test_inspect_knows_each_signature_size(self):
        for alg, (_, sig_len) in ALGORITHMS.items():
            with self.subTest(alg=alg):
                token = self.sign(self.keys[alg][0], "--alg", alg, "--email", "a@example.com")
                p = self.assertOk(run("inspect", token))
                self.assertIn("warnings: none", p.stdout)
                h, pl, sg = token.split(".")
                short = b64url(b64url_decode(sg)[:sig_len - 2 if alg[0] in "EH" else 100])
                p = self.assertOk(run("inspect", f"{h}.{pl}.{short}"))
                self.assertIn(f"signature has {sig_len - 2 if alg[0] in 'EH' else 100} octets", p.stdout)

    def test_help_lists_every_algorithm(self):
        for cmd in ("keygen", "sign", "verify", "doctor"):
            with self.subTest(cmd=cmd):
                text = " ".join(self.assertOk(run(cmd, "--help")).stdout.split())
                for alg in ALGORITHMS:
                    self.assertIn(alg.lower() if cmd == "keygen" else alg, text)


class InspectTest(CliTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.secret = random_secret()
        cls.hs = cls.write("hs.raw", cls.secret)

    def pyjwt_token(self, payload, headers=None):
        return pyjwt.encode(payload, self.secret, algorithm="HS256", headers=headers)

    def inspect(self, token, *args):
        return self.assertOk(run("inspect", token, "--now", *args))

    def warnings(self, out):
        return [l.strip() for l in out.splitlines() if l.strip().startswith("warning:")]

    def test_says_not_verified_and_shows_times(self):
        token = self.pyjwt_token({"email": "ada@example.com", "roles": ["Accounting Team"], "iat": T0, "exp": T0 + 600})
        p = self.inspect(token, T0 + 2)
        self.assertTrue(p.stdout.startswith("NOT VERIFIED"), p.stdout[:80])
        self.assertIn(f"iat  {utc(T0)} (2 s ago)\n", p.stdout)
        self.assertIn(f"exp  {utc(T0 + 600)} (in 9 min 58 s)\n", p.stdout)
        self.assertIn("lifetime  10 min (exp - iat)", p.stdout)
        self.assertIn("'Accounting Team'", p.stdout)
        self.assertIn("identity: ada@example.com (from email)", p.stdout)
        self.assertIn("warnings: none", p.stdout)
        self.assertEqual(self.warnings(p.stdout), [])
        self.assertEqual(utc(T0), "2026-05-12T15:33:20Z")  # the example date, by hand

    def test_expired(self):
        token = self.pyjwt_token({"email": "a@example.com", "roles": ["A"], "iat": T0, "exp": T0 + 600})
        p = self.inspect(token, T0 + 780)
        self.assertIn(f"exp  {utc(T0 + 600)} (3 min ago)\n", p.stdout)
        w = self.warnings(p.stdout)
        self.assertEqual(len(w), 1)
        self.assertIn(f"expired {utc(T0 + 600)} (3 min ago)", w[0])

    def test_each_warning(self):
        cases = {
            "no role claim": ({"email": "a@example.com", "iat": T0, "exp": T0 + 60}, "no 'roles' claim"),
            "long lifetime": ({"email": "a@example.com", "roles": ["A"], "iat": T0, "exp": T0 + 3600}, "lifetime 1 h is above 10 min"),
            "no identity": ({"roles": ["A"], "iat": T0, "exp": T0 + 60}, "no identity"),
            "no exp": ({"email": "a@example.com", "roles": ["A"], "iat": T0}, "no exp"),
            "future iat": ({"email": "a@example.com", "roles": ["A"], "iat": T0 + 300, "exp": T0 + 600}, "clock is ahead"),
            "bad role claim": ({"email": "a@example.com", "roles": 7, "iat": T0, "exp": T0 + 60}, "'roles' claim"),
        }
        for name, (payload, expected) in cases.items():
            with self.subTest(name):
                w = self.warnings(self.inspect(self.pyjwt_token(payload), T0 + 1).stdout)
                self.assertEqual(len(w), 1, w)
                self.assertIn(expected, w[0])

    def test_alg_none(self):
        token = assemble({"alg": "none"}, {"email": "a@example.com", "roles": ["A"], "iat": T0, "exp": T0 + 60})
        w = self.warnings(self.inspect(token, T0 + 1).stdout)
        self.assertEqual(len(w), 1)
        self.assertIn("alg is 'none'", w[0])

    def test_role_claim_option_and_string_form(self):
        token = self.pyjwt_token({"groups": "A Team, B Team", "upn": "u@corp.example", "iat": T0, "exp": T0 + 60})
        p = self.inspect(token, T0 + 1, "--role-claim", "groups")
        self.assertIn("'A Team', 'B Team'", p.stdout)
        self.assertIn("identity: u@corp.example (from upn)", p.stdout)
        self.assertEqual(self.warnings(p.stdout), [])

    def test_json_output(self):
        token = self.pyjwt_token({"roles": ["A"], "iat": T0, "exp": T0 + 600})
        p = self.inspect(token, T0 + 2, "--json")
        doc = json.loads(p.stdout)
        self.assertIs(doc["verified"], False)
        self.assertEqual(doc["claims"], {"roles": ["A"], "iat": T0, "exp": T0 + 600})
        self.assertEqual(doc["times"]["exp"]["utc"], utc(T0 + 600))
        self.assertEqual(doc["times"]["exp"]["relative"], "in 9 min 58 s")
        self.assertEqual(len(doc["warnings"]), 1)
        self.assertIn("NOT VERIFIED", p.stderr)

    def test_token_from_stdin(self):
        token = self.pyjwt_token({"roles": ["A"], "email": "a@example.com", "iat": T0, "exp": T0 + 60})
        p = self.assertOk(run("inspect", "--now", T0, stdin=token + "\n"))
        self.assertIn("warnings: none", p.stdout)

    def test_undecodable(self):
        self.assertErrorLine(run("inspect", "abc"), 1, "malformed_token")
        self.assertErrorLine(run("inspect", "a.b.c.d.e"), 1, "malformed_token", "JWE")
        self.assertErrorLine(run("inspect", "e30.e30=.x"), 1, "invalid_base64url")
        not_json = b64url(b"hello")
        self.assertErrorLine(run("inspect", f"{not_json}.{not_json}.x"), 1, "malformed_token", "JSON")


class DoctorKeysTestCase(CliTestCase):
    """An EC key (and where its public half goes) and another key, for doctor's tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.openssl_ec("ec.pem")
        cls.pub = cls.key + ".pub"
        cls.other = cls.openssl_ec("other.pem")


class DoctorTest(DoctorKeysTestCase):
    KNOWN = "Accounting Team,Support Team"

    def doctor(self, *args):
        p = run("doctor", "--key", self.key, *args)
        self.assertNoCrash(p)
        lines, _ = doctor_output(p.stdout)
        for line in lines[:-1]:
            self.assertRegex(line, r"^\[( ok |warn|FAIL|skip)\] ")
        self.assertRegex(lines[-1], r"^doctor: \d+ ok, \d+ warnings?, \d+ failed, \d+ skipped$")
        return p

    def line(self, p, name):
        found = [l for l in p.stdout.splitlines() if l[7:].startswith(name + " ")]
        self.assertEqual(len(found), 1, f"no single '{name}' line in:\n{p.stdout}")
        return found[0]

    def test_everything_passes(self):
        token = self.sign(self.key, "--email", "ada@example.com", "--ttl", "10m", roles=("support team",))
        p = self.doctor("--public", self.pub, "--token", token, "--known-roles", self.KNOWN)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertNotIn("[FAIL]", p.stdout)
        self.assertNotIn("[warn]", p.stdout)
        for name in ("key loads", "key strength", "key file mode", "public key match", "fresh token",
                     "token signature", "token expiry", "token lifetime", "token roles", "token identity",
                     "system clock", "clock skew"):
            self.assertTrue(self.line(p, name).startswith("[ ok ]"), name)
        self.assertIn("Support Team", self.line(p, "token roles"))

    def test_mismatched_public_key(self):
        p = self.doctor("--public", self.other + ".pub")
        self.assertEqual(p.returncode, 1)
        self.assertTrue(self.line(p, "public key match").startswith("[FAIL]"))
        self.assertIn("mismatch", self.line(p, "public key match"))

    def test_misspelled_role(self):
        token = self.sign(self.key, "--email", "ada@example.com", roles=("Suport Team",))
        p = self.doctor("--token", token, "--known-roles", self.KNOWN)
        self.assertEqual(p.returncode, 1)
        line = self.line(p, "token roles")
        self.assertTrue(line.startswith("[FAIL]"))
        self.assertIn("'Suport Team' is not one of the team roles (did you mean 'Support Team'?)", line)

    def test_file_permissions(self):
        loose = self.path("loose.pem")
        shutil.copy(self.key, loose)
        os.chmod(loose, 0o644)
        p = run("doctor", "--key", loose)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(self.line(p, "key file mode").startswith("[FAIL]"))
        self.assertIn("0644", self.line(p, "key file mode"))
        os.chmod(loose, 0o640)
        p = run("doctor", "--key", loose)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertTrue(self.line(p, "key file mode").startswith("[warn]"))
        self.assertEqual(run("doctor", "--key", loose, "--allow-warnings").returncode, 0)
        os.chmod(loose, 0o600)
        p = run("doctor", "--key", loose)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertTrue(self.line(p, "key file mode").startswith("[ ok ]"))

    def test_token_problems(self):
        expired = self.sign(self.key, "--email", "a@example.com", "--now", T0)
        p = self.doctor("--token", expired)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(self.line(p, "token expiry").startswith("[FAIL]"))

        now = int(time.time())
        long_lived = pyjwt.encode({"email": "a@example.com", "roles": ["A"], "iat": now, "exp": now + 3600},
                                  self.read("ec.pem"), algorithm="ES256")
        p = self.doctor("--token", long_lived)
        self.assertEqual(p.returncode, 1, p.stdout)  # a warning is not a pass
        self.assertTrue(self.line(p, "token lifetime").startswith("[warn]"))
        self.assertNotIn("[FAIL]", p.stdout)
        self.assertEqual(self.doctor("--token", long_lived, "--allow-warnings").returncode, 0)

        foreign = self.sign(self.other, "--email", "a@example.com")
        p = self.doctor("--token", foreign)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(self.line(p, "token signature").startswith("[FAIL]"))

        future = pyjwt.encode({"email": "a@example.com", "roles": ["A"], "iat": now + 600, "exp": now + 900},
                              self.read("ec.pem"), algorithm="ES256")
        p = self.doctor("--token", future)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(self.line(p, "clock skew").startswith("[FAIL]"))

        no_roles = pyjwt.encode({"email": "a@example.com", "iat": now, "exp": now + 60}, self.read("ec.pem"),
                                algorithm="ES256")
        p = self.doctor("--token", no_roles)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(self.line(p, "token roles").startswith("[FAIL]"))

        p = self.doctor("--token", "garbage")
        self.assertEqual(p.returncode, 1)
        self.assertTrue(self.line(p, "token format").startswith("[FAIL]"))

    def test_clock(self):
        p = self.doctor("--now", "0")
        self.assertEqual(p.returncode, 1)
        self.assertIn("1970-01-01T00:00:00Z", self.line(p, "system clock"))
        self.assertTrue(self.line(p, "system clock").startswith("[FAIL]"))

    def test_wrong_kind_of_key(self):
        p = run("doctor", "--key", self.pub)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(self.line(p, "key loads").startswith("[FAIL]"))
        k1 = self.openssl_ec("k1.pem", curve="secp256k1")  # an EC curve no JOSE algorithm here uses
        p = run("doctor", "--key", k1)
        self.assertEqual(p.returncode, 1)
        self.assertIn("[FAIL]", p.stdout)
        self.assertIn("secp256k1", self.line(p, "key type"))

    def test_hs256_secret(self):
        secret = random_secret()
        hs = self.write("hs.raw", secret)
        same = self.write("hs-copy.raw", secret)
        different = self.write("hs-other.raw", random_secret())
        p = run("doctor", "--key", hs, "--public", same)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertTrue(self.line(p, "fresh token").startswith("[ ok ]"))
        self.assertTrue(self.line(p, "public key match").startswith("[ ok ]"))
        p = run("doctor", "--key", hs, "--public", different)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(self.line(p, "public key match").startswith("[FAIL]"))
        text = self.write("hs-text.txt", "a-secret-typed-into-a-file-with-echo-0123456789\n")
        p = run("doctor", "--key", text)
        self.assertTrue(self.line(p, "key strength").startswith("[warn]"))
        self.assertIn("line break", self.line(p, "key strength"))


class DoctorJsonTest(DoctorKeysTestCase):
    """doctor --json: one JSON object on stdout, the same checks and exit status as the text."""

    def both(self, *args):
        """(text run, JSON run, parsed JSON) of one doctor command line."""
        text = run("doctor", *args)
        self.assertNoCrash(text)
        p = run("doctor", *args, "--json")
        self.assertNoCrash(p)
        self.assertEqual(p.stderr, "")
        doc = json.loads(p.stdout)
        self.assertEqual(p.returncode, text.returncode, p.stdout)
        self.assertEqual(doc["exit_status"], p.returncode)
        lines, _ = doctor_output(text.stdout)
        tags = {"[ ok ]": "ok", "[warn]": "warn", "[FAIL]": "fail", "[skip]": "skip"}
        # the checks in the order and with the outcomes the text gives
        self.assertEqual([(c["name"], c["outcome"]) for c in doc["checks"]],
                         [(l[7:25].rstrip(), tags[l[:6]]) for l in lines[:-1]])
        for c in doc["checks"]:
            self.assertEqual(set(c), {"name", "outcome", "message", "fix"})
            self.assertIsInstance(c["message"], str)
            self.assertTrue(c["fix"] is None or isinstance(c["fix"], str))
        counts = {k: sum(1 for c in doc["checks"] if c["outcome"] == k) for k in ("ok", "warn", "fail", "skip")}
        self.assertEqual(doc["summary"], counts)
        return text, p, doc

    def test_passing_run(self):
        token = self.sign(self.key, "--email", "ada@example.com", roles=("Support Team",))
        _, p, doc = self.both("--key", self.key, "--public", self.pub, "--token", token,
                              "--known-roles", "Accounting Team,Support Team")
        self.assertEqual(p.returncode, 0)
        self.assertNotIn("fail", [c["outcome"] for c in doc["checks"]])
        self.assertEqual(doc["vendor_public_key"]["pem"].encode(), openssl("pkey", "-in", self.key, "-pubout"))

    def test_failing_run(self):
        loose = self.write("loose.pem", open(self.key, "rb").read(), mode=0o644)
        _, p, doc = self.both("--key", loose, "--public", self.other + ".pub")
        self.assertEqual(p.returncode, 1)
        by_name = {c["name"]: c for c in doc["checks"]}
        self.assertEqual(by_name["key file mode"]["outcome"], "fail")
        self.assertIn("chmod 600", by_name["key file mode"]["fix"])
        self.assertEqual(by_name["public key match"]["outcome"], "fail")
        self.assertIn("paste", by_name["public key match"]["fix"])


class KeyRotationTest(CliTestCase):
    """Several keys in one JWK Set (pubkey), a next key beside the current one (keygen --next),
    and doctor saying which key the vendor's settings must hold."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rsa = cls.openssl_rsa("rsa.pem")
        cls.rsa_pkcs1 = cls.path("rsa-pkcs1.pem")  # the same key, another encoding
        openssl("pkey", "-in", cls.rsa, "-traditional", "-out", cls.rsa_pkcs1)
        cls.rsa2 = cls.openssl_rsa("rsa2.pem")
        cls.ec = cls.openssl_ec("ec.pem")

    def expected_jwk(self, key, alg):
        want = public_jwk_of(self.read(os.path.basename(key)))
        return dict(want, kid=rfc7638_thumbprint(want), use="sig", alg=alg)

    def kid_of(self, key):
        want = public_jwk_of(self.read(os.path.basename(key)))
        return rfc7638_thumbprint(want)

    def fresh_dir(self, name):
        d = self.path(name)
        os.mkdir(d)
        return d

    # pubkey ---------------------------------------------------------------------------------

    def test_pubkey_writes_one_set_of_several_keys(self):
        p = self.assertOk(run("pubkey", "--key", self.rsa, "--key", self.rsa2, "--key", self.ec, "--format", "jwks"))
        got = json.loads(p.stdout)
        self.assertEqual(got, {"keys": [self.expected_jwk(self.rsa, "RS256"), self.expected_jwk(self.rsa2, "RS256"),
                                        self.expected_jwk(self.ec, "ES256")]})
        # PyJWT reads the set, and a token of each key verifies with the key the set names by its kid.
        keyset = pyjwt.PyJWKSet.from_dict(got)
        for key, alg in ((self.rsa, "RS256"), (self.rsa2, "RS256"), (self.ec, "ES256")):
            token = self.sign(key, "--kid", self.kid_of(key))
            jwk = next(k for k in keyset.keys if k.key_id == self.kid_of(key))
            pyjwt.decode(token, jwk.key, algorithms=[alg])

    def test_pubkey_refuses_a_key_given_twice(self):
        kid = self.kid_of(self.rsa)
        for twice in (self.rsa, self.rsa_pkcs1):  # the same file, or the same key in another file
            with self.subTest(second=os.path.basename(twice)):
                line = self.assertErrorLine(run("pubkey", "--key", self.rsa, "--key", self.ec, "--key", twice,
                                                "--format", "jwks"), 2, "invalid_key")
                self.assertIn(f"'{twice}' holds the same public key as '{self.rsa}' (kid {kid})", line)
                self.assertIn("lists each key once", line)

    def test_pubkey_pem_and_jwk_take_one_key(self):
        for fmt in ("pem", "jwk"):
            with self.subTest(format=fmt):
                line = self.assertErrorLine(run("pubkey", "--key", self.rsa, "--key", self.ec, "--format", fmt),
                                            2, "usage")
                self.assertIn(f"--format {fmt} prints one key, and 2 were given; use --format jwks", line)

    # keygen --next --------------------------------------------------------------------------

    def test_keygen_next_writes_the_next_key_beside_the_current_one(self):
        d = self.fresh_dir("keygen-next")
        for alg, current_name, next_name in (("rs256", "rs256-private.pem", "rs256-next-private.pem"),
                                             ("es256", "signing.pem", "signing-next.pem")):
            with self.subTest(alg=alg):
                current = os.path.join(d, current_name)
                self.assertOk(run("keygen", alg, "--out", current))
                p = self.assertOk(run("keygen", alg, "--next", "--out", current))
                nxt = os.path.join(d, next_name)
                self.assertEqual(stat.S_IMODE(os.stat(nxt).st_mode), 0o600)
                self.assertEqual(p.stdout.encode(), openssl("pkey", "-in", nxt, "-pubout"))
                with open(nxt, "rb") as f:
                    jwk = public_jwk_of(f.read())
                with open(current, "rb") as f:
                    current_jwk = public_jwk_of(f.read())
                self.assertNotEqual(jwk, current_jwk)
                self.assertIn(f"kid {rfc7638_thumbprint(jwk)} (the current key is kid "
                              f"{rfc7638_thumbprint(current_jwk)})", p.stderr)
                self.assertIn(f"mv {nxt} {current} && kill -HUP PID", p.stderr)
                self.assertIn("paste the public key above into the vendor's settings", p.stderr)
                self.assertIn(f"jwtmint pubkey --key {current} --key {nxt} --format jwks", p.stderr)
                # Never overwritten without --force; with it, a new key, still 0600.
                with open(nxt, "rb") as f:
                    before = f.read()
                self.assertErrorLine(run("keygen", alg, "--next", "--out", current), 2, "key_file_error",
                                     f"'{nxt}' already exists; keygen never overwrites a key without --force")
                with open(nxt, "rb") as f:
                    self.assertEqual(f.read(), before)
                self.assertOk(run("keygen", alg, "--next", "--force", "--out", current))
                with open(nxt, "rb") as f:
                    self.assertNotEqual(f.read(), before)
                self.assertEqual(stat.S_IMODE(os.stat(nxt).st_mode), 0o600)

    def test_keygen_next_refusals(self):
        d = self.fresh_dir("keygen-next-refusals")
        missing = os.path.join(d, "rs256-private.pem")
        self.assertErrorLine(run("keygen", "rs256", "--next", "--out", missing), 2, "key_file_error",
                             f"there is no current key '{missing}'")
        self.assertErrorLine(run("keygen", "es256", "--next", "--out", self.rsa), 2, "key_algorithm_mismatch",
                             f"the current key '{self.rsa}' does not sign ES256")
        secret = self.write("hs.raw", random_secret())
        self.assertErrorLine(run("keygen", "hs256", "--next", "--out", secret), 2, "usage",
                             "an HS256 secret is never published")
        self.assertEqual(sorted(os.listdir(d)), [])

    # doctor ---------------------------------------------------------------------------------

    def doctor(self, key, *args):
        p = run("doctor", "--key", key, *args)
        self.assertNoCrash(p)
        lines, blocks = doctor_output(p.stdout)
        for line in lines[:-1]:
            self.assertRegex(line, r"^\[( ok |warn|FAIL|skip)\] ")
        self.assertRegex(lines[-1], r"^doctor: \d+ ok, \d+ warnings?, \d+ failed, \d+ skipped$")
        checks = {l[7:25].strip(): l for l in lines[:-1]}
        return p, checks, blocks

    def rotation_dir(self, name):
        """A data folder with rs256-private.pem and rs256-next-private.pem made by openssl."""
        d = self.fresh_dir(name)
        for f in ("rs256-private.pem", "rs256-next-private.pem"):
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", os.path.join(d, f))
            os.chmod(os.path.join(d, f), 0o600)
        return d, os.path.join(d, "rs256-private.pem"), os.path.join(d, "rs256-next-private.pem")

    def jwk_kid(self, path):
        with open(path, "rb") as f:
            return rfc7638_thumbprint(public_jwk_of(f.read()))

    def test_doctor_always_names_the_key_the_vendor_must_hold(self):
        p, checks, blocks = self.doctor(self.rsa)
        self.assertEqual(p.returncode, 0, p.stdout)
        kid = self.kid_of(self.rsa)
        self.assertTrue(checks["vendor key"].startswith("[ ok ]"))
        self.assertIn(f"the vendor's settings must hold the public key of '{self.rsa}', the key that signs "
                      f"(RS256, kid {kid}", checks["vendor key"])
        intro = f"The vendor's settings must hold this public key (kid {kid}, the key in '{self.rsa}', which signs):"
        self.assertEqual(blocks, {intro: openssl("pkey", "-in", self.rsa, "-pubout").decode()})
        self.assertTrue(checks["next key"].startswith("[skip]"))
        self.assertIn("keygen rs256 --next --out " + self.rsa, checks["next key"])
        # The summary stays the last line.
        self.assertTrue(p.stdout.splitlines()[-1].startswith("doctor: "))

    def test_doctor_finds_the_next_key_beside_the_current_one(self):
        d, current, nxt = self.rotation_dir("doctor-next")
        p, checks, blocks = self.doctor(current)
        self.assertEqual(p.returncode, 0, p.stdout)
        kid, next_kid = self.jwk_kid(current), self.jwk_kid(nxt)
        line = checks["next key"]
        self.assertTrue(line.startswith("[ ok ]"), line)
        self.assertIn(f"'{nxt}' (kid {next_kid}) is the next key, which does not sign yet", line)
        self.assertIn(f"when you promote it (mv {nxt} {current}, then SIGHUP the backend) paste its public key", line)
        self.assertEqual(blocks[f"When you promote the next key, replace it there with this one (kid {next_kid}, "
                                f"the key in '{nxt}'):"], openssl("pkey", "-in", nxt, "-pubout").decode())
        self.assertIn(f"kid {kid}", checks["vendor key"])
        # --next-key names it explicitly, anywhere.
        elsewhere = self.path("elsewhere-next.pem")
        shutil.copy(nxt, elsewhere)
        p, checks, _ = self.doctor(self.rsa, "--next-key", elsewhere)
        self.assertIn(f"'{elsewhere}' (kid {next_kid}) is the next key", checks["next key"])

    def test_doctor_fails_when_the_vendor_holds_another_key(self):
        d, current, nxt = self.rotation_dir("doctor-mismatch")
        kid, next_kid, other_kid = self.jwk_kid(current), self.jwk_kid(nxt), self.kid_of(self.rsa2)
        # An unrelated key pasted: both kids and the fix.
        p, checks, blocks = self.doctor(current, "--public", self.rsa2 + ".pub")
        self.assertEqual(p.returncode, 1)
        line = checks["public key match"]
        self.assertTrue(line.startswith("[FAIL]"), line)
        self.assertIn(f"key_mismatch: '{self.rsa2}.pub' (kid {other_kid}) is not the public key of '{current}' "
                      f"(kid {kid}), which signs", line)
        self.assertIn(f"paste the PEM of kid {kid} printed below into the vendor's settings", line)
        self.assertIn(openssl("pkey", "-in", current, "-pubout").decode(), p.stdout)
        # The next key pasted before it was promoted.
        next_pub = self.write("next.pub", openssl("pkey", "-in", nxt, "-pubout"))
        p, checks, _ = self.doctor(current, "--public", next_pub)
        self.assertEqual(p.returncode, 1)
        line = checks["public key match"]
        self.assertTrue(line.startswith("[FAIL]"), line)
        self.assertIn(f"'{next_pub}' is the public key of the next key '{nxt}' (kid {next_kid}), which does not "
                      f"sign yet; the key that signs is '{current}' (kid {kid})", line)
        self.assertIn(f"until the next key is promoted (mv {nxt} {current}, then SIGHUP the backend)", line)
        # Once promoted (moved), the same pasted key is the right one.
        os.replace(nxt, current)
        p, checks, _ = self.doctor(current, "--public", next_pub)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertTrue(checks["public key match"].startswith("[ ok ]"))
        self.assertIn(f"belongs to the private key (kid {next_kid})", checks["public key match"])
        self.assertIn(f"kid {next_kid}", checks["vendor key"])

    def test_doctor_warns_about_a_next_key_copied_not_moved(self):
        d, current, nxt = self.rotation_dir("doctor-copied")
        shutil.copy(current, nxt)
        p, checks, blocks = self.doctor(current)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(checks["next key"].startswith("[warn]"))
        self.assertIn(f"holds the same key as '{current}'", checks["next key"])
        self.assertEqual(len(blocks), 1)

    def test_doctor_refuses_a_next_key_that_cannot_sign(self):
        d, current, nxt = self.rotation_dir("doctor-bad-next")
        shutil.copy(self.ec, nxt)
        p, checks, blocks = self.doctor(current)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(checks["next key"].startswith("[FAIL]"))
        self.assertIn(f"'{nxt}' cannot become the key that signs RS256", checks["next key"])

    def test_doctor_with_a_secret(self):
        secret = self.write("hs256.secret", random_secret())
        p, checks, blocks = self.doctor(secret)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertIn("the vendor's settings must hold the very secret", checks["vendor key"])
        self.assertNotIn("next key", checks)
        self.assertEqual(blocks, {})


class BadInputTest(CliTestCase):
    """Every bad input: one 'error: <code>: ...' line on stderr, nothing on stdout, the right status."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ec = cls.openssl_ec("ec.pem")
        cls.p384 = cls.openssl_ec("p384.pem", curve="P-384")
        cls.k1 = cls.openssl_ec("k1.pem", curve="secp256k1")
        cls.rsa = cls.openssl_rsa("rsa.pem")
        cls.hs = cls.write("hs.raw", random_secret())
        cls.short = cls.write("short.raw", random_secret(16))
        cls.empty = cls.write("empty.pem", b"")
        cls.garbage_pem = cls.write("garbage.pem", "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
        cls.der = cls.path("ec.der")
        openssl("pkey", "-in", cls.ec, "-outform", "DER", "-out", cls.der)
        cls.bad_jwk = cls.write("bad.jwk", '{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}')
        cls.off_curve = cls.write("offcurve.jwk", json.dumps({"kty": "EC", "crv": "P-256", "x": b64url(b"\x01" * 32),
                                                              "y": b64url(b"\x02" * 32)}))
        cls.existing = cls.write("existing.pem", "x")
        cls.missing = cls.path("missing.pem")
        p = run("sign", "--key", cls.ec, "--role", "A")
        assert p.returncode == 0, p.stderr
        cls.token = p.stdout.strip()

    def check_table(self, table):
        for args, status, errc, fragment in table:
            with self.subTest(args=" ".join(map(str, args))):
                p = run(*args, stdin="")
                self.assertErrorLine(p, status, errc, fragment)
                self.assertEqual(p.stdout, "")

    def test_keygen(self):
        self.check_table([
            (["keygen", "rs256"], 2, "usage", "--out"),
            (["keygen", "--out", self.path("k1.pem")], 2, "usage", "algorithm"),
            (["keygen", "xs256", "--out", self.path("k2.pem")], 2, "usage", None),
            (["keygen", "ps256", "--out", self.path("k2b.pem"), "--bytes", "64"], 2, "usage", "--bytes"),
            (["keygen", "eddsa", "--out", self.path("k2c.pem"), "--bits", "4096"], 2, "usage", "Ed25519"),
            (["keygen", "es384", "--out", self.path("k2d.pem"), "--bits", "4096"], 2, "usage", "P-384"),
            (["keygen", "hs384", "--out", self.path("k2e"), "--bytes", "40"], 2, "weak_key", "48"),
            (["keygen", "hs512", "--out", self.path("k2f"), "--passphrase-file", self.existing], 2, "usage", None),
            (["keygen", "rs256", "--out", self.path("k3.pem"), "--bits", "1024"], 2, "weak_key", None),
            (["keygen", "rs256", "--out", self.path("k4.pem"), "--bits", "lots"], 2, "usage", "--bits"),
            (["keygen", "es256", "--out", self.existing], 2, "key_file_error", "already exists"),
            (["keygen", "es256", "--out", self.path("no/such/dir/k.pem")], 2, "key_file_error", None),
            (["keygen", "es256", "--out", self.path("k5.pem"), "--frobnicate"], 2, "usage", "--frobnicate"),
            (["keygen", "hs256", "--out", self.path("k6"), "--format", "hex"], 2, "usage", "--format"),
        ])

    def test_pubkey(self):
        self.check_table([
            (["pubkey", "--key", self.missing], 2, "key_file_error", "no such file"),
            (["pubkey", "--key", self.dir], 2, "key_file_error", "directory"),
            (["pubkey", "--key", self.empty], 2, "key_file_error", "empty"),
            (["pubkey", "--key", self.garbage_pem], 2, "invalid_key", None),
            (["pubkey", "--key", self.der], 2, "invalid_key", "DER"),
            (["pubkey", "--key", self.hs], 2, "key_algorithm_mismatch", None),
            (["pubkey", "--key", self.bad_jwk], 2, "invalid_key", "JWK"),
            (["pubkey", "--key", self.off_curve], 2, "invalid_key", "curve"),
            (["pubkey"], 2, "usage", "--key"),
            (["pubkey", "--key", self.ec, "--bogus"], 2, "usage", "--bogus"),
            (["pubkey", "--key", self.ec, "--format", "der"], 2, "usage", "--format"),
        ])

    def test_sign(self):
        s = ["sign", "--key", self.ec, "--role", "A"]
        self.check_table([
            (["sign", "--key", self.missing, "--role", "A"], 2, "key_file_error", "no such file"),
            (["sign", "--key", self.ec + ".pub", "--role", "A"], 2, "private_key_required", None),
            (["sign", "--key", self.garbage_pem, "--role", "A"], 2, "invalid_key", None),
            (["sign", "--key", self.p384, "--role", "A", "--alg", "ES256"], 2, "key_algorithm_mismatch", "P-384"),
            (["sign", "--key", self.k1, "--role", "A"], 2, "key_algorithm_mismatch", "secp256k1"),
            (["sign", "--key", self.short, "--role", "A"], 2, "weak_key", "32"),
            (["sign", "--key", self.ec, "--role", "A", "--alg", "RS256"], 2, "key_algorithm_mismatch", None),
            (["sign", "--key", self.rsa, "--role", "A", "--alg", "HS256"], 2, "key_algorithm_mismatch", None),
            (["sign", "--key", self.hs, "--role", "A", "--alg", "ES256"], 2, "key_algorithm_mismatch", None),
            (["sign", "--key", self.ec, "--role", "A", "--alg", "PS256", "--general"], 2, "key_algorithm_mismatch",
             "RSA"),
            (["sign", "--key", self.ec, "--role", "A", "--alg", "XS256"], 2, "usage", "EdDSA"),
            (["sign", "--key", self.ec], 2, "usage", "--role"),
            (["sign", "--role", "A"], 2, "usage", "--key"),
            (s + ["--ttl", "10x"], 2, "usage", "--ttl"),
            (s + ["--ttl", "0"], 2, "usage", "--ttl"),
            (s + ["--ttl", "-5m"], 2, "usage", "--ttl"),
            (s + ["--ttl", ""], 2, "usage", "--ttl"),
            (s + ["--ttl", "5m10m"], 2, "usage", "--ttl"),
            (s + ["--ttl", "1h"], 2, "usage", "--max-lifetime"),
            (s + ["--max-ttl", "soon"], 2, "usage", "--max-lifetime"),
            (s + ["--claim", "dept=sales"], 2, "usage", "JSON"),
            (s + ["--claim", "=1"], 2, "usage", "NAME=JSON"),
            (s + ["--claim", "exp=1"], 2, "usage", "--ttl"),
            (s + ["--claim", "roles=[]"], 2, "usage", "--role"),
            (s + ["--email", "not-an-email"], 2, "invalid_claim", "email"),
            (s + ["--role", ""], 2, "invalid_claim", None),
            (s + ["--role-format", "csv"], 2, "usage", "--role-format"),
            (s + ["--role-claim", "email"], 2, "usage", "--role-claim"),
            (s + ["--now", "yesterday"], 2, "usage", "--now"),
            (s + ["--unknown"], 2, "usage", "--unknown"),
            (s + ["extra-positional"], 2, "usage", "extra-positional"),
        ])

    def test_verify(self):
        v = ["verify", "--key", self.ec + ".pub"]
        self.check_table([
            (v + ["x"], 1, "malformed_token", None),
            (v + ["a.b.c"], 1, "invalid_base64url", None),
            (v + ["e30.e30.e30"], 1, "malformed_token", "alg"),
            (v + [assemble({"alg": "HS256"}, {"roles": ["A"]}, b"x" * 32)], 1, "algorithm_mismatch", None),
            (["verify", "--key", self.missing, self.token], 2, "key_file_error", None),
            (["verify", "--general", "--key", self.p384 + ".pub", self.token], 1, "algorithm_mismatch", "ES384"),
            (["verify", "--key", self.p384 + ".pub", "--alg", "ES256", self.token], 2, "key_algorithm_mismatch",
             "P-384"),
            (["verify", "--key", self.rsa + ".pub", "--alg", "ES256", self.token], 2, "key_algorithm_mismatch", None),
            (["verify", "--key", self.ec + ".pub", "--alg", "HS256", self.token], 2, "key_algorithm_mismatch", None),
            (["verify", "--key", self.bad_jwk, self.token], 2, "invalid_key", None),
            (["verify", "--key", self.garbage_pem, self.token], 2, "invalid_key", None),
            (["verify", self.token], 2, "usage", "--key"),
            (v, 2, "usage", "token"),  # stdin is empty
            (v + ["--leeway", "2d", self.token], 2, "usage", "--leeway"),
            (v + ["--max-ttl", "0", self.token], 2, "usage", "--max-lifetime"),
            (v + ["--known-roles", "A,,B", self.token], 2, "usage", "--known-roles"),
            (v + ["--now", "-5", self.token], 2, "usage", "--now"),
            (v + ["--nope", self.token], 2, "usage", "--nope"),
        ])

    def test_inspect(self):
        self.check_table([
            (["inspect", "x.y"], 1, "malformed_token", None),
            (["inspect"], 2, "usage", "token"),
            (["inspect", "--max-ttl", "ten", self.token], 2, "usage", "--max-ttl"),
            (["inspect", "--what", self.token], 2, "usage", "--what"),
            (["inspect", self.token, self.token], 2, "usage", None),
        ])

    def test_doctor(self):
        self.check_table([
            (["doctor", "--key", self.missing], 2, "key_file_error", "no such file"),
            (["doctor"], 2, "usage", "--key"),
            (["doctor", "--key", self.ec, "--public", self.missing], 2, "key_file_error", None),
            (["doctor", "--key", self.ec, "--known-roles", ","], 2, "usage", "--known-roles"),
            (["doctor", "--key", self.ec, "--alg", "XS256"], 2, "usage", "--alg"),
            (["doctor", "--key", self.ec, "--max-ttl", "0"], 2, "usage", "--max-lifetime"),
            (["doctor", "--key", self.ec, "--wat"], 2, "usage", "--wat"),
        ])



# ---------------------------------------------------------------------------------------------
# The widget's login policy, applied by sign, verify and doctor unless --general.

WIDGET_ALGS = "RS256, ES256, HS256"  # what the vendor's page lists (Step 1: "Choose a JWT algorithm")
TEAM = ("Accounting Team", "Support Team")


def doctor_lines(p, name):
    """The doctor lines whose check is called name."""
    return [l for l in p.stdout.splitlines() if l[7:].startswith(name + " ")]


class WidgetAlgorithmTest(CliTestCase):
    """Keys whose algorithm the widget does not accept: refused by sign and FAILed by doctor unless --general."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.p384 = cls.openssl_ec("p384.pem", curve="P-384")
        cls.ed = cls.path("ed25519.pem")
        openssl("genpkey", "-algorithm", "ED25519", "-out", cls.ed)
        openssl("pkey", "-in", cls.ed, "-pubout", "-out", cls.ed + ".pub")
        os.chmod(cls.ed, 0o600)
        cls.rsa = cls.openssl_rsa("rsa.pem")
        cls.ec = cls.openssl_ec("ec.pem")

    def test_sign_refuses_p384_and_ed25519_keys(self):
        for key, alg in ((self.p384, "ES384"), (self.ed, "EdDSA")):
            with self.subTest(alg=alg):
                p = run("sign", "--key", key, "--role", "Accounting Team")
                line = self.assertErrorLine(p, 2, "algorithm_not_allowed")
                self.assertEqual(p.stdout, "")
                self.assertIn(f"{alg} is not accepted by the widget", line)
                self.assertIn(WIDGET_ALGS, line)
                self.assertIn("jwtmint keygen", line)
                self.assertIn("--general", line)
        # the fix for an EC key is a P-256 key
        line = self.assertErrorLine(run("sign", "--key", self.p384, "--role", "A"), 2, "algorithm_not_allowed")
        self.assertIn("jwtmint keygen es256", line)
        # the widget's own algorithms sign as before
        for key, alg in ((self.rsa, "RS256"), (self.ec, "ES256")):
            self.assertEqual(pyjwt.get_unverified_header(self.sign(key))["alg"], alg)

    def test_sign_refuses_a_given_alg_the_widget_does_not_accept(self):
        for key, alg in ((self.rsa, "PS256"), (self.rsa, "rs512"), (self.p384, "ES384")):
            with self.subTest(alg=alg):
                p = run("sign", "--key", key, "--role", "A", "--alg", alg)
                line = self.assertErrorLine(p, 2, "algorithm_not_allowed")
                self.assertIn(f"{alg.upper()} is not accepted by the widget", line)

    def test_general_signs_with_any_algorithm_the_key_fits(self):
        for key, alg in ((self.p384, "ES384"), (self.ed, "EdDSA")):
            with self.subTest(alg=alg):
                token = self.sign(key, "--general", "--email", "ada@example.com")
                claims = pyjwt.decode(token, self.read(os.path.basename(key) + ".pub"), algorithms=[alg])
                self.assertEqual(pyjwt.get_unverified_header(token)["alg"], alg)
                self.assertEqual(claims["roles"], ["Accounting Team"])
                self.assertOk(run("verify", "--general", "--key", key + ".pub", token))
        token = self.sign(self.rsa, "--general", "--alg", "PS256")
        self.assertEqual(pyjwt.get_unverified_header(token)["alg"], "PS256")


    def test_verify_refuses_unless_general(self):
        now = int(time.time())
        payload = {"email": "ada@example.com", "roles": ["Accounting Team"], "iat": now, "exp": now + 300}
        for key, alg in ((self.p384, "ES384"), (self.ed, "EdDSA")):
            with self.subTest(alg=alg):
                token = pyjwt.encode(payload, self.read(os.path.basename(key)), algorithm=alg)
                line = self.assertErrorLine(run("verify", "--key", key + ".pub", token), 1, "algorithm_not_allowed")
                self.assertIn(alg, line)
                self.assertIn("--general", line)
                p = self.assertOk(run("verify", "--general", "--key", key + ".pub", token))
                self.assertEqual(json.loads(p.stdout)["claims"], payload)

    def test_doctor_fails_the_algorithm_unless_general(self):
        for key, alg in ((self.p384, "ES384"), (self.ed, "EdDSA")):
            with self.subTest(alg=alg):
                p = run("doctor", "--key", key, "--public", key + ".pub")
                self.assertNoCrash(p)
                self.assertEqual(p.returncode, 1, p.stdout)
                found = doctor_lines(p, "widget algorithm")
                self.assertEqual(len(found), 1, p.stdout)
                self.assertTrue(found[0].startswith("[FAIL]"), found[0])
                self.assertIn(f"{alg} is not accepted by the widget", found[0])
                self.assertIn("jwtmint keygen", found[0])
                p = run("doctor", "--key", key, "--public", key + ".pub", "--general")
                self.assertEqual(p.returncode, 0, p.stdout)
                self.assertNotIn("[FAIL]", p.stdout)
                found = doctor_lines(p, "widget algorithm")
                self.assertEqual(len(found), 1, p.stdout)
                self.assertFalse(found[0].startswith("[FAIL]"), found[0])
        p = run("doctor", "--key", self.ec)
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertTrue(doctor_lines(p, "widget algorithm")[0].startswith("[ ok ]"), p.stdout)


class RoleCheckTest(CliTestCase):
    """A role that is not one of the team roles: refused by sign with the nearest one, FAILed by doctor."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.openssl_ec("ec.pem")

    def test_sign_refuses_an_unknown_role_with_the_nearest(self):
        for typo, nearest in (("Acounting Team", "Accounting Team"), ("Suport Team", "Support Team"),
                              ("accounting teem", "Accounting Team")):
            with self.subTest(typo=typo):
                p = run("sign", "--key", self.key, "--role", typo, "--known-roles", ",".join(TEAM))
                line = self.assertErrorLine(p, 2, "unknown_role", f"did you mean '{nearest}'?")
                self.assertIn(typo, line)
                self.assertEqual(p.stdout, "")
        line = self.assertErrorLine(run("sign", "--key", self.key, "--role", "Marketing", "--known-roles",
                                        ",".join(TEAM)), 2, "unknown_role", "Marketing")
        self.assertNotIn("did you mean", line)

    def test_known_roles_repeated_and_case_insensitive(self):
        known = ["--known-roles", TEAM[0], "--known-roles", TEAM[1]]
        claims = pyjwt.decode(self.sign(self.key, *known, roles=("support team", "Accounting Team")),
                              options={"verify_signature": False})
        self.assertEqual(claims["roles"], ["support team", "Accounting Team"])
        self.assertErrorLine(run("sign", "--key", self.key, "--role", "Suport Team", *known), 2, "unknown_role",
                             "did you mean 'Support Team'?")

    def test_verify_refuses_an_unknown_role(self):
        now = int(time.time())
        token = pyjwt.encode({"roles": ["Suport Team"], "iat": now, "exp": now + 60}, self.read("ec.pem"),
                             algorithm="ES256")
        self.assertErrorLine(run("verify", "--key", self.key + ".pub", token, "--known-roles", TEAM[0],
                                 "--known-roles", TEAM[1]), 1, "unknown_role", "did you mean 'Support Team'?")

    def test_doctor_fails_each_unknown_role(self):
        now = int(time.time())
        token = pyjwt.encode({"email": "a@example.com", "roles": ["Acounting Team", "Support Team", "Suport Team"],
                              "iat": now, "exp": now + 60}, self.read("ec.pem"), algorithm="ES256")
        p = run("doctor", "--key", self.key, "--token", token, "--known-roles", ",".join(TEAM))
        self.assertNoCrash(p)
        self.assertEqual(p.returncode, 1, p.stdout)
        failed = [l for l in doctor_lines(p, "token roles") if l.startswith("[FAIL]")]
        self.assertEqual(len(failed), 2, p.stdout)
        self.assertIn("'Acounting Team'", failed[0])
        self.assertIn("did you mean 'Accounting Team'?", failed[0])
        self.assertIn("'Suport Team'", failed[1])
        self.assertIn("did you mean 'Support Team'?", failed[1])

    def test_a_role_is_required_unless_general(self):
        self.assertErrorLine(run("sign", "--key", self.key), 2, "usage", "--role")
        token = self.sign(self.key, "--general", roles=())
        claims = pyjwt.decode(token, self.read("ec.pem.pub"), algorithms=["ES256"])
        self.assertNotIn("roles", claims)
        self.assertErrorLine(run("verify", "--key", self.key + ".pub", token), 1, "missing_roles")
        self.assertOk(run("verify", "--general", "--key", self.key + ".pub", token))

    def test_general_has_no_ten_minute_ceiling(self):
        self.assertErrorLine(run("sign", "--key", self.key, "--role", "A", "--ttl", "1h"), 2, "usage")
        claims = pyjwt.decode(self.sign(self.key, "--general", "--ttl", "1h"), options={"verify_signature": False})
        self.assertEqual(claims["exp"] - claims["iat"], 3600)
        now = int(time.time())
        token = pyjwt.encode({"roles": ["A"], "iat": now, "exp": now + 3600}, self.read("ec.pem"), algorithm="ES256")
        self.assertErrorLine(run("verify", "--key", self.key + ".pub", token), 1, "lifetime_too_long")
        self.assertOk(run("verify", "--general", "--key", self.key + ".pub", token))


class CommaRoleTest(CliTestCase):
    """--role "A,B" is two roles (the vendor reads a comma-separated string as a list)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.openssl_ec("ec.pem")

    def claims(self, token):
        return pyjwt.decode(token, self.read("ec.pem.pub"), algorithms=["ES256"])

    def test_a_comma_separates_two_roles(self):
        token = self.sign(self.key, roles=("Accounting Team,Support Team",))
        self.assertEqual(self.claims(token)["roles"], ["Accounting Team", "Support Team"])
        token = self.sign(self.key, roles=("Accounting Team , Support Team", "Sales"))
        self.assertEqual(self.claims(token)["roles"], ["Accounting Team", "Support Team", "Sales"])
        # each of them is checked against the team roles
        self.assertErrorLine(run("sign", "--key", self.key, "--role", "Accounting Team,Suport Team", "--known-roles",
                                 ",".join(TEAM)), 2, "unknown_role", "did you mean 'Support Team'?")
        self.assertOk(run("sign", "--key", self.key, "--role", "Accounting Team,Support Team", "--known-roles",
                          ",".join(TEAM)))

    def test_comma_form(self):
        for form in ("comma", "string"):
            with self.subTest(form=form):
                token = self.sign(self.key, "--role-format", form, roles=("Accounting Team,Support Team",))
                self.assertEqual(self.claims(token)["roles"], "Accounting Team, Support Team")
                p = self.assertOk(run("verify", "--key", self.key + ".pub", token, "--known-roles", ",".join(TEAM)))
                self.assertEqual(json.loads(p.stdout)["claims"]["roles"], "Accounting Team, Support Team")

    def test_empty_names_are_refused(self):
        for value in ("Accounting Team,,Support Team", "Accounting Team,", ", "):
            with self.subTest(value=value):
                p = run("sign", "--key", self.key, "--role", value)
                self.assertNoCrash(p)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertEqual(p.stdout, "")
                self.assertIn("empty", p.stderr)

    def test_comma_form_refuses_a_team_role_holding_a_comma(self):
        policy = self.write("comma.json", json.dumps({"role_format": "comma_separated",
                                                       "team_roles": ["Sales, EMEA", "Support Team"]}))
        p = run("sign", "--key", self.key, "--role", "Support Team", "--policy", policy)
        self.assertNoCrash(p)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("Sales, EMEA", p.stderr)
        self.assertIn("comma", p.stderr)

    def test_help_says_so(self):
        text = " ".join(self.assertOk(run("sign", "--help")).stdout.split())
        self.assertIn('--role "A,B" is two roles', text)


class PolicyFileTest(CliTestCase):
    """--policy FILE (the format of jwt::login_policy::from_file), and the flags that override it."""

    POLICY = {"role_claim": "groups", "role_format": "comma_separated", "team_roles": list(TEAM),
              "algorithms": ["RS256"], "max_lifetime_seconds": 300}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rsa = cls.openssl_rsa("rsa.pem")
        cls.ec = cls.openssl_ec("ec.pem")
        cls.policy = cls.write("policy.json", json.dumps(cls.POLICY))

    def test_sign_follows_the_file(self):
        token = self.sign(self.rsa, "--policy", self.policy, roles=("accounting team", "Support Team"))
        claims = pyjwt.decode(token, self.read("rsa.pem.pub"), algorithms=["RS256"])
        self.assertEqual(claims["groups"], "accounting team, Support Team")
        self.assertNotIn("roles", claims)
        self.assertEqual(claims["exp"] - claims["iat"], 300)  # the default 5m fits the 300 s ceiling
        # under a lower ceiling, the default lifetime is the ceiling (an explicit longer --ttl is refused)
        claims = pyjwt.decode(self.sign(self.rsa, "--policy", self.policy, "--max-lifetime", "1m",
                                        roles=("Support Team",)), options={"verify_signature": False})
        self.assertEqual(claims["exp"] - claims["iat"], 60)
        p = run("doctor", "--key", self.rsa, "--policy", self.policy, "--max-lifetime", "1m")
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertTrue(doctor_lines(p, "fresh token")[0].startswith("[ ok ]"), p.stdout)
        self.assertErrorLine(run("sign", "--key", self.rsa, "--role", "Suport Team", "--policy", self.policy), 2,
                             "unknown_role", "did you mean 'Support Team'?")
        p = run("sign", "--key", self.rsa, "--role", "Support Team", "--policy", self.policy, "--ttl", "6m")
        self.assertNoCrash(p)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("the 5 min ceiling", p.stderr)

    def test_the_sample_policy(self):
        sample = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "widget-policy.json")
        with open(sample) as f:
            team = json.load(f)["team_roles"]
        token = self.sign(self.ec, "--policy", sample, roles=(team[-1].lower(),))
        self.assertEqual(pyjwt.decode(token, self.read("ec.pem.pub"), algorithms=["ES256"])["roles"], [team[-1].lower()])
        self.assertErrorLine(run("sign", "--key", self.ec, "--policy", sample, "--role", team[0][:-1]), 2,
                             "unknown_role", f"did you mean '{team[0]}'?")

    def test_a_policy_allowing_only_rs256_refuses_an_es256_key(self):
        line = self.assertErrorLine(run("sign", "--key", self.ec, "--role", "Support Team", "--policy", self.policy),
                                    2, "algorithm_not_allowed", "ES256")
        self.assertIn("RS256", line)
        self.assertErrorLine(run("sign", "--key", self.ec, "--role", "Support Team", "--alg", "ES256", "--policy",
                                 self.policy), 2, "algorithm_not_allowed", "ES256")
        p = run("doctor", "--key", self.ec, "--policy", self.policy)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertTrue(doctor_lines(p, "widget algorithm")[0].startswith("[FAIL]"), p.stdout)

    def test_flags_override_the_file(self):
        token = self.sign(self.rsa, "--policy", self.policy, "--role-claim", "roles", "--role-format", "array",
                          "--known-roles", "Sales", "--max-lifetime", "10m", "--ttl", "10m", roles=("sales",))
        claims = pyjwt.decode(token, self.read("rsa.pem.pub"), algorithms=["RS256"])
        self.assertEqual(claims["roles"], ["sales"])
        self.assertEqual(claims["exp"] - claims["iat"], 600)
        self.assertErrorLine(run("sign", "--key", self.rsa, "--role", "Support Team", "--policy", self.policy,
                                 "--known-roles", "Sales"), 2, "unknown_role")

    def test_verify_and_doctor_follow_the_file(self):
        token = self.sign(self.rsa, "--policy", self.policy, "--email", "ada@example.com", roles=("Support Team",))
        p = self.assertOk(run("verify", "--key", self.rsa + ".pub", "--policy", self.policy, token))
        self.assertEqual(json.loads(p.stdout)["claims"]["groups"], "Support Team")
        # without the file, the default role claim "roles" is missing
        self.assertErrorLine(run("verify", "--key", self.rsa + ".pub", token), 1, "missing_roles")
        now = int(time.time())
        typo = pyjwt.encode({"groups": "Suport Team", "iat": now, "exp": now + 60}, self.read("rsa.pem"),
                            algorithm="RS256")
        self.assertErrorLine(run("verify", "--key", self.rsa + ".pub", "--policy", self.policy, typo), 1,
                             "unknown_role", "did you mean 'Support Team'?")
        p = run("doctor", "--key", self.rsa, "--policy", self.policy, "--token", typo)
        self.assertEqual(p.returncode, 1, p.stdout)
        failed = [l for l in doctor_lines(p, "token roles") if l.startswith("[FAIL]")]
        self.assertEqual(len(failed), 1, p.stdout)
        self.assertIn("did you mean 'Support Team'?", failed[0])
        p = run("doctor", "--key", self.rsa, "--policy", self.policy, "--token", token)
        self.assertEqual(p.returncode, 0, p.stdout)

    def test_general_and_policy_together_is_a_usage_error(self):
        for cmd in (["sign", "--key", self.rsa, "--role", "A"], ["verify", "--key", self.rsa, "x.y.z"],
                    ["doctor", "--key", self.rsa]):
            with self.subTest(cmd=cmd[0]):
                line = self.assertErrorLine(run(*cmd, "--general", "--policy", self.policy), 2, "usage",
                                            "--general and --policy exclude each other")
                self.assertNotIn("not expected", line)


class JwksUrlTest(CliTestCase):
    """verify --jwks-url: the JWK Set served by Python's http.server on loopback, fetched with libcurl."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        import http.server
        import threading

        cls.key = cls.path("es256.key")
        assert run("keygen", "es256", "--out", cls.key).returncode == 0
        p = run("pubkey", "--key", cls.key, "--format", "jwks")
        assert p.returncode == 0, p.stderr
        cls.jwks = p.stdout.encode()
        cls.kid = json.loads(p.stdout)["keys"][0]["kid"]
        cls.requests = []
        test = cls

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                test.requests.append(self.path)
                if self.path != "/jwks.json":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(test.jwks)))
                self.end_headers()
                self.wfile.write(test.jwks)

            def log_message(self, *args):
                pass

        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        cls.url = f"http://127.0.0.1:{cls.server.server_address[1]}/jwks.json"
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()
        super().tearDownClass()

    def test_verifies_against_the_served_set(self):
        token = self.sign(self.key, "--kid", self.kid, "--email", "ada@example.com")
        before = len(self.requests)
        p = self.assertOk(run("verify", "--jwks-url", self.url, "--allow-http", token))
        out = json.loads(p.stdout)
        self.assertEqual(out["header"]["kid"], self.kid)
        self.assertEqual(out["claims"]["email"], "ada@example.com")
        self.assertEqual(len(self.requests), before + 1)
        # The same checks as with --key: a token of another key under an unknown kid is refused.
        other = self.openssl_ec("other.pem")
        forged = self.sign(other, "--kid", "not-in-the-set")
        self.assertErrorLine(run("verify", "--jwks-url", self.url, "--allow-http", forged), 1, "unknown_key_id",
                             "not-in-the-set")
        wrong_key = self.sign(other, "--kid", self.kid)
        self.assertErrorLine(run("verify", "--jwks-url", self.url, "--allow-http", wrong_key), 1,
                             "invalid_signature")

    def test_http_is_refused_without_allow_http(self):
        token = self.sign(self.key, "--kid", self.kid)
        before = len(self.requests)
        p = run("verify", "--jwks-url", self.url, token)
        self.assertNoCrash(p)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--allow-http", p.stderr)
        self.assertEqual(len(self.requests), before)  # nothing was fetched

    def test_unreachable_or_missing_set(self):
        token = self.sign(self.key, "--kid", self.kid)
        missing = self.url.replace("/jwks.json", "/nothing.json")
        self.assertErrorLine(run("verify", "--jwks-url", missing, "--allow-http", token), 2, "key_set_unavailable",
                             "HTTP status 404")
        with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.assertErrorLine(run("verify", "--jwks-url", f"http://127.0.0.1:{port}/jwks.json", "--allow-http",
                                 token), 2, "key_set_unavailable", "Couldn't connect")

    def test_key_and_jwks_url_exclude_each_other(self):
        token = self.sign(self.key, "--kid", self.kid)
        p = run("verify", "--key", self.key, "--jwks-url", self.url, token)
        self.assertNoCrash(p)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--jwks-url", p.stderr)


class BadPolicyTest(CliTestCase):
    """A policy file that cannot be used: exit 2 and one line naming the file's problem."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ec = cls.openssl_ec("ec.pem")

    def test_bad_files(self):
        cases = [
            ("not-json.json", "{roles: [", None),
            ("unknown-member.json", json.dumps({"team_role": ["A"]}), "team_role"),
            ("wrong-type.json", json.dumps({"algorithms": "RS256"}), "algorithms"),
            ("not-widget.json", json.dumps({"algorithms": ["ES384"]}), "ES384"),
            ("zero-lifetime.json", json.dumps({"max_lifetime_seconds": 0}), "max_lifetime_seconds"),
            ("bad-format.json", json.dumps({"role_format": "csv"}), "role_format"),
            ("array.json", json.dumps(["RS256"]), None),
        ]
        for name, text, fragment in cases:
            path = self.write(name, text)
            for cmd in (["sign", "--key", self.ec, "--role", "A"], ["verify", "--key", self.ec + ".pub", "x.y.z"],
                        ["doctor", "--key", self.ec]):
                with self.subTest(file=name, cmd=cmd[0]):
                    p = run(*cmd, "--policy", path)
                    line = self.assertErrorLine(p, 2, "invalid_policy", fragment)
                    self.assertIn(name, line)
                    self.assertEqual(p.stdout, "")

    def test_missing_file(self):
        missing = self.path("no-such-policy.json")
        p = run("sign", "--key", self.ec, "--role", "A", "--policy", missing)
        self.assertNoCrash(p)
        self.assertEqual(p.returncode, 2, p.stderr)
        line = self.assertErrorLine(p, 2, "invalid_policy", "no-such-policy.json")
        self.assertIn("no such file", line.lower())

    def test_bad_flags(self):
        s = ["sign", "--key", self.ec, "--role", "A"]
        for args, fragments in ((["--role-format", "csv"], ("--role-format", "comma")),
                                (["--max-lifetime", "0"], ("--max-lifetime", "at least 1s")),
                                (["--known-roles", "A,,B"], ("--known-roles", "empty name"))):
            with self.subTest(args=args):
                line = self.assertErrorLine(run(*s, *args), 2, "usage")
                for f in fragments:
                    self.assertIn(f, line)

if __name__ == "__main__":
    unittest.main(verbosity=2)
