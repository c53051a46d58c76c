// SPDX-License-Identifier: MIT
// jwtmint verify --key FILE [TOKEN]: exit 0 and the header and claims as JSON when the token
// is valid, 1 and "error: <errc name>: <message>" when it is refused, 2 for usage or key errors.
#include <jwtmint/json.hpp>
#include <jwtmint/verifier.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "durations.hpp"
#include "key_io.hpp"
#include "policy.hpp"
#include "token_view.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>

namespace cli {

namespace {

/// The token's kid, only to pick a key out of a JWK Set; never trusted for anything else.
std::string kid_of(std::string_view token) {
    try {
        const auto t = decode_unverified(token);
        const auto it = t.header.find("kid");
        if (it != t.header.end() && it->is_string()) return it->get<std::string>();
    } catch (const jwt::error&) {
        // The verifier reports what is wrong with the token.
    }
    return {};
}

}  // namespace

int run_verify(const verify_options& o) {
    const login_rules rules = resolve_rules(o.policy);
    const std::chrono::seconds leeway = parse_duration(o.leeway, "--leeway");
    if (leeway > std::chrono::hours{24}) throw usage_error("--leeway must be at most 1 day (a few seconds is typical)");
    if (o.now && *o.now < 0) throw usage_error("--now must be a Unix time in seconds (0 or more)");
    const std::optional<algorithm> requested = parse_algorithm_option(o.alg, "--alg");
    const std::string token = read_token(o.token);

    secret_buffer passphrase;
    if (!o.passphrase_file.empty()) passphrase = read_passphrase_file(o.passphrase_file);
    const key_material key = load_key(o.key, passphrase.view(), kid_of(token));
    // The algorithm comes from the key (or --alg), never from the token.
    const algorithm a = choose_algorithm(key, requested);
    if (!rules.general) {
        // The widget would refuse every token of this key: say so, with the fix.
        if (auto why = algorithm_refusal(rules.policy, a)) {
            throw refusal(jwt::errc::algorithm_not_allowed, *why);
        }
    }

    return with_algorithm(a, [&](auto tag) {
        using Alg = typename decltype(tag)::type;
        auto v = make_verifier<Alg>(key);
        v.leeway(leeway);
        if (rules.general) {
            v.max_lifetime(rules.max_lifetime);  // no role claim is required
        } else {
            v.policy(rules.policy);  // role claim, team roles, ceiling, identity precedence
        }
        if (!o.iss.empty()) v.issuer(o.iss);
        if (!o.aud.empty()) v.audience(o.aud);
        if (!o.sub.empty()) v.subject(o.sub);
        const auto now = o.now ? std::chrono::system_clock::time_point{std::chrono::seconds{*o.now}}
                               : std::chrono::system_clock::now();
        auto verified = v.try_verify_at(token, now);
        if (!verified) {
            const jwt::error& e = verified.error();
            if (e.value() != jwt::errc::algorithm_mismatch) throw refusal(e);
            throw refusal(e.value(), e.what() + assumed_algorithm_hint(key, requested.has_value(), a, token));
        }
        const nlohmann::json out = {{"header", verified->header()}, {"claims", verified->claims()}};
        std::printf("%s\n", out.dump(2).c_str());
        return exit_ok;
    });
}

}  // namespace cli
