// SPDX-License-Identifier: MIT
#include "policy.hpp"

#include <jwtmint/json.hpp>

#include "durations.hpp"

namespace cli {

namespace {

/// Applies one flag's value to the policy and turns the policy's refusal into a usage error
/// naming the flag (the file was checked before any flag was applied).
template <class Apply>
void apply_flag(jwt::login_policy& p, std::string_view flag, const std::string& value, Apply&& apply) {
    apply(p);
    if (auto valid = p.check(); !valid) {
        throw usage_error(std::string(flag) + " '" + value + "': " + valid.error().what());
    }
}

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

}  // namespace

login_rules resolve_rules(const policy_options& o) {
    if (o.general && !o.file.empty()) {
        throw usage_error(
            "--general and --policy exclude each other: --policy sets the widget's login rules, "
            "--general lifts them for tokens that are not for the widget");
    }
    if (o.general && !o.known_roles.empty()) {
        throw usage_error(
            "--known-roles names the widget's team roles, which --general does not check; drop "
            "one of them");
    }
    login_rules r;
    r.general = o.general;
    if (!o.file.empty()) {
        auto loaded = jwt::login_policy::try_from_file(o.file);
        if (!loaded) throw jwt::error(loaded.error());
        if (auto valid = loaded->check(); !valid) {
            throw jwt::error(valid.error().value(), "policy file '" + o.file + "': " + valid.error().what());
        }
        r.policy = std::move(*loaded);
    }
    if (!o.role_claim.empty()) {
        check_role_claim_name(o.role_claim);
        apply_flag(r.policy, "--role-claim", o.role_claim, [&](jwt::login_policy& p) { p.role_claim(o.role_claim); });
    }
    if (!o.role_format.empty()) {
        // main.cpp lets through only these spellings.
        const bool array = o.role_format == "array";
        apply_flag(r.policy, "--role-format", o.role_format, [&](jwt::login_policy& p) {
            p.role_format(array ? jwt::role_format::array : jwt::role_format::comma_separated);
        });
    }
    if (!o.known_roles.empty()) {
        std::vector<std::string> names;
        for (const auto& value : o.known_roles) {
            for (auto& n : split_list(value, "--known-roles")) names.push_back(std::move(n));
        }
        apply_flag(r.policy, "--known-roles", join(names), [&](jwt::login_policy& p) { p.team_roles(names); });
    }
    if (!o.max_lifetime.empty()) {
        const std::chrono::seconds ceiling = parse_duration(o.max_lifetime, "--max-lifetime");
        if (ceiling.count() < 1) throw usage_error("--max-lifetime must be at least 1s");
        r.max_lifetime = ceiling;
        if (!o.general) {
            apply_flag(r.policy, "--max-lifetime", o.max_lifetime,
                       [&](jwt::login_policy& p) { p.max_lifetime(ceiling); });
        }
    } else {
        r.max_lifetime = o.general ? general_max_lifetime : r.policy.max_lifetime();
    }
    return r;
}

std::vector<std::string> split_role_options(const std::vector<std::string>& values) {
    std::vector<std::string> roles;
    for (const auto& value : values) {
        if (value.find_first_not_of(" \t\r\n") == std::string::npos) {
            roles.push_back(value);  // blank as a whole: the library's check names it
            continue;
        }
        for (auto& r : split_list(value, "--role")) roles.push_back(std::move(r));
    }
    return roles;
}

std::optional<std::string> algorithm_refusal(const jwt::login_policy& policy, const algorithm& a) {
    const std::string name = algorithm_name(a);
    if (policy.check_algorithm(name)) return std::nullopt;
    const auto allowed = [&](std::string_view alg) { return static_cast<bool>(policy.check_algorithm(alg)); };
    // The fix: the allowed algorithm closest to the key this algorithm needs.
    std::string fix;
    switch (key_kind_of(a)) {
        case key_kind::rsa:
            if (allowed("RS256")) fix = "sign with --alg rs256 (an RSA key signs RS256 too)";
            break;
        case key_kind::ec:
            if (allowed("ES256")) fix = "generate a P-256 key with: jwtmint keygen es256";
            break;
        case key_kind::secret:
            if (allowed("HS256")) fix = "sign with --alg hs256 (HS256 needs a secret of 32 bytes or more)";
            break;
        case key_kind::ed25519: break;
    }
    if (fix.empty()) {
        const std::string first = policy.algorithms().front();
        fix = "generate a key with: jwtmint keygen " + lower(first);
    }
    return name + " is not accepted by the widget (it accepts " + join(policy.algorithms()) + "): " + fix +
           ", or pass --general for tokens that are not for the widget";
}

}  // namespace cli
