// SPDX-License-Identifier: MIT
// jwtmint inspect [TOKEN]: shows what a token says, without verifying it, and warns about
// what the vendor would refuse.
#include <jwtmint/claims.hpp>
#include <jwtmint/json.hpp>
#include <jwtmint/signers.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "durations.hpp"
#include "token_view.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace cli {

namespace {

constexpr const char* not_verified_banner =
    "NOT VERIFIED: decoded without checking the signature; anyone can write these claims. "
    "Check it with: jwtmint verify --key KEY";

struct time_line {
    const char* name;
    std::int64_t value;
    std::string relative;
};

struct report {
    std::vector<time_line> times;
    std::optional<std::int64_t> lifetime;
    std::vector<std::string> roles;
    std::string role_form;
    std::optional<std::string> identity;
    std::string identity_from;
    std::vector<std::string> warnings;
};

/// Warns when a signature cannot be what alg makes: each size comes from the signer's spec.
void check_signature_size(const algorithm& a, std::size_t n, report& r) {
    with_algorithm(a, [&](auto tag) {
        using Alg = typename decltype(tag)::type;
        const std::string name(Alg::alg);
        if constexpr (jwt::is_hmac_algorithm_v<Alg>) {
            if (n != Alg::spec.size) {
                r.warnings.push_back("the " + name + " signature has " + std::to_string(n) + " octets; its HMAC has " +
                                     std::to_string(Alg::spec.size));
            }
        } else if constexpr (key_kind_of<Alg>() == key_kind::ec) {
            const std::size_t raw = 2 * Alg::spec.raw_half;
            if (n != raw) {
                // DER adds 6 to 9 octets of framing around R and S (fewer when they are short).
                r.warnings.push_back("the " + name + " signature has " + std::to_string(n) + " octets; JWS needs " +
                                     std::to_string(raw) + " (R||S)" +
                                     (n > raw && n <= raw + 9 ? ", and this size looks like a DER-encoded signature"
                                                              : ""));
            }
        } else if constexpr (key_kind_of<Alg>() == key_kind::ed25519) {
            if (n != 64) {
                r.warnings.push_back("the EdDSA signature has " + std::to_string(n) +
                                     " octets; Ed25519 signatures have 64");
            }
        } else {
            const std::size_t min = static_cast<std::size_t>(Alg::spec.min_bits) / 8;
            if (n < min) {
                r.warnings.push_back("the " + name + " signature has " + std::to_string(n) +
                                     " octets, so the RSA key has under " + std::to_string(Alg::spec.min_bits) +
                                     " bits; the vendor may refuse it");
            }
        }
    });
}

void check_header(const unverified_token& t, report& r) {
    const auto alg = t.header.find("alg");
    if (alg == t.header.end() || !alg->is_string()) {
        r.warnings.emplace_back("the header has no alg string; no verifier will accept the token");
    } else {
        const auto& name = alg->get_ref<const std::string&>();
        if (lower(name) == "none") {
            r.warnings.emplace_back("alg is '" + name + "': the token is unsigned, and the vendor refuses it");
        } else if (const auto a = parse_algorithm(name); !a || name != algorithm_name(*a)) {
            r.warnings.push_back("alg '" + name + "' is not one of " + algorithm_list() + " (spelled exactly so)");
        } else {
            check_signature_size(*a, t.signature.size(), r);
        }
    }
    if (t.header.contains("crit")) {
        r.warnings.emplace_back("the header has 'crit' (critical extensions); verifiers refuse what they do not know");
    }
    if (const auto typ = t.header.find("typ"); typ != t.header.end()) {
        if (!typ->is_string() ||
            (lower(typ->get<std::string>()) != "jwt" && lower(typ->get<std::string>()) != "application/jwt")) {
            r.warnings.push_back("typ is " + typ->dump() + ", not \"JWT\"");
        }
    }
}

void check_times(const unverified_token& t, std::int64_t now, std::int64_t max_ttl, report& r) {
    // Each date is returned, never assigned through a reference from inside a try block: that
    // form left GCC 12 at -O3 unable to see that the optional's value is only read once it is
    // engaged (-Wmaybe-uninitialized), and this one is also plainer.
    const auto read = [&](const char* name) -> std::optional<std::int64_t> {
        try {
            return numeric_date(t.claims, name);
        } catch (const jwt::error& e) {
            r.warnings.emplace_back(e.what());
            return std::nullopt;
        }
    };
    const std::optional<std::int64_t> iat = read("iat");
    const std::optional<std::int64_t> nbf = read("nbf");
    const std::optional<std::int64_t> exp = read("exp");
    if (iat) r.times.push_back({"iat", *iat, format_relative(*iat, now)});
    if (nbf) r.times.push_back({"nbf", *nbf, format_relative(*nbf, now)});
    if (exp) r.times.push_back({"exp", *exp, format_relative(*exp, now)});

    if (!exp && !t.claims.contains("exp")) {
        r.warnings.emplace_back("no exp: the token never expires; widget tokens should live minutes");
    } else if (exp && *exp <= now) {
        r.warnings.push_back(describe_expiry(*exp, now) + "; the vendor refuses it");
    }
    if (nbf && *nbf > now) {
        r.warnings.push_back(describe_not_before(*nbf, now));
    }
    if (iat && *iat > now) {
        r.warnings.push_back(describe_issued(*iat, now) + ": the issuing server's clock is ahead of this one");
    }
    if (!iat && !t.claims.contains("iat")) {
        r.warnings.emplace_back("no iat: the vendor recommends it, and the lifetime cannot be told");
    }
    if (iat && exp) {
        r.lifetime = *exp - *iat;
        if (*r.lifetime > max_ttl) {
            r.warnings.push_back("lifetime " + format_span(*r.lifetime) + " is above " + format_span(max_ttl) +
                                 " (the vendor recommends 10 minutes at most; a stolen token stays "
                                 "usable that long)");
        } else if (*r.lifetime <= 0) {
            r.warnings.emplace_back("exp is not after iat: the token was never valid");
        }
    }
}

void check_claims(const unverified_token& t, const std::string& role_claim, report& r) {
    const auto it = t.claims.find(role_claim);
    if (it == t.claims.end()) {
        r.warnings.push_back("no '" + role_claim +
                             "' claim: the vendor refuses a token without the role claim named in its 'Attribute "
                             "name' setting" +
                             (role_claim == "roles" ? " (pass --role-claim if yours differs)" : ""));
    } else {
        if (auto roles = jwt::try_parse_roles(*it)) {
            r.roles = std::move(*roles);
            r.role_form = it->is_array() ? "array" : "comma-separated string";
        } else {
            r.warnings.push_back("the '" + role_claim + "' claim: " + roles.error().what());
        }
    }
    for (const std::string_view name : jwt::identity_claims) {
        const auto id = t.claims.find(std::string(name));
        if (id == t.claims.end()) continue;
        if (!id->is_string() || id->get_ref<const std::string&>().empty()) {
            r.warnings.push_back(std::string(name) + " is " + id->dump() + ", not a non-empty string");
        }
    }
    r.identity = jwt::session_identity(t.claims);
    if (r.identity) {
        for (const std::string_view name : jwt::identity_claims) {
            const auto id = t.claims.find(std::string(name));
            if (id != t.claims.end() && id->is_string() && id->get_ref<const std::string&>() == *r.identity) {
                r.identity_from = std::string(name);
                break;
            }
        }
    } else {
        r.warnings.emplace_back(
            "no identity (email, upn or preferred_username): the vendor lets the user in by "
            "role, but the session has no email");
    }
}

void print_text(const unverified_token& t, const report& r, std::int64_t now, const std::string& role_claim) {
    std::printf("%s\n", not_verified_banner);
    std::printf("header:\n%s\nclaims:\n%s\n", t.header.dump(2).c_str(), t.claims.dump(2).c_str());
    std::printf("times (now %s):\n", format_utc(now).c_str());
    if (r.times.empty()) std::printf("  (no iat, nbf or exp)\n");
    for (const auto& line : r.times) {
        std::printf("  %s  %s\n", line.name, format_time(line.value, now).c_str());
    }
    if (r.lifetime) std::printf("  lifetime  %s (exp - iat)\n", format_span(*r.lifetime).c_str());
    if (!r.roles.empty()) {
        std::string joined;
        for (const auto& role : r.roles) joined += (joined.empty() ? "" : ", ") + ("'" + role + "'");
        std::printf("roles: %s (claim '%s', %s)\n", joined.c_str(), role_claim.c_str(), r.role_form.c_str());
    }
    if (r.identity) std::printf("identity: %s (from %s)\n", r.identity->c_str(), r.identity_from.c_str());
    if (r.warnings.empty()) {
        std::printf("warnings: none\n");
    } else {
        std::printf("warnings:\n");
        for (const auto& w : r.warnings) std::printf("  warning: %s\n", one_line(w).c_str());
    }
}

void print_json(const unverified_token& t, const report& r) {
    std::fprintf(stderr, "jwtmint: %s\n", not_verified_banner);
    nlohmann::json out = {{"verified", false}, {"header", t.header}, {"claims", t.claims}, {"warnings", r.warnings}};
    nlohmann::json times = nlohmann::json::object();
    for (const auto& line : r.times) {
        times[line.name] = {{"unix", line.value}, {"utc", format_utc(line.value)}, {"relative", line.relative}};
    }
    out["times"] = times;
    if (r.lifetime) out["lifetime_seconds"] = *r.lifetime;
    out["roles"] = r.roles;
    out["identity"] = r.identity ? nlohmann::json(*r.identity) : nlohmann::json(nullptr);
    std::printf("%s\n", out.dump(2).c_str());
}

}  // namespace

int run_inspect(const inspect_options& o) {
    check_role_claim_name(o.role_claim);
    const std::int64_t max_ttl = parse_duration(o.max_ttl, "--max-ttl").count();
    if (o.now && *o.now < 0) throw usage_error("--now must be a Unix time in seconds (0 or more)");
    const std::string token = read_token(o.token);
    unverified_token t;
    try {
        t = decode_unverified(token);
    } catch (const jwt::error& e) {
        throw refusal(e);
    }
    const std::int64_t now = now_or(o.now);
    report r;
    check_header(t, r);
    check_times(t, now, max_ttl, r);
    check_claims(t, o.role_claim, r);
    if (o.json) {
        print_json(t, r);
    } else {
        print_text(t, r, now, o.role_claim);
    }
    return exit_ok;
}

}  // namespace cli
