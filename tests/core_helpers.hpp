// SPDX-License-Identifier: MIT
// Helpers for the core tests: errc assertions, a temporary directory, the openssl command line,
// and an independent (jwtmint-free) base64url decoder, HMAC, R||S -> DER and EVP verifier.
#pragma once

#include <jwtmint/error.hpp>

#include "support.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>  // mkdtemp
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace jwtmint_test {

/// "errc 3 (weak_key)" for a jwtmint code, "<category> N" for any other.
inline std::string describe_code(const std::error_code& ec) {
    if (!ec) return "no error";
    if (ec.category() == jwt::category()) {
        return "errc " + std::to_string(ec.value()) + " (" + jwt::errc_name(static_cast<jwt::errc>(ec.value())) + ")";
    }
    return std::string(ec.category().name()) + " " + std::to_string(ec.value());
}
inline std::string describe_code(jwt::errc e) { return describe_code(std::error_code(e)); }

struct outcome {
    std::string code;     // describe_code of what was thrown, or "no exception" / "foreign exception"
    std::string message;  // what()
};

/// Runs f and reports what it threw.
template <class F>
outcome outcome_of(F&& f) {
    try {
        std::forward<F>(f)();
    } catch (const jwt::error& e) {
        return {describe_code(e.code()), e.what()};
    } catch (const std::exception& e) {
        return {"foreign exception", e.what()};
    }
    return {"no exception", {}};
}

}  // namespace jwtmint_test

/// Checks that expr throws jwt::error with the given jwt::errc (and shows its message).
#define CHECK_ERRC(expr, expected_errc)                                                             \
    do {                                                                                            \
        const auto jwtmint_outcome_ = ::jwtmint_test::outcome_of([&] { static_cast<void>(expr); }); \
        INFO("message: " << jwtmint_outcome_.message);                                              \
        CHECK(jwtmint_outcome_.code == ::jwtmint_test::describe_code(expected_errc));               \
    } while (false)

/// Checks that an error_code holds the given jwt::errc.
#define CHECK_EC(ec, expected_errc) \
    CHECK(::jwtmint_test::describe_code(ec) == ::jwtmint_test::describe_code(expected_errc))

namespace jwtmint_test {

template <auto Free>
struct free_with {
    template <class T>
    void operator()(T* p) const noexcept {
        Free(p);
    }
};
using pkey_handle = std::unique_ptr<EVP_PKEY, free_with<&EVP_PKEY_free>>;

/// A fresh directory under the system temp dir, removed with everything in it on destruction.
class temp_dir {
public:
    temp_dir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "jwtmint-test-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& p, std::string_view bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

/// Single-quotes a path for /bin/sh.
inline std::string sh_quote(const std::filesystem::path& p) {
    std::string out = "'";
    for (const char c : p.string()) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

struct command_result {
    int exit_status = -1;
    std::string output;  // stdout and stderr together
};

/// Runs a shell command (through std::system) in dir, capturing its output.
inline command_result run(const temp_dir& dir, const std::string& command) {
    const auto out_file = dir / "command-output.txt";
    const std::string full = "cd " + sh_quote(dir.path()) + " && (" + command + ") >" + sh_quote(out_file) + " 2>&1";
    // The tests drive the openssl command line through /bin/sh on purpose, from Catch2's one thread.
    // NOLINTNEXTLINE(cert-env33-c,concurrency-mt-unsafe)
    const int status = std::system(full.c_str());
    command_result r;
    r.exit_status = (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
    std::ifstream in(out_file, std::ios::binary);
    r.output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return r;
}

/// Runs tests/pyjwt_verify.py (script) over a manifest of entries (its JSON text) and checks that
/// PyJWT verified every one of them.
inline void check_with_pyjwt(const char* script, const std::string& manifest_json, std::size_t entries) {
    const temp_dir dir;
    write_file(dir / "manifest.json", manifest_json);
    const auto r = run(dir, "/usr/bin/python3 " + sh_quote(script) + " manifest.json");
    INFO(r.output);
    CHECK(r.exit_status == 0);
    std::size_t ok = 0;
    for (std::size_t pos = 0; (pos = r.output.find("ok ", pos)) != std::string::npos; ++pos) ++ok;
    CHECK(ok == entries);
}

/// Runs an openssl command in dir and REQUIREs that it succeeded.
inline void openssl_ok(const temp_dir& dir, const std::string& args) {
    const auto r = run(dir, "openssl " + args);
    INFO("openssl " << args << "\n" << r.output);
    REQUIRE(r.exit_status == 0);
}

/// Text of a private key made by the openssl command line, e.g. "genpkey -algorithm RSA ...".
/// The key is written as key.pem in a fresh temp dir.
inline std::string openssl_key(const std::string& args) {
    temp_dir dir;
    openssl_ok(dir, args + " -out key.pem");
    return read_text(dir / "key.pem");
}

/// Shared keys, made once per process with the openssl command line (not with jwtmint).
inline const std::string& rsa2048_pem() {
    static const std::string pem = openssl_key("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048");
    return pem;
}
inline const std::string& rsa2048_other_pem() {
    static const std::string pem = openssl_key("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048");
    return pem;
}
inline const std::string& rsa1024_pem() {
    static const std::string pem = openssl_key("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024");
    return pem;
}
inline const std::string& p256_pem() {
    static const std::string pem = openssl_key("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256");
    return pem;
}
inline const std::string& p256_other_pem() {
    static const std::string pem = openssl_key("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256");
    return pem;
}
inline const std::string& p384_pem() {
    static const std::string pem = openssl_key("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384");
    return pem;
}
inline const std::string& p521_pem() {
    static const std::string pem = openssl_key("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521");
    return pem;
}
/// A 64-octet HMAC secret (its first 32 or 48 octets serve HS256 and HS384).
inline constexpr std::string_view hmac_secret_64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
inline const std::string& ed25519_pem() {
    static const std::string pem = openssl_key("genpkey -algorithm ED25519");
    return pem;
}

/// The SPKI public key PEM of a private key PEM, as the openssl command line writes it.
inline std::string openssl_public_pem(const std::string& private_pem) {
    temp_dir dir;
    write_file(dir / "key.pem", private_pem);
    openssl_ok(dir, "pkey -in key.pem -pubout -out pub.pem");
    return read_text(dir / "pub.pem");
}

/// Parses PEM with plain OpenSSL (private or public), for independent checks.
inline pkey_handle load_private_evp(std::string_view pem) {
    std::unique_ptr<BIO, free_with<&BIO_free>> bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
    REQUIRE(bio);
    pkey_handle key{PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)};
    ERR_clear_error();
    REQUIRE(key);
    return key;
}
inline pkey_handle load_public_evp(std::string_view pem) {
    std::unique_ptr<BIO, free_with<&BIO_free>> bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
    REQUIRE(bio);
    pkey_handle key{PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)};
    ERR_clear_error();
    REQUIRE(key);
    return key;
}

/// A base64url decoder written independently of jwtmint's (lenient: for reading our own output).
inline std::string b64url_decode(std::string_view s) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '-') return 62;
        if (c == '_') return 63;
        return -1;
    };
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (const char c : s) {
        const int v = value(c);
        if (v < 0) throw std::invalid_argument("not base64url");
        acc = ((acc << 6) | static_cast<unsigned>(v)) & 0xFFFFFFU;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFFU));
        }
    }
    return out;
}

