// SPDX-License-Identifier: MIT
// libFuzzer target: claim parsing. The first input octet picks the mode; the rest is the text:
//   mode 0  the verifier's JSON object scan (jwt::detail::scan_json_object), and nlohmann::json
//           parsing what it accepted (as verified_token::claims() does); on success every
//           member goes through jwt::parse_roles and the object through jwt::session_identity
//   mode 1  jwt::split_roles and jwt::parse_roles on the text as a comma-separated role string
//   mode 2  jwt::detail::is_valid_utf8 against nlohmann::json's own UTF-8 check (differential)
// Properties: nothing but jwt::error escapes; an accepted object is a JSON object with unique
// member names that survives a dump/parse round trip; parse_roles returns trimmed, non-empty
// names; split_roles returns one name per comma plus one; the two UTF-8 validators agree.
#include <jwtmint/claims.hpp>
#include <jwtmint/detail/refusal.hpp>
#include <jwtmint/json.hpp>

#include "fuzz_common.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using jwtmint_fuzz::expect;

bool trimmed(std::string_view s) {
    constexpr std::string_view ws = " \t\r\n\f\v";
    return s.empty() || (ws.find(s.front()) == std::string_view::npos && ws.find(s.back()) == std::string_view::npos);
}

void check_roles_of(const nlohmann::json& value) {
    std::vector<std::string> roles;
    try {
        roles = jwt::parse_roles(value);
    } catch (const jwt::error& e) {
        expect(e.code() == jwt::errc::invalid_claim, "parse_roles failed with another code than invalid_claim");
        return;
    }
    expect(!roles.empty(), "parse_roles accepted an empty role list");
    expect(value.is_string() || value.is_array(), "parse_roles accepted a value that is neither string nor array");
    for (const auto& r : roles) expect(!r.empty() && trimmed(r), "parse_roles returned an empty or untrimmed name");
}

/// What the verifier does with a claims set: the scan judges it, nlohmann::json reads what passed.
bool parse_json_object(std::string_view text, nlohmann::json& out, jwt::detail::rejection& why) {
    jwt::detail::json_object_scan scan;
    if (!jwt::detail::scan_json_object(text, "claims set", scan, why)) return false;
    out = jwt::detail::parse_scanned_json<nlohmann::json>(text);
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view text = jwtmint_fuzz::as_text(data + 1, size - 1);
    switch (data[0] % 3) {
        case 0: {
            nlohmann::json j;
            jwt::detail::rejection why;
            if (!parse_json_object(text, j, why)) {
                expect(why.code == jwt::errc::malformed_token, "the JSON object parser refused with another code");
                expect(!why.message.empty(), "the JSON object parser refused without a message");
                break;
            }
            expect(j.is_object(), "parse_json_object accepted something that is not an object");
            // The dump of an accepted object is accepted again and reads back equal.
            nlohmann::json again;
            jwt::detail::rejection why2;
            expect(parse_json_object(j.dump(), again, why2), "the dump of an accepted object was refused");
            expect(again == j, "an accepted object changed through dump and parse");
            for (const auto& member : j.items()) check_roles_of(member.value());
            check_roles_of(j);
            // The first identity claim present decides (docs/security.md, "Empty identities"): a
            // string with something besides white space is the identity; anything else means none.
            const std::optional<std::string> id = jwt::session_identity(j);
            std::optional<std::string> expected;
            for (const std::string_view name : jwt::identity_claims) {
                const auto it = j.find(std::string(name));
                if (it == j.end()) continue;
                if (it->is_string() &&
                    it->get_ref<const std::string&>().find_first_not_of(" \t\r\n\f\v") != std::string::npos) {
                    expected = it->get<std::string>();
                }
                break;
            }
            expect(id == expected, "session_identity did not return the first identity claim present");
            break;
        }
        case 1: {
            const std::vector<std::string> parts = jwt::split_roles(text);
            expect(parts.size() == static_cast<std::size_t>(std::count(text.begin(), text.end(), ',')) + 1,
                   "split_roles did not return one name per comma plus one");
            for (const auto& p : parts) expect(trimmed(p), "split_roles returned an untrimmed name");
            if (jwt::detail::is_valid_utf8(text)) check_roles_of(nlohmann::json(std::string(text)));
            break;
        }
        default: {
            bool nlohmann_accepts = true;
            try {
                (void)nlohmann::json(std::string(text)).dump();
            } catch (const nlohmann::json::type_error&) {
                nlohmann_accepts = false;
            }
            expect(jwt::detail::is_valid_utf8(text) == nlohmann_accepts,
                   "is_valid_utf8 and nlohmann::json disagree on whether the text is UTF-8");
            break;
        }
    }
    return 0;
}
