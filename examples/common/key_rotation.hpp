// SPDX-License-Identifier: MIT
// Where the next key of a rotation lives beside the current one: `jwtmint keygen --next` writes
// it there, `jwtmint doctor` and the example host backend (on SIGHUP) look for it there.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace jwtmint_examples {

/// The file of the key that follows current_key in a rotation, in the same folder:
/// "rs256-private.pem" -> "rs256-next-private.pem" (a name ending in "-private" before its
/// extension gets "-next" before that), anything else gets "-next" before the extension:
/// "private_key.pem" -> "private_key-next.pem", "signing" -> "signing-next".
inline std::filesystem::path next_key_path(const std::filesystem::path& current_key) {
    const std::string stem = current_key.stem().string();
    const std::string extension = current_key.extension().string();
    constexpr std::string_view private_suffix = "-private";
    std::string name;
    if (stem.size() > private_suffix.size() &&
        stem.compare(stem.size() - private_suffix.size(), private_suffix.size(), private_suffix) == 0) {
        name = stem.substr(0, stem.size() - private_suffix.size()) + "-next" + std::string(private_suffix);
    } else {
        name = stem + "-next";
    }
    return current_key.parent_path() / (name + extension);
}

}  // namespace jwtmint_examples
