// SPDX-License-Identifier: MIT
// libFuzzer target: jwt::verifier against an independent reading of the same claims set, on the
// registered, identity and role claims. The input is two octets of options, then a claims-set
// JSON text. The text is signed as it is (HS256, the test key of test_keys.hpp, sign_compact:
// no builder in between) and verified at fixed_now; the same text is read with nlohmann::json
// (plus the duplicate-name, depth and byte-order-mark rules of tests/json_scan_oracle.hpp) and
// judged by the claim rules as the verifier documents them, written again here from that text:
//   options[0]  bit 0 allow_missing_expiration   bit 4 audience {"customgpt", "other"}
//               bit 1 no login policy            bit 5 subject "user-1"
//               bit 2 leeway 30 s                bit 6 max_lifetime 600 s
//               bit 3 issuer "https://host.example"  bit 7 team_roles {"Accounting Team", "Support Team"}
//   options[1]  bit 0 role_claim "groups"        bit 1 require_claim "jti"
//   (team_roles and role_claim belong to the login policy: without one, no role claim is
//   required, and a "roles" claim is read when it holds role names and otherwise ignored)
//               bit 2 the header carries a kid (the verifier then judges the header itself)
// Properties: the two decide alike, with the same errc when both refuse; an accepted token
// reports exactly the reference's exp, nbf, iat (rounded toward the stricter side), iss, sub,
// jti, aud, identity, roles and kid, and its claims() and claim(name) are the reference's
// values; the throwing and error_code forms agree; OpenSSL's error queue is left empty.
#include <jwtmint/json.hpp>
#include <jwtmint/jwtmint.hpp>

#include "../tests/json_scan_oracle.hpp"
#include "fuzz_common.hpp"
#include "test_keys.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using jwt::errc;
using jwtmint_fuzz::expect;
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr std::int64_t now = jwtmint_fuzz::fixed_now;
constexpr std::int64_t max_date = 253402300799;  // 9999-12-31T23:59:59Z, as documented

struct fixed_clock {
    using duration = std::chrono::system_clock::duration;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::system_clock::time_point;
    [[maybe_unused]] static constexpr bool is_steady = false;
    static time_point now() { return time_point{std::chrono::seconds{jwtmint_fuzz::fixed_now}}; }
};

using hs_verifier = jwt::verifier<jwt::hs256, fixed_clock>;

/// The policy the option octets select, in the reference's own terms.
struct policy {
    bool require_exp = true;
    bool widget = true;  // a jwt::login_policy: the role claim required, team roles, 600 s ceiling
    std::int64_t leeway = 0;
    std::optional<std::string> iss, sub;
    std::vector<std::string> aud;
    std::optional<std::int64_t> max_lifetime;
    std::vector<std::string> known_roles;
    std::string role_claim = "roles";
    std::vector<std::string> required;
    bool kid = false;
};

policy policy_of(unsigned char a, unsigned char b) {
    policy p;
    p.require_exp = (a & 1) == 0;
    p.widget = (a & 2) == 0;
    if (a & 4) p.leeway = 30;
    if (a & 8) p.iss = "https://host.example";
    if (a & 16) p.aud = {"customgpt", "other"};
    if (a & 32) p.sub = "user-1";
    if (a & 64) p.max_lifetime = 600;
    if (p.widget && (a & 128)) p.known_roles = {"Accounting Team", "Support Team"};
    if (p.widget && (b & 1)) p.role_claim = "groups";
    if (p.widget && !p.max_lifetime) p.max_lifetime = 600;  // the policy's default ceiling
    if (b & 2) p.required = {"jti"};
    p.kid = (b & 4) != 0;
    return p;
}

hs_verifier make_verifier(const policy& p) {
    auto v = hs_verifier::from_secret(jwtmint_fuzz::hs_secret);
    v.max_token_size(1 << 20);
    v.allow_missing_expiration(!p.require_exp);
    if (p.widget) {
        jwt::login_policy rules;
        rules.role_claim(p.role_claim);
        if (!p.known_roles.empty()) rules.team_roles(p.known_roles);
        v.policy(rules);
    }
    if (p.leeway) v.leeway(std::chrono::seconds{p.leeway});
    if (p.iss) v.issuer(*p.iss);
    if (!p.aud.empty()) v.audience({p.aud[0], p.aud[1]});
    if (p.sub) v.subject(*p.sub);
    if (p.max_lifetime) v.max_lifetime(std::chrono::seconds{*p.max_lifetime});
    for (const auto& r : p.required) v.require_claim(r);
    return v;
}

