// SPDX-License-Identifier: MIT
// Shared by jwtmint's libFuzzer targets: a check that aborts (so libFuzzer records the input)
// and the rule that no jwtmint call leaves work on this thread's OpenSSL error queue.
#pragma once

#include <openssl/err.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace jwtmint_fuzz {

/// Aborts with a message when a property of the code under test does not hold.
inline void expect(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "jwtmint fuzz property violated: %s\n", what);
        std::abort();
    }
}

/// jwtmint drains OpenSSL's error queue on every path (STYLE.md section 3); a leftover entry
/// would surface as a wrong reason in the host's next, unrelated OpenSSL call.
inline void expect_clean_error_queue(const char* after) {
    const unsigned long e = ERR_peek_error();
    if (e != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        std::fprintf(stderr, "OpenSSL error queue not empty after %s: %s\n", after, buf);
        std::abort();
    }
}

inline std::string_view as_text(const unsigned char* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace jwtmint_fuzz
