// SPDX-License-Identifier: MIT
/// @file
/// jwt::login_policy: the chat widget's login settings (role claim, team roles, algorithms,
/// lifetime ceiling, identity claims) as one value that minting and verifying share.
#pragma once

#include <jwtmint/claims.hpp>
#include <jwtmint/detail/json_fwd.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/file_path.hpp>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace jwt {
inline namespace v1 {

/// The algorithms the widget accepts, in the order the vendor recommends them.
inline constexpr std::string_view widget_algorithms[] = {"RS256", "ES256", "HS256"};

namespace detail {

template <class Signer, class = void>
struct has_string_alg : std::false_type {};
template <class Signer>
struct has_string_alg<Signer, std::void_t<decltype(Signer::alg)>>
    : std::bool_constant<std::is_convertible_v<decltype(Signer::alg), std::string_view>> {};

constexpr bool is_widget_algorithm_name(std::string_view alg) noexcept {
    for (const std::string_view a : widget_algorithms) {
        if (a == alg) return true;
    }
    return false;
}

template <class Signer>
constexpr bool signer_is_widget_algorithm() noexcept {
    if constexpr (has_string_alg<Signer>::value) {
        return is_widget_algorithm_name(Signer::alg);
    } else {
        return false;
    }
}

}  // namespace detail

/// Whether a signer type's alg is one the widget accepts (compile-time check); false for a
/// type without a `static constexpr std::string_view alg`.
template <class Signer>
inline constexpr bool is_widget_algorithm_v = detail::signer_is_widget_algorithm<Signer>();

namespace detail {

/// Largest policy text (file or string) read: a policy is a few hundred bytes.
inline constexpr std::size_t max_policy_size = std::size_t{64} * 1024;
/// Names longer than this get no "did you mean" (the edit distance costs length squared).
inline constexpr std::size_t max_suggestion_length = 256;

inline std::string policy_join(const std::vector<std::string>& names, std::string_view sep = ", ") {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i != 0) out += sep;
        out += names[i];
    }
    return out;
}

/// "RS256, ES256 or HS256".
inline std::string policy_alternatives(const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i != 0) out += (i + 1 == names.size()) ? " or " : ", ";
        out += names[i];
    }
    return out;
}

inline std::string ascii_upper_copy(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

inline std::string ascii_lower_copy(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

/// Levenshtein distance with ASCII letters compared case-insensitively (bytes otherwise, so a
/// non-ASCII character counts as one edit per byte), or limit + 1 when it is above limit: only
/// the band of cells within limit of the diagonal is computed, and the work stops as soon as a
/// whole row is over the limit. Names up to max_suggestion_length use a stack buffer.
inline std::size_t edit_distance_icase(std::string_view a, std::string_view b, std::size_t limit) {
    const std::size_t over = limit + 1;
    const std::size_t gap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
    if (gap > limit) return over;
    std::array<std::size_t, max_suggestion_length + 1> stack_row;  // cells 0..b.size() written first
    std::vector<std::size_t> heap_row;
    std::size_t* row = stack_row.data();
    if (b.size() > max_suggestion_length) {
        heap_row.resize(b.size() + 1);
        row = heap_row.data();
    }
    const auto smaller = [](std::size_t x, std::size_t y) { return x < y ? x : y; };
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = smaller(j, over);
    for (std::size_t i = 1; i <= a.size(); ++i) {
        const std::size_t lo = i > limit ? i - limit : 1;
        const std::size_t hi = smaller(b.size(), i + limit);
        std::size_t diagonal = row[lo - 1];  // row[i-1][lo-1]
        row[lo - 1] = lo == 1 ? smaller(i, over) : over;
        std::size_t best = row[lo - 1];
        for (std::size_t j = lo; j <= hi; ++j) {
            const std::size_t above = row[j];  // row[i-1][j]
            const std::size_t cost = ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]) ? 0 : 1;
            row[j] = smaller(smaller(above + 1, row[j - 1] + 1), smaller(diagonal + cost, over));
            diagonal = above;
            best = smaller(best, row[j]);
        }
        if (hi < b.size()) row[hi + 1] = over;  // outside the band from here on
        if (best > limit) return over;
    }
    return row[b.size()];
}

