// SPDX-License-Identifier: MIT
// The widget's login rules for sign, verify and doctor: jwt::login_policy from --policy FILE and
// the flags that override it (--known-roles, --role-claim, --role-format, --max-lifetime), or
// --general, which lifts them for a team's other JWTs. Every rule itself is the library's.
#pragma once

#include <jwtmint/login_policy.hpp>

#include "common.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

/// The options sign, verify and doctor share (filled by CLI11 in main.cpp).
struct policy_options {
    std::string file;                      ///< --policy: a jwt::login_policy JSON file
    bool general = false;                  ///< --general: not for the widget
    std::vector<std::string> known_roles;  ///< --known-roles, repeatable, each "A,B"
    std::string role_claim;                ///< --role-claim ("" = the policy's)
    std::string role_format;               ///< --role-format array | comma ("" = the policy's)
    std::string max_lifetime;              ///< --max-lifetime / --max-ttl ("" = the policy's)
};

/// The lifetime ceiling under --general (no widget ceiling; one day, the longest the tool
/// assumes a short-lived token lives, unless --max-lifetime says otherwise).
inline constexpr std::chrono::seconds general_max_lifetime{24 * 60 * 60};

/// The rules a command applies.
struct login_rules {
    bool general = false;
    /// The widget's policy (the file's, with the flags applied). Under --general it only carries
    /// the role claim's name and form, and is never given to a builder or verifier.
    jwt::login_policy policy;
    /// The lifetime ceiling: the policy's, or under --general general_max_lifetime or --max-lifetime.
    std::chrono::seconds max_lifetime{jwt::login_policy{}.max_lifetime()};
};

/// Reads --policy and applies the flags. @throws usage_error for a bad flag or --general with
/// --policy or --known-roles; jwt::error (errc::invalid_policy) for a file that cannot be used
[[nodiscard]] login_rules resolve_rules(const policy_options& o);

/// Every --role value split at its commas, as the vendor reads "Accounting Team, Support Team":
/// --role "A,B" is two roles. A value that is blank as a whole is kept (the library names it).
/// @throws usage_error for an empty name between commas
[[nodiscard]] std::vector<std::string> split_role_options(const std::vector<std::string>& values);

/// Why the policy does not accept algorithm a, with the fix ("ES384 is not accepted by the
/// widget (it accepts RS256, ES256, HS256): generate a P-256 key with: jwtmint keygen es256, or
/// pass --general for tokens that are not for the widget"); nullopt when it does. The decision
/// is jwt::login_policy::check_algorithm's.
[[nodiscard]] std::optional<std::string> algorithm_refusal(const jwt::login_policy& policy, const algorithm& a);

}  // namespace cli
