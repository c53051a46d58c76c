#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every C++ snippet in the README and docs/ compiles against the headers of this tree.

Each ```cpp block becomes a namespace of one translation unit: its #include lines go to the top,
its class and function definitions stay at namespace scope, and its other lines (the statements
of a fragment) become the body of a function. #line directives point each line back at its
document, so a compile error names README.md and the line to fix. The names a fragment takes from
its surroundings (the signer, a token, a log function, ...) are declared once, below; a fragment
that uses a name nobody declares, or calls the API wrongly, fails.

Usage: doc_snippets_test.py --cxx COMPILER [--root DIR] [--keep FILE] [-- extra compiler flags]
"""
import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

DOCUMENTS = ["README.md", "docs/*.md"]

# What fragments take from their context, as a reader would assume it; declarations only, as the
# unit is compiled, not linked.
CONTEXT = r"""
#include <jwtmint/jwtmint.hpp>
#include <jwtmint/json.hpp>
#include <jwtmint/remote_jwks.hpp>
#include <jwtmint/curl_fetch.hpp>

#include <openssl/types.h>

#include <chrono>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

template <class... Args>
void log(const Args&...) {}
extern const std::string private_key_pem, private_jwk_json, public_pem, pasted_public_pem, old_kid, token, pem_text,
    passphrase, public_key_pem_from_the_service, email;
extern const jwt::rs256 signer;
extern const jwt::login_policy policy;
extern OSSL_LIB_CTX* my_libctx;
struct snippet_user {
    std::string email;
};
extern const snippet_user user;
struct snippet_request {};
struct snippet_account {
    std::vector<std::string> roles;
    std::string email;
};
extern const snippet_request request;
const snippet_account* your_auth_middleware(const snippet_request&);
struct snippet_config {
    std::string alg, key_file;
};
extern const snippet_config config;
inline constexpr auto serve = [](auto&&) {};
jwt::result<std::string> call_the_service(const jwt::kms_sign_request& r);
"""

FENCE_OPEN = re.compile(r"^```(cpp|c\+\+)\s*$")
DEFINITION = re.compile(r"^(struct|class|template|namespace)\b|^[A-Za-z_][\w:<>,&*\s]*\s[\w:~]+\([^;]*\)\s*(const\s*)?\{\s*$")


def blocks(path):
    """(first line number, lines) of each C++ block."""
    out, current, start = [], None, 0
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if current is None:
            if FENCE_OPEN.match(line):
                current, start = [], n + 1
        elif line.startswith("```"):
            out.append((start, current))
            current = None
        else:
            current.append(line)
    return out


def translate(doc_name, index, start, lines):
    """The includes and the namespace holding one block, with #line directives."""
    includes, scope, body = [], [], []
    in_definition = False
    for offset, line in enumerate(lines):
        where = f'#line {start + offset} "{doc_name}"'
        if line.startswith("#include"):
            includes.append(line)
        elif in_definition or DEFINITION.match(line):
            # A definition runs to the closing brace in the first column.
            scope += [where, line]
            in_definition = not line.startswith("}")
        elif line.strip():
            body += [where, line]
    text = [f"namespace snippet_{index} {{", *scope]
    if body:
        text += ["[[maybe_unused]] void fragment() {", "using namespace std::chrono_literals;", *body, "}"]
    text.append(f"}}  // namespace snippet_{index}")
    return includes, "\n".join(text)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cxx", required=True)
    p.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    p.add_argument("--keep", help="also write the translation unit here")
    p.add_argument("flags", nargs="*")
    a = p.parse_args()
    root = Path(a.root)
    docs = []
    for pattern in DOCUMENTS:
        docs += sorted(root.glob(pattern))
    includes, namespaces, count = [], [], 0
    for doc in docs:
        for start, lines in blocks(doc):
            count += 1
            inc, ns = translate(doc.relative_to(root).as_posix(), count, start, lines)
            includes += [i for i in inc if i not in includes]
            namespaces.append(ns)
    unit = "\n".join([*includes, CONTEXT, *namespaces, ""])
    if a.keep:
        Path(a.keep).write_text(unit, encoding="utf-8")
    with tempfile.NamedTemporaryFile("w", suffix=".cpp", delete=False) as f:
        f.write(unit)
    cmd = [a.cxx, "-std=c++17", "-fsyntax-only", f"-I{root / 'include'}", *a.flags, f.name]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=root)
    Path(f.name).unlink()
    sys.stdout.write(r.stdout + r.stderr)
    print(f"{count} C++ snippets from {len(docs)} documents: {'compile' if r.returncode == 0 else 'DO NOT COMPILE'}")
    return 0 if r.returncode == 0 and count > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
