// SPDX-License-Identifier: MIT
// jwtmint sign --key FILE --role R ...: mints one widget-login token.
#include <jwtmint/builder.hpp>
#include <jwtmint/json.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "durations.hpp"
#include "key_io.hpp"
#include "policy.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <utility>

namespace cli {

namespace {

std::pair<std::string, nlohmann::json> parse_claim(const std::string& spec) {
    const std::size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
        throw usage_error("--claim '" + spec +
                          "': expected NAME=JSON, e.g. --claim 'dept=\"sales\"' or --claim 'level=3'");
    }
    const std::string name = spec.substr(0, eq);
    const std::string text = spec.substr(eq + 1);
    nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
        throw usage_error("--claim '" + spec + "': the value is not JSON; a string needs its own quotes: --claim '" +
                          name + "=\"" + text + "\"'");
    }
    return {name, std::move(value)};
}

/// The option that sets a claim the builder manages itself, for a --claim that names it.
const char* option_for_claim(const std::string& name) {
    if (name == "email") return "--email";
    if (name == "upn") return "--upn";
    if (name == "preferred_username") return "--preferred-username";
    if (name == "sub") return "--sub";
    if (name == "iss") return "--iss";
    if (name == "aud") return "--aud";
    if (name == "jti") return "--jti";
    if (name == "iat" || name == "exp") return "--ttl (and --now)";
    return nullptr;
}

template <class Alg>
std::string mint(const sign_options& o, const login_rules& rules, const key_material& key,
                 const std::vector<std::string>& roles, std::chrono::seconds ttl,
                 const std::vector<std::pair<std::string, nlohmann::json>>& claims) {
    const Alg signer = make_signer<Alg>(key);
    jwt::builder b{signer};
    if (rules.general) {
        // Not for the widget: only the role claim's name and form carry over.
        b.role_claim(rules.policy.role_claim())
            .role_format(rules.policy.role_format())
            .max_lifetime(rules.max_lifetime);
        if (roles.empty()) b.allow_missing_roles();
    } else {
        b.policy(rules.policy);  // the widget's algorithms, roles, role claim and ceiling
    }
    b.roles(roles).expires_in(ttl);
    if (!o.email.empty()) b.email(o.email);
    if (!o.upn.empty()) b.upn(o.upn);
    if (!o.preferred_username.empty()) b.preferred_username(o.preferred_username);
    if (!o.sub.empty()) b.subject(o.sub);
    if (!o.iss.empty()) b.issuer(o.iss);
    if (!o.aud.empty()) b.audience(o.aud);
    if (!o.kid.empty()) b.key_id(o.kid);
    if (!o.jti.empty()) b.jwt_id(o.jti);
    for (const auto& [name, value] : claims) b.claim(name, value);
    if (o.now) return b.sign_at(std::chrono::system_clock::time_point{std::chrono::seconds{*o.now}});
    return b.sign();
}

/// Refuses (exit 2, as for a key that does not fit) an algorithm the widget does not accept.
void check_widget_algorithm(const login_rules& rules, const algorithm& a) {
    if (rules.general) return;
    if (auto why = algorithm_refusal(rules.policy, a)) {
        throw jwt::error(jwt::errc::algorithm_not_allowed, *why);
    }
}

}  // namespace

int run_sign(const sign_options& o) {
    // Everything typed on the command line is checked before the key is touched.
    const login_rules rules = resolve_rules(o.policy);
    const std::chrono::seconds ceiling = rules.max_lifetime;
    std::chrono::seconds ttl = parse_duration(o.ttl, "--ttl");
    if (!o.ttl_given && ttl > ceiling) ttl = ceiling;  // the default lifetime, under a lower ceiling
    if (ttl.count() < 1) throw usage_error("--ttl must be at least 1s");
    if (ttl > ceiling) {
        throw usage_error("--ttl " + o.ttl + " is longer than the " + format_span(ceiling.count()) + " ceiling" +
                          (rules.general ? "" : " (the vendor recommends 10 minutes at most)") +
                          "; raise it with --max-lifetime " + o.ttl + " if the token must live that long");
    }
    const std::string& role_claim = rules.policy.role_claim();
    if (o.now && *o.now < 0) throw usage_error("--now must be a Unix time in seconds (0 or more)");
    const std::vector<std::string> roles = split_role_options(o.roles);
    if (roles.empty() && !rules.general) {
        throw usage_error(
            "--role is required: the widget refuses a token without a role (pass --general for a "
            "token that is not for the widget)");
    }
    if (!roles.empty()) {
        // Unknown team roles (with the nearest one), blank names, a comma in the comma form.
        if (auto valid = rules.policy.check_roles(roles); !valid) throw jwt::error(valid.error());
    }
    std::vector<std::pair<std::string, nlohmann::json>> claims;
    for (const auto& spec : o.claims) {
        claims.push_back(parse_claim(spec));
        const std::string& name = claims.back().first;
        if (name == role_claim) throw usage_error("--claim " + name + ": that is the role claim; set it with --role");
        if (const char* option = option_for_claim(name)) {
            throw usage_error("--claim " + name + ": that claim has its own option, " + option);
        }
        if (jwt::is_managed_claim(name)) throw usage_error("--claim " + name + ": jwtmint does not set that claim");
    }
    const std::optional<algorithm> requested = parse_algorithm_option(o.alg, "--alg");
    if (requested) check_widget_algorithm(rules, *requested);

    const secret_buffer passphrase = passphrase_for(o.passphrase_file);
    const key_material key = load_key(o.key, passphrase.view());
    const algorithm a = choose_algorithm(key, requested);
    check_widget_algorithm(rules, a);
    if (key.secret && has_trailing_line_break(key.secret->view())) {
        std::fprintf(stderr,
                     "jwtmint: warning: the secret file '%s' ends with a line break, which is part of "
                     "the %s secret; the vendor must hold it too (write secret files without one)\n",
                     o.key.c_str(), algorithm_name(a));
    }
    const std::string token = with_algorithm(a, [&](auto tag) {
        using Alg = typename decltype(tag)::type;
        return mint<Alg>(o, rules, key, roles, ttl, claims);
    });
    std::printf("%s\n", token.c_str());
    return exit_ok;
}

}  // namespace cli
