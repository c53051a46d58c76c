// SPDX-License-Identifier: MIT
#include "key_io.hpp"

#include <jwtmint/key_uri.hpp>

#include "jwk.hpp"
#include "token_view.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <system_error>

namespace cli {

namespace {

[[noreturn]] void file_error(const std::string& message) { throw jwt::error(jwt::errc::key_file_error, message); }

std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

std::string errno_text(int err) { return std::generic_category().message(err); }

std::string describe(const jwt::key_info& info, const char* half, const char* format) {
    std::string kind = info.type;
    if (info.type == "RSA") {
        kind = "RSA " + std::to_string(info.bits) + "-bit";
    } else if (info.type == "EC") {
        kind = "EC " + (info.curve.empty() ? std::string("(unnamed curve)") : info.curve);
    } else if (info.type == "ED25519") {
        kind = "Ed25519";
    }
    return kind + " " + half + " key (" + format + ")";
}

}  // namespace

std::string with_article(const std::string& description) {
    // Letters spoken with a leading vowel sound (RSA, EC, ED25519) and "8", "11", "18" take "an".
    const bool an = !description.empty() &&
                    (std::string_view("AEFHILMNORSXaeiou8").find(description[0]) != std::string_view::npos ||
                     description.rfind("11", 0) == 0 || description.rfind("18", 0) == 0);
    return (an ? "an " : "a ") + description;
}

bool has_trailing_line_break(std::string_view secret) {
    return !secret.empty() && secret.back() == '\n' && is_printable_text(secret);
}

jwt::public_key key_material::public_half() const {
    if (public_key) return *public_key;
    if (private_key) return jwt::public_key::from_private(*private_key);
    throw jwt::error(jwt::errc::key_algorithm_mismatch,
                     quoted(path) +
                         " holds an HMAC secret, which has no public key: HS256, HS384 and HS512 are "
                         "symmetric, so the vendor's settings must hold the same secret");
}

secret_buffer read_file_bytes(const std::filesystem::path& path, std::string_view what) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) {
        file_error("cannot read " + std::string(what) + " " + quoted(path) + ": no such file");
    }
    if (std::filesystem::is_directory(status)) {
        file_error("cannot read " + std::string(what) + " " + quoted(path) + ": it is a directory");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) file_error("cannot read " + std::string(what) + " " + quoted(path) + ": permission denied");
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    in.seekg(0, std::ios::beg);
    if (size < 0) file_error("cannot read " + std::string(what) + " " + quoted(path) + ": not a regular file");
    if (size > std::streamoff{1024} * 1024)
        file_error(std::string(what) + " " + quoted(path) + " is over 1 MiB; that is no key");
    secret_buffer bytes(static_cast<std::size_t>(size));
    if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) {
        file_error("error while reading " + std::string(what) + " " + quoted(path));
    }
    return bytes;
}

secret_buffer read_passphrase_file(const std::filesystem::path& path) {
    secret_buffer pass = read_file_bytes(path, "passphrase file");
    const std::string_view v = pass.view();
    if (v.size() >= 2 && v.substr(v.size() - 2) == "\r\n") {
        pass.shrink_by(2);
    } else if (!v.empty() && v.back() == '\n') {
        pass.shrink_by(1);
    }
    if (pass.empty()) file_error("the passphrase file " + quoted(path) + " is empty");
    return pass;
}

namespace {
std::string& passphrase_origin() {
    static std::string origin;
    return origin;
}

/// An encrypted key's refusal, with the key's name and how to give the passphrase.
jwt::error passphrase_error(const jwt::error& e, const std::string& key) {
    const std::string ways = std::string("--passphrase-file FILE or the environment variable ") + passphrase_variable +
                             " (the file wins when both are given)";
    if (e.value() == jwt::errc::passphrase_required) {
        return jwt::error(e.value(), "'" + key + "' is encrypted and no passphrase was given: pass it with " + ways);
    }
    // The library's message ends with OpenSSL's reason, once; keep that, not the wording.
    const std::string what = e.what();
    const std::size_t reason = what.find(" (OpenSSL: ");
    return jwt::error(e.value(),
                      "the passphrase from " +
                          (passphrase_origin().empty() ? std::string("the command line") : passphrase_origin()) +
                          " is wrong: it does not decrypt '" + key + "' (or the file is damaged)" +
                          (reason == std::string::npos ? std::string() : what.substr(reason)));
}

/// Runs load, turning the library's passphrase errors into ones that name key and the fix.
template <class F>
auto with_passphrase_help(const std::string& key, F&& load) {
    try {
        return std::forward<F>(load)();
    } catch (const jwt::error& e) {
        if (e.value() == jwt::errc::passphrase_required || e.value() == jwt::errc::bad_passphrase) {
            throw passphrase_error(e, key);
        }
        throw;
    }
}
}  // namespace

