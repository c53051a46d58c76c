# SPDX-License-Identifier: MIT
"""GET /api/customgpt-jwt of one example server (Boost.Beast or cpp-httplib), over real HTTP.

Keys are made with the openssl command line; the server runs on a free loopback port; PyJWT checks
every token with the public key, RS256 only. Usage:

    token_endpoint_test.py --server PATH [unittest arguments]
"""
import argparse
import http.client
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import jwt  # PyJWT (Debian: python3-jwt)

SERVER = None  # set from --server
HERE = os.path.dirname(os.path.abspath(__file__))
WIDGET_POLICY = os.path.normpath(os.path.join(HERE, "..", "..", "widget-policy.json"))
PATH = "/api/customgpt-jwt"
START_TIMEOUT = 20.0
LISTENING = re.compile(r"^Listening on http://127\.0\.0\.1:(\d+)$")
COOKIE = re.compile(r"^Demo session cookie \(stand-in for your sign-in\): (session=\S+)$")
TMP = tempfile.mkdtemp(prefix="jwtmint-token-endpoint-test-")


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_keys():
    """An RSA key pair and an EC P-256 private key, as files in TMP."""
    keys = {"rsa": os.path.join(TMP, "rs256.pem"), "rsa_pub": os.path.join(TMP, "rs256.pub.pem"),
            "ec": os.path.join(TMP, "es256.pem")}
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", keys["rsa"])
    openssl("pkey", "-in", keys["rsa"], "-pubout", "-out", keys["rsa_pub"])
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keys["ec"])
    with open(keys["rsa_pub"]) as f:
        keys["public_pem"] = f.read()
    return keys


def write_policy(name, policy):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        json.dump(policy, f)
    return path


