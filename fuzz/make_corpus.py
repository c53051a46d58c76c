# SPDX-License-Identifier: MIT
"""Writes the seed corpora of jwtmint's fuzzers into fuzz/corpus/<target>/ (run once; committed).

    /usr/bin/python3 fuzz/make_corpus.py [TARGET...]    (all targets, or only those named)

Tokens are minted with PyJWT (Debian: python3-jwt python3-cryptography), not with jwtmint, using
the published test keys of fuzz/test_keys.hpp, valid at its fixed_now. PEM variants are made
from those keys with the openssl command line. The first octet of each token, key and claims
seed selects the target's mode (see the comment at the top of each fuzz_*.cpp).
"""

import base64
import json
import os
import re
import subprocess
import sys
import tempfile

import jwt  # PyJWT

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = open(os.path.join(HERE, "test_keys.hpp")).read()


def constant(name):
    m = re.search(name + r' = R"pem\((.*?)\)pem"', KEYS, re.S) or re.search(name + r' = "(.*?)"', KEYS)
    return m.group(1)


def number(name):
    return int(re.search(name + r" = (\d+)", KEYS).group(1))


RS_PRIV, RS_PUB = constant("rs_private_pem"), constant("rs_public_pem")
EC_PRIV, EC_PUB = constant("ec_private_pem"), constant("ec_public_pem")
SECRET = constant("hs_secret").encode()
PASS = constant("pem_passphrase")
NOW = number("fixed_now")


ONLY = set(sys.argv[1:])


def write(target, name, data):
    if ONLY and target not in ONLY:
        return
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def openssl(*args, stdin=None):
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=True).stdout


# --- base64url -----------------------------------------------------------------------------------
for name, text in {"empty": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foobar": "Zm9vYmFy",
                   "header": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", "all-octets": b64(bytes(range(256))),
                   "noncanonical-bits": "Zh", "padded": "Zg==", "std-alphabet": "+/+/", "length-5": "AAAAA"}.items():
    write("base64url", name, text)

# --- token -----------------------------------------------------------------------------------------
good = {"roles": ["Accounting Team", "Support Team"], "email": "ada@example.com", "iat": NOW, "exp": NOW + 300}
strict = dict(good, iss="https://host.example", aud=["customgpt"], sub="user-1", jti="seed-1")
as_string = dict(good, roles="Accounting Team, Support Team")
for alg, key in (("RS256", RS_PRIV), ("ES256", EC_PRIV), ("HS256", SECRET)):
    write("token", f"{alg.lower()}-valid", b"\0" + jwt.encode(good, key, algorithm=alg).encode())
    write("token", f"{alg.lower()}-strict", b"\0" + jwt.encode(strict, key, algorithm=alg).encode())
write("token", "hs256-roles-string", b"\0" + jwt.encode(as_string, SECRET, algorithm="HS256").encode())
payload = b64(json.dumps(good).encode())
none_header = b64(b'{"alg":"none"}')
write("token", "alg-none", b"\0" + f"{none_header}.{payload}.".encode())
write("token", "crit", b"\0" + jwt.encode(good, SECRET, algorithm="HS256", headers={"crit": ["exp"]}).encode())
write("token", "five-segments", b"\0" + b"eyJhbGciOiJIUzI1NiJ9.e30.e30.e30.AAAA")

compact = lambda obj: json.dumps(obj, separators=(",", ":"))
write("token", "hs-signed-claims", b"\1" + compact(good).encode())
write("token", "hs-signed-strict", b"\1" + compact(strict).encode())
write("token", "hs-signed-header-kid", b"\1" + b'{"alg":"HS256","typ":"JWT","kid":"k1"}\n' + compact(good).encode())
write("token", "hs-signed-duplicate", b"\1" + b'{"roles":["a"],"roles":["b"],"iat":1764000000,"exp":1764000300}')
write("token", "hs-signed-floats", b"\1" + b'{"roles":"a, b","iat":1764000000.5,"exp":1.7640003e9,"nbf":0}')
write("token", "es-signed-claims", b"\2" + compact(as_string).encode())
write("token", "es-signed-upn", b"\2" + compact({"roles": ["Support Team"], "upn": "ada@corp", "iat": NOW, "exp": NOW + 60}).encode())