const std::string& passphrase_source() { return passphrase_origin(); }

secret_buffer passphrase_for(const std::string& file) {
    if (!file.empty()) {
        secret_buffer pass = read_passphrase_file(file);
        passphrase_origin() = "--passphrase-file '" + file + "'";
        return pass;
    }
    // NOLINTNEXTLINE(concurrency-mt-unsafe): the tool runs one thread
    const char* env = std::getenv(passphrase_variable);
    if (env != nullptr && *env != '\0') {
        passphrase_origin() = std::string("the environment variable ") + passphrase_variable;
        return secret_buffer(std::string_view(env));
    }
    passphrase_origin().clear();
    return {};
}

bool is_key_uri(const std::string& arg) {
    if (!jwt::looks_like_key_uri(arg)) return false;
    std::error_code ec;
    return !std::filesystem::exists(arg, ec);  // a file of that name wins
}

namespace {

key_material load_key_uri(const std::string& uri, std::string_view passphrase) {
    key_material key;
    key.path = uri;
    key.is_uri = true;
    auto priv = jwt::private_key::try_from_uri(uri, passphrase);
    if (!priv &&
        (priv.error().value() == jwt::errc::passphrase_required || priv.error().value() == jwt::errc::bad_passphrase)) {
        throw passphrase_error(priv.error(), uri);
    }
    if (priv) {
        const std::string provider = priv->provider();
        key.description = describe(priv->info(), "private",
                                   ("key URI, held by OpenSSL provider '" + provider + "'").c_str());
        key.private_key = std::move(*priv);
        return key;
    }
    if (priv.error().value() != jwt::errc::private_key_required) throw jwt::error(priv.error());
    key.public_key = jwt::public_key::from_uri(uri);
    key.description = describe(key.public_key->info(), "public", "key URI");
    return key;
}

key_material load_pem_key(const std::filesystem::path& path, std::string_view text, std::string_view passphrase) {
    key_material key;
    key.path = path;
    const std::string_view label = jwtmint_examples::first_pem_label(text);
    if (label == "PUBLIC KEY" || label == "RSA PUBLIC KEY" || label == "CERTIFICATE") {
        key.public_key = jwt::public_key::from_pem(text);
        key.description = describe(key.public_key->info(), "public", "PEM");
    } else {
        key.private_key = with_passphrase_help(path.string(),
                                               [&] { return jwt::private_key::from_pem(text, passphrase); });
        const std::string provider = key.private_key->provider();
        key.description = describe(key.private_key->info(), "private",
                                   provider == "default"
                                       ? "PEM"
                                       : ("PEM, held by OpenSSL provider '" + provider + "'").c_str());
    }
    return key;
}

}  // namespace

key_material load_key(const std::filesystem::path& path, std::string_view passphrase, std::string_view kid_hint) {
    if (is_key_uri(path.string())) return load_key_uri(path.string(), passphrase);
    const secret_buffer bytes = read_file_bytes(path, "key file");
    const std::string_view text = bytes.view();
    key_material key;
    key.path = path;
    if (text.empty()) file_error("the key file " + quoted(path) + " is empty");

    const key_file_kind kind = classify_key_bytes(text);
    if (kind == key_file_kind::pem) {
        try {
            return load_pem_key(path, text, passphrase);
        } catch (const jwt::error& e) {
            // The library's PEM messages describe the text ("line 3 starts with spaces ..."): name the file.
            if (e.value() != jwt::errc::invalid_key) throw;
            throw jwt::error(e.value(), quoted(path) + ": " + e.what());
        }
    }
    if (kind == key_file_kind::jwk) {
        jwk_key jwk = parse_jwk(text, kid_hint);
        key.kid = jwk.kid;
        key.jwk_alg = jwk.alg;
        if (jwk.private_key) {
            key.private_key = std::move(jwk.private_key);
            key.description = describe(key.private_key->info(), "private", "JWK");
        } else if (jwk.public_key) {
            key.public_key = std::move(jwk.public_key);
            key.description = describe(key.public_key->info(), "public", "JWK");
        } else {
            key.secret = std::move(jwk.secret);
            key.description = std::to_string(key.secret->size()) + "-byte HMAC secret (JWK)";
        }
        return key;
    }
    if (kind == key_file_kind::der) {
        throw jwt::error(jwt::errc::invalid_key,
                         quoted(path) +
                             " looks like a binary (DER) key; convert it to PEM with: openssl pkey "
                             "-inform DER -in " +
                             path.string() + " -out key.pem");
    }
    key.secret = secret_buffer(text);
    key.description = std::to_string(text.size()) + "-byte HMAC secret (raw file)";
    return key;
}

