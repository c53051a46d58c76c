# SPDX-License-Identifier: MIT
"""The host backend under abuse, against the real program on a loopback port: slow, oversized and
hoarding clients, SIGTERM under load, sign-in guessing, the session cap, a key file that goes away.
Every test is bounded in time and requests and stops by itself; every refusal it causes is then
checked in the log (one line, the usual format, a reason, no secret).

    /usr/bin/python3 fault_test.py --server PATH/TO/jwtmint-host-backend [--require]

The limits are shortened by flags (--request-timeout 2s and so on) so the suite takes seconds,
not the defaults' minutes; the defaults are the same code with other numbers.
"""

import argparse
import os
import re
import resource
import signal
import socket
import sys
import threading
import time
import unittest
import weakref

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from host_test_support import DEMO, PEM_RE, Backend  # noqa: E402

SKIP = 77
parser = argparse.ArgumentParser()
parser.add_argument("--server", required=True, help="path to jwtmint-host-backend")
parser.add_argument("--require", action="store_true", help="fail instead of skipping when PyJWT is missing")
ARGS, UNITTEST_ARGS = parser.parse_known_args()
Backend.program = os.path.abspath(ARGS.server)

try:
    import jwt  # PyJWT (Debian: python3-jwt)
except ImportError as exc:  # pragma: no cover - depends on the machine
    print(f"{'FAIL' if ARGS.require else 'SKIP'}: {exc}; install python3-jwt python3-cryptography", file=sys.stderr)
    sys.exit(1 if ARGS.require else SKIP)

# One request-log line: time, client, method, path, status, user, duration[, reason].
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \S+ \S+ \S+ \d{3} user=\S+ \d+\.\dms( reason=[a-z-]+)?$")
TOKEN_PATH = "/api/customgpt-jwt"
SECRETS = set()  # every cookie, token and password a test used: none may reach any log


