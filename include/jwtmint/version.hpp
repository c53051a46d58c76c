// SPDX-License-Identifier: MIT
/// @file
/// jwtmint's version; CMake checks it against project(VERSION) at configure time.
#pragma once

/// The major version; the inline namespace jwt::v1 is named for it.
#define JWTMINT_VERSION_MAJOR 1
/// The minor version.
#define JWTMINT_VERSION_MINOR 0
/// The patch version.
#define JWTMINT_VERSION_PATCH 0
/// The three numbers as text, "major.minor.patch".
#define JWTMINT_VERSION_STRING "1.0.0"

/// @namespace jwt
/// Everything jwtmint declares lives in `inline namespace jwt::v1`, named for the major version:
/// code spells it jwt::, while its mangled names differ from those of another library that also
/// declares namespace jwt (jwt-cpp, cpp-jwt) linked into the same program, and from a future
/// jwtmint 2 with a different ABI.

/// @namespace jwt::detail
/// jwtmint's internals, which code never names. This reference shows two of its class templates,
/// detail::pkey_signer and detail::hmac_signer, for the calls each signer inherits from them.