algorithm default_algorithm(const key_material& key) {
    if (key.secret) return alg_tag<jwt::hs256>{};
    const jwt::key_info info = key.private_key ? key.private_key->info() : key.public_key->info();
    if (const auto a = parse_algorithm(jwt::default_algorithm(info))) return *a;
    throw jwt::error(jwt::errc::key_algorithm_mismatch,
                     quoted(key.path) + " holds " + with_article(key.description) +
                         "; jwtmint signs with RSA keys (RS256/384/512, PS256/384/512), EC keys on P-256, "
                         "P-384 or P-521 (ES256, ES384, ES512), Ed25519 keys (EdDSA) and shared secrets "
                         "(HS256/384/512) (make one with: jwtmint keygen es256 --out private_key.pem)");
}

std::string assumed_algorithm_hint(const key_material& key, bool alg_given, const algorithm& assumed,
                                   std::string_view token) {
    if (alg_given || !key.jwk_alg.empty()) return {};
    std::string token_alg;
    try {
        const unverified_token t = decode_unverified(token);
        const auto it = t.header.find("alg");
        if (it == t.header.end() || !it->is_string()) return {};
        token_alg = it->get<std::string>();
    } catch (const jwt::error&) {
        return {};
    }
    const std::optional<algorithm> other = parse_algorithm(token_alg);
    if (!other || token_alg != algorithm_name(*other) || other->index() == assumed.index()) return {};
    // Only when this key can verify the token's algorithm: an RSA key both RS* and PS*, a
    // secret every HS*; an EC key's curve fixes its algorithm, so no hint there.
    const bool key_fits = with_algorithm(*other, [&](auto tag) {
        try {
            (void)make_verifier<typename decltype(tag)::type>(key);
            return true;
        } catch (const jwt::error&) {
            return false;
        }
    });
    if (!key_fits) return {};
    return std::string(" (") + quoted(key.path) + " does not name its algorithm, so " + algorithm_name(assumed) +
           " was assumed; if the backend signs " + token_alg + ", pass --alg " + lower(token_alg) + ")";
}

algorithm choose_algorithm(const key_material& key, const std::optional<algorithm>& requested) {
    const algorithm chosen = requested ? *requested : default_algorithm(key);
    if (!key.jwk_alg.empty() && key.jwk_alg != algorithm_name(chosen)) {
        throw jwt::error(jwt::errc::key_algorithm_mismatch, "the JWK in " + quoted(key.path) + " is for \"" +
                                                                key.jwk_alg + "\", not " + algorithm_name(chosen));
    }
    return chosen;
}

void fail_secret_for_pem_algorithm(const key_material& key, std::string_view alg) {
    throw jwt::error(jwt::errc::key_algorithm_mismatch,
                     std::string(alg) + " needs a PEM or JWK key, but " + quoted(key.path) +
                         " is neither (it would be read as an HMAC secret); pass --alg HS256 "
                         "(or HS384, HS512) if it is one");
}

void fail_pem_for_hmac(const key_material& key, std::string_view alg) {
    throw jwt::error(jwt::errc::key_algorithm_mismatch,
                     std::string(alg) + " needs a random shared secret, but " + quoted(key.path) + " holds " +
                         with_article(key.description) +
                         "; for a key pair use an RS, PS, ES or EdDSA algorithm (a key must never "
                         "double as an HMAC secret)");
}

