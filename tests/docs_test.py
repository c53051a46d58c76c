#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The user documentation stays true to the tree it ships in.

Over README.md, docs/*.md and every README.md under examples/ and bench/:
  - no references to a bug tracker (the word issue and a number, or a hash sign and digits;
    PKCS#11 and the like are not references): a reader has none, so say what the thing is;
  - every relative link names a file that exists, and an anchor into a Markdown file names one
    of its headings (GitHub's anchor rules);
  - every `jwt::name` written in code spans or blocks is declared somewhere in include/jwtmint:
    each component of the qualified name is an identifier there (a renamed or removed name
    fails);
  - docs/headers.md, the header map, names every public header.

Usage: docs_test.py [ROOT] (default: the repository holding this file).
"""
import re
import sys
from pathlib import Path

ROOT = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent

ISSUE_REF = re.compile(r"\b[Ii]ssues?\s*#?\d+\b|(?<![A-Za-z0-9)#])(?<!PKCS )#\d+\b")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^(```|~~~)")
QUALIFIED = re.compile(r"\bjwt::(?:[A-Za-z_][A-Za-z0-9_]*(?:<(?:[^<>]|<[^<>]*>)*>)?::)*[A-Za-z_][A-Za-z0-9_]*")
# Documents that quote profiler symbols, some from other libraries that also declare namespace jwt.
PROFILE_QUOTES = {"docs/benchmarks.md"}
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def user_docs(root):
    files = [root / "README.md"]
    files += sorted((root / "docs").glob("*.md"))
    for top in ("examples", "bench"):
        files += sorted(p for p in (root / top).rglob("README.md") if "node_modules" not in p.parts)
    return [f for f in files if f.is_file()]


def slug(heading):
    """GitHub's anchor for a heading: lower case, markup and punctuation dropped, spaces to '-'."""
    text = re.sub(r"`|\*\*|__", "", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    seen = {}
    out = set()
    in_fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        m = None if in_fence else HEADING.match(line)
        if m:
            base = slug(m.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            out.add(base if n == 0 else f"{base}-{n}")
    return out


def code_text(text):
    """The text of code spans and fenced blocks, where API names are written."""
    parts = []
    in_fence = False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            parts.append(line)
        else:
            parts.extend(re.findall(r"`([^`]+)`", line))
    return "\n".join(parts)


def header_identifiers(root):
    idents = set()
    for h in (root / "include" / "jwtmint").rglob("*.hpp"):
        idents.update(IDENT.findall(h.read_text(encoding="utf-8")))
    return idents


def main():
    failures = []
    idents = header_identifiers(ROOT)
    anchor_cache = {}
    docs = user_docs(ROOT)
    for doc in docs:
        rel = doc.relative_to(ROOT)
        text = doc.read_text(encoding="utf-8")
        in_fence = False
        for n, line in enumerate(text.splitlines(), 1):
            if FENCE.match(line):
                in_fence = not in_fence
            if not in_fence:
                prose = re.sub(r"`[^`]*`", "", line)
                for m in ISSUE_REF.finditer(prose):
                    failures.append(f"{rel}:{n}: tracker reference {m.group(0)!r}: say what it is instead")
            for m in LINK.finditer(re.sub(r"`[^`]*`", "", line)):
                target = m.group(1)
                if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("<"):
                    continue
                file_part, _, anchor = target.partition("#")
                dest = doc if not file_part else (doc.parent / file_part).resolve()
                if not dest.exists():
                    failures.append(f"{rel}:{n}: link to {target!r}: no such file")
                    continue
                if anchor and dest.suffix == ".md":
                    if dest not in anchor_cache:
                        anchor_cache[dest] = anchors(dest)
                    if anchor not in anchor_cache[dest]:
                        failures.append(f"{rel}:{n}: link to {target!r}: no heading with that anchor")
        if rel.as_posix() in PROFILE_QUOTES:
            continue
        for name in sorted(set(QUALIFIED.findall(code_text(text)))):
            while re.search(r"<[^<>]*>", name):
                name = re.sub(r"<[^<>]*>", "", name)
            parts = name.split("::")[1:]
            missing = [p for p in parts if p not in idents]
            if missing:
                failures.append(f"{rel}: {name} names {', '.join(missing)}, declared nowhere in include/jwtmint")
    header_map = ROOT / "docs" / "headers.md"
    mapped = header_map.read_text(encoding="utf-8") if header_map.exists() else ""
    for h in sorted((ROOT / "include" / "jwtmint").glob("*.hpp")):
        if f"`{h.name}`" not in mapped and f"<jwtmint/{h.name}>" not in mapped:
            failures.append(f"docs/headers.md does not name the public header {h.name}")
    for f in failures:
        print("FAIL", f)
    print(f"{len(docs)} documents checked, {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
