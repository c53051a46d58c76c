#!/usr/bin/env bash
# Installs what jwtmint's build, tests and examples need on Debian 12 (bookworm).
# Used by the README's first command and by CI, so the two cannot drift apart.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(
  build-essential cmake pkg-config git ca-certificates
  openssl libssl-dev            # OpenSSL 3: the library's one crypto dependency, and the CLI the tests use
  nlohmann-json3-dev            # JSON
  catch2                        # tests
  libcli11-dev                  # argument parsing in the examples
  libcpp-httplib-dev            # the cpp-httplib token endpoint example (examples/httplib); HTTP servers on loopback in the tests of jwt::curl_fetch and the remote JWK Set verifier
  libboost-dev                  # Boost.Beast and Asio (header-only): the Beast token endpoint example (examples/beast)
  libcurl4-openssl-dev          # jwt::curl_fetch (include/jwtmint/curl_fetch.hpp), its tests and the CLI's --jwks-url
  python3 python3-jwt python3-cryptography  # PyJWT (with its RSA/EC backend): an independent verifier
  groff-base man-db             # the jwtmint tool's man pages, rendered by their test (examples/cli/man)
  wrk                           # the host backend's load runs (bench/host_load/run.py)
  chromium                      # the real browser for the widget page tests
  libp11-kit-dev                # pkcs11.h: the HSM example's PKCS#11 signer (examples/hsm) and its tests' probe
  softhsm2 opensc               # its tests: a software token (SoftHSM 2) and pkcs11-tool to make keys in it
  swtpm swtpm-tools tpm2-tools tpm2-openssl  # keys in a (software) TPM, by URI: tests/custody
)

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${packages[@]}"

# Node.js for the browser tests (playwright-core) and jose: keep an existing node, else Debian's.
if ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi

# The browser tests' npm packages (playwright-core drives Debian's chromium; jose checks tokens),
# pinned by the lockfile. Never `npx playwright install`: the browser comes from Debian.
npm ci --prefix "$(dirname "$0")/../examples/host_backend/tests" --no-audit --no-fund

# The interoperability suite's npm peers (jose, and jsonwebtoken as the vendor's Node example
# uses it), pinned by tests/interop/package-lock.json.
npm ci --prefix "$(dirname "$0")/../tests/interop" --no-audit --no-fund

# The load benchmark's Node baseline (bench/host_load/node-backend: the vendor's jsonwebtoken
# snippet as a server), pinned by its lockfile.
npm ci --prefix "$(dirname "$0")/../bench/host_load/node-backend" --no-audit --no-fund
