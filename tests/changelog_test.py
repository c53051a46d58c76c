#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""CHANGELOG.md's "Upgrading from 0.1" table names every public name of jwtmint 0.1.

tests/api-0.1.txt lists the 0.1 API (one qualified name a line, '#' comments). Each must appear
in the first column of the table, either written out (`jwt::verifier::from_public_pem`) or in
brace form, which stands for each alternative: `jwt::{hs256, hs384}::{sign, sign_to}` covers
jwt::hs256::sign, jwt::hs256::sign_to, jwt::hs384::sign and jwt::hs384::sign_to. Template
arguments (`jwt::verifier<A>::from_pem`) are ignored. A first-column name that is not in the list
fails too, so a typo cannot pass for a covered name.

Usage: changelog_test.py [CHANGELOG.md [api-0.1.txt]] (defaults: beside this file's parent).
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def expand(text):
    """Brace expansion, first group first: 'a{b, c}d' -> ['abd', 'acd']."""
    m = re.search(r"\{([^{}]*)\}", text)
    if not m:
        return [text]
    out = []
    for alt in m.group(1).split(","):
        out.extend(expand(text[: m.start()] + alt.strip() + text[m.end():]))
    return out


def strip_templates(name):
    while True:
        stripped = re.sub(r"<[^<>]*>", "", name)
        if stripped == name:
            return name
        name = stripped


def table_names(changelog):
    """Names in the first column of the table under the 'Upgrading from 0.1' heading."""
    lines = changelog.splitlines()
    start = next((i for i, l in enumerate(lines) if re.match(r"#+\s+Upgrading from 0\.1\b", l)), None)
    if start is None:
        raise SystemExit("CHANGELOG.md has no 'Upgrading from 0.1' heading")
    level = len(lines[start]) - len(lines[start].lstrip("#"))
    names = set()
    rows = 0
    for line in lines[start + 1:]:
        m = re.match(r"(#+)\s", line)
        if m and len(m.group(1)) <= level:
            break
        if not line.startswith("|"):
            continue
        cells = line.strip().strip("|").split("|")
        first = cells[0]
        if set(first.strip()) <= set("- :"):
            continue  # the header separator row
        rows += 1
        for span in re.findall(r"`([^`]+)`", first):
            for n in expand(span):
                names.add(strip_templates(n.strip()))
    if rows == 0:
        raise SystemExit("the 'Upgrading from 0.1' section has no table rows")
    return names


def main():
    changelog = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "CHANGELOG.md"
    api = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "tests" / "api-0.1.txt"
    wanted = [l.strip() for l in api.read_text().splitlines() if l.strip() and not l.startswith("#")]
    if len(wanted) < 100:
        raise SystemExit(f"{api}: only {len(wanted)} names; the 0.1 API has several hundred")
    in_table = table_names(changelog.read_text())
    missing = [n for n in wanted if n not in in_table]
    unknown = sorted(n for n in in_table if n.startswith("jwt::") and n not in set(wanted))
    for n in missing:
        print(f"missing from CHANGELOG.md's 0.1 table: {n}")
    for n in unknown:
        print(f"in CHANGELOG.md's 0.1 column but not a 0.1 name (typo?): {n}")
    if missing or unknown:
        return 1
    print(f"all {len(wanted)} public names of 0.1 are in CHANGELOG.md's upgrade table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
