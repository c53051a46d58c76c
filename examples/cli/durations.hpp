// SPDX-License-Identifier: MIT
// Durations as people type them ("10m", "1h30m", "600") and times as people read them
// (ISO 8601 UTC, "expires in 9m 58s").
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

/// A span in the largest two units, dropping zero parts: "58s", "9m 58s", "3m", "2h 5m", "1d 4h".
[[nodiscard]] std::string format_span(std::int64_t seconds);

/// Unix seconds as "2026-05-12T15:33:20Z" (UTC).
[[nodiscard]] std::string format_utc(std::int64_t unix_seconds);

/// exp relative to now: "expires in 9m 58s", "expired 3m ago", "expired just now".
[[nodiscard]] std::string describe_expiry(std::int64_t exp, std::int64_t now);
/// iat relative to now: "issued 2s ago", "issued 5m in the future".
[[nodiscard]] std::string describe_issued(std::int64_t iat, std::int64_t now);
/// nbf relative to now: "valid since 2s ago", "not valid for another 5m".
[[nodiscard]] std::string describe_not_before(std::int64_t nbf, std::int64_t now);

}  // namespace cli
