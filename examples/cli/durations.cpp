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

namespace {
/// The largest two non-zero units of seconds, each as number + unit: {"9", "m"}, {"58", "s"}.
std::string span_with(std::int64_t seconds, const char* const (&units)[4], const char* between) {
    if (seconds < 0) seconds = -seconds;
    const std::int64_t parts[] = {seconds / 86400, seconds / 3600 % 24, seconds / 60 % 60, seconds % 60};
    std::string out;
    int shown = 0;
    for (std::size_t i = 0; i < 4 && shown < 2; ++i) {
        if (parts[i] == 0) {
            if (shown > 0) break;  // "1 h" rather than "1 h 0 min"; and never skip into smaller units
            continue;
        }
        if (!out.empty()) out += between;
        out += std::to_string(parts[i]) + units[i];
        ++shown;
    }
    return out.empty() ? std::string("0") + units[3] : out;
}
}  // namespace

std::string format_span(std::int64_t seconds) {
    static constexpr const char* units[4] = {" d", " h", " min", " s"};
    return span_with(seconds, units, " ");
}

std::string format_duration_option(std::int64_t seconds) {
    static constexpr const char* units[4] = {"d", "h", "m", "s"};
    return span_with(seconds, units, "");
}

std::string format_utc(std::int64_t unix_seconds) {
    const auto t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    if (gmtime_r(&t, &tm) == nullptr) return "(out of range: " + std::to_string(unix_seconds) + ")";
    char buf[64];
    if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return std::to_string(unix_seconds);
    return buf;
}

std::string format_relative(std::int64_t t, std::int64_t now) {
    if (t == now) return "now";
    return t > now ? "in " + format_span(t - now) : format_span(now - t) + " ago";
}

std::string format_time(std::int64_t t, std::int64_t now) {
    return format_utc(t) + " (" + format_relative(t, now) + ")";
}

std::string describe_expiry(std::int64_t exp, std::int64_t now) {
    return (exp > now ? "expires " : "expired ") + format_time(exp, now);
}

std::string describe_issued(std::int64_t iat, std::int64_t now) { return "issued " + format_time(iat, now); }

std::string describe_not_before(std::int64_t nbf, std::int64_t now) {
    return (nbf <= now ? "valid since " : "not valid before ") + format_time(nbf, now);
}

}  // namespace cli