/// What the reference decides: a code, or success with the values a verified token reports.
struct outcome {
    std::error_code code;
    std::optional<std::int64_t> exp, nbf, iat;
    std::optional<std::string> iss, sub, jti, identity, kid;
    std::vector<std::string> aud, roles;
    json claims;
};

outcome refuse(errc e) {
    outcome o;
    o.code = e;
    return o;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return std::string(s);
}

/// Control characters: U+0000 to U+001F and U+007F.
bool has_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c < 0x20 || c == 0x7F;
    });
}

bool same_ascii_case_insensitive(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

/// A NumericDate as documented: a JSON number in [0, 9999-12-31T23:59:59Z], an integer exactly,
/// any other number as nlohmann's double, rounded down (exp) or up (nbf, iat).
std::optional<std::int64_t> numeric_date(const json& v, bool round_up) {
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(max_date)) return std::nullopt;
        return static_cast<std::int64_t>(u);
    }
    if (v.is_number_integer()) {
        const auto i = v.get<std::int64_t>();
        if (i < 0) return std::nullopt;
        return i;
    }
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (!(d >= 0) || d > static_cast<double>(max_date)) return std::nullopt;  // -0.0 >= 0 holds
        return static_cast<std::int64_t>(round_up ? std::ceil(d) : std::floor(d));
    }
    return std::nullopt;
}

