// SPDX-License-Identifier: MIT
// A third translation unit of odr_test that plays another JWT library (jwt-cpp and cpp-jwt both
// declare namespace jwt): it defines, in plain `namespace jwt`, an inline function with exactly
// the name and signature of one of jwtmint's. jwtmint lives in the inline namespace jwt::v1, so
// the two have different mangled names and each translation unit keeps its own; without it the
// linker would keep one of the two definitions for both (an ODR violation it does not report).
// This file includes nothing of jwtmint.
#include <string>
#include <string_view>

namespace jwt {
[[nodiscard]] inline std::string base64url_encode(std::string_view data) {
    return "another library's base64url_encode of " + std::string(data);
}
}  // namespace jwt

namespace odr_other_library {
// Not inlined, so that the call below goes through the linker's choice of definition.
[[gnu::noinline]] std::string encode(std::string_view data) {
    std::string (*volatile f)(std::string_view) = &jwt::base64url_encode;
    return f(data);
}
}  // namespace odr_other_library