# --- pem_key ---------------------------------------------------------------------------------------
with tempfile.TemporaryDirectory() as tmp:
    rs, ec = os.path.join(tmp, "rs.pem"), os.path.join(tmp, "ec.pem")
    open(rs, "w").write(RS_PRIV)
    open(ec, "w").write(EC_PRIV)
    write("pem_key", "rs-pkcs8", b"\0" + RS_PRIV.encode())
    write("pem_key", "ec-pkcs8", b"\0" + EC_PRIV.encode())
    write("pem_key", "rs-pkcs1", b"\0" + openssl("rsa", "-in", rs, "-traditional"))
    write("pem_key", "ec-sec1-with-params", b"\0" + openssl("ec", "-in", ec, "-param_out"))
    write("pem_key", "rs-pkcs8-encrypted", b"\1" + openssl("pkcs8", "-topk8", "-in", rs, "-v2", "aes-256-cbc",
                                                          "-passout", "pass:" + PASS))
    write("pem_key", "ec-sec1-encrypted", b"\1" + openssl("ec", "-in", ec, "-aes256", "-passout", "pass:" + PASS))
    write("pem_key", "rs-spki", b"\2" + RS_PUB.encode())
    write("pem_key", "ec-spki", b"\2" + EC_PUB.encode())
    write("pem_key", "rs-pkcs1-public", b"\2" + openssl("rsa", "-in", rs, "-RSAPublicKey_out"))
    write("pem_key", "hs-secret", b"\3" + SECRET)
    write("pem_key", "hs-secret-is-pem", b"\3" + RS_PUB.encode())

# --- jwk -------------------------------------------------------------------------------------------
from jwt.algorithms import ECAlgorithm, HMACAlgorithm, RSAAlgorithm  # noqa: E402

rs_alg, ec_alg = RSAAlgorithm(RSAAlgorithm.SHA256), ECAlgorithm(ECAlgorithm.SHA256)
rs_pub_jwk = json.loads(RSAAlgorithm.to_jwk(rs_alg.prepare_key(RS_PUB)))
ec_pub_jwk = json.loads(ECAlgorithm.to_jwk(ec_alg.prepare_key(EC_PUB)))
write("jwk", "rs-public", b"\0" + compact(rs_pub_jwk).encode())
write("jwk", "ec-public", b"\0" + compact(ec_pub_jwk).encode())
write("jwk", "rs-private", b"\1" + RSAAlgorithm.to_jwk(rs_alg.prepare_key(RS_PRIV)).encode())
write("jwk", "ec-private", b"\1" + ECAlgorithm.to_jwk(ec_alg.prepare_key(EC_PRIV)).encode())
write("jwk", "ec-public-alg", b"\2" + compact(dict(ec_pub_jwk, alg="ES256", use="sig")).encode())
write("jwk", "oct", b"\2" + HMACAlgorithm.to_jwk(SECRET).encode())
write("jwk", "jwks", b"\3" + compact({"keys": [dict(ec_pub_jwk, kid="k1"), dict(rs_pub_jwk, kid="k2", alg="RS256")]}).encode())

# --- jwks_verifier ---------------------------------------------------------------------------------
# The fuzzer's set: the RSA key as RS256 under kid "rs" and as PS256 under "ps", the P-256 key as
# ES256 under "es" (see fuzz_jwks_verifier.cpp).
for alg, key, kid in (("RS256", RS_PRIV, "rs"), ("PS256", RS_PRIV, "ps"), ("ES256", EC_PRIV, "es")):
    write("jwks_verifier", f"{kid}-valid", b"\0" + jwt.encode(good, key, algorithm=alg, headers={"kid": kid}).encode())
