# SPDX-License-Identifier: MIT
"""HTTP tests of jwtmint-host-backend, run against the real program on a loopback port.

Every token is verified by PyJWT (an implementation independent of jwtmint) with the public key
the program printed at start-up.

    /usr/bin/python3 http_test.py --server PATH/TO/jwtmint-host-backend [--require]

Exits 77 (ctest's "skipped") when PyJWT or cryptography is missing, unless --require is given.
"""

import argparse
import base64
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest

SKIP = 77

parser = argparse.ArgumentParser()
parser.add_argument("--server", required=True, help="path to jwtmint-host-backend")
parser.add_argument("--require", action="store_true", help="fail instead of skipping when PyJWT is missing")
parser.add_argument("--cli", help="path to the jwtmint CLI (makes the next key of a rotation; else openssl does)")
ARGS, UNITTEST_ARGS = parser.parse_known_args()

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from host_test_support import DEMO, PEM_RE, Backend, clean_env  # noqa: E402

try:
    import jwt  # PyJWT (Debian: python3-jwt)
    from cryptography.hazmat.primitives import serialization  # PyJWT's RS256/ES256 backend
except ImportError as exc:  # pragma: no cover - depends on the machine
    print(f"{'FAIL' if ARGS.require else 'SKIP'}: {exc}; install python3-jwt python3-cryptography", file=sys.stderr)
    sys.exit(1 if ARGS.require else SKIP)

