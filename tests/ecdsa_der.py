# SPDX-License-Identifier: MIT
"""ECDSA signature forms for the Python test scripts (interop, CLI, HSM): the JWS R||S form
(RFC 7518 section 3.4) and the DER ECDSA-Sig-Value that openssl and PKCS#11 tools use. Written
here, independently of the code under test.

A script outside tests/ imports it after putting this folder on sys.path:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "<up>", "tests"))
"""


def der_len(n: int) -> bytes:
    return bytes([n]) if n < 0x80 else bytes([0x81, n])


def raw_to_der(raw: bytes, half_len: int) -> bytes:
    """JWS R||S (RFC 7518 section 3.4) to a DER ECDSA-Sig-Value."""
    assert len(raw) == 2 * half_len, len(raw)
    body = b""
    for half in (raw[:half_len], raw[half_len:]):
        v = half.lstrip(b"\0") or b"\0"
        if v[0] & 0x80:
            v = b"\0" + v
        body += b"\x02" + der_len(len(v)) + v
    return b"\x30" + der_len(len(body)) + body


def der_to_raw(der: bytes, half_len: int) -> bytes:
    """A DER ECDSA-Sig-Value to the R||S form, each half half_len octets."""
    def read_len(pos):
        n = der[pos]
        if n < 0x80:
            return n, pos + 1
        assert n == 0x81, "unexpected DER length form"
        return der[pos + 1], pos + 2

    assert der[0] == 0x30
    seq_len, pos = read_len(1)
    assert pos + seq_len == len(der)
    out = b""
    for _ in range(2):
        assert der[pos] == 0x02
        n, pos = read_len(pos + 1)
        v = der[pos:pos + n].lstrip(b"\0")
        pos += n
        assert len(v) <= half_len
        out += v.rjust(half_len, b"\0")
    return out
