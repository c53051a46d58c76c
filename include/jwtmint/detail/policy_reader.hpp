// SPDX-License-Identifier: MIT
// Internal: reading the policy file format (docs/login-policy.md) into a jwt::login_policy with
// nlohmann/json. Only the reading calls of login_policy (from_json, from_file) need it, and they
// need <jwtmint/json.hpp>, which includes this header; a file that mints or verifies does not
// compile it.
#pragma once

#include <jwtmint/detail/json_fwd.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/file_path.hpp>
#include <jwtmint/login_policy.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jwt {
inline namespace v1 {
namespace detail {

template <class Json>
const char* json_type_name(const Json& v) noexcept {
    if (v.is_array()) return "an array";
    if (v.is_object()) return "an object";
    if (v.is_string()) return "a string";
    if (v.is_boolean()) return "a boolean";
    if (v.is_null()) return "null";
    if (v.is_number()) return "a number";
    return "something else";
}

/// SAX pass over a policy text: finds a syntax error (with its line and column) or a member
/// written twice in one object, which nlohmann::json's DOM parser would silently collapse.
template <class Json>
class policy_syntax_check {
public:
    explicit policy_syntax_check(std::string_view text) : text_(text) {}

    bool null() { return true; }
    bool boolean(bool) { return true; }
    bool number_integer(typename Json::number_integer_t) { return true; }
    bool number_unsigned(typename Json::number_unsigned_t) { return true; }
    bool number_float(typename Json::number_float_t, const typename Json::string_t&) { return true; }
    bool string(typename Json::string_t&) { return true; }
    bool binary(typename Json::binary_t&) { return true; }
    bool start_object(std::size_t) {
        keys_.emplace_back();
        return true;
    }
    bool key(typename Json::string_t& name) {
        auto& seen = keys_.back();
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
            problem_ = "member '" + name + "' appears twice" +
                       (keys_.size() > 1 ? std::string(" in a nested object") : std::string()) + "; keep one of them";
            return false;
        }
        seen.push_back(name);
        return true;
    }
    bool end_object() {
        keys_.pop_back();
        return true;
    }
    bool start_array(std::size_t) { return true; }
    bool end_array() { return true; }
    bool parse_error(std::size_t position, const std::string&, const typename Json::exception&) {
        // position counts the characters read, the offending one included.
        const std::size_t end = std::min(position == 0 ? 0 : position - 1, text_.size());
        std::size_t line = 1;
        std::size_t column = 1;
        for (std::size_t i = 0; i < end; ++i) {
            if (text_[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        problem_ = "is not valid JSON (syntax error at line " + std::to_string(line) + ", column " +
                   std::to_string(column) + ")";  // no text quoted: the file may be a key by mistake
        return false;
    }

    /// Empty when the text is well-formed JSON without duplicate members.
    [[nodiscard]] const std::string& problem() const noexcept { return problem_; }

private:
    std::string_view text_;
    std::vector<std::vector<std::string>> keys_;
    std::string problem_;
};

/// Reads the policy file format (docs/login-policy.md) with the JSON type of Tag; the reading
/// calls of jwt::login_policy (from_json, from_file) are its only users.
template <class Tag>
struct policy_reader {
    using Json = json_t<Tag>;

    /// A policy file's text (at most one octet over the size limit, which parse refuses).
    static result<std::string> read_file(const file_path& path) {
        std::string text;
        std::array<char, 4096> buffer{};
        std::array<char, 4096> chunk{};
        const file_read read = read_file_into(path, max_policy_size, buffer.data(), buffer.size(), chunk.data(),
                                              chunk.size(), text, [](std::string&, std::size_t) {});
        if (read.error != 0) {
            return fail(errc::invalid_policy,
                        "cannot read policy file '" + path.string() + "': " + file_error_text(read.error));
        }
        return text;
    }

    /// Reads the string array member `name` into out, or says why not.
    static std::optional<std::string> string_array(const Json& value, std::string_view name,
                                                   std::vector<std::string_view>& out) {
        if (!value.is_array()) {
            return "member '" + std::string(name) + "' must be an array of strings, not " + json_type_name(value);
        }
        for (std::size_t i = 0; i < value.size(); ++i) {
            const auto& item = value[i];
            if (!item.is_string()) {
                return "member '" + std::string(name) + "' item #" + std::to_string(i + 1) + " must be a string, not " +
                       json_type_name(item);
            }
            out.emplace_back(item.template get_ref<const std::string&>());
        }
        return std::nullopt;
    }

    static result<login_policy> parse(std::string_view text, const std::string& source) {
        const auto bad = [&source](const std::string& why) { return fail(errc::invalid_policy, source + ": " + why); };
        if (text.size() > max_policy_size) {
            return bad("is over " + std::to_string(max_policy_size) +
                       " bytes (64 KiB); a policy is a few hundred bytes: is this the right file?");
        }
        if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 byte order mark
        if (trim(text).empty()) {
            return bad(R"(is empty; write a JSON object such as {"team_roles": ["Support Team"]})");
        }

        policy_syntax_check<Json> syntax(text);
        (void)Json::sax_parse(text, &syntax);
        if (!syntax.problem().empty()) return bad(syntax.problem());
        const auto j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded()) return bad("is not valid JSON");
        if (!j.is_object()) {
            return bad(std::string("must be a JSON object ({...}), not ") + json_type_name(j));
        }

        static constexpr std::string_view members[] = {"role_claim", "role_format",          "team_roles",
                                                       "algorithms", "max_lifetime_seconds", "identity_claims"};
        for (const auto& item : j.items()) {
            const std::string& key = item.key();
            if (std::find(std::begin(members), std::end(members), key) != std::end(members)) continue;
            std::string why = "has an unknown member '" + key + "'";
            if (auto near = nearest_name(key, members)) why += " (did you mean '" + *near + "'?)";
            why +=
                "; its members are role_claim, role_format, team_roles, algorithms, max_lifetime_seconds, "
                "identity_claims";
            return bad(why);
        }

        login_policy p;
        const auto member_error = [&](std::string_view name) -> std::optional<error> {
            if (!p.error_) return std::nullopt;
            return bad("member '" + std::string(name) + "': " + p.error_->what());
        };
        if (const auto it = j.find("role_claim"); it != j.end()) {
            if (!it->is_string())
                return bad(std::string("member 'role_claim' must be a string, not ") + json_type_name(*it));
            p.role_claim(it->template get_ref<const std::string&>());
            if (auto e = member_error("role_claim")) return std::move(*e);
        }
        if (const auto it = j.find("role_format"); it != j.end()) {
            if (!it->is_string()) {
                return bad(std::string("member 'role_format' must be a string, not ") + json_type_name(*it));
            }
            const auto& f = it->template get_ref<const std::string&>();
            if (f == "array") {
                p.role_format(jwt::role_format::array);
            } else if (f == "comma_separated") {
                p.role_format(jwt::role_format::comma_separated);
            } else {
                return bad("member 'role_format' is '" + f + R"('; use "array" or "comma_separated")");
            }
        }
        // A member that lists names: read as strings, then given to the policy's setter.
        const auto names_member = [&](const char* name, auto set) -> std::optional<error> {
            const auto it = j.find(name);
            if (it == j.end()) return std::nullopt;
            std::vector<std::string_view> names;
            if (auto why = string_array(*it, name, names)) return bad(*why);
            set(names);
            return member_error(name);
        };
        if (auto e = names_member("team_roles", [&](const auto& names) { p.team_roles(names); })) return std::move(*e);
        if (auto e = names_member("algorithms", [&](const auto& names) { p.algorithms(names); })) return std::move(*e);
        if (const auto it = j.find("max_lifetime_seconds"); it != j.end()) {
            if (!it->is_number()) {
                return bad(std::string("member 'max_lifetime_seconds' must be a whole number of seconds, not ") +
                           json_type_name(*it));
            }
            if (it->is_number_float()) {
                return bad("member 'max_lifetime_seconds' must be a whole number of seconds (1 to 86400), not " +
                           it->dump());
            }
            if (it->is_number_unsigned()) {
                const auto v = it->template get<std::uint64_t>();
                p.max_lifetime(std::chrono::duration<long double>(static_cast<long double>(v)));
            } else {
                p.max_lifetime(std::chrono::seconds(it->template get<std::int64_t>()));
            }
            if (auto e = member_error("max_lifetime_seconds")) return std::move(*e);
        }
        if (auto e = names_member("identity_claims", [&](const auto& names) { p.set_identity_claims(names); })) {
            return std::move(*e);
        }
        if (auto s = p.check(); !s)
            return bad("members 'team_roles' and 'role_format': " + std::string(s.error().what()));
        return p;
    }
};

}  // namespace detail
}  // namespace v1
}  // namespace jwt