SERVER = os.path.abspath(ARGS.server)
Backend.program = SERVER


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def thumbprint(public_pem):
    """The RFC 7638 thumbprint of a PEM public key (RSA or EC P-256), computed here with cryptography."""
    import hashlib
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    key = serialization.load_pem_public_key(public_pem.encode() if isinstance(public_pem, str) else public_pem)
    numbers = key.public_numbers()
    if isinstance(key, rsa.RSAPublicKey):
        as_bytes = lambda i: i.to_bytes((i.bit_length() + 7) // 8, "big")
        members = {"e": b64url(as_bytes(numbers.e)), "kty": "RSA", "n": b64url(as_bytes(numbers.n))}
    else:
        assert isinstance(key, ec.EllipticCurvePublicKey)
        members = {"crv": "P-256", "kty": "EC", "x": b64url(numbers.x.to_bytes(32, "big")),
                   "y": b64url(numbers.y.to_bytes(32, "big"))}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return b64url(hashlib.sha256(canonical).digest())


def decode(token, key, alg):
    """Verifies token with PyJWT, pinned to alg; returns (header, claims)."""
    claims = jwt.decode(token, key, algorithms=[alg], options={"require": ["exp", "iat"]})
    return jwt.get_unverified_header(token), claims


class DefaultStart(unittest.TestCase):
    """The program started with nothing configured (a fresh data folder)."""

    backend = None
    seen_secrets = []  # every token and session id handed out: none may reach the log

    @classmethod
    def setUpClass(cls):
        cls.backend = Backend().wait_ready()
        cls.pem = cls.backend.public_pem()

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.backend.stop()
            if code != 0:
                raise AssertionError(f"SIGTERM should stop the server with exit code 0, got {code}")
            # stderr carries only warnings and errors; none is expected in this whole class. Read
            # here, after stop() joined the readers, a late line cannot be missed.
            if cls.backend.stderr:
                raise AssertionError(f"the server wrote to stderr:\n{cls.backend.stderr}")
        finally:
            cls.backend.cleanup()

    def sign_in(self, username):
        resp, cookie, _ = self.backend.login(username)
        self.assertEqual(resp.status, 303)
        self.assertIsNotNone(cookie)
        self.seen_secrets.append(cookie)
        return cookie

    def mint(self, cookie, **kw):
        token = self.backend.token(cookie, **kw)
        self.seen_secrets.append(token)
        return token

    def test_startup_output(self):
        out = self.backend.stdout
        self.assertIn("created now", out)
        self.assertIn(f"http://127.0.0.1:{self.backend.port}/", out)
        for name in ("ada", "grace", "alan"):
            self.assertRegex(out, rf"\n  {name} ")
        self.assertIn("--hash-password", out)
        self.assertEqual(self.backend.stderr, "")

    def test_key_files_are_private(self):
        d = self.backend.data_dir
        self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), 0o700)
        priv = os.path.join(d, "rs256-private.pem")
        self.assertEqual(stat.S_IMODE(os.stat(priv).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, "users.json")).st_mode), 0o600)
        with open(priv, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
        self.assertEqual(key.key_size, 2048)
        printed = serialization.load_pem_public_key(self.pem.encode())
        self.assertEqual(key.public_key().public_numbers(), printed.public_numbers())
        with open(os.path.join(d, "rs256-public.pem")) as f:
            self.assertEqual(f.read(), self.pem)
        self.assertEqual([n for n in os.listdir(d) if ".tmp-" in n], [])

    def test_token_without_session_is_401(self):
        for cookie in (None, "0" * 64, "not-hex", "a" * 63):
            resp, _ = self.backend.request("GET", "/api/customgpt-jwt", cookie=cookie)
            self.assertEqual(resp.status, 401, cookie)
            self.assertEqual(resp.getheader("Cache-Control"), "no-store")
            self.assertTrue(resp.getheader("Content-Type").startswith("text/plain"))

    def test_other_methods_are_405(self):
        cookie = self.sign_in("grace")
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"):
            resp, _ = self.backend.request(method, "/api/customgpt-jwt", cookie=cookie, body="")
            self.assertEqual(resp.status, 405, method)
            self.assertEqual(resp.getheader("Allow"), "GET", method)
        resp, _ = self.backend.request("GET", "/logout", cookie=cookie)
        self.assertEqual((resp.status, resp.getheader("Allow")), (405, "POST"))

    def test_wrong_password_is_refused(self):
        for user, password in (("ada", "ada-demo "), ("ada", "grace-demo"), ("ada", ""), ("nobody", "ada-demo")):
            resp, cookie, set_cookie = self.backend.login(user, password)
            self.assertEqual(resp.status, 401, (user, password))
            self.assertIsNone(cookie)
            self.assertEqual(set_cookie, "")

    def test_session_cookie(self):
        resp, cookie, set_cookie = self.backend.login("ada")
        self.seen_secrets.append(cookie)
        self.assertEqual(resp.status, 303)
        self.assertEqual(resp.getheader("Location"), "/")
        self.assertRegex(cookie, r"^[0-9a-f]{64}$")  # 32 random bytes
        attrs = [a.strip() for a in set_cookie.split(";")[1:]]
        self.assertCountEqual(attrs, ["HttpOnly", "SameSite=Lax", "Path=/"])

    def test_token_for_ada(self):
        cookie = self.sign_in("ada")
        resp, data = self.backend.request("GET", "/api/customgpt-jwt", cookie=cookie)
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.getheader("Content-Type").startswith("text/plain"))
        self.assertEqual(resp.getheader("Cache-Control"), "no-store")
        token = data.decode("ascii")
        self.seen_secrets.append(token)
        header, claims = decode(token, self.pem, "RS256")
        self.assertEqual(header, {"alg": "RS256", "typ": "JWT", "kid": thumbprint(self.pem)})
        self.assertEqual(claims["roles"], ["Accounting Team", "Support Team"])
        self.assertEqual(claims["email"], "ada@example.com")
        self.assertEqual(claims["sub"], "ada")
        self.assertLessEqual(claims["exp"] - claims["iat"], 600)
        self.assertEqual(claims["exp"] - claims["iat"], 600)  # the default lifetime is the 10-minute ceiling
        self.assertLessEqual(abs(claims["iat"] - time.time()), 5)
        self.assertRegex(claims["jti"], r"^[A-Za-z0-9_-]{22}$")
        self.assertEqual(set(claims), {"sub", "email", "roles", "jti", "iat", "exp"})

    def test_token_for_grace_and_upn_only_user(self):
        _, grace = decode(self.mint(self.sign_in("grace")), self.pem, "RS256")
        self.assertEqual((grace["roles"], grace["email"]), (["Support Team"], "grace@example.com"))
        _, alan = decode(self.mint(self.sign_in("alan")), self.pem, "RS256")
        self.assertEqual((alan["roles"], alan["upn"]), (["Engineering"], "alan.turing@corp.example.com"))
        self.assertNotIn("email", alan)

    def test_request_cannot_change_identity(self):
        cookie = self.sign_in("grace")
        token = self.mint(cookie, path="/api/customgpt-jwt?roles=Admin&email=evil%40example.com&sub=ada",
                          headers={"X-User": "ada", "X-Roles": "Admin", "X-Email": "evil@example.com"})
        _, claims = decode(token, self.pem, "RS256")
        self.assertEqual((claims["sub"], claims["email"], claims["roles"]),
                         ("grace", "grace@example.com", ["Support Team"]))

    def test_every_request_gets_a_fresh_token(self):
        cookie = self.sign_in("ada")
        a, b = self.mint(cookie), self.mint(cookie)
        self.assertNotEqual(decode(a, self.pem, "RS256")[1]["jti"], decode(b, self.pem, "RS256")[1]["jti"])

    def test_concurrent_requests_share_one_signer(self):
        cookies = {"ada": self.sign_in("ada"), "grace": self.sign_in("grace")}
        results, errors = [], []

        def worker(name):
            try:
                for _ in range(5):
                    token = self.backend.token(cookies[name])
                    results.append((name, decode(token, self.pem, "RS256")[1]["sub"], token))
            except Exception as exc:  # collected and reported below
                errors.append(repr(exc))

        threads = [threading.Thread(target=worker, args=(n,)) for n in ("ada", "grace") * 4]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 40)
        self.assertTrue(all(name == sub for name, sub, _ in results))
        self.seen_secrets.extend(token for _, _, token in results)

    def test_logout_ends_the_session(self):
        cookie = self.sign_in("ada")
        self.mint(cookie)
        resp, _ = self.backend.request("POST", "/logout", cookie=cookie, body="")
        self.assertEqual((resp.status, resp.getheader("Location")), (303, "/"))
        self.assertIn("Max-Age=0", resp.getheader("Set-Cookie"))
        resp, _ = self.backend.request("GET", "/api/customgpt-jwt", cookie=cookie)
        self.assertEqual(resp.status, 401)

    def test_signing_in_again_replaces_the_session(self):
        first = self.sign_in("ada")
        resp, second, _ = self.backend.login("grace", cookie=first)
        self.seen_secrets.append(second)
        self.assertEqual(resp.status, 303)
        self.assertNotEqual(first, second)
        self.assertEqual(self.backend.request("GET", "/api/customgpt-jwt", cookie=first)[0].status, 401)
        self.assertEqual(decode(self.mint(second), self.pem, "RS256")[1]["sub"], "grace")

    def test_cross_site_form_is_refused(self):
        resp, cookie, _ = self.backend.login("ada", headers={"Origin": "http://evil.example"})
        self.assertEqual(resp.status, 403)
        self.assertIsNone(cookie)
        same = {"Origin": f"http://127.0.0.1:{self.backend.port}"}
        resp, cookie, _ = self.backend.login("ada", headers=same)
        self.seen_secrets.append(cookie)
        self.assertEqual(resp.status, 303)

    def test_sign_in_returns_to_the_page(self):
        resp, _ = self.backend.request("POST", "/login", body={"username": "ada", "password": "ada-demo",
                                                                "next": "/live-chat"})
        self.seen_secrets.append(re.match(r"jwtmint_session=([0-9a-f]+)", resp.getheader("Set-Cookie")).group(1))
        self.assertEqual(resp.getheader("Location"), "/live-chat")
        resp, _ = self.backend.request("POST", "/login", body={"username": "ada", "password": "ada-demo",
                                                                "next": "https://evil.example/"})
        self.seen_secrets.append(re.match(r"jwtmint_session=([0-9a-f]+)", resp.getheader("Set-Cookie")).group(1))
        self.assertEqual(resp.getheader("Location"), "/")

    def test_pages(self):
        calls = {
            "/standard-embed": "window.CustomGPTEmbed?.setJwtToken(jwt)",
            "/live-chat": "jwt: fetchCustomGptJwt",
            "/ai-assistant": "window.CustomGPTAiAssistant?.setJwtToken(jwt)",
            "/instant-viewer": "window.CustomGPTInstantViewer?.setJwtToken(jwt)",
        }
        for path, call in calls.items():
            resp, data = self.backend.request("GET", path)
            html = data.decode("utf-8")
            self.assertEqual(resp.status, 200, path)
            self.assertTrue(resp.getheader("Content-Type").startswith("text/html"), path)
            self.assertIn('src="/widget/stand-in.js"', html, path)
            self.assertIn("fetch('/api/customgpt-jwt'", html, path)
            self.assertIn(call, html, path)
            self.assertNotIn("{{", html, path)
        resp, data = self.backend.request("GET", "/widget/stand-in.js")
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.getheader("Content-Type").startswith("text/javascript"))
        self.assertIn(b"window.__jwtmintWidget", data)
        self.assertEqual(self.backend.request("GET", "/static/style.css")[0].status, 200)
        self.assertEqual(self.backend.request("GET", "/no/such/page")[0].status, 404)

    def test_index_signed_out_and_in(self):
        _, data = self.backend.request("GET", "/")
        self.assertIn(b'action="/login"', data)
        self.assertIn(b"-----BEGIN PUBLIC KEY-----", data)
        _, data = self.backend.request("GET", "/", cookie=self.sign_in("grace"))
        self.assertIn(b'Signed in as <strong id="signed-in-user">grace</strong>', data)
        self.assertNotIn(b'action="/login"', data)

    def test_zz_log_has_one_line_per_request_and_no_secrets(self):
        cookie = self.sign_in("grace")
        self.mint(cookie)
        wanted = [re.compile(r"^\S+Z 127\.0\.0\.1 GET /api/customgpt-jwt 200 user=grace \d+\.\dms$", re.M),
                  re.compile(r"POST /login 401 user=- "), re.compile(r"GET /api/customgpt-jwt 401 user=- "),
                  re.compile(r"POST /api/customgpt-jwt 405 ")]
        # The output is read by a thread: wait (on a loaded machine, a while) until every line is in.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            log = self.backend.stdout + self.backend.stderr
            if all(w.search(log) for w in wanted):
                break
            time.sleep(0.05)
        log = self.backend.stdout + self.backend.stderr
        for w in wanted:
            self.assertRegex(log, w)
        for secret in self.seen_secrets:
            self.assertNotIn(secret, log)
        for password in DEMO.values():
            self.assertNotIn(password + " ", log)
            self.assertNotIn(password + "\n", log)
        self.assertNotIn("BEGIN PRIVATE KEY", log)


