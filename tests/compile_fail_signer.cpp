// SPDX-License-Identifier: MIT
// Must NOT compile: a type that is not a signer, given to jwt::builder. ctest builds this file
// (one target per case) and checks that the compiler reports the one static_assert that names
// what is missing, and nothing else.
#include <jwtmint/builder.hpp>

#include <string>
#include <string_view>

#if defined(JWTMINT_COMPILE_FAIL_no_alg)
struct not_a_signer {
    std::string sign(std::string_view /*input*/) const { return "x"; }
};
#elif defined(JWTMINT_COMPILE_FAIL_no_sign)
struct not_a_signer {
    static constexpr std::string_view alg = "RS256";
};
#elif defined(JWTMINT_COMPILE_FAIL_non_const_sign)
struct not_a_signer {
    static constexpr std::string_view alg = "RS256";
    std::string sign(std::string_view /*input*/) { return "x"; }
};
#else
#error "define one JWTMINT_COMPILE_FAIL_<case>"
#endif

int main() {
    const not_a_signer s{};
    const std::string token = jwt::builder{s}.roles({"A"}).sign();
    return static_cast<int>(token.size());
}
