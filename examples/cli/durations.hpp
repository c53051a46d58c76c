// SPDX-License-Identifier: MIT
// Durations as people type them ("10m", "1h30m", "600") and times as people read them: the one
// form every command prints, absolute UTC and relative, "2026-05-12T15:43:20Z (in 9 min 58 s)".
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace cli {

/// Parses a duration: a bare number of seconds ("600") or number-unit groups with units
/// d, h, m, s in that order, each at most once ("600s", "10m", "1h30m"). Zero is allowed;
/// callers that need a positive value check it. @throws usage_error naming option
[[nodiscard]] std::chrono::seconds parse_duration(std::string_view text, std::string_view option);

/// A span as people read it, in the largest two units, dropping zero parts: "58 s", "9 min 58 s",
/// "3 min", "2 h 5 min", "1 d 4 h".
[[nodiscard]] std::string format_span(std::int64_t seconds);

/// A span as --ttl and --max-lifetime take it: "58s", "9m58s", "5m", "1d4h" (parse_duration reads it).
[[nodiscard]] std::string format_duration_option(std::int64_t seconds);

/// Unix seconds as "2026-05-12T15:33:20Z" (UTC).
[[nodiscard]] std::string format_utc(std::int64_t unix_seconds);

/// t relative to now: "in 9 min 58 s", "50 min ago", "now".
[[nodiscard]] std::string format_relative(std::int64_t t, std::int64_t now);

/// The one form of a time in every command: "2026-05-12T15:43:20Z (50 min ago)".
[[nodiscard]] std::string format_time(std::int64_t t, std::int64_t now);

/// exp: "expires 2026-05-12T15:43:20Z (in 9 min 58 s)", "expired 2026-05-12T15:43:20Z (3 min ago)".
[[nodiscard]] std::string describe_expiry(std::int64_t exp, std::int64_t now);
/// iat: "issued 2026-05-12T15:33:20Z (2 s ago)", "issued 2026-05-12T15:38:20Z (in 5 min)".
[[nodiscard]] std::string describe_issued(std::int64_t iat, std::int64_t now);
/// nbf: "valid since 2026-05-12T15:33:20Z (2 s ago)", "not valid before 2026-05-12T15:38:20Z (in 5 min)".
[[nodiscard]] std::string describe_not_before(std::int64_t nbf, std::int64_t now);

}  // namespace cli
