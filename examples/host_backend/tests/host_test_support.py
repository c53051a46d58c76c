# SPDX-License-Identifier: MIT
"""What the host backend's Python tests share: a jwtmint-host-backend process on a free loopback
port with its output collected, and HTTP helpers. No third-party module: PyJWT stays in the
tests that use it."""

import atexit
import http.client
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse

DEMO = {"ada": "ada-demo", "grace": "grace-demo", "alan": "alan-demo"}
START_TIMEOUT = 30.0  # seconds for key generation and binding, on a slow CI machine
PEM_RE = re.compile(r"-----BEGIN PUBLIC KEY-----\n.*?-----END PUBLIC KEY-----\n", re.S)
URL_RE = re.compile(r"^Listening on http://127\.0\.0\.1:(\d+)/", re.M)


def clean_env(**extra):
    """The environment without any JWTMINT_* variable of the caller, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JWTMINT_")}
    env.update(extra)
    return env


class Backend:
    """One jwtmint-host-backend process on a free loopback port, with its output collected."""

    live = []  # every started process, killed at exit if a test left one running
    program = None  # the jwtmint-host-backend to run: set by the test script from its arguments

    def __init__(self, *args, data_dir=None, env=None):
        self.tmp = tempfile.mkdtemp(prefix="jwtmint-host-test-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.proc = subprocess.Popen(
            [Backend.program, "--port", "0", "--data-dir", self.data_dir, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True, cwd=self.tmp, env=env or clean_env())
        self.stdout_lines = []
        self.stderr_lines = []
        self._lines = queue.Queue()
        self._pumps = [threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout_lines, True), daemon=True),
                       threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr_lines, False), daemon=True)]
        for pump in self._pumps:
            pump.start()
        self.port = None
        self.exit_code = None
        Backend.live.append(self.proc)

    def _pump(self, stream, sink, notify):
        for line in stream:
            sink.append(line)
            if notify:
                self._lines.put(line)
        if notify:
            self._lines.put(None)

    def wait_exit(self, timeout):
        """Waits for the process to exit and for its output to be read to the end: the exit code.

        The pumps read after the process ends; without the join, stdout and stderr could still
        miss the last lines (a test once read an empty stderr that way)."""
        self.exit_code = self.proc.wait(timeout=timeout)
        for pump in self._pumps:
            pump.join(timeout=10)
        return self.exit_code

    @property
    def stdout(self):
        return "".join(self.stdout_lines)

    @property
    def stderr(self):
        return "".join(self.stderr_lines)

    def _next_match(self, pattern, timeout):
        """The match of the next stdout line (after those already read) matching pattern; None
        when the server exits first; raises TimeoutError when no such line comes within timeout."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError from None
            if line is None:
                return None
            m = re.search(pattern, line)
            if m:
                return m

    def wait_ready(self):
        try:
            m = self._next_match(URL_RE, START_TIMEOUT)
        except TimeoutError:
            self.stop()
            raise AssertionError(f"server did not report listening within {START_TIMEOUT} s") from None
        if m is None:
            self.wait_exit(timeout=10)
            raise AssertionError(f"server exited with {self.proc.returncode} before listening:\n{self.stderr}")
        self.port = int(m.group(1))
        return self

    def wait_for(self, pattern, timeout=30.0):
        """Waits for a stdout line (after those already waited for) matching pattern: the match."""
        try:
            m = self._next_match(pattern, timeout)
        except TimeoutError:
            raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n{self.stdout}") from None
        if m is None:
            raise AssertionError(f"server exited while waiting for {pattern!r}:\n{self.stdout}\n{self.stderr}")
        return m

    def sighup(self, done=r"^SIGHUP: (keys|nothing changed)"):
        """Sends SIGHUP and waits for the reload's last log line: the stdout lines it wrote."""
        before = len(self.stdout_lines)
        self.proc.send_signal(signal.SIGHUP)
        self.wait_for(done)
        return "".join(self.stdout_lines[before:])

    def public_pem(self):
        m = PEM_RE.search(self.stdout)
        assert m, "no public key PEM in the start-up output"
        return m.group(0)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                return self.wait_exit(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.exit_code = self.proc.wait(timeout=5)
                raise AssertionError("server did not stop within 15 s of the signal")
        return self.wait_exit(timeout=5)

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # HTTP helpers -------------------------------------------------------------------------

    def request(self, method, path, body=None, headers=None, cookie=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        hdrs = dict(headers or {})
        if cookie:
            hdrs["Cookie"] = f"jwtmint_session={cookie}"
        if isinstance(body, dict):
            body = urllib.parse.urlencode(body)
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp, data

    def login(self, username, password=None, cookie=None, headers=None):
        form = {"username": username, "password": DEMO[username] if password is None else password}
        resp, _ = self.request("POST", "/login", body=form, cookie=cookie, headers=headers)
        set_cookie = resp.getheader("Set-Cookie") or ""
        m = re.match(r"jwtmint_session=([0-9a-f]+);", set_cookie)
        return resp, (m.group(1) if m else None), set_cookie

    def token(self, cookie, path="/api/customgpt-jwt", headers=None):
        resp, data = self.request("GET", path, cookie=cookie, headers=headers)
        assert resp.status == 200, f"GET {path}: {resp.status} {data!r}"
        return data.decode("ascii")


@atexit.register
def _kill_leftovers():
    for proc in Backend.live:
        if proc.poll() is None:
            proc.kill()