/// Letter counts for a lower bound on the edit distance (bag distance): the characters one name
/// has more of than the other must each be inserted, deleted or substituted. Counting bytes in 32
/// buckets, letters case-folded, can only lower the bound, never raise it above the distance.
struct letter_counts {
    std::array<std::int16_t, 32> n{};  // names are at most max_suggestion_length bytes

    explicit letter_counts(std::string_view s) noexcept {
        for (const char c : s) ++n[static_cast<unsigned char>(ascii_lower(c)) & 31U];
    }

    /// At most edit_distance_icase(s, t), where s made these counts: a few instructions a byte.
    [[nodiscard]] std::size_t bound(std::string_view s, std::string_view t) const noexcept {
        std::array<std::int16_t, 32> d = n;
        for (const char c : t) --d[static_cast<unsigned char>(ascii_lower(c)) & 31U];
        std::size_t moved = 0;  // surplus plus deficit; their difference is the length difference
        for (const std::int16_t k : d) moved += static_cast<std::size_t>(k < 0 ? -k : k);
        const std::size_t gap = s.size() > t.size() ? s.size() - t.size() : t.size() - s.size();
        return (moved + gap) / 2;  // the larger of surplus and deficit
    }
};

/// The candidate nearest to name, if within max(2, name.size() / 3) edits and fewer edits than
/// either name is long (so "HR" never suggests "IT": rewriting a whole name is no typo); ties go
/// to the first candidate listed.
template <class Range>
std::optional<std::string> nearest_name(std::string_view name, const Range& candidates) {
    if (name.size() > max_suggestion_length) return std::nullopt;
    const std::size_t limit = name.size() / 3 > 2 ? name.size() / 3 : 2;
    std::optional<std::string> best;
    std::size_t best_distance = limit + 1;
    const letter_counts counts(name);
    for (const auto& c : candidates) {
        const std::string_view candidate(c);
        const std::size_t gap = candidate.size() > name.size() ? candidate.size() - name.size()
                                                               : name.size() - candidate.size();
        if (gap >= best_distance) continue;  // the distance is at least the length difference
        if (candidate.size() <= max_suggestion_length && counts.bound(name, candidate) >= best_distance) {
            continue;  // cheap, and rules out most names that are not a typo
        }
        const std::size_t d = edit_distance_icase(name, candidate, best_distance - 1);
        if (d < best_distance && d < name.size() && d < candidate.size()) {
            best_distance = d;
            best = std::string(candidate);
        }
    }
    return best;
}

/// Why text cannot be a name the vendor compares, or an empty string_view when it can.
inline std::string_view text_problem(std::string_view text) noexcept {
    if (!is_valid_utf8(text)) return "is not valid UTF-8";
    if (has_control_char(text)) return "contains a control character (a newline or tab?)";
    return {};
}

inline constexpr std::string_view policy_identity_claim_names[] = {"email", "upn", "preferred_username"};

/// Claims the builder writes itself, which the role claim may therefore not be named.
inline bool is_reserved_claim_name(std::string_view name) noexcept {
    for (const std::string_view m :
         {"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "email", "upn", "preferred_username"}) {
        if (name == m) return true;
    }
    return false;
}

}  // namespace detail

namespace detail {
/// Reads the policy file format (defined in detail/policy_reader.hpp, which <jwtmint/json.hpp> includes).
template <class Tag>
struct policy_reader;
}  // namespace detail

/// The widget's login rules as one value: the builder, the verifier, the CLI and the host backend
/// take it, so minting and verifying cannot drift apart. Copyable; its const members are safe to
/// call from many threads at once.
class login_policy {
public:
    /// The widget's defaults: role claim "roles" as an array, any role names (no team roles
    /// listed), RS256/ES256/HS256, 10-minute ceiling, email > upn > preferred_username.
    login_policy()
        : role_claim_(default_role_claim),
          algorithms_(std::begin(widget_algorithms), std::end(widget_algorithms)),
          identity_claims_(std::begin(jwt::identity_claims), std::end(jwt::identity_claims)) {}