class Restarts(unittest.TestCase):
    def test_key_is_reused_and_sigint_stops_cleanly(self):
        first = Backend().wait_ready()
        try:
            pem = first.public_pem()
            self.assertEqual(first.stop(signal.SIGINT), 0)
            self.assertIn("Stopped (SIGINT)", first.stdout)
            second = Backend(data_dir=first.data_dir).wait_ready()
            try:
                self.assertEqual(second.public_pem(), pem)
                self.assertNotIn("created now", second.stdout)
                _, cookie, _ = second.login("ada")
                decode(second.token(cookie), pem, "RS256")
                self.assertEqual(second.stop(), 0)
            finally:
                second.cleanup()
            # A key others can read is used, with a warning that says how to fix it.
            os.chmod(os.path.join(first.data_dir, "rs256-private.pem"), 0o644)
            third = Backend(data_dir=first.data_dir).wait_ready()
            try:
                # stderr has its own reader thread: read it once the server stopped and both
                # readers finished (before, under load, it was once still empty here).
                self.assertEqual(third.stop(), 0)
                self.assertIn("can be read by other users", third.stderr)
                self.assertIn("chmod 600", third.stderr)
            finally:
                third.cleanup()
        finally:
            first.cleanup()


class Options(unittest.TestCase):
    def run_backend(self, *args, env=None):
        b = Backend(*args, env=env)
        self.addCleanup(b.cleanup)
        return b.wait_ready()

    def claims(self, backend, key, alg, user="ada"):
        _, cookie, _ = backend.login(user)
        return decode(backend.token(cookie), key, alg)

    def test_es256_key_is_created(self):
        b = self.run_backend("--alg", "es256")
        header, claims = self.claims(b, b.public_pem(), "ES256")
        self.assertEqual(header["alg"], "ES256")
        self.assertEqual(claims["roles"], ["Accounting Team", "Support Team"])
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(b.data_dir, "es256-private.pem")).st_mode), 0o600)
        self.assertEqual(b.stop(), 0)

    def test_hs256_generated_secret(self):
        b = self.run_backend("--alg", "HS256")
        path = os.path.join(b.data_dir, "hs256-secret.txt")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path) as f:
            secret = f.read()
        self.assertRegex(secret, r"^[A-Za-z0-9_-]{43}$")
        self.assertNotIn(secret, b.stdout)
        self.assertIsNone(PEM_RE.search(b.stdout))
        header, _ = self.claims(b, secret, "HS256")
        self.assertEqual(header["alg"], "HS256")

    def test_hs256_key_file(self):
        tmp = tempfile.mkdtemp(prefix="jwtmint-host-secret-")
        self.addCleanup(shutil.rmtree, tmp, True)
        secret = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
        path = os.path.join(tmp, "secret")
        with open(path, "w") as f:
            f.write(secret)
        os.chmod(path, 0o600)
        b = self.run_backend("--alg", "hs256", "--key", path)
        self.claims(b, secret, "HS256")
        with self.assertRaises(jwt.InvalidSignatureError):
            self.claims(b, secret[:-1] + ("A" if secret[-1] != "A" else "B"), "HS256")

    def test_rs256_key_file(self):
        tmp = tempfile.mkdtemp(prefix="jwtmint-host-key-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path],
                       check=True, capture_output=True)
        os.chmod(path, 0o600)
        pub = subprocess.run(["openssl", "pkey", "-in", path, "-pubout"], check=True, capture_output=True,
                             text=True).stdout
        b = self.run_backend("--key", path)
        self.assertEqual(b.public_pem(), pub)
        self.claims(b, pub, "RS256")
        self.assertEqual(os.listdir(b.data_dir), ["users.json"])  # no key is created when one is given

    def test_role_claim_name_and_string_form(self):
        b = self.run_backend("--role-claim", "groups", "--role-format", "string")
        _, claims = self.claims(b, b.public_pem(), "RS256")
        self.assertEqual(claims["groups"], "Accounting Team, Support Team")
        self.assertNotIn("roles", claims)

    def test_options_from_the_environment(self):
        b = self.run_backend(env=clean_env(JWTMINT_ROLE_CLAIM="team_roles", JWTMINT_TTL="2m"))
        _, claims = self.claims(b, b.public_pem(), "RS256", user="grace")
        self.assertEqual(claims["team_roles"], ["Support Team"])
        self.assertEqual(claims["exp"] - claims["iat"], 120)

    def test_ttl(self):
        b = self.run_backend("--ttl", "90s")
        _, claims = self.claims(b, b.public_pem(), "RS256")
        self.assertEqual(claims["exp"] - claims["iat"], 90)

    def test_ttl_above_ten_minutes_needs_max_ttl(self):
        refused = Backend("--ttl", "11m")
        self.addCleanup(refused.cleanup)
        code = refused.wait_exit(timeout=30)
        self.assertEqual(code, 1)
        self.assertIn("--max-lifetime", refused.stderr)
        b = self.run_backend("--ttl", "11m", "--max-lifetime", "15m")
        _, claims = self.claims(b, b.public_pem(), "RS256")
        self.assertEqual(claims["exp"] - claims["iat"], 660)
        # --max-ttl, the 0.1 name, still works; a raised ceiling alone keeps the 10-minute default.
        b = self.run_backend("--max-ttl", "15m")
        _, claims = self.claims(b, b.public_pem(), "RS256")
        self.assertEqual(claims["exp"] - claims["iat"], 600)

    def test_added_user_with_hash_password(self):
        hashed = subprocess.run([SERVER, "--hash-password"], input="correct horse\n", capture_output=True,
                                text=True, timeout=30, check=True, env=clean_env())
        password = json.loads(hashed.stdout)
        self.assertEqual(password["kdf"], "scrypt")
        self.assertNotIn("correct horse", hashed.stdout)
        tmp = tempfile.mkdtemp(prefix="jwtmint-host-users-")
        self.addCleanup(shutil.rmtree, tmp, True)
        users = os.path.join(tmp, "users.json")
        with open(users, "w") as f:
            json.dump({"users": [{"username": "zoe", "email": "zoe@example.com", "roles": ["QA Team"],
                                  "password": password}]}, f)
        b = self.run_backend("--users", users)
        self.assertEqual(b.login("zoe", "wrong horse")[0].status, 401)
        resp, cookie, _ = b.login("zoe", "correct horse")
        self.assertEqual(resp.status, 303)
        _, claims = decode(b.token(cookie), b.public_pem(), "RS256")
        self.assertEqual((claims["sub"], claims["roles"]), ("zoe", ["QA Team"]))
        self.assertEqual(b.login("ada")[0].status, 401)  # the demo users are not there

    def test_bad_users_file_is_refused_at_start(self):
        tmp = tempfile.mkdtemp(prefix="jwtmint-host-users-")
        self.addCleanup(shutil.rmtree, tmp, True)
        users = os.path.join(tmp, "users.json")
        with open(os.path.join(os.path.dirname(__file__), "..", "users.json")) as f:
            doc = json.load(f)
        doc["users"][1]["email"] = "grace at example"
        with open(users, "w") as f:
            json.dump(doc, f)
        b = Backend("--users", users)
        self.addCleanup(b.cleanup)
        self.assertEqual(b.wait_exit(timeout=30), 1)
        self.assertIn("user 'grace'", b.stderr)
        self.assertIn("email", b.stderr)

    def test_help(self):
        out = subprocess.run([SERVER, "--help"], capture_output=True, text=True, timeout=30, env=clean_env())
        self.assertEqual(out.returncode, 0)
        for flag in ("--port", "--bind", "--data-dir", "--key", "--alg", "--users", "--role-claim", "--role-format",
                     "--policy", "--known-roles", "--max-lifetime", "JWTMINT_POLICY", "JWTMINT_KNOWN_ROLES", "--ttl", "--agent-id", "--embed-script-url", "--live-chat-script-url", "JWTMINT_PORT"):
            self.assertIn(flag, out.stdout)


