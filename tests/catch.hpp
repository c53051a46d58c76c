// SPDX-License-Identifier: MIT
// Picks Catch2 v3's or v2's header; tests use only the subset both share.
#pragma once

#if __has_include(<catch2/catch_test_macros.hpp>)
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#else
#include <catch2/catch.hpp>
#endif