    // Chainable setters. An invalid value leaves the setting as it was and is remembered (the
    // first one wins); check() and every builder or verifier given this policy report it as
    // errc::invalid_policy.

    /// The role claim's name: the vendor's "Attribute name" setting (non-empty, printable, not a
    /// registered or identity claim).
    login_policy& role_claim(std::string_view name) {
        if (name.empty()) {
            return refuse("role claim name is empty; give the vendor's Attribute name setting (usually 'roles')");
        }
        if (const auto why = detail::text_problem(name); !why.empty()) {
            return refuse("role claim name " + std::string(why) +
                          "; give the vendor's Attribute name setting (usually 'roles')");
        }
        if (detail::trim(name).size() != name.size()) {
            return refuse("role claim name '" + std::string(name) +
                          "' begins or ends with a space; the vendor matches the claim name exactly, so remove it");
        }
        if (detail::is_reserved_claim_name(name)) {
            return refuse("role claim name '" + std::string(name) +
                          "' is a registered or identity claim the builder writes itself; use the vendor's "
                          "Attribute name setting (usually 'roles')");
        }
        role_claim_ = std::string(name);
        return *this;
    }

    /// How the role claim is written: a JSON array (the default) or one comma-separated string.
    login_policy& role_format(jwt::role_format format) {
        if (format != jwt::role_format::array && format != jwt::role_format::comma_separated) {
            return refuse("role format " + std::to_string(static_cast<int>(format)) +
                          " is not a jwt::role_format; use role_format::array or role_format::comma_separated");
        }
        role_format_ = format;
        return *this;
    }

    /** @{ */
    /// The team roles configured at the vendor (each trimmed; none empty or twice in different
    /// case). An empty list means any role name is accepted.
    login_policy& team_roles(std::initializer_list<std::string_view> names) { return set_team_roles(names); }
    template <class Range>
    login_policy& team_roles(const Range& names) {
        return set_team_roles(names);
    }
    /** @} */

    /** @{ */
    /// The algorithms allowed: a non-empty subset of widget_algorithms, given in any case.
    login_policy& algorithms(std::initializer_list<std::string_view> names) { return set_algorithms(names); }
    template <class Range>
    login_policy& algorithms(const Range& names) {
        return set_algorithms(names);
    }
    /** @} */

    /// The longest token lifetime (exp - iat) allowed: a whole number of seconds from 1 s to 24 h.
    /// The default, 600 s, is the vendor's recommendation for tokens fetched before the widget
    /// opens; a longer one lets a stolen token work longer.
    template <class Rep, class Period>
    login_policy& max_lifetime(std::chrono::duration<Rep, Period> lifetime) {
        // Compared as long double so that no Rep or Period can overflow the check.
        const long double s = std::chrono::duration<long double>(lifetime).count();
        if (!(s >= 1.0L && s <= static_cast<long double>(max_lifetime_ceiling.count()))) {
            return refuse("maximum lifetime of " + seconds_text(s) + " is out of range; give 1 s to " +
                          std::to_string(max_lifetime_ceiling.count()) +
                          " s (24 h); the widget recommends 600 s (10 min)");
        }
        const auto whole = static_cast<std::chrono::seconds::rep>(s);
        if (static_cast<long double>(whole) != s) {
            return refuse("maximum lifetime of " + seconds_text(s) +
                          " is not a whole number of seconds (iat and exp are whole seconds); round it");
        }
        max_lifetime_ = std::chrono::seconds(whole);
        return *this;
    }

    /// The identity claims in the order they are read: each of email, upn, preferred_username at
    /// most once, at least one.
    login_policy& identity_claims(std::initializer_list<std::string_view> names) { return set_identity_claims(names); }