/// A base64url encoder independent of jwtmint's: OpenSSL's base64, made URL-safe and unpadded.
inline std::string b64url_encode(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    REQUIRE(n >= 0);
    out.resize(static_cast<std::size_t>(n));
    while (!out.empty() && out.back() == '=') out.pop_back();
    for (char& c : out) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    return out;
}

/// The three parts of a compact JWS and its signing input.
struct jws_parts {
    std::string header;   // decoded
    std::string payload;  // decoded
    std::string signature;
    std::string signing_input;
};
inline jws_parts split_token(std::string_view token) {
    const auto d1 = token.find('.');
    const auto d2 = token.find('.', d1 == std::string_view::npos ? d1 : d1 + 1);
    REQUIRE(d1 != std::string_view::npos);
    REQUIRE(d2 != std::string_view::npos);
    REQUIRE(token.find('.', d2 + 1) == std::string_view::npos);
    jws_parts p;
    p.header = b64url_decode(token.substr(0, d1));
    p.payload = b64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
    p.signature = b64url_decode(token.substr(d2 + 1));
    p.signing_input = std::string(token.substr(0, d2));
    return p;
}

/// HMAC-SHA-256 with OpenSSL's one-shot EVP_Q_mac (not jwtmint's pre-keyed context).
inline std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    const unsigned char* r = EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                                       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
                                       sizeof out, &len);
    REQUIRE(r != nullptr);
    return std::string(reinterpret_cast<const char*>(out), len);
}

/// Converts a fixed-width R||S ECDSA signature to DER with OpenSSL's ECDSA_SIG.
inline std::string raw_to_der(std::string_view raw) {
    REQUIRE(raw.size() % 2 == 0);
    const int half = static_cast<int>(raw.size() / 2);
    const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
    BIGNUM* r = BN_bin2bn(p, half, nullptr);
    BIGNUM* s = BN_bin2bn(p + half, half, nullptr);
    std::unique_ptr<ECDSA_SIG, free_with<&ECDSA_SIG_free>> sig{ECDSA_SIG_new()};
    REQUIRE((r != nullptr && s != nullptr && sig != nullptr));
    REQUIRE(ECDSA_SIG_set0(sig.get(), r, s) == 1);  // sig owns r and s now
    unsigned char* der = nullptr;
    const int n = i2d_ECDSA_SIG(sig.get(), &der);
    REQUIRE(n > 0);
    std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
    OPENSSL_free(der);
    return out;
}

/// Verifies a SHA-256 signature (DER for ECDSA) with plain EVP.
inline bool evp_verify_sha256(EVP_PKEY* pub, std::string_view input, std::string_view sig) {
    std::unique_ptr<EVP_MD_CTX, free_with<&EVP_MD_CTX_free>> ctx{EVP_MD_CTX_new()};
    if (!ctx) return false;
    const bool ok = EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, pub, nullptr) == 1 &&
                    EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    ERR_clear_error();
    return ok;
}

/// Verifies a JWS signature as the RFC defines it: RS256 as is, ES256 after R||S -> DER.
inline bool verify_jws_signature(EVP_PKEY* pub, std::string_view alg, std::string_view input, std::string_view sig) {
    if (alg == "ES256") {
        if (sig.size() != 64) return false;
        return evp_verify_sha256(pub, input, raw_to_der(sig));
    }
    return evp_verify_sha256(pub, input, sig);
}

inline std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        out += digits[c >> 4];
        out += digits[c & 0xF];
    }
    return out;
}

}  // namespace jwtmint_test
