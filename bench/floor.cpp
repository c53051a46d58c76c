// SPDX-License-Identifier: MIT
// The floor: the widget token with OpenSSL EVP and nothing else (see floor.hpp).
#include "floor.hpp"

#include "keys.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>

#include <array>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace bench {
namespace {

constexpr char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::size_t b64url_encode(const unsigned char* in, std::size_t n, char* out) {
    char* const start = out;
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        const unsigned v = (unsigned{in[i]} << 16) | (unsigned{in[i + 1]} << 8) | in[i + 2];
        *out++ = b64_alphabet[v >> 18];
        *out++ = b64_alphabet[(v >> 12) & 63];
        *out++ = b64_alphabet[(v >> 6) & 63];
        *out++ = b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        const unsigned v = unsigned{in[i]} << 16;
        *out++ = b64_alphabet[v >> 18];
        *out++ = b64_alphabet[(v >> 12) & 63];
    } else if (n - i == 2) {
        const unsigned v = (unsigned{in[i]} << 16) | (unsigned{in[i + 1]} << 8);
        *out++ = b64_alphabet[v >> 18];
        *out++ = b64_alphabet[(v >> 12) & 63];
        *out++ = b64_alphabet[(v >> 6) & 63];
    }
    return static_cast<std::size_t>(out - start);
}

constexpr std::array<signed char, 256> b64_table = [] {
    std::array<signed char, 256> t{};
    for (auto& v : t) v = -1;
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(b64_alphabet[i])] = static_cast<signed char>(i);
    return t;
}();

/// Decodes into out (cap octets); returns the length, or SIZE_MAX on a foreign character.
std::size_t b64url_decode(std::string_view in, unsigned char* out, std::size_t cap) {
    if (in.size() / 4 * 3 + 2 > cap || in.size() % 4 == 1) return SIZE_MAX;
    unsigned acc = 0;
    int bits = 0;
    std::size_t n = 0;
    for (const char c : in) {
        const int v = b64_table[static_cast<unsigned char>(c)];
        if (v < 0) return SIZE_MAX;
        acc = (acc << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = static_cast<unsigned char>(acc >> bits);
        }
    }
    return n;
}

char* put_number(char* out, std::int64_t v) {
    char digits[20];
    int n = 0;
    auto u = static_cast<std::uint64_t>(v);
    do {
        digits[n++] = static_cast<char>('0' + u % 10);
        u /= 10;
    } while (u != 0);
    while (n > 0) *out++ = digits[--n];
    return out;
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

[[noreturn]] void die(const char* what) {
    ERR_print_errors_fp(stderr);
    throw std::runtime_error(std::string("floor: ") + what);
}

EVP_PKEY* read_key(const char* pem, bool is_private) {
    BIO* bio = BIO_new_mem_buf(pem, -1);
    if (bio == nullptr) die("BIO_new_mem_buf");
    EVP_PKEY* key = is_private ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr)
                               : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (key == nullptr) die("PEM key");
    return key;
}

constexpr std::size_t p256_half = 32;

/// DER ECDSA-Sig-Value (short lengths: P-256 only) to R||S.
bool der_to_raw(const unsigned char* der, std::size_t len, unsigned char* out) {
    if (len < 8 || der[0] != 0x30 || der[1] != len - 2) return false;
    std::size_t pos = 2;
    for (int i = 0; i < 2; ++i) {
        if (pos + 2 > len || der[pos] != 0x02) return false;
        std::size_t n = der[pos + 1];
        const unsigned char* v = der + pos + 2;
        pos += 2 + n;
        if (pos > len) return false;
        while (n > p256_half && *v == 0) {
            ++v;
            --n;
        }
        if (n > p256_half) return false;
        unsigned char* dst = out + static_cast<std::size_t>(i) * p256_half;
        std::memset(dst, 0, p256_half - n);
        std::memcpy(dst + p256_half - n, v, n);
    }
    return pos == len;
}