write("jwks_verifier", "wrong-kid", b"\0" + jwt.encode(good, EC_PRIV, algorithm="ES256", headers={"kid": "nope"}).encode())
write("jwks_verifier", "no-kid", b"\0" + jwt.encode(good, EC_PRIV, algorithm="ES256").encode())
write("jwks_verifier", "kid-of-another-key", b"\0" + jwt.encode(good, RS_PRIV, algorithm="RS256", headers={"kid": "es"}).encode())
write("jwks_verifier", "huge-header", b"\0" + jwt.encode(good, EC_PRIV, algorithm="ES256",
                                                         headers={"kid": "es", "x": "A" * 9000}).encode())
write("jwks_verifier", "kid-twice", b"\0" + (b64(b'{"alg":"ES256","kid":"nope","kid":"es"}') + "." + payload + ".AAAA").encode())
write("jwks_verifier", "es-signed", b"\1" + b'{"alg":"ES256","kid":"es","typ":"JWT"}\n' + compact(good).encode())
write("jwks_verifier", "es-signed-kid-escaped", b"\1" + b'{"alg":"ES256","kid":"e\\u0073"}\n' + compact(good).encode())
write("jwks_verifier", "es-signed-member-twice", b"\1" + b'{"alg":"ES256","kid":"es","typ":"JWT","typ":"JWT"}\n' +
      compact(good).encode())
write("jwks_verifier", "es-signed-deep", b"\1" + b'{"alg":"ES256","kid":"es","x":' + b"[" * 33 + b"]" * 33 + b"}\n" +
      compact(good).encode())
write("jwks_verifier", "rs-signed", b"\2" + b'{"alg":"RS256","kid":"rs"}\n' + compact(strict).encode())
write("jwks_verifier", "rs-signed-as-ps", b"\2" + b'{"alg":"PS256","kid":"ps"}\n' + compact(good).encode())
fuzz_set = [dict(rs_pub_jwk, kid="rs", alg="RS256"), dict(rs_pub_jwk, kid="ps", alg="PS256"),
            dict(ec_pub_jwk, kid="es", alg="ES256")]
write("jwks_verifier", "set", b"\3" + compact({"keys": fuzz_set}).encode())
write("jwks_verifier", "set-shared-kid", b"\3" + compact({"keys": [fuzz_set[0], dict(fuzz_set[2], kid="rs")]}).encode())
write("jwks_verifier", "set-rsa-without-alg", b"\3" + compact({"keys": [dict(rs_pub_jwk, kid="rs")]}).encode())
write("jwks_verifier", "set-ec-secp256k1", b"\3" + compact({"keys": [dict(ec_pub_jwk, kid="es", crv="secp256k1")]}).encode())
write("jwks_verifier", "set-oct", b"\3" + compact({"keys": [dict(json.loads(HMACAlgorithm.to_jwk(SECRET)), kid="h")]}).encode())
write("jwks_verifier", "set-deep", b"\3" + b'{"keys":[' + b"[" * 40 + b"]" * 40 + b"]}")
write("jwks_verifier", "lone-jwk", b"\3" + compact(dict(ec_pub_jwk, kid="es")).encode())