/// The documented claim rules over nlohmann's reading of the text, in the documented order.
outcome reference(std::string_view text, const policy& p) {
    const jwtmint_test::reference_result parsed = jwtmint_test::reference_parse(text, jwt::max_json_depth);
    if (parsed.fault != jwtmint_test::json_fault::none) return refuse(errc::malformed_token);
    const json& c = parsed.value;
    outcome o;
    if (p.kid) o.kid = "k1";
    // A member name holding U+0000 is refused before any claim is read.
    for (const auto& item : c.items()) {
        if (item.key().find('\0') != std::string::npos) return refuse(errc::malformed_token);
    }
    const auto member = [&](const char* name) -> const json* {
        const auto it = c.find(name);
        return it == c.end() ? nullptr : &*it;
    };
    // Types: exp, nbf, iat; then iss, sub, jti, email, upn, preferred_username; then aud.
    const std::pair<const char*, std::optional<std::int64_t>*> dates[] = {
        {"exp", &o.exp}, {"nbf", &o.nbf}, {"iat", &o.iat}};
    for (const auto& [name, slot] : dates) {
        if (const json* v = member(name)) {
            *slot = numeric_date(*v, std::string_view(name) != "exp");
            if (!*slot) return refuse(errc::invalid_claim);
        }
    }
    const std::pair<const char*, std::optional<std::string>*> texts[] = {
        {"iss", &o.iss},    {"sub", &o.sub},  {"jti", &o.jti},
        {"email", nullptr}, {"upn", nullptr}, {"preferred_username", nullptr}};
    for (const auto& [name, slot] : texts) {
        const json* v = member(name);
        if (v == nullptr) continue;
        if (!v->is_string() || has_control(v->get_ref<const std::string&>())) return refuse(errc::invalid_claim);
        const std::string& s = v->get_ref<const std::string&>();
        if (slot != nullptr) {
            *slot = s;
        } else {
            // An identity claim present must name someone; the first present is the identity.
            if (trim(s).empty()) return refuse(errc::invalid_claim);
            if (!o.identity) o.identity = s;
        }
    }
    if (const json* v = member("aud")) {
        if (v->is_string()) {
            o.aud.push_back(v->get<std::string>());
        } else if (v->is_array() && !v->empty()) {
            for (const json& e : *v) {
                if (!e.is_string()) return refuse(errc::invalid_claim);
                o.aud.push_back(e.get<std::string>());
            }
        } else {
            return refuse(errc::invalid_claim);
        }
        for (const auto& a : o.aud) {
            if (has_control(a)) return refuse(errc::invalid_claim);
        }
    }
    // Time, with leeway.
    if (!o.exp && p.require_exp) return refuse(errc::missing_claim);
    if (o.exp && now >= *o.exp + p.leeway) return refuse(errc::token_expired);
    if (o.nbf && now < *o.nbf - p.leeway) return refuse(errc::token_not_yet_valid);
    if (o.iat && *o.iat > now + p.leeway) return refuse(errc::token_not_yet_valid);
    if (p.max_lifetime) {
        if (!o.iat) return refuse(errc::missing_claim);
        if (!o.exp) return refuse(errc::lifetime_too_long);
        if (*o.exp - *o.iat > *p.max_lifetime) return refuse(errc::lifetime_too_long);
    }
    // iss, aud, sub, required claims.
    if (p.iss && !o.iss) return refuse(errc::missing_claim);
    if (p.iss && *o.iss != *p.iss) return refuse(errc::claim_mismatch);
    if (!p.aud.empty() || !o.aud.empty()) {
        if (o.aud.empty()) return refuse(errc::missing_claim);
        if (p.aud.empty()) return refuse(errc::claim_mismatch);
        const bool listed = std::any_of(o.aud.begin(), o.aud.end(), [&](const std::string& a) {
            return std::find(p.aud.begin(), p.aud.end(), a) != p.aud.end();
        });
        if (!listed) return refuse(errc::claim_mismatch);
    }
    if (p.sub && !o.sub) return refuse(errc::missing_claim);
    if (p.sub && *o.sub != *p.sub) return refuse(errc::claim_mismatch);
    for (const auto& r : p.required) {
        if (member(r.c_str()) == nullptr) return refuse(errc::missing_claim);
    }
    // The role claim: an array of strings or one comma-separated string; names trimmed, none
    // empty, no control characters; repeats (ASCII case-insensitively) dropped, the first kept.
    const auto read_roles = [&](const json& value, std::vector<std::string>& out) {
        std::vector<std::string> names;
        if (value.is_string()) {
            const std::string& s = value.get_ref<const std::string&>();
            std::size_t start = 0;
            while (true) {
                const std::size_t comma = s.find(',', start);
                names.push_back(trim(std::string_view(s).substr(start, comma == std::string::npos ? std::string::npos
                                                                                                  : comma - start)));
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
        } else if (value.is_array()) {
            for (const json& e : value) {
                if (!e.is_string()) return false;
                names.push_back(trim(e.get_ref<const std::string&>()));
            }
        } else {
            return false;
        }
        if (names.empty()) return false;
        for (const auto& n : names) {
            if (n.empty()) return false;
        }
        for (const auto& n : names) {
            if (has_control(n)) return false;
            const bool seen = std::any_of(out.begin(), out.end(),
                                          [&](const std::string& r) { return same_ascii_case_insensitive(r, n); });
            if (!seen) out.push_back(n);
        }
        return true;
    };
    const json* roles = member(p.role_claim.c_str());
    if (roles == nullptr) {
        if (p.widget) return refuse(errc::missing_roles);
    } else if (!read_roles(*roles, o.roles)) {
        if (p.widget) return refuse(errc::invalid_claim);
        o.roles.clear();  // a plain verifier leaves a role claim it cannot read unread
    } else if (!p.known_roles.empty()) {
        for (auto& r : o.roles) {
            const auto k = std::find_if(p.known_roles.begin(), p.known_roles.end(), [&](const std::string& known) {
                return same_ascii_case_insensitive(known, r);
            });
            if (k == p.known_roles.end()) return refuse(errc::unknown_role);
            r = *k;
        }
    }
    o.claims = c;
    return o;
}

const jwt::hs256& signer() {
    static const jwt::hs256 s = jwt::hs256::from_secret(jwtmint_fuzz::hs_secret);
    return s;
}

std::string printable(const std::optional<std::string>& s) {
    return s ? json(*s).dump(-1, ' ', true, json::error_handler_t::replace) : "none";
}

[[noreturn]] void differ(std::string_view text, const std::string& what) {
    std::fprintf(stderr, "claims set: %s\nthe verifier and the reference differ: %s\n",
                 json(std::string(text)).dump(-1, ' ', true, json::error_handler_t::replace).c_str(), what.c_str());
    expect(false, "jwt::verifier disagrees with nlohmann::json and the documented claim rules");
    std::abort();
}

std::string code_name(std::error_code e) {
    return e ? std::string(jwt::errc_name(static_cast<errc>(e.value()))) + " (" + e.message() + ")" : "success";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const policy p = policy_of(data[0], data[1]);
    const std::string_view text = jwtmint_fuzz::as_text(data + 2, size - 2);
    static const hs_verifier* verifiers[256][8] = {};  // one per option set, built on first use
    const hs_verifier*& slot = verifiers[data[0]][data[1] & 7];
    if (slot == nullptr) slot = new hs_verifier(make_verifier(p));  // kept for the process's life
    const hs_verifier& v = *slot;

    const std::string header = p.kid ? R"({"alg":"HS256","typ":"JWT","kid":"k1"})" : R"({"alg":"HS256","typ":"JWT"})";
    const std::string token = jwt::sign_compact(signer(), header, text);

    std::error_code ec;
    std::optional<jwt::verified_token> got;
    std::string message;
    try {
        got = v.verify(token, ec);
        (void)v.verify(token);
    } catch (const jwt::error& e) {
        message = e.what();
        expect(e.code() == ec, "verify's throwing and error_code forms report different codes");
    }
    jwtmint_fuzz::expect_clean_error_queue("verify");
    expect(got.has_value() == !ec, "verify(error_code&) returned a token and an error, or neither");
    if (ec) expect(!message.empty(), "a refusal without a message");

    const outcome want = reference(text, p);
    if (ec != want.code) {
        differ(text, "the verifier says " + code_name(ec) + (message.empty() ? "" : ": " + message) +
                         "; the reference says " + code_name(want.code));
    }
    if (ec) return 0;

    const jwt::verified_token& t = *got;
    const auto seconds = [](const std::optional<jwt::sys_seconds>& s) -> std::optional<std::int64_t> {
        if (!s) return std::nullopt;
        return s->time_since_epoch().count();
    };
    const auto show = [](const std::optional<std::int64_t>& s) { return s ? std::to_string(*s) : std::string("none"); };
    if (seconds(t.expires_at()) != want.exp)
        differ(text, "exp " + show(seconds(t.expires_at())) + " against " + show(want.exp));
    if (seconds(t.not_before()) != want.nbf)
        differ(text, "nbf " + show(seconds(t.not_before())) + " against " + show(want.nbf));
    if (seconds(t.issued_at()) != want.iat)
        differ(text, "iat " + show(seconds(t.issued_at())) + " against " + show(want.iat));
    if (t.issuer() != want.iss) differ(text, "iss " + printable(t.issuer()) + " against " + printable(want.iss));
    if (t.subject() != want.sub) differ(text, "sub " + printable(t.subject()) + " against " + printable(want.sub));
    if (t.jwt_id() != want.jti) differ(text, "jti " + printable(t.jwt_id()) + " against " + printable(want.jti));
    if (t.identity() != want.identity)
        differ(text, "identity " + printable(t.identity()) + " against " + printable(want.identity));
    if (t.key_id() != want.kid) differ(text, "kid " + printable(t.key_id()) + " against " + printable(want.kid));
    if (t.audience() != want.aud)
        differ(text, "aud " + json(t.audience()).dump() + " against " + json(want.aud).dump());
    if (t.roles() != want.roles)
        differ(text, "roles " + json(t.roles()).dump() + " against " + json(want.roles).dump());
    if (t.claims() != want.claims) differ(text, "claims() is not the reference's object");
    if (t.claims_text() != text) differ(text, "claims_text() is not the text signed");
    for (const auto& item : want.claims.items()) {
        const std::optional<json> one = t.claim(item.key());
        if (!one || *one != item.value())
            differ(text, "claim(" + json(item.key()).dump() + ") is not the reference's value");
    }
    return 0;
}