    /// The role claim's name.
    [[nodiscard]] const std::string& role_claim() const noexcept { return role_claim_; }
    /// How the role claim is written.
    [[nodiscard]] jwt::role_format role_format() const noexcept { return role_format_; }
    /// The team roles, trimmed, in the order given; empty when any role name is accepted.
    [[nodiscard]] const std::vector<std::string>& team_roles() const noexcept { return team_roles_; }
    /// The allowed algorithms as upper-case JOSE names, in the order given.
    [[nodiscard]] const std::vector<std::string>& algorithms() const noexcept { return algorithms_; }
    /// The longest token lifetime (exp - iat) allowed.
    [[nodiscard]] std::chrono::seconds max_lifetime() const noexcept { return max_lifetime_; }
    /// The identity claims in the order they are read.
    [[nodiscard]] const std::vector<std::string>& identity_claims() const noexcept { return identity_claims_; }

    /// The first invalid setter value, if any, else a team role the comma-separated form cannot
    /// carry (errc::invalid_policy).
    [[nodiscard]] status check() const {
        if (error_) return *error_;
        if (role_format_ == jwt::role_format::comma_separated) {
            for (const auto& r : team_roles_) {
                if (r.find(',') != std::string::npos) {
                    return detail::fail(errc::invalid_policy,
                                        "team role '" + r +
                                            "' contains a comma, which the comma-separated role claim would split "
                                            "in two; use role_format array or rename the team role");
                }
            }
        }
        return {};
    }

    /// algorithm_not_allowed unless alg is one of algorithms() (JOSE names are case-sensitive);
    /// the message lists them and says which key to make.
    [[nodiscard]] status check_algorithm(std::string_view alg) const {
        for (const auto& a : algorithms_) {
            if (a == alg) return {};
        }
        std::string message = "algorithm '" + std::string(alg) + "' is not allowed by the login policy, which allows " +
                              detail::policy_join(algorithms_);
        const std::string upper = detail::ascii_upper_copy(alg);
        if (upper != alg && detail::is_listed(algorithms_, upper)) {
            message += " (JOSE algorithm names are case-sensitive: write " + upper + ")";
        } else if (!algorithms_.empty()) {
            message += "; sign with one of those (generate one with: jwtmint keygen " +
                       detail::ascii_lower_copy(algorithms_.front()) + ")";
        }
        return detail::fail(errc::algorithm_not_allowed, message);
    }

    /// One role name as the builder would write it (trimmed): invalid_claim if empty or blank, not
    /// printable UTF-8, or holding ',' in comma_separated form; unknown_role if team_roles() is
    /// non-empty and no team role equals it case-insensitively, naming the nearest team role.
    [[nodiscard]] status check_role(std::string_view role) const { return check_one_role(role, "role name"); }

    /// Every role (as check_role), and missing_roles when there are none.
    template <class Range>
    [[nodiscard]] status check_roles(const Range& roles) const {
        std::size_t n = 0;
        for (const auto& r : roles) {
            ++n;
            const std::string_view role(r);
            if (auto s = check_one_role(role, "role name #" + std::to_string(n)); !s) return s;
        }
        if (n == 0) {
            std::string message = "no roles given; the widget needs at least one role in the '" + role_claim_ +
                                  "' claim";
            if (!team_roles_.empty()) message += " (team roles: " + detail::policy_join(team_roles_) + ")";
            return detail::fail(errc::missing_roles, message);
        }
        return {};
    }

    /// What check_role says of a role that is not one of team_roles(): the nearest team role
    /// ("did you mean ...?") when one is close, else how a new role is added. The verifier uses it
    /// to refuse a token without building a jwt::error twice.
    [[nodiscard]] std::string unknown_role_message(std::string_view role) const {
        constexpr std::string_view how_to_add =
            " (a new role must be created at the vendor, in Teams -> Roles, and added to the policy's team_roles)";
        const std::optional<std::string> near = nearest_team_role(role);
        std::size_t size = role.size() + 64 + how_to_add.size() + (near ? near->size() : 0);
        for (const auto& t : team_roles_) size += t.size() + 2;
        std::string message;  // built in one buffer: the verifier refuses with it
        message.reserve(size);
        message.append("role '").append(role).append("' is not one of the team roles");
        if (near) message.append(" (did you mean '").append(*near).append("'?)");
        message.append("; team roles: ");
        for (std::size_t i = 0; i < team_roles_.size(); ++i) {
            if (i != 0) message.append(", ");
            message.append(team_roles_[i]);
        }
        if (!near) message.append(how_to_add);
        return message;
    }