namespace {
void write_all(int fd, std::string_view bytes, const std::filesystem::path& path) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            file_error("cannot write " + quoted(path) + ": " + errno_text(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

/// Opens path for writing only when it does not exist yet, with the given mode (umask can only
/// narrow it; fchmod makes a private 0600 exact). Returns -1 with errno set on failure.
int create_exclusive(const std::filesystem::path& path, unsigned mode) {
    const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd >= 0 && mode == 0600U && ::fchmod(fd, 0600) != 0) {
        const int err = errno;
        ::close(fd);
        ::unlink(path.c_str());
        errno = err;
        return -1;
    }
    return fd;
}

void finish(int fd, std::string_view bytes, const std::filesystem::path& written, const std::filesystem::path& shown) {
    try {
        write_all(fd, bytes, shown);
        if (::fsync(fd) != 0) file_error("cannot flush " + quoted(shown) + ": " + errno_text(errno));
    } catch (...) {
        ::close(fd);
        ::unlink(written.c_str());
        throw;
    }
    if (::close(fd) != 0) {
        ::unlink(written.c_str());
        file_error("cannot write " + quoted(shown) + ": " + errno_text(errno));
    }
}

/// Writes bytes to a new file beside path, named ".NAME.tmp-RANDOM"; returns its path.
std::filesystem::path write_temporary(const new_file& f) {
    const std::filesystem::path dir = f.path.has_parent_path() ? f.path.parent_path() : std::filesystem::path(".");
    for (int attempt = 0; attempt < 16; ++attempt) {
        unsigned char rnd[6];
        if (RAND_bytes(rnd, sizeof rnd) != 1) file_error("cannot pick a temporary file name (RAND_bytes failed)");
        std::string suffix;
        for (const unsigned char c : rnd) suffix += "0123456789abcdef"[c & 0xF];
        std::filesystem::path temp = dir / ("." + f.path.filename().string() + ".tmp-" + suffix);
        const int fd = create_exclusive(temp, f.mode);
        if (fd < 0) {
            if (errno == EEXIST) continue;
            file_error("cannot create a file in " + quoted(dir) + ": " + errno_text(errno));
        }
        finish(fd, f.bytes, temp, f.path);
        return temp;
    }
    file_error("cannot create a temporary file in " + quoted(dir));
}

[[noreturn]] void fail_exists(const std::filesystem::path& path) {
    file_error(quoted(path) +
               " already exists; keygen never overwrites a key without --force (make sure nothing uses the old key "
               "first)");
}
}  // namespace

void write_new_files(const std::vector<new_file>& files, bool overwrite) {
    std::error_code ec;
    for (const new_file& f : files) {
        const auto type = std::filesystem::symlink_status(f.path, ec).type();
        if (!overwrite && type != std::filesystem::file_type::not_found) fail_exists(f.path);
        if (type == std::filesystem::file_type::directory)
            file_error("cannot write " + quoted(f.path) + ": it is a directory");
    }
    std::vector<std::filesystem::path> temps;
    const auto remove_temps = [&temps](std::size_t from) {
        for (std::size_t i = from; i < temps.size(); ++i) ::unlink(temps[i].c_str());
    };
    try {
        for (const new_file& f : files) temps.push_back(write_temporary(f));
    } catch (...) {
        remove_temps(0);
        throw;
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
        const std::filesystem::path& path = files[i].path;
        int err = 0;
        if (overwrite) {
            // A crash leaves either the old file or the new one, never a part of either.
            if (::rename(temps[i].c_str(), path.c_str()) != 0) err = errno;
        } else if (::link(temps[i].c_str(), path.c_str()) != 0) {
            err = errno;  // link(2) never replaces: a file made since the check above stays
        } else {
            ::unlink(temps[i].c_str());
        }
        if (err == 0) continue;
        remove_temps(i);
        // Without overwrite the files placed so far are new: take them back, so none is written.
        if (!overwrite) {
            for (std::size_t j = 0; j < i; ++j) ::unlink(files[j].path.c_str());
        }
        if (err == EEXIST) fail_exists(path);
        file_error("cannot " + std::string(overwrite ? "replace " : "create ") + quoted(path) + ": " + errno_text(err));
    }
}

void write_private_file(const std::filesystem::path& path, std::string_view bytes, bool overwrite) {
    write_new_files({new_file{path, bytes, 0600}}, overwrite);
}

unsigned file_mode(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) file_error("cannot stat " + quoted(path) + ": " + errno_text(errno));
    return static_cast<unsigned>(st.st_mode) & 07777U;
}

}  // namespace cli
