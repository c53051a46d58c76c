// SPDX-License-Identifier: MIT
/// @file
/// jwt::file_path: how the *_file calls (keys, secrets, policy files) name a file, and the reader
/// they share. It takes a std::filesystem::path without including `<filesystem>`, which alone costs
/// a file that includes jwtmint more to compile than the rest of its minting path.
#pragma once

#include <jwtmint/error.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace jwt {
inline namespace v1 {

/// A file's name: a C string, a std::string or std::string_view, or a std::filesystem::path (any
/// type whose string() gives a std::string). Relative names are relative to the working directory.
class file_path {
public:
    /** @{ */
    /// The name: a C string (a null pointer is the empty name), a std::string or std::string_view,
    /// or a path whose string() gives a std::string (std::filesystem::path).
    file_path(const char* name) : name_(name != nullptr ? name : "") {}  // NOLINT(google-explicit-constructor)
    file_path(std::string name) noexcept : name_(std::move(name)) {}     // NOLINT(google-explicit-constructor)
    file_path(std::string_view name) : name_(name) {}                    // NOLINT(google-explicit-constructor)
    template <class Path,
              class = std::enable_if_t<std::is_same_v<decltype(std::declval<const Path&>().string()), std::string>>>
    file_path(const Path& path) : name_(path.string()) {}  // NOLINT(google-explicit-constructor)
    /** @} */

    /// The name as given (for messages, and for the C library).
    [[nodiscard]] const std::string& string() const noexcept { return name_; }

private:
    std::string name_;
};

namespace detail {

/// Why a file could not be opened or read, for a message: "no such file", "it is a directory", ...
inline std::string file_error_text(int err) {
    switch (err) {
        case ENOENT: return "no such file";
        case EISDIR: return "it is a directory";
        case EACCES:
        case EPERM: return "permission denied";
        default: return std::generic_category().message(err);
    }
}

/// An open C stream, closed on every way out (an allocation failing mid-read included).
class file_handle {
public:
    explicit file_handle(const file_path& path) noexcept : f_(std::fopen(path.string().c_str(), "rb")) {}
    file_handle(const file_handle&) = delete;
    file_handle& operator=(const file_handle&) = delete;
    ~file_handle() {
        if (f_ != nullptr) (void)std::fclose(f_);  // a stream opened to read: nothing to flush or report
    }
    [[nodiscard]] std::FILE* get() const noexcept { return f_; }

private:
    std::FILE* f_;
};

/// How reading a file ended: error is 0, or the errno of the failed open (opened false) or read.
struct file_read {
    int error = 0;
    bool opened = false;
};

/// Opens path and reads at most limit + 1 octets of it into out, through buffer (the stream's,
/// set with setvbuf, so that no buffer but the caller's sees the bytes) and chunk. A file longer
/// than limit leaves limit + 1 octets or more in out: the caller refuses it. grow(out, n) makes
/// room for n more octets (a caller holding secrets copies and wipes). The file is closed when
/// this returns, so the caller may wipe buffer then.
template <class Grow>
file_read read_file_into(const file_path& path, std::size_t limit, char* buffer, std::size_t buffer_size, char* chunk,
                         std::size_t chunk_size, std::string& out, Grow grow) {
    file_read r;
    errno = 0;
    const file_handle file(path);
    std::FILE* f = file.get();
    if (f == nullptr) {
        r.error = errno != 0 ? errno : ENOENT;
        return r;
    }
    r.opened = true;
    // The caller's buffer is one it wipes after reading; were it refused, the stream would read
    // through a buffer of its own that nobody wipes, so the read stops here.
    if (std::setvbuf(f, buffer, _IOFBF, buffer_size) != 0) {
        r.error = EIO;
        return r;
    }
    errno = 0;
    while (out.size() <= limit) {
        const std::size_t n = std::fread(chunk, 1, chunk_size, f);
        if (n > 0) {
            grow(out, n);
            out.append(chunk, n);
        }
        if (n < chunk_size) break;
    }
    if (std::ferror(f) != 0) r.error = errno != 0 ? errno : EIO;
    return r;
}

}  // namespace detail
}  // namespace v1
}  // namespace jwt
