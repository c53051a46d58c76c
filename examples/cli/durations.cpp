// SPDX-License-Identifier: MIT
#include "durations.hpp"

#include "common.hpp"

#include <ctime>
#include <limits>

namespace cli {

namespace {
// A ceiling well above any sensible token lifetime, so arithmetic on it never overflows.
constexpr std::int64_t max_duration_seconds = 100LL * 365 * 86400;

std::int64_t unit_seconds(char unit) {
    switch (unit) {
        case 'd': return 86400;
        case 'h': return 3600;
        case 'm': return 60;
        case 's': return 1;
        default: return 0;
    }
}
}  // namespace

std::chrono::seconds parse_duration(std::string_view text, std::string_view option) {
    const auto bad = [&](const std::string& why) {
        throw usage_error(std::string(option) + " '" + std::string(text) + "': " + why +
                          " (write a number of seconds, or units d h m s: 600, 90s, 10m, 1h30m)");
    };
    if (text.empty()) bad("the duration is empty");
    std::int64_t total = 0;
    std::int64_t previous_unit = std::numeric_limits<std::int64_t>::max();
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::int64_t number = 0;
        const std::size_t digits_start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            number = number * 10 + (text[pos] - '0');
            if (number > max_duration_seconds) bad("the duration is too long");
            ++pos;
        }
        if (pos == digits_start) bad("expected a number at '" + std::string(text.substr(pos)) + "'");
        if (pos == text.size()) {
            if (digits_start != 0) bad("the last number needs a unit");
            total = number;  // a bare number of seconds
            break;
        }
        const std::int64_t unit = unit_seconds(text[pos]);
        if (unit == 0) bad(std::string("unknown unit '") + text[pos] + "'");
        if (unit >= previous_unit) bad("units must go from large to small, each once");
        previous_unit = unit;
        ++pos;
        if (number > max_duration_seconds / unit) bad("the duration is too long");
        total += number * unit;
        if (total > max_duration_seconds) bad("the duration is too long");
    }
    return std::chrono::seconds{total};
}

std::string format_span(std::int64_t seconds) {
    if (seconds < 0) seconds = -seconds;
    const std::int64_t parts[] = {seconds / 86400, seconds / 3600 % 24, seconds / 60 % 60, seconds % 60};
    const char* units[] = {"d", "h", "m", "s"};
    std::string out;
    int shown = 0;
    for (std::size_t i = 0; i < 4 && shown < 2; ++i) {
        if (parts[i] == 0) {
            if (shown > 0) break;  // "1h" rather than "1h 0m"; and never skip into smaller units
            continue;
        }
        if (!out.empty()) out += ' ';
        out += std::to_string(parts[i]) + units[i];
        ++shown;
    }
    return out.empty() ? "0s" : out;
}

std::string format_utc(std::int64_t unix_seconds) {
    const auto t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    if (gmtime_r(&t, &tm) == nullptr) return "(out of range: " + std::to_string(unix_seconds) + ")";
    char buf[64];
    if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return std::to_string(unix_seconds);
    return buf;
}

std::string describe_expiry(std::int64_t exp, std::int64_t now) {
    if (exp > now) return "expires in " + format_span(exp - now);
    if (exp == now) return "expired just now";
    return "expired " + format_span(now - exp) + " ago";
}

std::string describe_issued(std::int64_t iat, std::int64_t now) {
    if (iat <= now) return iat == now ? "issued just now" : "issued " + format_span(now - iat) + " ago";
    return "issued " + format_span(iat - now) + " in the future";
}

std::string describe_not_before(std::int64_t nbf, std::int64_t now) {
    if (nbf <= now) return nbf == now ? "valid from just now" : "valid since " + format_span(now - nbf) + " ago";
    return "not valid for another " + format_span(nbf - now);
}

}  // namespace cli
