// SPDX-License-Identifier: MIT
// Files that hold secrets: created whole with a fixed mode, never readable by others on the way.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace host {

/// Writes content to a new file at path with exactly mode, unless path exists (then returns
/// false and leaves it alone). The bytes go to a temporary file opened O_CREAT|O_EXCL with that
/// mode, are synced, and the file is linked into place: nobody sees a partial file, and two
/// processes starting at once cannot both create it. @throws std::system_error
bool write_new_file(const std::filesystem::path& path, std::string_view content, mode_t mode);

/// Writes content to path with exactly mode, replacing what is there: a new file beside it,
/// synced and renamed over it, so a reader sees the old content or the new. @throws std::system_error
void replace_file(const std::filesystem::path& path, std::string_view content, mode_t mode);

/// Creates dir (the folder itself with mode 0700) unless it exists. @throws std::system_error
void ensure_private_dir(const std::filesystem::path& dir);

/// The whole file. @throws std::system_error
[[nodiscard]] std::string read_file(const std::filesystem::path& path);

/// Appends a warning when others than the owner may read path.
void warn_if_exposed(const std::filesystem::path& path, std::vector<std::string>& warnings);

}  // namespace host
