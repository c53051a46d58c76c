// SPDX-License-Identifier: MIT
// jwtmint's version; CMake checks it against project(VERSION) at configure time.
#pragma once

#define JWTMINT_VERSION_MAJOR 1
#define JWTMINT_VERSION_MINOR 0
#define JWTMINT_VERSION_PATCH 0
#define JWTMINT_VERSION_STRING "1.0.0"

// Everything jwtmint declares lives in `inline namespace jwt::v1`, named for the major version:
// code spells it jwt::, while its mangled names differ from those of another library that also
// declares namespace jwt (jwt-cpp, cpp-jwt) linked into the same program, and from a future
// jwtmint 2 with a different ABI.