/// R||S to DER; returns the length.
std::size_t raw_to_der(const unsigned char* raw, unsigned char* out) {
    std::size_t pos = 2;
    for (int i = 0; i < 2; ++i) {
        const unsigned char* v = raw + static_cast<std::size_t>(i) * p256_half;
        std::size_t n = p256_half;
        while (n > 1 && *v == 0) {
            ++v;
            --n;
        }
        const bool pad = (*v & 0x80) != 0;
        out[pos++] = 0x02;
        out[pos++] = static_cast<unsigned char>(n + (pad ? 1 : 0));
        if (pad) out[pos++] = 0;
        std::memcpy(out + pos, v, n);
        pos += n;
    }
    out[0] = 0x30;
    out[1] = static_cast<unsigned char>(pos - 2);
    return pos;
}

}  // namespace

floor_jwt::floor_jwt(alg a) : alg_(a) {
    const char* alg_name = a == alg::rs256 ? "RS256" : a == alg::es256 ? "ES256" : "HS256";
    const std::string header = std::string(R"({"alg":")") + alg_name + R"(","typ":"JWT"})";
    header_b64_.resize(header.size() * 4 / 3 + 4);
    header_b64_.resize(b64url_encode(reinterpret_cast<const unsigned char*>(header.data()), header.size(),
                                     header_b64_.data()));
    payload_head_ = std::string(R"({"email":")") + std::string(claims::email) + R"(","roles":[")" +
                    std::string(claims::role_a) + R"(",")" + std::string(claims::role_b) + R"("],"iat":)";

    if (a == alg::hs256) {
        mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        mac_template_ = mac_ != nullptr ? EVP_MAC_CTX_new(mac_) : nullptr;
        if (mac_template_ == nullptr) die("EVP_MAC");
        char digest[] = "SHA256";
        const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                     OSSL_PARAM_construct_end()};
        if (EVP_MAC_init(mac_template_, reinterpret_cast<const unsigned char*>(keys::hmac_secret),
                         sizeof keys::hmac_secret - 1, params) != 1) {
            die("EVP_MAC_init");
        }
        return;
    }
    private_key_ = read_key(a == alg::rs256 ? keys::rsa_private_pem : keys::ec_private_pem, true);
    public_key_ = read_key(a == alg::rs256 ? keys::rsa_public_pem : keys::ec_public_pem, false);
    sign_template_ = EVP_MD_CTX_new();
    verify_template_ = EVP_MD_CTX_new();
    if (sign_template_ == nullptr || verify_template_ == nullptr ||
        EVP_DigestSignInit_ex(sign_template_, nullptr, "SHA256", nullptr, nullptr, private_key_, nullptr) != 1 ||
        EVP_DigestVerifyInit_ex(verify_template_, nullptr, "SHA256", nullptr, nullptr, public_key_, nullptr) != 1) {
        die("EVP_Digest*Init_ex");
    }
}

floor_jwt::~floor_jwt() {
    EVP_MAC_CTX_free(mac_template_);
    EVP_MAC_free(mac_);
    EVP_MD_CTX_free(sign_template_);
    EVP_MD_CTX_free(verify_template_);
    EVP_PKEY_free(private_key_);
    EVP_PKEY_free(public_key_);
}

std::size_t floor_jwt::sign(const unsigned char* in, std::size_t n, unsigned char* sig) const {
    if (alg_ == alg::hs256) {
        EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(mac_template_);
        std::size_t len = 0;
        const bool ok = ctx != nullptr && EVP_MAC_update(ctx, in, n) == 1 && EVP_MAC_final(ctx, sig, &len, 32) == 1;
        EVP_MAC_CTX_free(ctx);
        return ok ? len : 0;
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::array<unsigned char, 80> der{};
    unsigned char* out = alg_ == alg::es256 ? der.data() : sig;
    std::size_t len = alg_ == alg::es256 ? der.size() : 256;
    const bool ok = ctx != nullptr && EVP_MD_CTX_copy_ex(ctx, sign_template_) == 1 &&
                    EVP_DigestSign(ctx, out, &len, in, n) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) return 0;
    if (alg_ == alg::es256) return der_to_raw(der.data(), len, sig) ? 2 * p256_half : 0;
    return len;
}

