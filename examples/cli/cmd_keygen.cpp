// SPDX-License-Identifier: MIT
// jwtmint keygen {rs256|es256|hs256} --out FILE: a new private key or secret, written 0600.
#include <cstdio>
#include <filesystem>
#include <jwtmint/base64url.hpp>
#include <jwtmint/key.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "key_io.hpp"

namespace cli {

namespace {

int keygen_pem(const keygen_options& o, algorithm a) {
    secret_buffer passphrase;
    if (!o.passphrase_file.empty()) passphrase = read_passphrase_file(o.passphrase_file);
    const jwt::private_key key = a == algorithm::rs256 ? jwt::private_key::generate_rsa(o.bits)
                                                       : jwt::private_key::generate_ec_p256();
    std::string pem = key.to_pem(passphrase.view());
    const secret_buffer pem_bytes(pem);
    OPENSSL_cleanse(pem.data(), pem.size());
    write_private_file(o.out, pem_bytes.view(), o.force);

    // stdout carries only what goes into the vendor's settings, so `> public.pem` works.
    std::fputs(key.public_key_pem().c_str(), stdout);
    const jwt::key_info info = key.info();
    const std::string kind =
        a == algorithm::rs256 ? "RSA " + std::to_string(info.bits) + "-bit" : "EC P-256";
    std::fprintf(stderr, "jwtmint: wrote a new %s private key to '%s' (mode 0600%s).\n",
                 kind.c_str(), o.out.c_str(),
                 passphrase.empty() ? "" : ", encrypted with the passphrase");
    std::fprintf(stderr,
                 "jwtmint: it stays on the server; paste the public key above into the vendor's\n");
    std::fprintf(stderr, "         settings (SSO tab, JWT Authorization, algorithm %s).\n",
                 algorithm_name(a));
    std::fprintf(stderr, "jwtmint: sign with: jwtmint sign --key %s --role \"Team Role\"\n",
                 o.out.c_str());
    return exit_ok;
}

int keygen_secret(const keygen_options& o) {
    secret_buffer secret;
    do {
        std::string raw = jwt::generate_hmac_secret(o.bytes);
        secret = secret_buffer(raw);
        OPENSSL_cleanse(raw.data(), raw.size());
        // Draw again in the rare case the bytes would read back as something else (a '{' ... '}'
        // text, a DER header) or as text with a trailing line break.
    } while (classify_key_bytes(secret.view()) != key_file_kind::secret ||
             has_trailing_line_break(secret.view()));
    std::string encoded = jwt::base64url_encode(secret.view());
    const secret_buffer text(encoded);
    OPENSSL_cleanse(encoded.data(), encoded.size());

    const bool as_text = o.format == "base64url";
    // raw: the file's bytes are the random octets themselves. base64url: the file holds the
    // 43+ printable characters, and those characters (as bytes) are the HMAC key.
    write_private_file(o.out, as_text ? text.view() : secret.view(), o.force);
    std::fwrite(text.view().data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    if (as_text) {
        std::fprintf(stderr,
                     "jwtmint: wrote a new HS256 secret to '%s' (mode 0600): the %zu characters\n",
                     o.out.c_str(), text.size());
        std::fputs(
            "         printed above, without a line break. HS256 is symmetric: paste exactly\n"
            "         this text into the vendor's settings (algorithm HS256), and keep it as\n"
            "         secret as a private key.\n",
            stderr);
    } else {
        std::fprintf(
            stderr,
            "jwtmint: wrote a new %zu-byte HS256 secret to '%s' (mode 0600), as raw bytes.\n",
            secret.size(), o.out.c_str());
        std::fputs(
            "         HS256 is symmetric: the vendor must hold the very same bytes. The line\n"
            "         above is that secret in base64url; give it to the vendor only where its\n"
            "         settings take a base64url-encoded secret. Where they take the secret as\n"
            "         typed text, make a text secret instead:\n"
            "         jwtmint keygen hs256 --format base64url --out FILE\n",
            stderr);
    }
    return exit_ok;
}

}  // namespace

int run_keygen(const keygen_options& o) {
    const auto a = parse_algorithm(o.algorithm);
    if (!a)
        throw usage_error("unknown algorithm '" + o.algorithm + "' (use rs256, es256 or hs256)");
    if (o.bits_given && *a != algorithm::rs256) {
        throw usage_error(
            "--bits is for rs256 keys (ES256 keys are always P-256; HS256 secrets take --bytes)");
    }
    if ((o.bytes_given || o.format_given) && *a != algorithm::hs256) {
        throw usage_error(std::string(o.bytes_given ? "--bytes" : "--format") +
                          " is for hs256 secrets");
    }
    if (!o.passphrase_file.empty() && *a == algorithm::hs256) {
        throw usage_error(
            "--passphrase-file encrypts PEM keys; an HS256 secret file is not encrypted");
    }
    std::error_code ec;
    if (!o.force &&
        std::filesystem::symlink_status(o.out, ec).type() !=
            std::filesystem::file_type::not_found &&
        !ec) {
        // Checked again atomically when the file is created; this only saves a slow RSA keygen.
        throw jwt::error(
            jwt::errc::key_file_error,
            "'" + o.out +
                "' already exists; keygen never overwrites a key without --force (make sure "
                "nothing uses the old key first)");
    }
    if (*a == algorithm::hs256) return keygen_secret(o);
    return keygen_pem(o, *a);
}

}  // namespace cli
