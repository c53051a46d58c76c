# SPDX-License-Identifier: MIT
"""Interoperability of jwtmint with independent JWT implementations, in both directions.

    /usr/bin/python3 interop_test.py --peer pyjwt|jose|jsonwebtoken|openssl \
        --tool PATH/TO/interop_tool [--node PATH/TO/node] [--require]

For all 13 JOSE signature algorithms (RS256/384/512, PS256/384/512, ES256/384/512, EdDSA,
HS256/384/512) that the peer implements, and for both forms of the role claim (a JSON array, and
one comma-separated string, as the vendor accepts both):

  jwtmint -> peer   interop_tool mints with jwt::builder; the peer verifies the signature with
                    the algorithm pinned and returns the claims, which must be exactly those asked
                    for (roles in the form minted, email, a lifetime of 600 s).
  peer -> jwtmint   the peer mints; interop_tool verifies with jwt::verifier (algorithm pinned to
                    the key, exp and roles required, lifetime at most 10 minutes) and prints the
                    roles and identity it read, which must be those the peer was given.

Controls, so that no check passes vacuously: each peer must refuse a jwtmint token whose payload
was altered, and jwtmint must refuse each peer's token under another key and when altered.

Keys are made for each run with the openssl command line (RSA 2048 for RS* and PS*, EC P-256,
P-384 and P-521, Ed25519; PKCS#8), and random secrets of 48 bytes for HS256 and HS384 and 64 for
HS512. An algorithm a peer does not implement is probed once (the peer must refuse to mint it)
and reported as skipped, with the reason. The peers:

  pyjwt         PyJWT in this interpreter (Debian: python3-jwt python3-cryptography)
  jose          jose from npm, via peer.mjs (npm ci --prefix tests/interop)
  jsonwebtoken  jsonwebtoken from npm, via peer.mjs; mints with the vendor's Node example options;
                it has no EdDSA, so EdDSA is skipped there
  openssl       the openssl command line: dgst -sign / -verify (PS*: -sigopt rsa_padding_mode:pss
                -sigopt rsa_pss_saltlen:digest), dgst -mac HMAC, pkeyutl -rawin for Ed25519; the
                ES* R||S <-> DER conversion is done here, independently of jwtmint

Exits 77 (ctest's "skipped") when the peer is not installed, unless --require is given or the
environment variable CI is "true": CI installs every peer, so there a missing one fails.
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ecdsa_der import der_to_raw, raw_to_der  # noqa: E402  (tests/ecdsa_der.py)

SKIP = 77
ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
        "HS256", "HS384", "HS512")
# The key file each algorithm uses: RS* and PS* share one RSA key, each EC curve and each HMAC
# length has its own.
KEY_OF = {"RS256": "rs", "RS384": "rs", "RS512": "rs", "PS256": "rs", "PS384": "rs", "PS512": "rs",
          "ES256": "p256", "ES384": "p384", "ES512": "p521", "EdDSA": "ed25519",
          "HS256": "hs256", "HS384": "hs384", "HS512": "hs512"}
EC_HALF = {"ES256": 32, "ES384": 48, "ES512": 66}  # octets of R and of S (RFC 7518 section 3.4)
DIGEST = {"256": "sha256", "384": "sha384", "512": "sha512"}
FORMS = ("array", "string")
EMAIL = "ada@example.com"
ROLES = ["Accounting Team", "Support Team"]
LIFETIME = 600  # the vendor's recommended ceiling, and what '10m' means to jose and jsonwebtoken

parser = argparse.ArgumentParser()
parser.add_argument("--peer", required=True, choices=("pyjwt", "jose", "jsonwebtoken", "openssl"))
parser.add_argument("--tool", required=True, help="path to interop_tool")
parser.add_argument("--node", default=shutil.which("node") or shutil.which("nodejs"))
parser.add_argument("--openssl", default=shutil.which("openssl"))
parser.add_argument("--require", action="store_true", help="fail instead of skipping when the peer is missing")
ARGS = parser.parse_args()
REQUIRED = ARGS.require or os.environ.get("CI") == "true"
HERE = os.path.dirname(os.path.abspath(__file__))


def skip(reason):
    print(f"{'FAIL' if REQUIRED else 'SKIP'}: {reason}", file=sys.stderr)
    sys.exit(1 if REQUIRED else SKIP)


# --- independent helpers (no jwtmint code) -----------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def split(token: str):
    parts = token.split(".")
    assert len(parts) == 3, f"not a compact JWS: {token!r}"
    return parts


def tamper(token: str) -> str:
    """The token with one payload claim changed and the old signature kept."""
    h, p, s = split(token)
    claims = json.loads(b64url_decode(p))
    claims["email"] = "mallory@example.com"
    return ".".join([h, b64url(json.dumps(claims, separators=(",", ":")).encode()), s])


def roles_in(form):
    return list(ROLES) if form == "array" else ", ".join(ROLES)


class Keys:
    """Key files made with the openssl command line, for one run."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.files = {}
        pairs = (("rs", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048"),
                 ("p256", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256"),
                 ("p384", "-algorithm EC -pkeyopt ec_paramgen_curve:P-384"),
                 ("p521", "-algorithm EC -pkeyopt ec_paramgen_curve:P-521"),
                 ("ed25519", "-algorithm ED25519"))
        for base, args in pairs:
            for name in (base, base + "_other"):
                priv = os.path.join(tmp, f"{name}.pem")
                pub = os.path.join(tmp, f"{name}.pub.pem")
                openssl(f"genpkey {args} -out {priv}".split())
                openssl(["pkey", "-in", priv, "-pubout", "-out", pub])
                self.files[name] = (priv, pub)
        for base, size in (("hs256", 48), ("hs384", 48), ("hs512", 64)):
            for name in (base, base + "_other"):
                secret = os.urandom(size)
                while b"-----BEGIN" in secret:  # never the case in practice; PEM text is refused as a secret
                    secret = os.urandom(size)
                path = os.path.join(tmp, f"{name}.key")
                with open(path, "wb") as f:
                    f.write(secret)
                self.files[name] = (path, path)

    def private(self, alg, other=False):
        return self.files[self._name(alg, other)][0]

    def public(self, alg, other=False):
        return self.files[self._name(alg, other)][1]

    def secret(self, alg, other=False):
        with open(self.private(alg, other), "rb") as f:
            return f.read()

    @staticmethod
    def _name(alg, other):
        return KEY_OF[alg] + ("_other" if other else "")


def openssl(args, input_bytes=None):
    r = subprocess.run([ARGS.openssl, *args], input=input_bytes, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {r.stderr.decode(errors='replace')}")
    return r.stdout


# --- jwtmint's side: interop_tool ---------------------------------------------------------------

def jwtmint_mint(keys, alg, form):
    args = [ARGS.tool, "mint", alg, keys.private(alg), form, EMAIL, *ROLES]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"interop_tool mint {alg} {form} failed: {r.stderr}")
    return r.stdout.strip()


def jwtmint_verify(keys, alg, token, other_key=False):
    """(True, what the verifier read) or (False, its error line)."""
    path = os.path.join(keys.tmp, "token.txt")
    with open(path, "w") as f:
        f.write(token)
    r = subprocess.run([ARGS.tool, "verify", alg, keys.public(alg, other_key), path], capture_output=True, text=True)
    if r.returncode == 0:
        return True, json.loads(r.stdout)
    if r.returncode != 2:
        raise RuntimeError(f"interop_tool verify crashed or misused (exit {r.returncode}): {r.stderr}")
    return False, r.stderr.strip()


# --- the peers ----------------------------------------------------------------------------------

class PyJWTPeer:
    name = "PyJWT"

    def __init__(self, keys):
        try:
            import jwt  # noqa: F401  (Debian: python3-jwt)
            from cryptography.hazmat.primitives import serialization  # noqa: F401  (RS256/ES256 backend)
        except ImportError as exc:
            skip(f"PyJWT or cryptography missing ({exc}); apt-get install python3-jwt python3-cryptography")
        import jwt
        self.jwt = jwt
        self.keys = keys
        self.label = f"PyJWT {jwt.__version__}"

    @staticmethod
    def unsupported(alg):
        return None  # PyJWT with cryptography implements all 13

    def _key(self, alg, private):
        if alg.startswith("HS"):
            return self.keys.secret(alg)
        with open(self.keys.private(alg) if private else self.keys.public(alg), "rb") as f:
            return f.read()

    def verify_many(self, jobs):
        out = []
        for alg, token in jobs:
            try:
                payload = self.jwt.decode(token, self._key(alg, False), algorithms=[alg])
                out.append({"ok": True, "payload": payload, "header": self.jwt.get_unverified_header(token)})
            except Exception as exc:  # PyJWT raises its own exception types
                out.append({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        return out

    def mint_many(self, jobs):
        out = []
        for alg, claims in jobs:
            now = int(time.time())
            payload = dict(claims, iat=now, exp=now + LIFETIME)
            token = self.jwt.encode(payload, self._key(alg, True), algorithm=alg, headers={"typ": "JWT"})
            out.append({"ok": True, "token": token if isinstance(token, str) else token.decode()})
        return out


class NodePeer:
    def __init__(self, keys, lib):
        self.keys = keys
        self.lib = lib
        self.name = lib
        if not ARGS.node:
            skip("node not found (apt-get install nodejs npm)")
        lock = json.load(open(os.path.join(HERE, "package-lock.json")))
        self.label = f"{lib} {lock['packages'].get('node_modules/' + lib, {}).get('version', '?')}"
        self._run([])  # finds out at once whether the package is installed

    def _run(self, jobs):
        path = os.path.join(self.keys.tmp, f"{self.lib}-jobs.json")
        with open(path, "w") as f:
            json.dump(jobs, f)
        r = subprocess.run([ARGS.node, os.path.join(HERE, "peer.mjs"), self.lib, path], capture_output=True, text=True)
        if r.returncode == SKIP:
            skip(r.stderr.strip())
        if r.returncode != 0:
            raise RuntimeError(f"peer.mjs {self.lib} failed (exit {r.returncode}): {r.stderr}")
        return json.loads(r.stdout)

    def unsupported(self, alg):
        if self.lib == "jsonwebtoken" and alg == "EdDSA":
            return "jsonwebtoken implements HS, RS, PS and ES 256/384/512 but not EdDSA (RFC 8037)"
        return None

    def verify_many(self, jobs):
        return self._run([{"op": "verify", "alg": alg, "key": self.keys.public(alg), "token": t} for alg, t in jobs])

    def mint_many(self, jobs):
        return self._run([{"op": "mint", "alg": alg, "key": self.keys.private(alg), "claims": c} for alg, c in jobs])


class OpenSSLPeer:
    name = "openssl"

    def __init__(self, keys):
        if not ARGS.openssl:
            skip("the openssl command line is missing (apt-get install openssl)")
        self.keys = keys
        self.label = openssl(["version"]).decode().strip()

    def _file(self, name, data):
        path = os.path.join(self.keys.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    @staticmethod
    def unsupported(alg):
        return None

    @staticmethod
    def _sigopts(alg):
        """RFC 7518 section 3.5: PSS with MGF1 over the same hash (openssl's default) and a salt as long
        as the hash; PKCS#1 v1.5 (openssl's default) for RS*."""
        if alg.startswith("PS"):
            return ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"]
        return []

    def _mac(self, alg, data):
        return openssl(["dgst", "-" + DIGEST[alg[2:]], "-mac", "HMAC", "-macopt",
                        "hexkey:" + self.keys.secret(alg).hex(), "-binary", self._file("mac-input", data)])

    def _verify_signature(self, alg, signing_input, sig):
        data = self._file("input", signing_input)
        if alg == "EdDSA":  # Ed25519 signs the message itself: pkeyutl -rawin
            r = subprocess.run([ARGS.openssl, "pkeyutl", "-verify", "-pubin", "-inkey", self.keys.public(alg),
                                "-rawin", "-in", data, "-sigfile", self._file("sig.bin", sig)],
                               capture_output=True, text=True)
            return r.returncode == 0 and "Signature Verified Successfully" in r.stdout
        if alg in EC_HALF:
            if len(sig) != 2 * EC_HALF[alg]:
                return False
            sig = raw_to_der(sig, EC_HALF[alg])
        r = subprocess.run([ARGS.openssl, "dgst", "-" + DIGEST[alg[2:]], *self._sigopts(alg), "-verify",
                            self.keys.public(alg), "-signature", self._file("sig.bin", sig), data],
                           capture_output=True, text=True)
        return r.returncode == 0 and "Verified OK" in r.stdout

    def verify_many(self, jobs):
        out = []
        for alg, token in jobs:
            h, p, s = split(token)
            signing_input = f"{h}.{p}".encode()
            sig = b64url_decode(s)
            if alg.startswith("HS"):
                ok = self._mac(alg, signing_input) == sig
            else:
                ok = self._verify_signature(alg, signing_input, sig)
            if ok:
                out.append({"ok": True, "payload": json.loads(b64url_decode(p)), "header": json.loads(b64url_decode(h))})
            else:
                out.append({"ok": False, "error": "openssl: signature does not verify"})
        return out

    def mint_many(self, jobs):
        out = []
        for alg, claims in jobs:
            now = int(time.time())
            header = json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode()
            payload = json.dumps(dict(claims, iat=now, exp=now + LIFETIME), separators=(",", ":")).encode()
            signing_input = f"{b64url(header)}.{b64url(payload)}".encode()
            data = self._file("input", signing_input)
            if alg.startswith("HS"):
                sig = self._mac(alg, signing_input)
            elif alg == "EdDSA":
                sig = openssl(["pkeyutl", "-sign", "-inkey", self.keys.private(alg), "-rawin", "-in", data])
            else:
                sig = openssl(["dgst", "-" + DIGEST[alg[2:]], *self._sigopts(alg), "-sign", self.keys.private(alg),
                               "-binary", data])
                if alg in EC_HALF:
                    sig = der_to_raw(sig, EC_HALF[alg])
            out.append({"ok": True, "token": f"{signing_input.decode()}.{b64url(sig)}"})
        return out


# --- the checks ---------------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.rows = []
        self.failures = []

    def check(self, direction, alg, form, ok, detail=""):
        self.rows.append((direction, alg, form, "pass" if ok else "FAIL"))
        if not ok:
            self.failures.append(f"{direction} {alg} roles-as-{form}: {detail}")


def check_peer_payload(payload, form, now):
    """What a peer decoded from a jwtmint token must be exactly what interop_tool was asked for."""
    problems = []
    if payload.get("roles") != roles_in(form):
        problems.append(f"roles {payload.get('roles')!r}, expected {roles_in(form)!r}")
    if payload.get("email") != EMAIL:
        problems.append(f"email {payload.get('email')!r}")
    iat, exp = payload.get("iat"), payload.get("exp")
    if not isinstance(iat, int) or not isinstance(exp, int) or exp - iat != LIFETIME:
        problems.append(f"iat {iat!r} / exp {exp!r}: lifetime must be {LIFETIME} s")
    elif abs(iat - now) > 60:
        problems.append(f"iat {iat} is {iat - now} s away from now")
    return problems


def check_jwtmint_read(read, form, now):
    """What jwt::verifier read from a peer's token must be what the peer was given."""
    problems = []
    if read.get("roles") != ROLES:
        problems.append(f"verifier roles {read.get('roles')!r}, expected {ROLES!r}")
    if read.get("claims", {}).get("roles") != roles_in(form):
        problems.append(f"raw role claim {read.get('claims', {}).get('roles')!r}")
    if read.get("identity") != EMAIL:
        problems.append(f"identity {read.get('identity')!r}")
    iat, exp = read.get("iat"), read.get("exp")
    if not isinstance(iat, int) or not isinstance(exp, int) or exp - iat != LIFETIME:
        problems.append(f"iat {iat!r} / exp {exp!r}: lifetime must be {LIFETIME} s")
    elif abs(iat - now) > 60:
        problems.append(f"iat {iat} is {iat - now} s away from now")
    return problems


def main():
    if not os.path.exists(ARGS.tool):
        print(f"FAIL: {ARGS.tool} not found", file=sys.stderr)
        return 1
    if not ARGS.openssl:
        skip("the openssl command line is missing (apt-get install openssl); it makes the test keys")
    tmp = tempfile.mkdtemp(prefix="jwtmint-interop-")
    try:
        keys = Keys(tmp)
        peer = {"pyjwt": lambda: PyJWTPeer(keys),
                "jose": lambda: NodePeer(keys, "jose"),
                "jsonwebtoken": lambda: NodePeer(keys, "jsonwebtoken"),
                "openssl": lambda: OpenSSLPeer(keys)}[ARGS.peer]()
        report = Report()
        now = int(time.time())
        skipped = {alg: peer.unsupported(alg) for alg in ALGS if peer.unsupported(alg)}
        cases = [(alg, form) for alg in ALGS if alg not in skipped for form in FORMS]

        # An algorithm the peer is said not to implement must really be refused by it, both ways;
        # otherwise the suite is out of date and says so.
        for alg, reason in skipped.items():
            minted = peer.mint_many([(alg, {"email": EMAIL, "roles": roles_in("array")})])[0]
            verified = peer.verify_many([(alg, jwtmint_mint(keys, alg, "array"))])[0]
            if minted["ok"] or verified["ok"]:
                report.failures.append(f"{peer.name} was expected not to implement {alg} ({reason}), but it "
                                       f"{'minted' if minted['ok'] else 'verified'} an {alg} token: add {alg} "
                                       "to its checks")
            skipped[alg] = f"{reason}; probed: it refuses to mint ({minted.get('error')}) and to verify " \
                           f"({verified.get('error')})"

        # jwtmint -> peer, with a tampered copy of each token that the peer must refuse.
        tokens = {(alg, form): jwtmint_mint(keys, alg, form) for alg, form in cases}
        jobs = [(alg, tokens[(alg, form)]) for alg, form in cases]
        jobs += [(alg, tamper(tokens[(alg, form)])) for alg, form in cases]
        results = peer.verify_many(jobs)
        for i, (alg, form) in enumerate(cases):
            res = results[i]
            direction = f"jwtmint -> {peer.name}"
            if not res["ok"]:
                report.check(direction, alg, form, False, res["error"])
                continue
            problems = check_peer_payload(res["payload"], form, now)
            if res.get("header", {}).get("alg") != alg:
                problems.append(f"header {res.get('header')!r}")
            report.check(direction, alg, form, not problems, "; ".join(problems))
            tampered = results[len(cases) + i]
            report.check(f"{direction} (altered token refused)", alg, form, not tampered["ok"],
                         "the peer accepted a token whose payload was changed after signing")

        # peer -> jwtmint, each token also tried under the other key and altered.
        minted = peer.mint_many([(alg, {"email": EMAIL, "roles": roles_in(form)}) for alg, form in cases])
        for (alg, form), res in zip(cases, minted):
            direction = f"{peer.name} -> jwtmint"
            if not res["ok"]:
                report.check(direction, alg, form, False, "the peer could not mint: " + res["error"])
                continue
            ok, read = jwtmint_verify(keys, alg, res["token"])
            if not ok:
                report.check(direction, alg, form, False, f"{read} (token: {res['token']})")
                continue
            problems = check_jwtmint_read(read, form, now)
            report.check(direction, alg, form, not problems, "; ".join(problems))
            ok_other, why = jwtmint_verify(keys, alg, res["token"], other_key=True)
            report.check(f"{direction} (other key refused)", alg, form,
                         not ok_other and "invalid_signature" in why, f"expected invalid_signature, got {why!r}")
            ok_altered, why = jwtmint_verify(keys, alg, tamper(res["token"]))
            report.check(f"{direction} (altered token refused)", alg, form,
                         not ok_altered and "invalid_signature" in why, f"expected invalid_signature, got {why!r}")

        print(f"interop with {peer.label}:")
        for direction, alg, form, verdict in report.rows:
            print(f"  {direction:<50} {alg:<5}  roles as {form:<6}  {verdict}")
        for alg, why in skipped.items():
            print(f"  SKIPPED {alg} (no checks): {why}")
        for f in report.failures:
            print("FAILED: " + f, file=sys.stderr)
        passed = sum(1 for r in report.rows if r[3] == "pass")
        tested = [alg for alg in ALGS if alg not in skipped]
        print(f"{peer.name}: {len(report.rows)} checks over {len(tested)} algorithms x {len(FORMS)} role forms"
              f"{', ' + str(len(skipped)) + ' algorithm(s) skipped' if skipped else ''}: "
              f"{passed} passed, {len(report.rows) - passed} failed")
        return 1 if report.failures else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