std::size_t floor_jwt::write_token(std::int64_t iat, char* out) const {
    // The payload JSON, then header '.' payload '.' signature, all in place.
    char json[256];
    char* p = json;
    std::memcpy(p, payload_head_.data(), payload_head_.size());
    p += payload_head_.size();
    p = put_number(p, iat);
    std::memcpy(p, payload_mid_.data(), payload_mid_.size());
    p += payload_mid_.size();
    p = put_number(p, iat + claims::lifetime_s);
    *p++ = '}';

    char* w = out;
    std::memcpy(w, header_b64_.data(), header_b64_.size());
    w += header_b64_.size();
    *w++ = '.';
    w += b64url_encode(reinterpret_cast<const unsigned char*>(json), static_cast<std::size_t>(p - json), w);
    const auto input_len = static_cast<std::size_t>(w - out);

    unsigned char sig[256];
    const std::size_t sig_len = sign(reinterpret_cast<const unsigned char*>(out), input_len, sig);
    if (sig_len == 0) return 0;
    *w++ = '.';
    w += b64url_encode(sig, sig_len, w);
    return static_cast<std::size_t>(w - out);
}

std::string floor_jwt::mint_at(std::int64_t iat) const {
    char buf[max_token_size];
    const std::size_t n = write_token(iat, buf);
    if (n == 0) die("signing");
    return std::string(buf, n);
}

std::string floor_jwt::mint() const { return mint_at(unix_now()); }

bool floor_jwt::check_signature(const unsigned char* in, std::size_t n, const unsigned char* sig,
                                std::size_t sig_len) const {
    if (alg_ == alg::hs256) {
        unsigned char mac[32];
        if (sig_len != sizeof mac || sign(in, n, mac) != sizeof mac) return false;
        return CRYPTO_memcmp(mac, sig, sizeof mac) == 0;
    }
    std::array<unsigned char, 80> der{};
    if (alg_ == alg::es256) {
        if (sig_len != 2 * p256_half) return false;
        sig_len = raw_to_der(sig, der.data());
        sig = der.data();
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok = ctx != nullptr && EVP_MD_CTX_copy_ex(ctx, verify_template_) == 1 &&
                    EVP_DigestVerify(ctx, sig, sig_len, in, n) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) ERR_clear_error();
    return ok;
}

bool floor_jwt::verify(const std::string& token) const {
    const std::string_view t = token;
    const std::size_t dot1 = t.find('.');
    const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : t.find('.', dot1 + 1);
    // The algorithm is pinned: the header must be the one this floor writes.
    if (dot2 == std::string_view::npos || t.substr(0, dot1) != header_b64_) return false;
    unsigned char sig[300];
    const std::size_t sig_len = b64url_decode(t.substr(dot2 + 1), sig, sizeof sig);
    if (sig_len == SIZE_MAX || !check_signature(reinterpret_cast<const unsigned char*>(t.data()), dot2, sig, sig_len)) {
        return false;
    }
    unsigned char json[768];
    const std::size_t json_len = b64url_decode(t.substr(dot1 + 1, dot2 - dot1 - 1), json, sizeof json);
    if (json_len == SIZE_MAX) return false;
    const std::string_view payload(reinterpret_cast<const char*>(json), json_len);
    std::size_t pos = payload.find("\"exp\":");
    if (pos == std::string_view::npos) return false;
    pos += 6;
    std::int64_t exp = 0;
    std::size_t digits = 0;
    for (; pos < payload.size() && payload[pos] >= '0' && payload[pos] <= '9' && digits < 12; ++pos, ++digits) {
        exp = exp * 10 + (payload[pos] - '0');
    }
    return digits > 0 && unix_now() < exp;
}

std::unique_ptr<implementation> make_floor(alg a) { return std::make_unique<floor_jwt>(a); }

}  // namespace bench
