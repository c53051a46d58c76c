// SPDX-License-Identifier: MIT
// jwtmint's version; CMake checks it against project(VERSION) at configure time.
#pragma once

#define JWTMINT_VERSION_MAJOR 0
#define JWTMINT_VERSION_MINOR 1
#define JWTMINT_VERSION_PATCH 0
#define JWTMINT_VERSION_STRING "0.1.0"