def raise_open_files(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def connect(port, timeout=10.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


_unread = weakref.WeakKeyDictionary()  # bytes received after the last response read, per socket


def read_response(sock, deadline=10.0):
    """Reads one HTTP/1.1 response with a Content-Length: (status, headers dict lower-case, body);
    None when the connection closes before the first byte; raises on a truncated response."""
    sock.settimeout(deadline)
    data = _unread.pop(sock, b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            if data:
                raise AssertionError(f"connection closed inside a response head: {data!r}")
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed inside a body: {len(rest)} of {length} bytes")
        rest += chunk
    if len(rest) > length:
        _unread[sock] = rest[length:]
    return status, headers, rest[:length]


def closed_by_server(sock, timeout):
    """Whether the server closes sock (EOF or reset) within timeout seconds."""
    sock.settimeout(timeout)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def get(port, path, cookie=None, extra=b""):
    with connect(port) as s:
        hdr = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
        if cookie:
            hdr += f"Cookie: jwtmint_session={cookie}\r\n".encode()
        s.sendall(hdr + extra + b"\r\n")
        return read_response(s)


def login(port, user, password=None, source=None):
    """(status, headers, cookie or None); from the source address when given."""
    password = DEMO[user] if password is None else password
    SECRETS.add(password)
    body = f"username={user}&password={password}".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30,
                                  source_address=(source, 0) if source else None) as s:
        s.sendall(b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        status, headers, _ = read_response(s, deadline=30)
    m = re.match(r"jwtmint_session=([0-9a-f]{64});", headers.get("set-cookie", ""))
    if m:
        SECRETS.add(m.group(1))
    return status, headers, (m.group(1) if m else None)


def token(port, cookie):
    status, _, body = get(port, TOKEN_PATH, cookie)
    assert status == 200, (status, body)
    SECRETS.add(body.decode())
    return body.decode()


class Served:
    """A second client minting tokens while a test abuses the server: the time of each request."""

    def __init__(self, port, cookie):
        self.port, self.cookie = port, cookie
        self.times, self.failures = [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            start = time.monotonic()
            try:
                status, _, body = get(self.port, TOKEN_PATH, self.cookie)
                if status != 200:
                    self.failures.append(status)
                else:
                    SECRETS.add(body.decode())
            except OSError as e:
                self.failures.append(repr(e))
            self.times.append(time.monotonic() - start)
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=30)

    def check(self, test, at_least=5, slowest=1.0):
        test.assertEqual(self.failures, [], "the other client was refused")
        test.assertGreaterEqual(len(self.times), at_least, "the other client was not served meanwhile")
        test.assertLess(max(self.times), slowest, f"the other client waited {max(self.times):.2f} s")


class FaultCase(unittest.TestCase):
    """One server per class, with short limits; its log is checked when the class ends."""

    args = ("--request-timeout", "2s", "--keep-alive-timeout", "3s", "--shutdown-grace", "3s")
    expected_reasons = ()  # refusal reasons the class's tests must have caused

    @classmethod
    def setUpClass(cls):
        cls.backend = Backend(*cls.args).wait_ready()
        cls.port = cls.backend.port

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.backend.proc.poll() is None:
                code = cls.backend.stop()
                if code != 0:
                    raise AssertionError(f"SIGTERM: exit code {code}")
            check_log(cls.backend, cls.expected_reasons)
        finally:
            cls.backend.cleanup()

    def cookie(self, user="ada"):
        status, _, cookie = login(self.port, user)
        self.assertEqual(status, 303)
        return cookie


def check_log(backend, reasons):
    """Every request line in the usual format; each expected refusal there with its reason; no
    secret anywhere in the output."""
    lines = [l for l in backend.stdout.splitlines() if re.match(r"^\d{4}-\d\d-\d\dT", l)]
    for line in lines:
        if not LOG_LINE.match(line):
            raise AssertionError(f"log line not in the one-line format: {line!r}")
    for reason in reasons:
        if not any(line.endswith(f" reason={reason}") for line in lines):
            raise AssertionError(f"no log line with reason={reason}:\n" + "\n".join(lines[-30:]))
    # What the server wrote once it listened (the start-up banner shows the demo users' note).
    everything = backend.stdout.split("\nListening on ", 1)[-1] + backend.stderr
    for secret in SECRETS:
        if len(secret) >= 6 and secret in everything:
            raise AssertionError(f"a secret reached the log: {secret[:12]}...")


class SlowAndOversized(FaultCase):
    expected_reasons = ("request-timeout", "uri-too-long", "headers-too-large", "body-on-get", "body-too-large",
                        "length-required", "bad-request-line")

    def refused(self, raw, status, reason):
        """Sends raw and expects status, then the connection closed; returns the response body."""
        with connect(self.port) as s:
            s.sendall(raw)
            resp = read_response(s)
            self.assertIsNotNone(resp, f"no response, expected {status}")
            self.assertEqual(resp[0], status, resp[2])
            self.assertEqual(resp[1].get("connection"), "close")
            self.assertTrue(closed_by_server(s, 5), "connection left open after a refusal")
        self.backend.wait_for(rf" {status} user=- \S+ reason={reason}$", timeout=10)
        return resp[2]

    def test_trickled_request_is_cut_at_the_request_timeout(self):
        cookie = self.cookie()
        request = f"GET {TOKEN_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: jwtmint_session={cookie}\r\n\r\n"
        with Served(self.port, cookie) as other, connect(self.port) as s:
            start = time.monotonic()
            got = None
            for ch in request.encode():  # one byte a second: never a whole request within 2 s
                try:
                    s.sendall(bytes([ch]))
                except (BrokenPipeError, ConnectionResetError):
                    break
                s.settimeout(1.0)
                try:
                    got = s.recv(65536)
                    break
                except socket.timeout:
                    continue
            elapsed = time.monotonic() - start
            self.assertIsNotNone(got)
            self.assertTrue(got.startswith(b"HTTP/1.1 408 "), got[:40])
            self.assertIn(b"Connection: close", got)
            self.assertGreaterEqual(elapsed, 1.5)
            self.assertLess(elapsed, 4.5, "cut later than the 2 s request timeout allows")
        other.check(self)

    def test_request_line_too_long(self):
        self.refused(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri-too-long")
        # Without the end of the line yet: refused as soon as it is over the limit.
        self.refused(b"GET /" + b"a" * 9000, 414, "uri-too-long")

    def test_header_section_too_large(self):
        self.refused(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n", 431, "headers-too-large")
        many = b"".join(b"X-%d: y\r\n" % i for i in range(150))
        self.refused(b"GET / HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n", 431, "headers-too-large")

    def test_body_on_a_get(self):
        self.refused(b"GET " + TOKEN_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 400,
                     "body-on-get")
        self.refused(b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400,
                     "body-on-get")

    def test_body_too_large_is_refused_before_it_is_sent(self):
        self.refused(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n", 413, "body-too-large")

    def test_chunked_body_needs_a_length(self):
        self.refused(b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411,
                     "length-required")

    def test_malformed_requests(self):
        for raw in (b"GARBAGE\r\n\r\n", b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", b"GET / HTTP/1.1 x\r\n\r\n",
                    b"GET relative HTTP/1.1\r\nHost: x\r\n\r\n"):
            self.refused(raw, 400, "bad-request-line")
        self.refused(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "http-version")
        self.refused(b"GET / HTTP/1.1\r\n\r\n", 400, "no-host")
        self.refused(b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, "obsolete-line-folding")
        self.refused(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
                     "bad-content-length")

    def test_well_formed_edges_are_served(self):
        cookie = self.cookie()
        # Pipelined: three requests in one write, three responses in order on one connection.
        one = f"GET {TOKEN_PATH} HTTP/1.1\r\nHost: x\r\nCookie: jwtmint_session={cookie}\r\n\r\n".encode()
        with connect(self.port) as s:
            s.sendall(one * 3)
            for _ in range(3):
                status, _, body = read_response(s)
                self.assertEqual(status, 200)
                SECRETS.add(body.decode())
        # HTTP/1.0 closes unless asked to keep alive; a HEAD gets no body.
        with connect(self.port) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            status, headers, _ = read_response(s)
            self.assertEqual((status, headers.get("connection")), (200, "close"))
            self.assertTrue(closed_by_server(s, 5))
        with connect(self.port) as s:
            s.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /static/style.css HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(5)
            data = b""
            while data.count(b"HTTP/1.1 200") < 2:
                chunk = s.recv(65536)
                self.assertTrue(chunk, data)
                data += chunk
            head_length = int(re.search(rb"Content-Length: (\d+)", data).group(1))
            self.assertGreater(head_length, 0)
            self.assertTrue(data.split(b"\r\n\r\n", 1)[1].startswith(b"HTTP/1.1 200"), "HEAD sent a body")


class Connections(FaultCase):
    args = ("--request-timeout", "2s", "--keep-alive-timeout", "6s", "--max-connections", "400",
            "--shutdown-grace", "3s")
    expected_reasons = ("connection-limit",)

    def test_thousands_of_idle_connections(self):
        # 2,000 connections that never send anything: others are served meanwhile, old ones make
        # room for new ones (the limit is 400; each event loop closes its own longest-idle
        # connection), and all are closed by the keep-alive timeout (6 s).
        if raise_open_files(2200) < 2200:
            self.skipTest("cannot open 2,200 files in this process")
        cookie = self.cookie()
        idle = []
        try:
            with Served(self.port, cookie) as other:
                for _ in range(2000):
                    idle.append(connect(self.port))
                opened = time.monotonic()
                still_open = list(idle)
                while len(still_open) > 400 and time.monotonic() < opened + 4:
                    still_open = [s for s in still_open if not closed_by_server(s, 0.001)]
            other.check(self)
            self.assertLessEqual(len(still_open), 400, "more connections open than --max-connections")
            self.assertGreater(len(still_open), 300, "more connections closed than the limit needs")
            newest = idle[-50:]
            self.assertFalse(any(closed_by_server(s, 0.001) for s in newest), "a new connection was refused")
            self.assertTrue(all(closed_by_server(s, max(0.1, opened + 9 - time.monotonic())) for s in newest),
                            "idle connections outlived the keep-alive timeout")
        finally:
            for s in idle:
                s.close()

    def test_full_of_busy_connections_refuses_with_503(self):
        # 400 connections each in the middle of a request: none is idle, so a new one is refused.
        busy = []
        try:
            for _ in range(400):
                s = connect(self.port)
                s.sendall(b"GET / HTTP/1.1\r\n")
                busy.append(s)
            time.sleep(0.3)
            with connect(self.port) as extra:
                resp = read_response(extra)
                self.assertIsNotNone(resp)
                self.assertEqual(resp[0], 503)
                self.assertEqual(resp[1].get("retry-after"), "1")
        finally:
            for s in busy:
                s.close()
        # Once they are gone, the server serves again.
        time.sleep(0.3)
        self.assertEqual(get(self.port, "/")[0], 200)


class Shutdown(unittest.TestCase):
    def test_sigterm_under_load(self):
        backend = Backend("--shutdown-grace", "3s", "--request-timeout", "10s").wait_ready()
        self.addCleanup(backend.cleanup)
        port = backend.port
        _, _, cookie = login(port, "ada")
        pem = PEM_RE.search(backend.stdout).group(0)
        one = f"GET {TOKEN_PATH} HTTP/1.1\r\nHost: x\r\nCookie: jwtmint_session={cookie}\r\n\r\n".encode()
        results = {"ok": 0, "closed_idle": 0, "refused": 0, "bad": []}
        lock = threading.Lock()
        stop = threading.Event()
        tokens = []

        def client():
            s = None
            while not stop.is_set():
                try:
                    if s is None:
                        s = connect(port, timeout=10)
                    s.sendall(one)
                    resp = read_response(s)
                except ConnectionRefusedError:
                    with lock:
                        results["refused"] += 1
                    time.sleep(0.01)
                    continue
                except (ConnectionResetError, BrokenPipeError):
                    resp = None
                except AssertionError as e:  # a truncated response
                    with lock:
                        results["bad"].append(str(e))
                    return
                if resp is None:
                    with lock:
                        results["closed_idle"] += 1
                    s.close()
                    s = None
                    continue
                with lock:
                    if resp[0] != 200:
                        results["bad"].append(resp[0])
                    else:
                        results["ok"] += 1
                        if len(tokens) < 20:
                            tokens.append(resp[2].decode())
                if resp[1].get("connection") == "close":
                    s.close()
                    s = None
            if s is not None:
                s.close()

        # An in-flight request that is half sent when SIGTERM arrives, and finished after it.
        half = connect(port)
        half.sendall(one[:20])
        threads = [threading.Thread(target=client, daemon=True) for _ in range(8)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        before = results["ok"]
        self.assertGreater(before, 50, "no load before SIGTERM")
        backend.proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        time.sleep(0.3)
        # A new connection is refused now.
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        half.sendall(one[20:])
        resp = read_response(half)
        self.assertIsNotNone(resp, "the in-flight request got no response")
        self.assertEqual((resp[0], resp[1].get("connection")), (200, "close"))
        half.close()
        code = backend.wait_exit(timeout=15)
        took = time.monotonic() - signalled
        stop.set()
        for t in threads:
            t.join(timeout=15)
        self.assertEqual(code, 0)
        self.assertLess(took, 3.0 + 1.5, "exit later than the shutdown grace allows")
        self.assertEqual(results["bad"], [], "a response was cut short or failed")
        self.assertIn("Stopped (SIGTERM)", backend.stdout)
        for t in tokens:
            SECRETS.add(t)
            jwt.decode(t, pem, algorithms=["RS256"])
        check_log(backend, ())

    def test_a_stalled_request_is_cut_at_the_grace(self):
        backend = Backend("--shutdown-grace", "2s", "--request-timeout", "30s").wait_ready()
        self.addCleanup(backend.cleanup)
        stalled = connect(backend.port)
        stalled.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.2)
        backend.proc.send_signal(signal.SIGTERM)
        start = time.monotonic()
        self.assertEqual(backend.wait_exit(timeout=15), 0)
        took = time.monotonic() - start
        self.assertGreaterEqual(took, 1.5, "the stalled request was not given the grace")
        self.assertLess(took, 3.5)
        self.assertTrue(closed_by_server(stalled, 2))
        stalled.close()


def login_from(port, source, user, password):
    """A sign-in from another loopback address (127.0.0.0/8 is all local): (status, headers)."""
    return login(port, user, password, source=source)[:2]


class SignInAbuse(FaultCase):
    expected_reasons = ("sign-in-throttled",)

    def test_guessing_one_user_is_slowed_then_refused_but_not_elsewhere(self):
        port = self.port
        # Three free failures, then each failure earns a wait (1 s, 2 s, ...) during which even
        # the right password is refused with 429 and Retry-After.
        for guess in ("a1", "a2", "a3"):
            self.assertEqual(login_from(port, "127.0.0.2", "ada", guess)[0], 401)
        self.assertEqual(login_from(port, "127.0.0.2", "ada", "a4")[0], 401)
        status, headers = login_from(port, "127.0.0.2", "ada", DEMO["ada"])
        self.assertEqual(status, 429)
        self.assertEqual(headers.get("retry-after"), "1")
        time.sleep(1.1)
        self.assertEqual(login_from(port, "127.0.0.2", "ada", "a5")[0], 401)
        status, headers = login_from(port, "127.0.0.2", "ada", "a6")
        self.assertEqual((status, headers.get("retry-after")), (429, "2"))
        # The real user, from their own address, signs in at once; so does the same address for
        # another user.
        status, headers = login_from(port, "127.0.0.3", "ada", DEMO["ada"])
        self.assertEqual(status, 303, "the attacker locked the real user out")
        self.assertEqual(login_from(port, "127.0.0.2", "grace", DEMO["grace"])[0], 303)
        self.assertEqual(login(port, "ada")[0], 303)

    def test_one_address_guessing_many_users_is_refused(self):
        # 30 failures within 15 minutes from one address, spread over usernames that each stay
        # under their own free failures: the next attempt from there is refused, others are not.
        source = "127.0.0.4"
        for i in range(30):
            self.assertEqual(login_from(self.port, source, f"user{i // 3}", f"guess{i}")[0], 401, i)
        status, headers = login_from(self.port, source, "alan", DEMO["alan"])
        self.assertEqual(status, 429)
        self.assertGreater(int(headers["retry-after"]), 800)
        self.assertEqual(login_from(self.port, "127.0.0.5", "alan", DEMO["alan"])[0], 303)


class SessionCap(FaultCase):
    args = ("--max-sessions", "5", "--max-sessions-per-user", "2", "--session-idle-timeout", "3s")
    expected_reasons = ("session-limit", "user-session-limit")

    def test_the_cap_refuses_and_never_ends_a_session_in_use(self):
        port = self.port
        ada = [login(port, "ada")[2] for _ in range(2)]
        status, headers, cookie = login(port, "ada")
        self.assertEqual((status, cookie), (429, None), "a third session for one user")
        self.assertGreaterEqual(int(headers["retry-after"]), 1)
        others = [login(port, "grace")[2], login(port, "grace")[2], login(port, "alan")[2]]
        in_use = ada + others
        self.assertNotIn(None, in_use)
        status, headers, cookie = login(port, "alan")
        self.assertEqual((status, cookie), (503, None), "a sixth session with a cap of five")
        self.assertIn(headers.get("retry-after"), ("1", "2", "3"), "the wait until the first idle session ends")
        for c in in_use:
            token(port, c)
        # Keep two in use; the other three go idle and end after 3 s, making room.
        deadline = time.monotonic() + 4.5
        while time.monotonic() < deadline:
            for c in in_use[:2]:
                token(port, c)
            time.sleep(0.5)
        status, _, cookie = login(port, "alan")
        self.assertEqual(status, 303)
        for c in in_use[:2] + [cookie]:
            token(port, c)
        for c in in_use[2:]:
            self.assertEqual(get(port, TOKEN_PATH, c)[0], 401, "an idle session outlived its timeout")


class KeyFile(unittest.TestCase):
    def test_key_file_that_disappears_changes_nothing_until_restart(self):
        first = Backend().wait_ready()
        self.addCleanup(first.cleanup)
        key = os.path.join(first.data_dir, "rs256-private.pem")
        pem = first.public_pem()
        self.assertEqual(first.stop(), 0)
        backend = Backend("--key", key, data_dir=first.data_dir).wait_ready()
        self.addCleanup(backend.cleanup)
        _, _, cookie = login(backend.port, "grace")
        os.chmod(key, 0o000)
        jwt.decode(token(backend.port, cookie), pem, algorithms=["RS256"])
        os.rename(key, key + ".moved")
        for _ in range(3):
            jwt.decode(token(backend.port, cookie), pem, algorithms=["RS256"])
        # SIGHUP re-reads the files: with the key gone it says so and keeps the loaded one.
        out = backend.sighup()
        self.assertIn("nothing changed", out)
        jwt.decode(token(backend.port, cookie), pem, algorithms=["RS256"])
        self.assertEqual(backend.stop(), 0)
        self.assertRegex(backend.stderr, r"error: SIGHUP: .*rs256-private\.pem")
        # A restart without it fails, naming the file.
        again = Backend("--key", key, data_dir=first.data_dir)
        self.addCleanup(again.cleanup)
        self.assertEqual(again.wait_exit(timeout=30), 1)
        self.assertIn("rs256-private.pem", again.stderr)
        self.assertRegex(again.stderr, r"(?i)no such file|not found|does not exist|cannot (open|read)")
        os.rename(key + ".moved", key)
        os.chmod(key, 0o600)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], *UNITTEST_ARGS], verbosity=2)