def make_tmp(test, prefix):
    tmp = tempfile.mkdtemp(prefix=prefix)
    test.addCleanup(shutil.rmtree, tmp, True)
    return tmp


def openssl_key(directory, name, *genpkey_args):
    """A private key made by the openssl CLI (not by jwtmint), mode 0600: (path, public PEM)."""
    path = os.path.join(directory, name)
    subprocess.run(["openssl", "genpkey", *genpkey_args, "-out", path], check=True, capture_output=True)
    os.chmod(path, 0o600)
    pub = subprocess.run(["openssl", "pkey", "-in", path, "-pubout"], check=True, capture_output=True,
                         text=True).stdout
    return path, pub


def refused_start(test, *args):
    """Starts the server expecting it to refuse: returns its stderr after checking it exited 1 without listening."""
    b = Backend(*args)
    test.addCleanup(b.cleanup)
    test.assertEqual(b.wait_exit(timeout=30), 1, b.stderr)
    test.assertNotIn("Listening on", b.stdout)
    return b.stderr


class KeyInference(unittest.TestCase):
    """Without --alg, the algorithm comes from --key, as the jwtmint CLI decides it."""

    def run_backend(self, *args):
        b = Backend(*args)
        self.addCleanup(b.cleanup)
        return b.wait_ready()

    def token(self, backend, key, alg, user="ada"):
        _, cookie, _ = backend.login(user)
        return decode(backend.token(cookie), key, alg)

    def test_p256_key_without_alg_mints_es256(self):
        path, pub = openssl_key(make_tmp(self, "jwtmint-host-key-"), "p256.pem",
                                "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
        b = self.run_backend("--key", path)
        self.assertEqual(b.public_pem(), pub)
        header, claims = self.token(b, pub, "ES256")
        self.assertEqual(header, {"alg": "ES256", "typ": "JWT", "kid": thumbprint(pub)})
        self.assertEqual(claims["roles"], ["Accounting Team", "Support Team"])
        with self.assertRaises(jwt.InvalidAlgorithmError):  # not RS256 after all
            self.token(b, pub, "RS256")
        self.assertIn("ES256", b.stdout.split("Signing key", 1)[1].splitlines()[0])
        self.assertEqual(b.stop(), 0)

    def test_rsa_key_without_alg_mints_rs256(self):
        path, pub = openssl_key(make_tmp(self, "jwtmint-host-key-"), "rsa.pem",
                                "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
        header, _ = self.token(self.run_backend("--key", path), pub, "RS256")
        self.assertEqual(header["alg"], "RS256")

    def test_secret_file_without_alg_mints_hs256(self):
        tmp = make_tmp(self, "jwtmint-host-secret-")
        secret = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
        path = os.path.join(tmp, "secret")
        with open(path, "w") as f:
            f.write(secret)
        os.chmod(path, 0o600)
        header, _ = self.token(self.run_backend("--key", path), secret, "HS256")
        self.assertEqual(header["alg"], "HS256")

    def test_keys_the_widget_cannot_use_are_refused(self):
        tmp = make_tmp(self, "jwtmint-host-key-")
        cases = [
            (("p384.pem", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"),
             ["holds an EC P-384 private key", "jwtmint keygen es256"], "keygen rs256"),
            (("ed25519.pem", "-algorithm", "ED25519"),
             ["holds an Ed25519 private key", "jwtmint keygen es256"], "keygen rs256"),
            (("rsa1024.pem", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"),
             ["holds an RSA 1024-bit private key", "2048", "jwtmint keygen rs256"], "keygen es256"),
        ]
        for (name, *genpkey), wanted, wrong_fix in cases:
            path, _ = openssl_key(tmp, name, *genpkey)
            with self.subTest(key=name):
                err = refused_start(self, "--key", path)
                self.assertIn(f"'{path}'", err)
                for w in wanted:
                    self.assertIn(w, err)
                self.assertNotIn(wrong_fix, err)

    def test_public_key_is_refused(self):
        tmp = make_tmp(self, "jwtmint-host-key-")
        _, pub = openssl_key(tmp, "p256.pem", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
        path = os.path.join(tmp, "public.pem")
        with open(path, "w") as f:
            f.write(pub)
        err = refused_start(self, "--key", path)
        self.assertIn("holds a public key; signing needs the private key", err)

    def test_explicit_alg_still_decides(self):
        tmp = make_tmp(self, "jwtmint-host-key-")
        path, _ = openssl_key(tmp, "p256.pem", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
        err = refused_start(self, "--key", path, "--alg", "rs256")
        self.assertIn("RS256 needs an RSA key", err)
        secret = os.path.join(tmp, "secret")
        with open(secret, "w") as f:
            f.write("s" * 40)
        os.chmod(secret, 0o600)
        err = refused_start(self, "--key", secret, "--alg", "es256")
        self.assertIn("ES256 needs a PEM private key", err)
        self.assertIn("--alg hs256", err)


SHIPPED_USERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "users.json")
TEAM_ROLES = ["Accounting Team", "Support Team", "Engineering"]


class LoginPolicy(unittest.TestCase):
    """--policy FILE and the single flags (--known-roles, --role-claim, --role-format, --max-lifetime, --alg)."""

    def write(self, name, content):
        tmp = make_tmp(self, "jwtmint-host-policy-")
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(content if isinstance(content, str) else json.dumps(content))
        return path

    def users_with(self, user, roles):
        """The shipped users file with user's roles replaced."""
        with open(SHIPPED_USERS) as f:
            doc = json.load(f)
        for u in doc["users"]:
            if u["username"] == user:
                u["roles"] = roles
        return self.write("users.json", doc)

    def run_backend(self, *args):
        b = Backend(*args)
        self.addCleanup(b.cleanup)
        return b.wait_ready()

    def token(self, backend, user="ada"):
        _, cookie, _ = backend.login(user)
        return backend.token(cookie)

    def test_misspelt_role_is_refused_with_known_roles(self):
        users = self.users_with("ada", ["Acounting Team", "Support Team"])
        err = refused_start(self, "--users", users, "--known-roles", ",".join(TEAM_ROLES))
        self.assertIn("user 'ada' has role 'Acounting Team', which is not a team role "
                      "(did you mean 'Accounting Team'?)", err)

    def test_misspelt_role_is_refused_with_policy_file(self):
        users = self.users_with("grace", ["Suport Team"])
        policy = self.write("policy.json", {"team_roles": TEAM_ROLES})
        err = refused_start(self, "--users", users, "--policy", policy)
        self.assertIn("user 'grace' has role 'Suport Team', which is not a team role "
                      "(did you mean 'Support Team'?)", err)

    def test_the_sample_policy_fits_the_shipped_users(self):
        # The CLI and the host backend share examples/widget-policy.json; the demo users start with it.
        sample = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "widget-policy.json")
        b = self.run_backend("--policy", sample)
        _, claims = decode(self.token(b, "alan"), b.public_pem(), "RS256")
        self.assertEqual(claims["roles"], ["Engineering"])

    def test_role_far_from_every_team_role_has_no_suggestion(self):
        users = self.users_with("alan", ["Marketing"])
        err = refused_start(self, "--users", users, "--known-roles", ",".join(TEAM_ROLES))
        self.assertIn("user 'alan' has role 'Marketing', which is not a team role", err)
        self.assertNotIn("did you mean", err)
        self.assertIn("Accounting Team, Support Team, Engineering", err)  # says what the team roles are

    def test_known_roles_match_case_insensitively(self):
        b = self.run_backend("--known-roles", "accounting team, SUPPORT TEAM,engineering")
        _, claims = decode(self.token(b), b.public_pem(), "RS256")
        self.assertEqual(claims["roles"], ["Accounting Team", "Support Team"])  # as the users file spells them

    def test_role_with_a_comma_in_comma_form_is_refused(self):
        users = self.users_with("grace", ["R&D, Europe"])
        err = refused_start(self, "--users", users, "--role-format", "comma")
        self.assertIn("user 'grace' has role 'R&D, Europe'", err)
        self.assertIn("--role-format array", err)
        # The same users in array form are fine.
        b = self.run_backend("--users", users, "--role-format", "array")
        _, claims = decode(self.token(b, "grace"), b.public_pem(), "RS256")
        self.assertEqual(claims["roles"], ["R&D, Europe"])

    def test_policy_file_shapes_the_tokens(self):
        policy = self.write("policy.json", {
            "role_claim": "groups", "role_format": "comma_separated", "team_roles": TEAM_ROLES,
            "algorithms": ["ES256"], "max_lifetime_seconds": 300})
        b = self.run_backend("--policy", policy)
        self.assertTrue(os.path.exists(os.path.join(b.data_dir, "es256-private.pem")))  # the policy's algorithm
        header, claims = decode(self.token(b), b.public_pem(), "ES256")
        self.assertEqual(header["alg"], "ES256")
        self.assertEqual(claims["groups"], "Accounting Team, Support Team")
        self.assertNotIn("roles", claims)
        self.assertEqual(claims["exp"] - claims["iat"], 300)  # the policy's ceiling is the default lifetime

    def test_flags_override_the_policy_file(self):
        policy = self.write("policy.json", {
            "role_claim": "groups", "role_format": "comma_separated", "max_lifetime_seconds": 300})
        b = self.run_backend("--policy", policy, "--role-claim", "team", "--role-format", "array",
                             "--max-lifetime", "2m", "--known-roles", ",".join(TEAM_ROLES))
        _, claims = decode(self.token(b), b.public_pem(), "RS256")
        self.assertEqual(claims["team"], ["Accounting Team", "Support Team"])
        self.assertNotIn("groups", claims)
        self.assertEqual(claims["exp"] - claims["iat"], 120)

    def test_ttl_above_the_policy_ceiling_is_refused(self):
        policy = self.write("policy.json", {"max_lifetime_seconds": 300})
        err = refused_start(self, "--policy", policy, "--ttl", "6m")
        self.assertIn("--ttl 6m is longer than the ceiling of 300 s", err)

    def test_algorithm_outside_the_policy_is_refused(self):
        policy = self.write("policy.json", {"algorithms": ["ES256"]})
        path, _ = openssl_key(make_tmp(self, "jwtmint-host-key-"), "rsa.pem",
                              "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
        for args in (("--key", path), ("--alg", "rs256")):
            with self.subTest(args=args):
                err = refused_start(self, "--policy", policy, *args)
                self.assertIn("algorithm_not_allowed", err)
                self.assertIn("RS256", err)
                self.assertIn("jwtmint keygen es256", err)

    def test_bad_policy_file_is_refused(self):
        for doc, wanted in (({"role_claim": "groups", "roles_format": "array"}, "roles_format"),
                            ({"max_lifetime_seconds": "10m"}, "max_lifetime_seconds"),
                            ("{not json", "policy")):
            with self.subTest(doc=doc):
                err = refused_start(self, "--policy", self.write("policy.json", doc))
                self.assertIn("invalid_policy", err)
                self.assertIn(wanted, err)
        err = refused_start(self, "--policy", "/nonexistent/policy.json")
        self.assertIn("/nonexistent/policy.json", err)


class KeyRotation(unittest.TestCase):
    """GET /.well-known/jwks.json, and a rotation on SIGHUP from the data folder, start to end."""

    def start(self, *args, data_dir=None):
        b = Backend(*args, data_dir=data_dir)
        self.addCleanup(b.cleanup)
        return b.wait_ready()

    def jwks(self, backend, headers=None):
        resp, data = backend.request("GET", "/.well-known/jwks.json", headers=headers)
        return resp, data

    def keyset(self, backend):
        resp, data = self.jwks(backend)
        self.assertEqual(resp.status, 200, data)
        return json.loads(data), resp.getheader("ETag")

    def verify_with_set(self, token, document):
        """Verifies token with the key the JWK Set names by the token's kid, as a verifier that
        fetches the set would (PyJWT's PyJWKSet): the claims."""
        kid = jwt.get_unverified_header(token)["kid"]
        keys = [k for k in jwt.PyJWKSet.from_dict(document).keys if k.key_id == kid]
        self.assertEqual(len(keys), 1, f"the set has no single key {kid}: {document}")
        alg = next(k["alg"] for k in document["keys"] if k["kid"] == kid)  # pinned by the set, not the token
        return jwt.decode(token, keys[0].key, algorithms=[alg])

    def token(self, backend):
        _, cookie, _ = backend.login("ada")
        return backend.token(cookie)

    def make_next_key(self, current):
        """The next key beside current, as `jwtmint keygen rs256 --next` writes it: its path."""
        directory, name = os.path.split(current)
        nxt = os.path.join(directory, name.replace("-private.pem", "-next-private.pem"))
        if ARGS.cli:
            p = subprocess.run([ARGS.cli, "keygen", "rs256", "--next", "--out", current], capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(os.path.exists(nxt), p.stderr)
        else:
            subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                            "-out", nxt], check=True, capture_output=True)
            os.chmod(nxt, 0o600)
        return nxt

    def test_jwks_endpoint(self):
        b = self.start()
        pem = b.public_pem()
        resp, data = self.jwks(b)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.getheader("Content-Type"), "application/json")
        self.assertEqual(resp.getheader("Cache-Control"), "public, max-age=300")
        etag = resp.getheader("ETag")
        self.assertRegex(etag, r'^"[A-Za-z0-9_-]{43}"$')  # strong: no W/
        document = json.loads(data)
        self.assertEqual(len(document["keys"]), 1)
        jwk = document["keys"][0]
        self.assertEqual((jwk["kty"], jwk["alg"], jwk["use"], jwk["kid"]), ("RSA", "RS256", "sig", thumbprint(pem)))
        self.assertFalse({"d", "p", "q", "dp", "dq", "qi"} & set(jwk))
        printed = serialization.load_pem_public_key(pem.encode())
        self.assertEqual(jwt.PyJWK(jwk).key.public_numbers(), printed.public_numbers())
        # A token verifies with the set, by its kid.
        self.assertEqual(self.verify_with_set(self.token(b), document)["sub"], "ada")
        # Revalidation: the same ETag (also weak, in a list, or *) is 304 without a body.
        for value in (etag, "W/" + etag, f'"other", {etag}', "*"):
            with self.subTest(if_none_match=value):
                resp, data = self.jwks(b, headers={"If-None-Match": value})
                self.assertEqual(resp.status, 304)
                self.assertEqual(data, b"")
                self.assertEqual(resp.getheader("ETag"), etag)
                self.assertEqual(resp.getheader("Cache-Control"), "public, max-age=300")
        resp, data = self.jwks(b, headers={"If-None-Match": '"something-else"'})
        self.assertEqual((resp.status, json.loads(data)), (200, document))
        resp, data = b.request("HEAD", "/.well-known/jwks.json")
        self.assertEqual((resp.status, data, resp.getheader("ETag")), (200, b"", etag))
        resp, _ = b.request("POST", "/.well-known/jwks.json")
        self.assertEqual((resp.status, resp.getheader("Allow")), (405, "GET, HEAD"))
        self.assertEqual(b.stop(), 0)

    def test_hs256_publishes_nothing(self):
        b = self.start("--alg", "hs256")
        resp, data = self.jwks(b)
        self.assertEqual(resp.status, 404)
        self.assertIn(b"HS256, a shared secret, which is never published", data)
        self.assertIn("JWK Set       none", b.stdout)
        # SIGHUP changes nothing and says why; tokens still mint.
        out = b.sighup()
        self.assertIn("nothing changed", out)
        self.assertEqual(self.jwks(b)[0].status, 404)
        with open(os.path.join(b.data_dir, "hs256-secret.txt")) as f:
            decode(self.token(b), f.read(), "HS256")
        self.assertEqual(b.stop(), 0)
        self.assertIn("HS256 secret is not rotated in place", b.stderr)

    def test_full_rotation(self):
        b = self.start()
        current = os.path.join(b.data_dir, "rs256-private.pem")
        old_pem = b.public_pem()
        old_kid = thumbprint(old_pem)
        self.assertIn(f"Key id        {old_kid}", b.stdout)
        token_a = self.token(b)
        self.assertEqual(jwt.get_unverified_header(token_a)["kid"], old_kid)
        _, etag_before = self.keyset(b)

        # 1. A next key beside the current one, published on SIGHUP; the old key still signs.
        nxt = self.make_next_key(current)
        with open(nxt, "rb") as f:
            new_pem = serialization.load_pem_private_key(f.read(), password=None).public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        new_kid = thumbprint(new_pem)
        out = b.sighup()
        self.assertIn(f"SIGHUP: added the next key kid {new_kid}", out)
        self.assertIn(f"keys: {old_kid} (current), {new_kid} (next)", out)
        document, etag = self.keyset(b)
        self.assertNotEqual(etag, etag_before)
        self.assertEqual([k["kid"] for k in document["keys"]], [old_kid, new_kid])
        token_b = self.token(b)
        self.assertEqual(jwt.get_unverified_header(token_b)["kid"], old_kid)
        decode(token_b, old_pem, "RS256")
        # SIGHUP again without a change in the folder changes nothing.
        self.assertIn(f"no change: signing with kid {old_kid}", b.sighup())

        # 2. The admin moves next over current: promoted; the old key retired, still published.
        os.replace(nxt, current)
        out = b.sighup()
        self.assertIn(f"SIGHUP: promoted kid {new_kid}", out)
        self.assertRegex(out, rf"SIGHUP: retired kid {re.escape(old_kid)}: it signs no more; still published until "
                              r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
        token_c = self.token(b)
        self.assertEqual(jwt.get_unverified_header(token_c)["kid"], new_kid)
        decode(token_c, new_pem, "RS256")
        document, etag_promoted = self.keyset(b)
        self.assertEqual(sorted(k["kid"] for k in document["keys"]), sorted([old_kid, new_kid]))
        self.assertEqual(document["keys"][0]["kid"], new_kid)  # the current key first
        # Tokens minted before the rotation still verify against the served set, as do new ones.
        self.assertEqual(self.verify_with_set(token_a, document)["sub"], "ada")
        self.assertEqual(self.verify_with_set(token_b, document)["sub"], "ada")
        self.assertEqual(self.verify_with_set(token_c, document)["sub"], "ada")
        with open(os.path.join(b.data_dir, "rs256-public.pem")) as f:
            self.assertEqual(f.read(), new_pem)  # the copy to paste into the vendor's settings
        resp, data = b.request("GET", "/")
        self.assertIn(new_pem.split("\n")[1], data.decode())  # the index page shows the new key

        # 3. A bad next key file: the error is logged, nothing changes, the server keeps serving.
        with open(os.path.join(b.data_dir, "rs256-next-private.pem"), "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
        out = b.sighup()
        self.assertIn(f"SIGHUP: nothing changed; keys: {new_kid} (current), {old_kid} (retired", out)
        os.remove(os.path.join(b.data_dir, "rs256-next-private.pem"))
        # A current key file replaced by a key never published as next: refused the same way.
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
                        current], check=True, capture_output=True)
        out = b.sighup()
        self.assertIn("SIGHUP: nothing changed", out)
        self.assertEqual(self.keyset(b)[1], etag_promoted)
        token_d = self.token(b)
        self.assertEqual(jwt.get_unverified_header(token_d)["kid"], new_kid)
        decode(token_d, new_pem, "RS256")
        self.assertEqual(b.stop(), 0)
        self.assertRegex(b.stderr, r"error: SIGHUP: \w+: '[^']*rs256-next-private.pem'")
        self.assertIn("which was never published as the next key", b.stderr)

    def test_next_key_present_at_start_is_published(self):
        first = self.start()
        current = os.path.join(first.data_dir, "rs256-private.pem")
        old_kid = thumbprint(first.public_pem())
        self.assertEqual(first.stop(), 0)
        nxt = self.make_next_key(current)
        b = self.start(data_dir=first.data_dir)
        document, _ = self.keyset(b)
        self.assertEqual(len(document["keys"]), 2)
        self.assertEqual(document["keys"][0]["kid"], old_kid)
        self.assertEqual(jwt.get_unverified_header(self.token(b))["kid"], old_kid)
        self.assertIn(os.path.basename(nxt), b.stdout)
        self.assertEqual(b.stop(), 0)


class EncryptedKey(unittest.TestCase):
    """An encrypted --key: its passphrase from --passphrase-file or JWTMINT_KEY_PASSPHRASE (the file
    wins), as the jwtmint tool takes it; a missing or wrong one is one clear error line."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="jwtmint-host-enc-")
        cls.key = os.path.join(cls.tmp, "enc.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-aes-256-cbc", "-pass", "pass:right horse", "-out", cls.key], check=True, capture_output=True)
        os.chmod(cls.key, 0o600)
        cls.pub = subprocess.run(["openssl", "pkey", "-in", cls.key, "-passin", "pass:right horse", "-pubout"],
                                 check=True, capture_output=True, text=True).stdout
        cls.right = os.path.join(cls.tmp, "right.txt")
        cls.wrong = os.path.join(cls.tmp, "wrong.txt")
        with open(cls.right, "w") as f:
            f.write("right horse\n")
        with open(cls.wrong, "w") as f:
            f.write("wrong horse\n")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def starts(self, *args, env=None):
        b = Backend("--key", self.key, *args, env=env)
        self.addCleanup(b.cleanup)
        b.wait_ready()
        self.assertEqual(b.public_pem(), self.pub)
        _, cookie, _ = b.login("ada")
        decode(b.token(cookie), self.pub, "ES256")
        self.assertEqual(b.stop(), 0)

    def refused(self, *args, env=None):
        b = Backend("--key", self.key, *args, env=env)
        self.addCleanup(b.cleanup)
        self.assertEqual(b.wait_exit(timeout=30), 1, b.stderr)
        lines = b.stderr.splitlines()
        self.assertEqual(len(lines), 1, b.stderr)
        return lines[0]

    def test_passphrase_from_the_environment(self):
        self.starts(env=clean_env(JWTMINT_KEY_PASSPHRASE="right horse"))

    def test_passphrase_file_wins_over_the_environment(self):
        self.starts("--passphrase-file", self.right, env=clean_env(JWTMINT_KEY_PASSPHRASE="wrong horse"))

    def test_no_passphrase_names_both_ways(self):
        line = self.refused()
        self.assertTrue(line.startswith("error: passphrase_required: "), line)
        self.assertIn("--passphrase-file", line)
        self.assertIn("JWTMINT_KEY_PASSPHRASE", line)
        self.assertIn(self.key, line)
        self.assertNotIn("openssl pkey", line)  # no decrypted copy of the key on disk

    def test_wrong_passphrase_is_one_clear_message(self):
        for args, env, origin in ((("--passphrase-file", self.wrong), None, "--passphrase-file"),
                                  ((), clean_env(JWTMINT_KEY_PASSPHRASE="wrong horse"), "JWTMINT_KEY_PASSPHRASE")):
            with self.subTest(origin=origin):
                line = self.refused(*args, env=env)
                self.assertTrue(line.startswith("error: bad_passphrase: "), line)
                self.assertIn("passphrase", line)
                self.assertIn("wrong", line)
                self.assertIn(origin, line)
                self.assertLessEqual(line.count("bad decrypt"), 1, line)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v", *UNITTEST_ARGS])