    /// The team role closest to name (trimmed; case-insensitive edit distance), if one is close
    /// enough to suggest (distance <= max(2, name.size() / 3), and below both names' lengths);
    /// nullopt when none or no team roles.
    /// Ties go to the team role listed first.
    [[nodiscard]] std::optional<std::string> nearest_team_role(std::string_view name) const {
        return detail::nearest_name(detail::trim(name), team_roles_);
    }

    /// The JSON policy file the CLI and the host backend share (all members optional; unknown
    /// members, members given twice, wrong types and bad values are errc::invalid_policy naming
    /// the member; at most 64 KiB; a UTF-8 byte order mark is skipped):
    ///   { "role_claim": "roles", "role_format": "array" | "comma_separated",
    ///     "team_roles": ["Accounting Team", "Support Team"],
    ///     "algorithms": ["RS256", "ES256", "HS256"], "max_lifetime_seconds": 600,
    ///     "identity_claims": ["email", "upn", "preferred_username"] }
    /// The reading calls (from_json, from_file) and to_json need <jwtmint/json.hpp>.
    template <class Tag = detail::json_tag>
    [[nodiscard]] static result<login_policy> try_from_json(std::string_view json_text) {
        return detail::policy_reader<Tag>::parse(json_text, "login policy");
    }
    /// As try_from_json, throwing jwt::error.
    template <class Tag = detail::json_tag>
    [[nodiscard]] static login_policy from_json(std::string_view json_text) {
        return try_from_json<Tag>(json_text).value();
    }
    /// As try_from_json, reporting only the code.
    template <class Tag = detail::json_tag>
    [[nodiscard]] static std::optional<login_policy> from_json(std::string_view json_text, std::error_code& ec) {
        return detail::to_optional(try_from_json<Tag>(json_text), ec);
    }

    /// Reads a policy file (the format of try_from_json); a file that cannot be read is
    /// errc::invalid_policy too ("cannot read policy file '...': <reason>").
    template <class Tag = detail::json_tag>
    [[nodiscard]] static result<login_policy> try_from_file(const file_path& path) {
        auto text = detail::policy_reader<Tag>::read_file(path);
        if (!text) return std::move(text).error();
        return detail::policy_reader<Tag>::parse(*text, "policy file '" + path.string() + "'");
    }
    /// As try_from_file, throwing jwt::error.
    template <class Tag = detail::json_tag>
    [[nodiscard]] static login_policy from_file(const file_path& path) {
        return try_from_file<Tag>(path).value();
    }
    /// As try_from_file, reporting only the code.
    template <class Tag = detail::json_tag>
    [[nodiscard]] static std::optional<login_policy> from_file(const file_path& path, std::error_code& ec) {
        return detail::to_optional(try_from_file<Tag>(path), ec);
    }

    /// The policy in the file format, every member written, pretty-printed (2-space indent).
    /// A refused setter value is not part of the policy, so it is not written either.
    template <class Tag = detail::ordered_json_tag>
    [[nodiscard]] std::string to_json() const {
        using Json = detail::json_t<Tag>;
        Json j;
        j["role_claim"] = role_claim_;
        j["role_format"] = role_format_ == jwt::role_format::array ? "array" : "comma_separated";
        j["team_roles"] = team_roles_;
        j["algorithms"] = algorithms_;
        j["max_lifetime_seconds"] = max_lifetime_.count();
        j["identity_claims"] = identity_claims_;
        // Every string was checked to be UTF-8 when set, so `replace` never applies; it only keeps
        // dump() from ever throwing.
        return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
    }

private:
    template <class Tag>
    friend struct detail::policy_reader;
    static constexpr std::chrono::seconds max_lifetime_ceiling{24 * 60 * 60};

    login_policy& refuse(const std::string& message) {
        if (!error_) error_ = detail::fail(errc::invalid_policy, message);
        return *this;
    }

    static std::string seconds_text(long double s) {
        if (s != s) return "NaN s";
        if (s >= 1e18L || s <= -1e18L) return s > 0 ? "over 10^18 s" : "under -10^18 s";
        const auto whole = static_cast<long long>(s);
        if (static_cast<long double>(whole) == s) return std::to_string(whole) + " s";
        return std::to_string(static_cast<double>(s)) + " s";
    }

