// SPDX-License-Identifier: MIT
// POSIX file handling for key files and the users file.
#include "files.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace host {

namespace {

[[noreturn]] void fail_errno(int err, const std::string& what) {
    throw std::system_error(err, std::generic_category(), what);
}

std::string random_suffix() {
    std::array<unsigned char, 6> raw{};
    if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) throw std::runtime_error("RAND_bytes failed");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char b : raw) {
        out += hex[b >> 4U];
        out += hex[b & 0xFU];
    }
    return out;
}

}  // namespace

namespace {

/// A new file beside path holding content with exactly mode, synced: its name.
std::filesystem::path write_temporary(const std::filesystem::path& path, std::string_view content, mode_t mode) {
    std::filesystem::path tmp = path.string() + ".tmp-" + random_suffix();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) fail_errno(errno, "cannot create '" + tmp.string() + "'");
    int err = 0;
    if (::fchmod(fd, mode) != 0) err = errno;  // exactly mode, whatever the umask
    std::size_t done = 0;
    while (err == 0 && done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            err = n < 0 ? errno : EIO;
        } else {
            done += static_cast<std::size_t>(n);
        }
    }
    if (err == 0 && ::fsync(fd) != 0) err = errno;
    ::close(fd);
    if (err != 0) {
        ::unlink(tmp.c_str());
        fail_errno(err, "cannot write '" + tmp.string() + "'");
    }
    return tmp;
}

}  // namespace

bool write_new_file(const std::filesystem::path& path, std::string_view content, mode_t mode) {
    const std::filesystem::path tmp = write_temporary(path, content, mode);
    const bool linked = ::link(tmp.c_str(), path.c_str()) == 0;
    const int err = linked ? 0 : errno;
    ::unlink(tmp.c_str());
    if (err == EEXIST) return false;
    if (err != 0) fail_errno(err, "cannot create '" + path.string() + "'");
    return true;
}

void replace_file(const std::filesystem::path& path, std::string_view content, mode_t mode) {
    const std::filesystem::path tmp = write_temporary(path, content, mode);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        fail_errno(err, "cannot replace '" + path.string() + "'");
    }
}

void ensure_private_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) return;
    std::filesystem::path leaf = dir.lexically_normal();
    if (!leaf.has_filename()) leaf = leaf.parent_path();  // "data/" names the folder "data"
    const std::filesystem::path parent = leaf.parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    if (::mkdir(leaf.c_str(), 0700) != 0 && errno != EEXIST) {
        fail_errno(errno, "cannot create the data folder '" + dir.string() + "'");
    }
}

std::string read_file(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail_errno(errno, "cannot read '" + path.string() + "'");
    std::string text;
    std::array<char, 4096> buf{};
    int err = 0;
    while (true) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) err = errno;
        if (n <= 0) break;
        text.append(buf.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (err != 0) fail_errno(err, "cannot read '" + path.string() + "'");
    return text;
}

void warn_if_exposed(const std::filesystem::path& path, std::vector<std::string>& warnings) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 077U) == 0) return;
    const auto digit = [&](unsigned shift) { return std::to_string((st.st_mode >> shift) & 7U); };
    warnings.push_back("'" + path.string() + "' can be read by other users (mode " + digit(6) + digit(3) + digit(0) +
                       "); restrict it with: chmod 600 '" + path.string() + "'");
}

}  // namespace host
