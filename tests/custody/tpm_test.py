#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Keys that stay in a TPM: a software TPM (swtpm) started in a temporary folder, keys made inside
it (tpm2-openssl's TSS2 key files and persistent handles made with tpm2-tools), tokens minted
through jwtmint by URI and by key file, checked with PyJWT and the openssl command line.

    tpm_test.py CASE      CASE is one TestCase class below; ctest runs each as its own test

Every class starts its own swtpm on free loopback ports and an OpenSSL configuration that loads
the default and tpm2 providers (OPENSSL_CONF), and stops it afterwards. Programs come from the
environment (tests/custody/CMakeLists.txt). A missing package skips (exit 77) with one line,
unless JWTMINT_REQUIRE_TPM=1 (CI): then it fails.
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from ecdsa_der import raw_to_der  # noqa: E402  (tests/ecdsa_der.py)

SKIP = 77
TOOL = os.environ.get("JWTMINT_PROVIDER_KEY_TOOL", "")
CLI = os.environ.get("JWTMINT_CLI", "")
REQUIRE = os.environ.get("JWTMINT_REQUIRE_TPM", "0") == "1"
TPM2_MODULE_DIRS = ["/usr/lib/x86_64-linux-gnu/ossl-modules", "/usr/lib/aarch64-linux-gnu/ossl-modules",
                    "/usr/lib64/ossl-modules", "/usr/lib/ossl-modules"]
ROLES = ["Support Team"]


def tpm2_module():
    for d in TPM2_MODULE_DIRS:
        if os.path.exists(os.path.join(d, "tpm2.so")):
            return os.path.join(d, "tpm2.so")
    return None


def missing_packages():
    out = []
    for prog, pkg in [("swtpm", "swtpm"), ("tpm2_createprimary", "tpm2-tools"), ("openssl", "openssl")]:
        if shutil.which(prog) is None:
            out.append(pkg)
    if tpm2_module() is None:
        out.append("tpm2-openssl")
    try:
        import jwt  # noqa: F401
        import cryptography  # noqa: F401
    except ImportError:
        out.append("python3-jwt python3-cryptography")
    return out


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def free_port_pair():
    """A free loopback port whose successor is free too: the swtpm TCTI finds the control port at
    the server port + 1."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port >= 65535:
            continue
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue
    raise RuntimeError("no two adjacent free loopback ports")


class SoftwareTpm:
    """swtpm on two free loopback ports, its state in a temporary folder, and the environment that
    points tpm2-openssl and tpm2-tools at it."""

    def __init__(self, root):
        self.root = root
        self.state = os.path.join(root, "state")
        os.makedirs(self.state, exist_ok=True)
        self.proc = None
        self.port = 0
        self.start()

    def start(self):
        for _ in range(5):
            self.port = free_port_pair()
            ctrl = self.port + 1
            self.proc = subprocess.Popen(
                ["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={self.state}",
                 "--server", f"type=tcp,port={self.port},bindaddr=127.0.0.1",
                 "--ctrl", f"type=tcp,port={ctrl},bindaddr=127.0.0.1",
                 "--flags", "not-need-init,startup-clear"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.time() + 10
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                        return
                except OSError:
                    time.sleep(0.05)
            self.stop()
        raise RuntimeError("swtpm did not start")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def tcti(self):
        return f"swtpm:host=127.0.0.1,port={self.port}"


OPENSSL_CNF = ("openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n"
               "[provider_sect]\ndefault = default_sect\ntpm2 = tpm2_sect\n"
               "[default_sect]\nactivate = 1\n[tpm2_sect]\nactivate = 1\n")


def run_tool(argv, env, check=True):
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"{argv} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p


class TpmFixture:
    """A software TPM in a temporary folder, an OpenSSL configuration that loads the default and
    tpm2 providers, and RSA 2048 and P-256 keys made inside the TPM: TSS2 key files (rsa_pem,
    ec_pem) and persistent handles (RSA_HANDLE, EC_HANDLE). Also used by bench/provider_rows.py."""

    RSA_HANDLE = "0x81000010"
    EC_HANDLE = "0x81000011"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="jwtmint-tpm-")
        self.tpm = None
        try:
            self.tpm = SoftwareTpm(self.dir)
            self.conf = os.path.join(self.dir, "openssl.cnf")
            with open(self.conf, "w") as f:
                f.write(OPENSSL_CNF)
            self.env = self.env_for(self.tpm)
            self.rsa_pem = os.path.join(self.dir, "rsa-tss2.pem")
            self.ec_pem = os.path.join(self.dir, "ec-tss2.pem")
            # Generated inside the TPM (the tpm2 provider, by the property query); the file holds
            # the key wrapped by the TPM's storage key.
            run_tool(["openssl", "genpkey", "-propquery", "provider=tpm2", "-algorithm", "RSA", "-pkeyopt",
                      "bits:2048", "-out", self.rsa_pem], self.env)
            run_tool(["openssl", "genpkey", "-propquery", "provider=tpm2", "-algorithm", "EC", "-pkeyopt",
                      "group:P-256", "-out", self.ec_pem], self.env)
            for path in (self.rsa_pem, self.ec_pem):
                with open(path) as f:
                    first = f.readline().strip()
                if first != "-----BEGIN TSS2 PRIVATE KEY-----":
                    raise AssertionError(f"{path} is not a TPM key file: {first}")
            self.persist("rsa2048", self.RSA_HANDLE)
            self.persist("ecc256", self.EC_HANDLE)
        except Exception:
            self.close()
            raise

    def close(self):
        if self.tpm is not None:
            self.tpm.stop()
            self.tpm = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def env_for(self, tpm):
        return dict(os.environ, OPENSSL_CONF=self.conf, TPM2OPENSSL_TCTI=tpm.tcti(), TPM2TOOLS_TCTI=tpm.tcti())

    def persist(self, alg, handle):
        """A signing key made inside the TPM under an owner primary key, made persistent at handle.
        Transient objects are flushed after each step: there is no resource manager in between."""
        d = self.dir
        steps = [
            ["tpm2_createprimary", "-Q", "-C", "o", "-g", "sha256", "-G", "ecc", "-c", f"{d}/primary.ctx"],
            ["tpm2_create", "-Q", "-C", f"{d}/primary.ctx", "-G", alg, "-u", f"{d}/{alg}.pub", "-r", f"{d}/{alg}.priv",
             "-a", "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign"],
            ["tpm2_flushcontext", "-t"],
            ["tpm2_load", "-Q", "-C", f"{d}/primary.ctx", "-u", f"{d}/{alg}.pub", "-r", f"{d}/{alg}.priv",
             "-c", f"{d}/{alg}.ctx"],
            ["tpm2_evictcontrol", "-Q", "-C", "o", "-c", f"{d}/{alg}.ctx", handle],
            ["tpm2_flushcontext", "-t"],
        ]
        for step in steps:
            run_tool(step, self.env)


class TpmCase(unittest.TestCase):
    """Each test class: a fresh TpmFixture."""

    RSA_HANDLE = TpmFixture.RSA_HANDLE
    EC_HANDLE = TpmFixture.EC_HANDLE

    @classmethod
    def setUpClass(cls):
        cls.fixture = TpmFixture()
        cls.dir, cls.conf, cls.env = cls.fixture.dir, cls.fixture.conf, cls.fixture.env
        cls.rsa_pem, cls.ec_pem = cls.fixture.rsa_pem, cls.fixture.ec_pem

    @classmethod
    def tearDownClass(cls):
        cls.fixture.close()

    @classmethod
    def env_for(cls, tpm):
        return cls.fixture.env_for(tpm)

    @classmethod
    def run_tool(cls, argv, env=None, check=True):
        return run_tool(argv, env or cls.env, check)

    @classmethod
    def openssl(cls, args, **kw):
        return cls.run_tool(["openssl"] + args, **kw)

    def tool(self, *args, env=None, check=True):
        return self.run_tool([TOOL] + list(args), env=env, check=check)

    def public_pem_by_openssl(self, uri):
        """The public key as the openssl command line exports it through the tpm2 provider."""
        return self.openssl(["pkey", "-in", uri, "-pubout"]).stdout

    def assert_verifies(self, alg, token, public_pem, email=None):
        """PyJWT and the openssl command line both accept the token with public_pem."""
        import jwt
        claims = jwt.decode(token, public_pem, algorithms=[alg], options={"require": ["exp", "iat"]})
        self.assertEqual(claims["roles"], ROLES)
        self.assertLessEqual(claims["exp"] - claims["iat"], 600)
        if email is not None:
            self.assertEqual(claims["email"], email)
        head, payload, sig = token.split(".")
        raw = b64url_decode(sig)
        der = raw_to_der(raw, 32) if alg == "ES256" else raw
        with tempfile.TemporaryDirectory() as d:
            for name, data in [("in", (head + "." + payload).encode()), ("sig", der), ("pub.pem", public_pem.encode())]:
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)
            extra = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"] if alg == "PS256" else []
            p = subprocess.run(["openssl", "dgst", "-sha256", "-verify", os.path.join(d, "pub.pem")] + extra +
                               ["-signature", os.path.join(d, "sig"), os.path.join(d, "in")],
                               capture_output=True, text=True, env=dict(os.environ, OPENSSL_CONF="/dev/null"))
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            # A control: one flipped signature bit is refused by both.
            bad = bytearray(raw)
            bad[len(bad) // 2] ^= 1
            forged = head + "." + payload + "." + base64.urlsafe_b64encode(bytes(bad)).decode().rstrip("=")
            with self.assertRaises(jwt.InvalidSignatureError):
                jwt.decode(forged, public_pem, algorithms=[alg])


class MintThroughTpmTest(TpmCase):
    """RS256, PS256 and ES256 tokens minted with keys that live in the TPM, by handle: URI and by
    TSS2 key file, verified by PyJWT and openssl with the public key openssl exported."""

    def test_persistent_handles(self):
        for alg, handle in [("RS256", self.RSA_HANDLE), ("PS256", self.RSA_HANDLE), ("ES256", self.EC_HANDLE)]:
            with self.subTest(alg=alg):
                uri = "handle:" + handle
                pub = self.public_pem_by_openssl(uri)
                token = self.tool("mint", alg, uri).stdout.strip()
                self.assert_verifies(alg, token, pub, email="user0@example.com")
                # The library's own public key for the URI is the same key.
                self.assertEqual(self.tool("pubkey", uri).stdout, pub)

    def test_tss2_key_files_by_path_and_file_uri(self):
        for alg, path in [("RS256", self.rsa_pem), ("ES256", self.ec_pem)]:
            with self.subTest(alg=alg):
                pub = self.public_pem_by_openssl(path)
                for uri in (path, "file:" + path):
                    token = self.tool("mint", alg, uri).stdout.strip()
                    self.assert_verifies(alg, token, pub)

    def test_threads_share_one_tpm_signer(self):
        # 4 threads x 10 tokens through one signer and one TPM connection: serialised by jwtmint
        # (tpm2-openssl fails when two threads use it at once), every token valid.
        for alg, handle in [("RS256", self.RSA_HANDLE), ("ES256", self.EC_HANDLE)]:
            uri = "handle:" + handle
            pub = self.public_pem_by_openssl(uri)
            tokens = self.tool("mint", alg, uri, "4", "10").stdout.split()
            self.assertEqual(len(tokens), 40)
            self.assertEqual(len(set(tokens)), 40)
            for t in tokens:
                self.assert_verifies(alg, t, pub)

    def test_key_checks_still_apply(self):
        # An RSA key in the TPM cannot sign ES256, nor a P-256 key RS256: refused before any token.
        p = self.tool("mint", "ES256", "handle:" + self.RSA_HANDLE, check=False)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("ES256 needs an EC P-256 key, but this is an RSA key", p.stdout)
        p = self.tool("mint", "RS256", "handle:" + self.EC_HANDLE, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("RS256 needs an RSA key", p.stdout)


class PrivateKeyStaysTest(TpmCase):
    """The private key cannot be read out: not through jwtmint, not through openssl, and the key
    file is useless without the TPM that made it."""

    def test_jwtmint_refuses_to_export(self):
        for uri in ("handle:" + self.RSA_HANDLE, "handle:" + self.EC_HANDLE, self.rsa_pem, self.ec_pem):
            with self.subTest(uri=uri):
                p = self.tool("export", uri, check=False)
                self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
                self.assertIn("held by the OpenSSL provider 'tpm2'", p.stdout)
                self.assertNotIn("BEGIN PRIVATE KEY", p.stdout)

    def test_openssl_gets_no_private_numbers(self):
        # openssl asked for the key's text sees only the public part (no private exponent, no
        # EC private scalar); asked for a PKCS#8 file it writes none.
        for uri in ("handle:" + self.RSA_HANDLE, "handle:" + self.EC_HANDLE):
            text = self.openssl(["pkey", "-in", uri, "-text", "-noout"], check=False).stdout
            self.assertNotIn("privateExponent", text)
            self.assertNotIn("priv:", text)
            p = self.openssl(["pkey", "-in", uri, "-outform", "PEM"], check=False)
            self.assertNotIn("BEGIN PRIVATE KEY", p.stdout)
        # The persistent keys' TPM attributes: made inside (sensitivedataorigin), bound to this
        # TPM (fixedtpm), and never duplicable.
        out = self.run_tool(["tpm2_readpublic", "-c", self.RSA_HANDLE]).stdout
        attrs = [line for line in out.splitlines() if "attributes" in line.lower() or line.strip().startswith("- ")]
        joined = " ".join(out.split())
        for attr in ("fixedtpm", "fixedparent", "sensitivedataorigin"):
            self.assertIn(attr, joined, attrs)

    def test_key_file_is_useless_on_another_tpm(self):
        # The TSS2 file holds the private key encrypted under this TPM's storage key: a second TPM
        # (a new swtpm state) cannot load it, so jwtmint fails with a message naming the cause.
        other = SoftwareTpm(tempfile.mkdtemp(prefix="jwtmint-tpm-other-", dir=self.dir))
        try:
            p = self.tool("mint", "RS256", self.rsa_pem, env=self.env_for(other), check=False)
            self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
            self.assertIn("TSS2 PRIVATE KEY", p.stdout)
            self.assertIn("is this the TPM the key was made in", p.stdout)
        finally:
            other.stop()


class ProviderSetupErrorsTest(TpmCase):
    """What a deployment gets wrong, each a clear error: the provider not loaded, a handle that
    holds nothing, a property query that excludes the key's provider, the library context."""

    def test_provider_not_loaded(self):
        env = dict(self.env, OPENSSL_CONF=os.devnull)
        p = self.tool("mint", "RS256", "handle:" + self.RSA_HANDLE, env=env, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no OpenSSL store loader took it", p.stdout)
        self.assertIn("OPENSSL_CONF", p.stdout)
        p = self.tool("mint", "RS256", self.rsa_pem, env=env, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("TSS2 PRIVATE KEY", p.stdout)
        self.assertIn("OPENSSL_CONF", p.stdout)

    def test_empty_handle(self):
        p = self.tool("mint", "RS256", "handle:0x81000099", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no private key found at 'handle:0x81000099'", p.stdout)

    def test_property_query_is_honoured(self):
        uri = "handle:" + self.EC_HANDLE
        # Naming the key's own provider works; naming only the default provider leaves no loader
        # for the TPM's handle: scheme.
        token = self.tool("propq", "ES256", uri, "provider=tpm2").stdout.strip()
        self.assert_verifies("ES256", token, self.public_pem_by_openssl(uri))
        p = self.tool("propq", "ES256", uri, "provider=default", check=False)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)

    def test_library_context_is_honoured(self):
        uri = "handle:" + self.RSA_HANDLE
        token = self.tool("libctx", "RS256", uri, self.conf).stdout.strip()
        self.assert_verifies("RS256", token, self.public_pem_by_openssl(uri))
        # A fresh context that loaded no configuration has no tpm2 provider, whatever the process
        # default has.
        p = self.tool("libctx", "RS256", uri, "-", check=False)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("no OpenSSL store loader took it", p.stdout)


class CommandLineTest(TpmCase):
    """The jwtmint tool's --key takes a URI wherever it takes a file (sign, pubkey, verify,
    doctor), and a TSS2 key file as any key file."""

    def cli(self, *args, env=None, check=True):
        return self.run_tool([CLI] + list(args), env=env, check=check)

    def test_sign_pubkey_verify_doctor(self):
        for alg, uri in [("RS256", "handle:" + self.RSA_HANDLE), ("ES256", "handle:" + self.EC_HANDLE),
                         ("RS256", self.rsa_pem)]:
            with self.subTest(uri=uri):
                pub = self.public_pem_by_openssl(uri)
                token = self.cli("sign", "--key", uri, "--role", ROLES[0], "--email", "ada@example.com").stdout.strip()
                self.assert_verifies(alg, token, pub, email="ada@example.com")
                self.assertEqual(self.cli("pubkey", "--key", uri).stdout, pub)
                jwk = json.loads(self.cli("pubkey", "--key", uri, "--format", "jwk").stdout)
                self.assertEqual(jwk["kty"], "RSA" if alg == "RS256" else "EC")
                verified = json.loads(self.cli("verify", "--key", uri, token).stdout)
                self.assertEqual(verified["claims"]["email"], "ada@example.com")
                d = self.cli("doctor", "--key", uri, check=False)
                self.assertEqual(d.returncode, 0, d.stdout + d.stderr)
                self.assertIn("held by OpenSSL provider 'tpm2'", d.stdout)
                self.assertIn(pub.strip(), d.stdout)

    def test_unknown_scheme_is_a_clear_error(self):
        p = self.cli("sign", "--key", "nosuchscheme:key-1", "--role", "x", check=False)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("no OpenSSL store loader took it", p.stderr)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    missing = missing_packages()
    if missing:
        print("skipped: the TPM tests need " + ", ".join(missing) + " (apt-get install swtpm swtpm-tools "
              "tpm2-tools tpm2-openssl python3-jwt python3-cryptography)")
        return 1 if REQUIRE else SKIP
    if not TOOL or not os.path.exists(TOOL) or not CLI or not os.path.exists(CLI):
        print("JWTMINT_PROVIDER_KEY_TOOL and JWTMINT_CLI must name the built programs")
        return 1
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(globals()[sys.argv[1]])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