    template <class Range>
    login_policy& set_team_roles(const Range& names) {
        std::vector<std::string> out;
        std::size_t n = 0;
        for (const auto& item : names) {
            ++n;
            const std::string_view name = detail::trim(std::string_view(item));
            if (name.empty()) {
                return refuse("team role #" + std::to_string(n) +
                              " is empty; give the role's name as configured at the vendor (Teams -> Roles)");
            }
            if (const auto why = detail::text_problem(name); !why.empty()) {
                return refuse("team role #" + std::to_string(n) + " " + std::string(why) +
                              "; give the role's name as configured at the vendor");
            }
            for (const auto& earlier : out) {
                if (role_equal(earlier, name)) {
                    return refuse("team roles '" + earlier + "' and '" + std::string(name) +
                                  "' are the same role to the vendor (names match case-insensitively); list it once");
                }
            }
            out.emplace_back(name);
        }
        team_roles_ = std::move(out);
        return *this;
    }

    template <class Range>
    login_policy& set_algorithms(const Range& names) {
        std::vector<std::string> out;
        for (const auto& item : names) {
            const std::string_view given(item);
            std::string upper = detail::ascii_upper_copy(given);
            if (!detail::is_widget_algorithm_name(upper)) {
                return refuse("algorithm '" + std::string(given) +
                              "' is not one the widget accepts; use RS256 (recommended), ES256 or HS256");
            }
            if (detail::is_listed(out, upper)) {
                return refuse("algorithm '" + upper + "' is listed twice; list it once");
            }
            out.push_back(std::move(upper));
        }
        if (out.empty()) return refuse("the algorithm list is empty; allow at least one of RS256, ES256, HS256");
        algorithms_ = std::move(out);
        return *this;
    }

    [[nodiscard]] status check_one_role(std::string_view given, const std::string& label) const {
        const std::string_view role = detail::trim(given);
        if (role.empty()) {
            return detail::fail(errc::invalid_claim, label + " is empty; remove it or give the team role's exact name");
        }
        if (const auto why = detail::text_problem(role); !why.empty()) {
            return detail::fail(errc::invalid_claim,
                                label + " " + std::string(why) + "; give the team role's exact name");
        }
        if (role_format_ == jwt::role_format::comma_separated && role.find(',') != std::string_view::npos) {
            return detail::fail(errc::invalid_claim,
                                label + " '" + std::string(role) +
                                    "' contains a comma, which the comma-separated form would split in two; "
                                    "use role_format array or rename the team role");
        }
        if (team_roles_.empty()) return {};
        for (const auto& t : team_roles_) {
            if (role_equal(t, role)) return {};
        }
        return detail::fail(errc::unknown_role, unknown_role_message(role));
    }

    template <class Range>
    login_policy& set_identity_claims(const Range& names) {
        std::vector<std::string> out;
        for (const auto& item : names) {
            const std::string_view name(item);
            bool known = false;
            for (const std::string_view k : detail::policy_identity_claim_names) known = known || k == name;
            if (!known) {
                return refuse("identity claim '" + std::string(name) +
                              "' is not one the vendor reads; use email, upn or preferred_username "
                              "(claim names are case-sensitive)");
            }
            if (detail::is_listed(out, name)) {
                return refuse("identity claim '" + std::string(name) + "' is listed twice; list it once");
            }
            out.emplace_back(name);
        }
        if (out.empty()) {
            return refuse(
                "the identity claim list is empty; list at least one of email, upn, preferred_username "
                "(the vendor reads them in that order)");
        }
        identity_claims_ = std::move(out);
        return *this;
    }

    std::string role_claim_;
    jwt::role_format role_format_ = jwt::role_format::array;
    std::vector<std::string> team_roles_;
    std::vector<std::string> algorithms_;
    std::chrono::seconds max_lifetime_{600};
    std::vector<std::string> identity_claims_;
    std::optional<error> error_;
};

}  // namespace v1
}  // namespace jwt