# --- claims ----------------------------------------------------------------------------------------
write("claims", "object", b"\0" + compact(strict).encode())
write("claims", "identity-order", b"\0" + b'{"preferred_username":"p","upn":"","email":"e@x.y","roles":"a,b"}')
write("claims", "duplicate-nested", b"\0" + b'{"x":{"a":1,"a":2},"roles":[" a "]}')
write("claims", "deep", b"\0" + b'{"x":' + b"[" * 31 + b"]" * 31 + b"}")
write("claims", "role-string", b"\1" + b" Accounting Team ,Support Team,, ")
write("claims", "utf8-valid", b"\2" + "Zoë 日本 \U0001F600".encode())
write("claims", "utf8-overlong", b"\2" + b"\xC0\xAF \xE0\x80\xAF")
write("claims", "utf8-surrogate", b"\2" + b"\xED\xA0\x80")
# --- claims_diff -----------------------------------------------------------------------------------
# Two option octets (see fuzz_claims_diff.cpp), then the claims text exactly as written here: each
# registered claim, numbers at the edges of their readings, duplicates, escapes and U+0000.
EXP, IAT = str(NOW + 300), str(NOW)
widget = '"roles":["Accounting Team","Support Team"],"email":"ada@example.com","iat":' + IAT + ',"exp":' + EXP
claims_diff = {
    "widget": (0x00, 0x00, "{" + widget + "}"),
    "strict": (0xF8, 0x02, '{"iss":"https://host.example","aud":["x","customgpt"],"sub":"user-1","jti":"j1",' + widget + "}"),
    "kid-header": (0x00, 0x04, "{" + widget + "}"),
    "groups-string": (0x80, 0x01, '{"groups":" accounting team, Support Team ,support team","exp":' + EXP + "}"),
    "identity-order": (0x00, 0x00, '{"preferred_username":"ada","upn":"ada@corp","roles":"a","exp":' + EXP + "}"),
    "identity-empty": (0x00, 0x00, '{"email":"","upn":"u@corp","roles":"a","exp":' + EXP + "}"),
    "identity-blank": (0x00, 0x00, '{"roles":"a","preferred_username":"  ","exp":' + EXP + "}"),
    "aud-string": (0x10, 0x00, '{"roles":"a","aud":"customgpt","exp":' + EXP + "}"),
    "time-leeway": (0x44, 0x00, '{"roles":"a","iat":' + str(NOW + 20) + ',"nbf":' + str(NOW + 25) + ',"exp":' + str(NOW - 10) + "}"),
    "numbers-fractions": (0x00, 0x00, '{"roles":"a","exp":1764000300.9999999999999999999,"nbf":4.9406564584124654e-324,'
                                      '"iat":-0.0}'),
    "numbers-integers": (0x00, 0x00, '{"roles":"a","exp":253402300799,"nbf":-0,"iat":17640000000000e-4}'),
    "numbers-edges": (0x01, 0x00, '{"roles":"a","nbf":2.4703282292062327e-324,"iat":1E+9,"x":[18446744073709551616,'
                                  '-9223372036854775809,1.7976931348623157e308]}'),
    "number-too-large": (0x00, 0x00, '{"roles":"a","exp":1e400}'),
    "number-long-exponent": (0x00, 0x00, '{"roles":"a","exp":' + EXP + ',"nbf":0.' + "0" * 64 + '1e00000000000000000000064}'),
    "duplicate": (0x00, 0x00, '{"roles":"a","exp":' + EXP + ',"exp":' + str(NOW + 600) + "}"),
    "duplicate-escaped": (0x00, 0x00, '{"roles":"a","e\\u0078p":1,"exp":' + EXP + "}"),
    "escapes": (0x08, 0x00, '{"roles":["Accounting\\u0020Team","\\u0053upport Team"],"em\\u0061il":"ada\\u0040example.com",'
                            '"iss":"https:\\/\\/host.example","exp":' + EXP + "}"),
    "nul-name": (0x00, 0x00, '{"roles":"a","email\\u0000":"eve@example.com","exp":' + EXP + "}"),
    "nul-value": (0x00, 0x00, '{"roles":"a","note":"a\\u0000b","o":{"k\\u0000":1},"exp":' + EXP + "}"),
    "roles-mixed": (0x00, 0x00, '{"roles":["a",1],"exp":' + EXP + "}"),
    # found by fuzz_claims_diff: the verifier read a refused audience after freeing it
    "aud-control": (0xF8, 0x02, '{"iss":"https://host.example","aud":["an audience longer than a short string\x7f"],'
                                '"exp":' + EXP + "}"),
}
for name, (a, b, text) in claims_diff.items():
    write("claims_diff", name, bytes([a, b]) + text.encode())
print("seed corpora written under", os.path.join(HERE, "corpus"))