class Server:
    """The server under test on a free port, its output collected."""

    def __init__(self, *args, env=None, expect_start=True):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("JWTMINT_")}
        full_env.update(env or {})
        self.proc = subprocess.Popen([SERVER, "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True, env=full_env)
        self.stdout_lines, self.stderr_lines, self._lines = [], [], queue.Queue()
        self._pumps = [threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout_lines), daemon=True),
                       threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr_lines), daemon=True)]
        for p in self._pumps:
            p.start()
        self.port = self.cookie = None
        if expect_start:
            self._wait_listening()

    def _pump(self, stream, sink):
        for line in stream:
            sink.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def _wait_listening(self):
        deadline = time.monotonic() + START_TIMEOUT
        while self.port is None:
            try:
                line = self._lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None and (self.proc.poll() is not None or time.monotonic() > deadline):
                self.kill()
                raise AssertionError(f"the server did not start:\n{self.output()}")
            line = (line or "").rstrip("\n")
            if m := COOKIE.match(line):
                self.cookie = m.group(1)
            if m := LISTENING.match(line):
                self.port = int(m.group(1))
        if self.cookie is None:
            raise AssertionError(f"no demo session cookie printed before 'Listening on':\n{self.output()}")

    def wait_exit(self, timeout):
        code = self.proc.wait(timeout=timeout)
        for p in self._pumps:
            p.join(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code

    def output(self):
        return "".join(self.stdout_lines) + "".join(self.stderr_lines)

    def stderr(self):
        return "".join(self.stderr_lines)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait_exit(10)

    def signed_in_token(self):
        """(status, headers, body) of one signed-in token request; the server is killed after it."""
        try:
            return self.request(cookie=self.cookie)
        finally:
            self.kill()

    def connect(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def request(self, method="GET", path=PATH, cookie=None, conn=None, headers=None):
        """(status, headers as a dict with lower-case names, body text) of one request."""
        own = conn is None
        conn = conn or self.connect()
        try:
            h = dict(headers or {})
            if cookie is not None:
                h["Cookie"] = cookie
            conn.request(method, path, headers=h)
            res = conn.getresponse()
            body = res.read().decode()
            return res.status, {k.lower(): v for k, v in res.getheaders()}, body
        finally:
            if own:
                conn.close()


def verify(token, public_pem):
    """The claims of a token PyJWT verifies with the public key, RS256 only."""
    return jwt.decode(token, public_pem, algorithms=["RS256"], options={"require": ["exp", "iat"]})


def raw_exchange(port, data):
    """Sends bytes on a new connection; the status code of the first response (None if none)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        received = b""
        try:
            while b"\r\n" not in received:
                chunk = s.recv(4096)
                if not chunk:
                    break
                received += chunk
        except ConnectionResetError:
            pass
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", received)
    return int(m.group(1)) if m else None


class Endpoint(unittest.TestCase):
    """One server with the shipped widget policy file."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server("--key", KEYS["rsa"], "--policy", WIDGET_POLICY)

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()

    def test_token_for_the_demo_session(self):
        before = time.time()
        status, headers, body = self.server.request(cookie=self.server.cookie)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("content-type"), "text/plain")
        self.assertEqual(headers.get("cache-control"), "no-store")
        self.assertEqual(jwt.get_unverified_header(body)["alg"], "RS256")
        claims = verify(body, KEYS["public_pem"])
        self.assertEqual(claims["roles"], ["Accounting Team", "Support Team"])
        self.assertEqual(claims["email"], "ada@example.com")
        self.assertGreater(claims["exp"] - claims["iat"], 0)
        self.assertLessEqual(claims["exp"] - claims["iat"], 600)
        self.assertLessEqual(abs(claims["iat"] - before), 5)

    def test_token_does_not_verify_with_another_key(self):
        _, _, body = self.server.request(cookie=self.server.cookie)
        other = os.path.join(TMP, "other.pem")
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", other)
        other_pub = subprocess.run(["openssl", "pkey", "-in", other, "-pubout"], check=True, capture_output=True,
                                   text=True).stdout
        with self.assertRaises(jwt.InvalidSignatureError):
            verify(body, other_pub)

    def test_session_cookie_among_others(self):
        status, _, body = self.server.request(cookie=f"theme=dark; {self.server.cookie}; lang=en")
        self.assertEqual(status, 200, body)
        self.assertEqual(verify(body, KEYS["public_pem"])["email"], "ada@example.com")

    def test_no_session_is_401(self):
        value = self.server.cookie.split("=", 1)[1]
        for cookie in (None, "session=not-a-session", "session=", f"xsession={value}", f"session={value}x",
                       value):
            with self.subTest(cookie=cookie):
                status, headers, body = self.server.request(cookie=cookie)
                self.assertEqual(status, 401)
                self.assertEqual(headers.get("cache-control"), "no-store")
                self.assertNotIn("eyJ", body)

    def test_other_methods_are_405(self):
        for method in ("POST", "PUT", "DELETE"):
            with self.subTest(method=method):
                status, headers, body = self.server.request(method, cookie=self.server.cookie)
                self.assertEqual(status, 405)
                self.assertEqual(headers.get("allow"), "GET")
                self.assertNotIn("eyJ", body)

    def test_other_paths_are_404(self):
        for path in ("/other", "/", "/api/customgpt-jwt/x", "/api/customgpt-jw"):
            with self.subTest(path=path):
                status, _, body = self.server.request(path=path, cookie=self.server.cookie)
                self.assertEqual(status, 404)
                self.assertNotIn("eyJ", body)

    def test_keep_alive(self):
        conn = self.server.connect()
        try:
            first = self.server.request(cookie=self.server.cookie, conn=conn)
            # http.client drops its socket when the response closes the connection.
            self.assertIsNotNone(conn.sock, "the server closed the connection after the first request")
            local = conn.sock.getsockname()
            second = self.server.request(cookie=self.server.cookie, conn=conn)
            self.assertIsNotNone(conn.sock, "the server closed the connection after the second request")
            self.assertEqual(conn.sock.getsockname(), local, "the second request went on a new connection")
        finally:
            conn.close()
        self.assertEqual((first[0], second[0]), (200, 200))
        for _, _, token in (first, second):
            verify(token, KEYS["public_pem"])

    def test_oversized_header_is_refused(self):
        request = (f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {self.server.cookie}\r\n"
                   f"X-Padding: {'a' * 20000}\r\n\r\n").encode()
        status = raw_exchange(self.server.port, request)
        self.assertIsNotNone(status, "no response to a 20 kB header")
        self.assertGreaterEqual(status, 400)
        self.assertLess(status, 500)
        status, _, body = self.server.request(cookie=self.server.cookie)
        self.assertEqual(status, 200, "the server no longer serves after the oversized header")
        verify(body, KEYS["public_pem"])

    def test_concurrent_requests(self):
        tokens, errors = [], []

        def worker():
            try:
                conn = self.server.connect()
                for _ in range(10):
                    status, _, body = self.server.request(cookie=self.server.cookie, conn=conn)
                    if status != 200:
                        errors.append(status)
                    tokens.append(body)
                conn.close()
            except Exception as e:  # collected; the assertion below reports it
                errors.append(repr(e))

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(len(tokens), 80)
        for token in tokens:
            verify(token, KEYS["public_pem"])


class Policies(unittest.TestCase):
    """The login policy decides the role claim, its form and the lifetime."""

    def test_role_claim_and_lifetime_from_the_policy(self):
        policy = write_policy("groups.json", {"role_claim": "groups", "role_format": "comma_separated",
                                              "team_roles": ["Support Team", "Accounting Team"],
                                              "max_lifetime_seconds": 300})
        status, _, body = Server("--key", KEYS["rsa"], "--policy", policy).signed_in_token()
        self.assertEqual(status, 200, body)
        claims = verify(body, KEYS["public_pem"])
        self.assertEqual(claims["groups"], "Accounting Team, Support Team")
        self.assertNotIn("roles", claims)
        self.assertEqual(claims["exp"] - claims["iat"], 300)

    def test_built_in_policy_and_key_from_the_environment(self):
        status, _, body = Server(env={"JWTMINT_KEY_FILE": KEYS["rsa"]}).signed_in_token()
        self.assertEqual(status, 200, body)
        claims = verify(body, KEYS["public_pem"])
        self.assertEqual(claims["roles"], ["Accounting Team", "Support Team"])
        self.assertLessEqual(claims["exp"] - claims["iat"], 600)

    def test_minting_error_is_500_and_logged_not_sent(self):
        # Ada's roles are not team roles of this policy: the builder refuses (unknown_role).
        policy = write_policy("engineering.json", {"team_roles": ["Engineering"]})
        server = Server("--key", KEYS["rsa"], "--policy", policy)
        try:
            status, headers, body = server.request(cookie=server.cookie)
            self.assertEqual(server.request(cookie=None)[0], 401)
        finally:
            server.kill()
        self.assertEqual(status, 500)
        self.assertEqual(headers.get("cache-control"), "no-store")
        for secret in ("Engineering", "Accounting", "role", "ada@example.com", "eyJ"):
            self.assertNotIn(secret, body)
        log = server.stderr()
        self.assertIn("Accounting Team", log)
        self.assertIn("Engineering", log)


class StartAndStop(unittest.TestCase):
    def assert_refused_at_start(self, args, *expected):
        server = Server(*args, expect_start=False)
        try:
            code = server.wait_exit(START_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            self.fail(f"the server did not exit:\n{server.output()}")
        self.assertNotEqual(code, 0)
        self.assertNotIn("Listening on", server.output())
        for text in expected:
            self.assertIn(text, server.stderr())

    def test_missing_key_file(self):
        missing = os.path.join(TMP, "no-such-key.pem")
        self.assert_refused_at_start(["--key", missing], missing)

    def test_es256_key_is_refused(self):
        self.assert_refused_at_start(["--key", KEYS["ec"]], KEYS["ec"], "RS256")

    def test_policy_that_refuses_rs256(self):
        policy = write_policy("es256-only.json", {"algorithms": ["ES256"]})
        self.assert_refused_at_start(["--key", KEYS["rsa"], "--policy", policy], "RS256")

    def test_sigterm_stops_it(self):
        server = Server("--key", KEYS["rsa"])
        idle = server.connect()
        try:
            self.assertEqual(server.request(cookie=server.cookie, conn=idle)[0], 200)  # kept alive, idle
            server.proc.send_signal(signal.SIGTERM)
            try:
                code = server.wait_exit(15)
            except subprocess.TimeoutExpired:
                server.kill()
                self.fail("the server did not exit within 15 s of SIGTERM")
        finally:
            idle.close()
        self.assertEqual(code, 0, server.output())


def main():
    global SERVER, KEYS
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True)
    args, rest = parser.parse_known_args()
    SERVER = os.path.abspath(args.server)
    KEYS = make_keys()
    try:
        unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


KEYS = None
if __name__ == "__main__":
    main()
