// SPDX-License-Identifier: MIT
// The second translation unit of odr_test (declarations only: this header includes no jwtmint).
#pragma once

#include <string>
#include <system_error>

namespace odr_second_tu {
const std::error_category* category_address();
std::error_code weak_key_code();
std::string mint(const std::string& secret);
std::string encode(const std::string& data);
std::string version();
int throw_weak_key();
}  // namespace odr_second_tu
