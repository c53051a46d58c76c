// SPDX-License-Identifier: MIT
#include "common.hpp"

#include <jwtmint/claims.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <vector>

namespace cli {

namespace {
template <std::size_t... I>
std::vector<algorithm> make_table(std::index_sequence<I...>) {
    return {algorithm(std::in_place_index<I>)...};
}
}  // namespace

const std::vector<algorithm>& all_algorithms() {
    static const std::vector<algorithm> table = make_table(std::make_index_sequence<std::variant_size_v<algorithm>>{});
    return table;
}

// std::visit throws only for a valueless variant, which a variant of empty tags never is.
key_kind key_kind_of(const algorithm& a) noexcept {  // NOLINT(bugprone-exception-escape)
    return std::visit([](auto tag) { return key_kind_of<typename decltype(tag)::type>(); }, a);
}

const char* algorithm_name(const algorithm& a) noexcept {  // NOLINT(bugprone-exception-escape): as above
    // Each name is a string literal, so data() is NUL-terminated.
    return std::visit([](auto tag) { return decltype(tag)::type::alg.data(); }, a);
}

std::optional<algorithm> parse_algorithm(std::string_view text) {
    const std::string name = lower(text);
    for (const algorithm& a : all_algorithms()) {
        if (lower(algorithm_name(a)) == name) return a;
    }
    return std::nullopt;
}

std::vector<std::string> algorithm_names_lower() {
    std::vector<std::string> out;
    for (const algorithm& a : all_algorithms()) out.push_back(lower(algorithm_name(a)));
    return out;
}

std::string algorithm_list(bool lowercase) {
    std::string out;
    for (const algorithm& a : all_algorithms()) {
        if (!out.empty()) out += ", ";
        out += lowercase ? lower(algorithm_name(a)) : std::string(algorithm_name(a));
    }
    return out;
}

std::optional<algorithm> parse_algorithm_option(const std::string& value, std::string_view option) {
    if (value.empty()) return std::nullopt;
    auto a = parse_algorithm(value);
    if (!a) {
        throw usage_error(std::string(option) + " '" + value + "': use one of " + algorithm_list());
    }
    return a;
}

std::string algorithm_with_article(const algorithm& a) {
    const std::string name = algorithm_name(a);
    // R, E, H are spoken "ar", "ee", "aitch": "an"; P is "pee": "a".
    return (name[0] == 'P' ? "a " : "an ") + name;
}

std::string one_line(std::string_view message) {
    std::string out;
    out.reserve(message.size());
    for (const char ch : message) {
        const auto c = static_cast<unsigned char>(ch);
        out += (c < 0x20 || c == 0x7F) ? ' ' : ch;
    }
    return out;
}

void print_error(jwt::errc code, std::string_view message) {
    std::fprintf(stderr, "error: %s: %s\n", jwt::errc_name(code), one_line(message).c_str());
}

void print_usage_error(std::string_view message) {
    std::fprintf(stderr, "error: usage: %s\n", one_line(message).c_str());
}

namespace {
std::string_view trim(std::string_view s) {
    constexpr std::string_view ws = " \t\r\n\f\v";
    const std::size_t b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}
}  // namespace

std::string read_token(const std::string& argument) {
    std::string text;
    if (!argument.empty() && argument != "-") {
        text = argument;
    } else {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    }
    std::string token(trim(text));
    if (token.empty()) {
        throw usage_error("no token: pass it as the TOKEN argument or on standard input");
    }
    // "Bearer <token>" or "Authorization: Bearer <token>" as copied from an HTTP request (any
    // case, any whitespace between): the scheme is not part of the token.
    const std::string head = lower(std::string_view(token).substr(0, 32));
    for (const std::string_view prefix : {std::string_view("authorization:"), std::string_view("bearer")}) {
        if (head.size() > prefix.size() && head.compare(0, prefix.size(), prefix) == 0 &&
            std::string_view(" \t\r\n").find(head[prefix.size()]) != std::string_view::npos) {
            throw usage_error("the token starts with '" + token.substr(0, prefix.size()) +
                              "', from an HTTP Authorization header, which is not part of the token: drop the "
                              "'Bearer ' prefix and pass only what follows it (the three dot-separated parts, "
                              "eyJ...)");
        }
    }
    return token;
}

std::vector<std::string> split_list(std::string_view text, std::string_view option) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text.find(',', start);
        const std::string_view item = trim(text.substr(start, comma == std::string_view::npos ? comma : comma - start));
        if (item.empty()) {
            throw usage_error(std::string(option) + " '" + std::string(text) +
                              "' holds an empty name; separate role names with single commas, e.g. \"A,B\"");
        }
        out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

std::int64_t now_or(const std::optional<std::int64_t>& pinned) {
    if (pinned) return *pinned;
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void check_role_claim_name(const std::string& name) {
    if (name.empty()) throw usage_error("--role-claim needs a claim name (the vendor's 'Attribute name', e.g. roles)");
    if (jwt::is_managed_claim(name)) {
        throw usage_error("--role-claim '" + name + "': that is a registered or identity claim, not a role claim");
    }
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

}  // namespace cli
