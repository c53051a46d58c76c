// SPDX-License-Identifier: MIT
#include "token_view.hpp"

#include <jwtmint/base64url.hpp>
#include <jwtmint/error.hpp>

#include <algorithm>
#include <cmath>

namespace cli {

namespace {
nlohmann::json decode_object(std::string_view segment, const char* what) {
    std::error_code ec;
    const std::string text = jwt::base64url_decode(segment, ec);
    if (ec) {
        throw jwt::error(jwt::errc::invalid_base64url,
                         std::string("the ") + what +
                             " segment is not unpadded base64url (only A-Z a-z 0-9 - _ are "
                             "allowed; was the token "
                             "cut short or copied with padding or spaces?)");
    }
    nlohmann::json out = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (out.is_discarded())
        throw jwt::error(jwt::errc::malformed_token, std::string("the ") + what + " is not valid JSON");
    if (!out.is_object())
        throw jwt::error(jwt::errc::malformed_token, std::string("the ") + what + " is not a JSON object");
    return out;
}
}  // namespace

unverified_token decode_unverified(std::string_view token) {
    const auto dots = std::count(token.begin(), token.end(), '.');
    if (dots != 2) {
        throw jwt::error(jwt::errc::malformed_token,
                         "the token has " + std::to_string(dots + 1) + (dots == 0 ? " segment" : " segments") +
                             " separated by dots; a JWT has three, header.payload.signature" +
                             (dots == 4 ? " (five is an encrypted JWE)" : ""));
    }
    const std::size_t d1 = token.find('.');
    const std::size_t d2 = token.find('.', d1 + 1);
    unverified_token out;
    out.header = decode_object(token.substr(0, d1), "header");
    out.claims = decode_object(token.substr(d1 + 1, d2 - d1 - 1), "payload");
    std::error_code ec;
    out.signature = jwt::base64url_decode(token.substr(d2 + 1), ec);
    if (ec) throw jwt::error(jwt::errc::invalid_base64url, "the signature segment is not unpadded base64url");
    return out;
}

std::optional<std::int64_t> numeric_date(const nlohmann::json& claims, const char* name) {
    const auto it = claims.find(name);
    if (it == claims.end()) return std::nullopt;
    if (it->is_number_integer()) return it->get<std::int64_t>();
    if (it->is_number_unsigned()) {
        const auto u = it->get<std::uint64_t>();
        if (u <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(u);
    }
    if (it->is_number_float()) {
        const double d = it->get<double>();
        if (std::isfinite(d) && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(std::floor(d));
    }
    throw jwt::error(jwt::errc::invalid_claim,
                     std::string(name) + " is " + it->dump() + ", not a NumericDate (seconds since 1970 as a number)");
}

}  // namespace cli
