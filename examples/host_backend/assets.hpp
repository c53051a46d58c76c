// SPDX-License-Identifier: MIT
// The files compiled into the host backend: its web pages, the stand-in widget, the demo users.
#pragma once

#include <optional>
#include <string_view>

namespace host {

/// The bytes of an embedded file by its base name ("live-chat.html"), or nullopt.
[[nodiscard]] std::optional<std::string_view> embedded_file(std::string_view name);

}  // namespace host
