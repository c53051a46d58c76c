// SPDX-License-Identifier: MIT
// jwtmint verify --key FILE [TOKEN] (or --jwks-url URL): exit 0 and the header and claims as JSON
// when the token is valid, 1 and "error: <errc name>: <message>" when it is refused, 2 for usage or
// key errors (a JWK Set that cannot be fetched or used among them).
#include <jwtmint/json.hpp>
#include <jwtmint/verifier.hpp>
#if JWTMINT_CLI_HAVE_CURL
#include <jwtmint/curl_fetch.hpp>
#include <jwtmint/remote_jwks.hpp>
#endif

#include "commands.hpp"
#include "common.hpp"
#include "durations.hpp"
#include "key_io.hpp"
#include "policy.hpp"
#include "token_view.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

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

/// The verifier's refusal of a token's times (token_expired, token_not_yet_valid) in the one time
/// form every command prints, "2026-05-12T15:43:20Z (50 min ago)", with the verifier's fix kept;
/// any other refusal unchanged. The signature has been checked by then, so the claims are the
/// issuer's.
refusal with_readable_times(const jwt::error& e, std::string_view token, std::int64_t now,
                            std::chrono::seconds leeway) {
    const bool expired = e.value() == jwt::errc::token_expired;
    if (!expired && e.value() != jwt::errc::token_not_yet_valid) return refusal(e);
    const std::string what = e.what();
    const std::size_t fix = what.find("; ");
    try {
        const unverified_token t = decode_unverified(token);
        const bool by_nbf = what.rfind("token is not valid before", 0) == 0;
        const std::optional<std::int64_t> at = numeric_date(t.claims, expired ? "exp" : by_nbf ? "nbf" : "iat");
        if (!at) return refusal(e);
        const std::string said = expired  ? "token expired "
                                 : by_nbf ? "token is not valid before "
                                          : "token was issued ";
        const std::string skew = leeway.count() > 0 ? " (leeway " + format_span(leeway.count()) + ")" : "";
        return refusal(e.value(), said + format_time(*at, now) + skew +
                                      (fix == std::string::npos ? std::string() : what.substr(fix)));
    } catch (const jwt::error&) {
        return refusal(e);
    }
}

/// The clock of --jwks-url verification: --now when given, else the system's.
struct cli_clock {
    using duration = std::chrono::system_clock::duration;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::system_clock::time_point;
    [[maybe_unused]] static constexpr bool is_steady = false;
    static std::optional<std::int64_t>& pinned() {
        static std::optional<std::int64_t> at;
        return at;
    }
    static time_point now() {
        const auto& at = pinned();
        return at ? time_point{std::chrono::seconds{*at}} : std::chrono::system_clock::now();
    }
};

/// verify --jwks-url: one fetch (in this thread), then the token against the set.
int verify_remote(const verify_options& o, const login_rules& rules, std::chrono::seconds leeway,
                  const std::string& token) {
#if JWTMINT_CLI_HAVE_CURL
    if (!o.alg.empty()) {
        throw usage_error("--alg does not go with --jwks-url: the JWK Set pins each key's algorithm");
    }
    cli_clock::pinned() = o.now;
    using remote = jwt::remote_jwks_verifier<cli_clock>;
    jwt::curl_fetch_options connect;
    connect.ca_file = o.cacert;
    connect.allow_insecure_http = o.allow_http;
    remote::options ro;
    ro.url = o.jwks_url;
    ro.fetch = jwt::curl_fetch(connect);
    ro.allow_insecure_http = o.allow_http;
    ro.configure = [&](remote::key_set& set) {
        set.configure([&](auto& v) {
            v.leeway(leeway);
            if (rules.general) {
                v.max_lifetime(rules.max_lifetime);
            } else {
                v.policy(rules.policy);
            }
            if (!o.iss.empty()) v.issuer(o.iss);
            if (!o.aud.empty()) v.audience(o.aud);
            if (!o.sub.empty()) v.subject(o.sub);
        });
    };
    if (!o.allow_http && o.jwks_url.rfind("http://", 0) == 0) {
        throw usage_error("--jwks-url " + o.jwks_url +
                          " is plain http://, which anyone on the path can answer with their own keys; use "
                          "https://, or --allow-http for a test server on loopback");
    }
    auto made = remote::try_make(std::move(ro));
    if (!made) throw usage_error(made.error().what());
    // The verifier's messages speak to a server that keeps it (when it retries, that a refetch was
    // asked for); a one-shot command fetches once, so those clauses are left out.
    const auto one_shot = [](const jwt::error& e, std::string_view long_lived_clause) {
        std::string message = e.what();
        if (const auto at = message.find(long_lived_clause); at != std::string::npos) message.resize(at);
        return jwt::error(e.value(), message);
    };
    // No key set, no verdict on the token: like an unusable --key, exit status 2.
    if (auto fetched = made->try_refresh(); !fetched) throw one_shot(fetched.error(), "; the next attempt is due");
    auto verified = made->try_verify(token);
    if (!verified) {
        const std::int64_t now =
            std::chrono::duration_cast<std::chrono::seconds>(cli_clock::now().time_since_epoch()).count();
        throw with_readable_times(one_shot(verified.error(), "; a refetch of "), token, now, leeway);
    }
    const nlohmann::json out = {{"header", verified->header()}, {"claims", verified->claims()}};
    std::printf("%s\n", out.dump(2).c_str());
    return exit_ok;
#else
    static_cast<void>(o);
    static_cast<void>(rules);
    static_cast<void>(leeway);
    static_cast<void>(token);
    throw usage_error(
        "this jwtmint was built without libcurl, so --jwks-url is not available "
        "(install libcurl4-openssl-dev and rebuild)");
#endif
}

}  // namespace

int run_verify(const verify_options& o) {
    const login_rules rules = resolve_rules(o.policy);
    const std::chrono::seconds leeway = parse_duration(o.leeway, "--leeway");
    if (leeway > std::chrono::hours{24}) throw usage_error("--leeway must be at most 1 day (a few seconds is typical)");
    if (o.now && *o.now < 0) throw usage_error("--now must be a Unix time in seconds (0 or more)");
    if (o.key.empty() && o.jwks_url.empty()) throw usage_error("give the key: --key FILE, or --jwks-url URL");
    const std::optional<algorithm> requested = parse_algorithm_option(o.alg, "--alg");
    const std::string token = read_token(o.token);
    if (!o.jwks_url.empty()) return verify_remote(o, rules, leeway, token);

    const secret_buffer passphrase = passphrase_for(o.passphrase_file);
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
            const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
            if (e.value() != jwt::errc::algorithm_mismatch) throw with_readable_times(e, token, now_s, leeway);
            throw refusal(e.value(), e.what() + assumed_algorithm_hint(key, requested.has_value(), a, token));
        }
        const nlohmann::json out = {{"header", verified->header()}, {"claims", verified->claims()}};
        std::printf("%s\n", out.dump(2).c_str());
        return exit_ok;
    });
}

}  // namespace cli
