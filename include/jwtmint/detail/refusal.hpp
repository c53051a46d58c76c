// SPDX-License-Identifier: MIT
// How a verifier refuses a token: the code and a message a person can act on, and the readers of
// scanned JSON (objects, strings, NumericDates) that refuse with such messages.
#pragma once

#include <jwtmint/claims.hpp>
#include <jwtmint/detail/json_scan.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/verified_token.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

namespace jwt {
inline namespace v1 {
namespace detail {

/// Why a token was refused: the code and a message a person can act on.
struct rejection {
    errc code = errc::malformed_token;
    std::string message;
};

inline bool reject(rejection& why, errc code, std::string message) {
    why.code = code;
    why.message = std::move(message);
    return false;
}

/// Untrusted token text for a message: quoted, non-printable octets as \xNN, at most 64 octets.
inline std::string quote(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    constexpr std::size_t limit = 64;
    std::string out = "'";
    for (std::size_t i = 0; i < s.size() && i < limit; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7F || c == '\'' || c == '\\') {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xF];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (s.size() > limit) out += "...";
    out += '\'';
    return out;
}

/// Unix seconds as UTC ISO 8601 ("2026-11-24T10:00:00Z"); days-to-civil after H. Hinnant.
inline std::string format_utc(std::int64_t unix_seconds) {
    std::int64_t days = unix_seconds / 86400;
    std::int64_t secs = unix_seconds % 86400;
    if (secs < 0) {
        secs += 86400;
        --days;
    }
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    if (year >= 0 && year <= 9999) {
        // Every NumericDate a verifier accepts: digits written directly, since refusal messages
        // (an expired token) format dates and snprintf would make a refusal cost more than an
        // acceptance. The same text as the general case below.
        std::string out(20, '0');
        const auto put = [&out](std::size_t at, std::int64_t value, std::size_t width) {
            for (std::size_t i = width; i-- > 0; value /= 10) out[at + i] = static_cast<char>('0' + value % 10);
        };
        put(0, year, 4);
        out[4] = '-';
        put(5, month, 2);
        out[7] = '-';
        put(8, day, 2);
        out[10] = 'T';
        put(11, secs / 3600, 2);
        out[13] = ':';
        put(14, secs / 60 % 60, 2);
        out[16] = ':';
        put(17, secs % 60, 2);
        out[19] = 'Z';
        return out;
    }
    char buf[80];  // six numbers of at most 20 digits and the separators: snprintf cannot fail or cut
    (void)std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", static_cast<long long>(year),
                        static_cast<long long>(month), static_cast<long long>(day), static_cast<long long>(secs / 3600),
                        static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
    return buf;
}

/// Validates text as one JSON object (detail/json_scan.hpp), refusing what nlohmann::json would
/// quietly accept: duplicate member names at any depth (it keeps the last), a byte order mark,
/// and nesting deeper than max_json_depth; invalid UTF-8, comments, trailing data and numbers
/// no double holds are refused as nlohmann::json refuses them. On success scan holds the
/// top-level members; what names the text in the message ("header", "claims set").
inline bool scan_json_object(std::string_view text, const char* what, json_object_scan& scan, rejection& why) {
    switch (scan.scan(text, max_json_depth)) {
        case json_fault::none: return true;
        case json_fault::byte_order_mark:
            return reject(why, errc::malformed_token,
                          std::string("the ") + what + " starts with a byte order mark (RFC 8259 section 8.1)");
        case json_fault::syntax:
            return reject(why, errc::malformed_token,
                          std::string("the ") + what + " is not valid JSON (or not valid UTF-8)");
        case json_fault::number_too_large:
            return reject(why, errc::malformed_token,
                          std::string("the ") + what + " holds the number " + quote(scan.too_large()) +
                              ", whose magnitude no double holds (above 1.7976931348623157e308); JSON parsers "
                              "disagree on such numbers, so the token is refused");
        case json_fault::duplicate_name:
            return reject(why, errc::malformed_token,
                          std::string("the ") + what + " has the member " + quote(scan.duplicate()) +
                              " more than once; verifiers disagree on which copy counts, so the token is refused");
        case json_fault::too_deep:
            return reject(why, errc::malformed_token,
                          std::string("the ") + what + " nests deeper than " + std::to_string(max_json_depth) +
                              " levels");
        case json_fault::not_object: break;
    }
    return reject(why, errc::malformed_token, std::string("the ") + what + " must be a JSON object");
}

/// Refuses a segment ("header", "payload", "signature") that is not strict base64url.
inline bool bad_base64url_segment(rejection& why, const char* segment) {
    return reject(why, errc::invalid_base64url,
                  std::string("the ") + segment +
                      " segment is not strict base64url: only A-Z a-z 0-9 - _, no '=' padding, no spaces, and unused "
                      "trailing bits must be zero");
}

/// Refuses a member name holding U+0000 in what ("header", "claims set"): a C string, a log line or
/// another parser would cut it short and read another name (or a second copy of one), which the
/// duplicate-name rule cannot see.
inline bool reject_nul_name(rejection& why, const char* what, std::string_view name) {
    return reject(why, errc::malformed_token,
                  std::string("the ") + what + " has a member name holding U+0000 (" + quote(name) +
                      "); a C string or a log would cut it at the NUL and read another name, so the token is refused");
}

/// The text of a string member's value with escapes decoded: a view of the JSON text when it
/// has none, else of scratch, which then holds the decoded copy.
inline std::string_view json_string_text(const json_member& m, std::string& scratch) {
    const std::string_view body = m.value.substr(1, m.value.size() - 2);
    if (!m.value_escaped) return body;
    scratch = json_unescape(body, true);
    return scratch;
}

/// An owned copy of a string value's decoded text (a JSON array element or member value).
inline std::string json_string_copy(std::string_view value) {
    const std::string_view body = value.substr(1, value.size() - 2);
    return json_unescape(body, body.find('\\') != std::string_view::npos);
}

/// Reads a NumericDate (RFC 7519 section 2): a JSON number of seconds in [0, max_numeric_date].
/// Fractions are rounded toward the stricter side: down for exp, up for nbf and iat. Numbers
/// are read as nlohmann::json reads them (json_number_value): an integer that fits 64 bits
/// exactly, any other number as the nearest double.
inline bool read_numeric_date(const json_member& m, const char* name, bool round_up, std::int64_t& out,
                              rejection& why) {
    const auto bad = [&](const std::string& detail_text) {
        return reject(why, errc::invalid_claim,
                      std::string(name) +
                          " must be a NumericDate: a JSON number of seconds since 1970-01-01T00:00:00Z "
                          "no later than 9999-12-31T23:59:59Z (" +
                          detail_text + ")");
    };
    if (m.type != json_type::number) return bad(std::string("it is a JSON ") + json_type_name(m.type));
    const json_number n = json_number_value(m.value);
    switch (n.type) {
        case json_number::kind::unsigned_integer:
            if (n.unsigned_value > static_cast<std::uint64_t>(max_numeric_date)) return bad("it is too large");
            out = static_cast<std::int64_t>(n.unsigned_value);
            return true;
        case json_number::kind::integer:
            if (n.integer_value < 0) return bad("it is negative");
            out = n.integer_value;  // -0
            return true;
        case json_number::kind::floating: break;
    }
    const double d = n.float_value;
    if (!std::isfinite(d)) return bad("it is not finite");  // the scan refused these: not expected
    if (d < 0) return bad("it is negative");
    if (d > static_cast<double>(max_numeric_date)) return bad("it is too large");
    out = static_cast<std::int64_t>(round_up ? std::ceil(d) : std::floor(d));
    return true;
}

}  // namespace detail
}  // namespace v1
}  // namespace jwt
