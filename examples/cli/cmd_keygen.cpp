// SPDX-License-Identifier: MIT
// jwtmint keygen ALG --out FILE: a new private key or secret fitting ALG, written 0600.
#include <jwtmint/base64url.hpp>
#include <jwtmint/key.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "common/key_rotation.hpp"
#include "jwk.hpp"
#include "key_io.hpp"

#include <cstdio>
#include <filesystem>

namespace cli {

namespace {

/// Whether path names anything, a dangling symbolic link included.
bool exists_or_link(const std::string& path) {
    std::error_code ec;
    return std::filesystem::symlink_status(path, ec).type() != std::filesystem::file_type::not_found && !ec;
}

template <class Alg>
jwt::private_key generate_key(const keygen_options& o) {
    constexpr key_kind kind = key_kind_of<Alg>();
    if constexpr (kind == key_kind::rsa) {
        return jwt::private_key::generate_rsa(o.bits);
    } else if constexpr (kind == key_kind::ec) {
        return jwt::private_key::generate_ec(Alg::spec.curve);
    } else {
        return jwt::private_key::generate_ed25519();
    }
}

/// What `sign` needs besides --key to pick Alg: nothing when Alg is what the key implies.
template <class Alg>
std::string alg_option_for_sign() {
    constexpr key_kind kind = key_kind_of<Alg>();
    const bool implied = (kind == key_kind::rsa && Alg::alg == "RS256") ||
                         (kind == key_kind::secret && Alg::alg == "HS256") || kind == key_kind::ec ||
                         kind == key_kind::ed25519;
    return implied ? std::string() : " --alg " + std::string(Alg::alg);
}

/// With --next: the current key (--out), read and checked to be one for Alg, and its kid.
template <class Alg>
std::string current_key_id(const keygen_options& o, const secret_buffer& passphrase) {
    const key_material current = load_key(o.out, passphrase.view());
    try {
        (void)make_signer<Alg>(current);
    } catch (const jwt::error& e) {
        throw jwt::error(e.value(), "--next: the current key '" + o.out + "' does not sign " + std::string(Alg::alg) +
                                        " (" + e.what() +
                                        "); the next key of a rotation is for the algorithm of the current one, "
                                        "which the vendor's settings name");
    }
    return cli::jwk_thumbprint(current.public_half());
}

template <class Alg>
int keygen_pem(const keygen_options& o, const std::string& out) {
    const secret_buffer passphrase = passphrase_for(o.passphrase_file);
    const std::string current_kid = o.next ? current_key_id<Alg>(o, passphrase) : std::string();
    const jwt::private_key key = generate_key<Alg>(o);
    // The library's own checks (type, curve, size, a test signature) before the file exists.
    (void)Alg::from_key(key);
    std::string pem = key.to_pem(passphrase.view());
    const secret_buffer pem_bytes(pem);
    OPENSSL_cleanse(pem.data(), pem.size());
    const std::string public_pem = key.public_key_pem();
    if (o.public_out.empty()) {
        write_private_file(out, pem_bytes.view(), o.force);
        // stdout carries only what goes into the vendor's settings, so `> public.pem` works.
        std::fputs(public_pem.c_str(), stdout);
    } else {
        write_new_files({new_file{out, pem_bytes.view(), 0600}, new_file{o.public_out, public_pem, 0644}}, o.force);
        std::fprintf(stderr, "jwtmint: wrote the public key to '%s'.\n", o.public_out.c_str());
    }
    const jwt::key_info info = key.info();
    std::string kind = "Ed25519";
    if (key_kind_of<Alg>() == key_kind::rsa) kind = "RSA " + std::to_string(info.bits) + "-bit";
    if (key_kind_of<Alg>() == key_kind::ec) kind = "EC " + info.curve;
    std::fprintf(stderr, "jwtmint: wrote %s private key to '%s' (mode 0600%s).\n", with_article("new " + kind).c_str(),
                 out.c_str(),
                 passphrase.empty() ? "" : (", encrypted with the passphrase from " + passphrase_source()).c_str());
    if (!o.next) {
        std::fprintf(stderr, "jwtmint: it stays on the server; paste the public key %s into the vendor's\n",
                     o.public_out.empty() ? "above" : ("in '" + o.public_out + "'").c_str());
        std::fprintf(stderr, "         settings (SSO tab, JWT Authorization, algorithm %s).\n", Alg::alg.data());
        std::fprintf(stderr, "jwtmint: sign with: jwtmint sign --key %s%s --role \"Team Role\"\n", out.c_str(),
                     alg_option_for_sign<Alg>().c_str());
        return exit_ok;
    }
    const std::string next_kid = cli::jwk_thumbprint(jwt::public_key::from_private(key));
    std::fprintf(stderr,
                 "jwtmint: the next key after '%s': kid %s (the current key is kid %s).\n"
                 "jwtmint: it does not sign yet. To rotate:\n"
                 "  1. Publish it beside the current key. A jwtmint-host-backend using %s\n"
                 "     adds it on SIGHUP (kill -HUP PID) and serves both at /.well-known/jwks.json; or:\n"
                 "       jwtmint pubkey --key %s --key %s --format jwks\n"
                 "  2. Promote it, and at that moment paste the public key above into the vendor's settings\n"
                 "     (SSO tab, JWT Authorization, algorithm %s): they hold one key, the one that signs.\n"
                 "       mv %s %s && kill -HUP PID\n"
                 "  jwtmint doctor --key %s says which key the vendor must have.\n",
                 o.out.c_str(), next_kid.c_str(), current_kid.c_str(), o.out.c_str(), o.out.c_str(), out.c_str(),
                 Alg::alg.data(), out.c_str(), o.out.c_str(), o.out.c_str());
    return exit_ok;
}

template <class Alg>
int keygen_secret(const keygen_options& o) {
    const std::size_t n = o.bytes_given ? o.bytes : Alg::spec.size;
    const char* alg = Alg::alg.data();
    secret_buffer secret;
    do {
        std::string raw = jwt::generate_hmac_secret(n);
        secret = secret_buffer(raw);
        OPENSSL_cleanse(raw.data(), raw.size());
        // Draw again in the rare case the bytes would read back as something else (a '{' ... '}'
        // text, a DER header) or as text with a trailing line break.
    } while (classify_key_bytes(secret.view()) != key_file_kind::secret || has_trailing_line_break(secret.view()));
    // The library's length rule (RFC 7518 section 3.2: at least the hash length), applied to the
    // random bytes themselves, before the file exists.
    (void)Alg::from_secret(secret.view());
    std::string encoded = jwt::base64url_encode(secret.view());
    const secret_buffer text(encoded);
    OPENSSL_cleanse(encoded.data(), encoded.size());

    const bool as_text = o.format == "base64url";
    // raw: the file's bytes are the random octets themselves. base64url: the file holds the
    // printable characters, and those characters (as bytes) are the HMAC key.
    write_private_file(o.out, as_text ? text.view() : secret.view(), o.force);
    // A short write sets stdout's error indicator, which main checks before exit.
    static_cast<void>(std::fwrite(text.view().data(), 1, text.size(), stdout));
    std::fputc('\n', stdout);
    if (as_text) {
        std::fprintf(stderr, "jwtmint: wrote a new %s secret to '%s' (mode 0600): the %zu characters\n", alg,
                     o.out.c_str(), text.size());
        std::fprintf(stderr,
                     "         printed above, without a line break. %s is symmetric: paste exactly\n"
                     "         this text into the vendor's settings (algorithm %s), and keep it as\n"
                     "         secret as a private key.\n",
                     alg, alg);
    } else {
        std::fprintf(stderr, "jwtmint: wrote a new %zu-byte %s secret to '%s' (mode 0600), as raw bytes.\n",
                     secret.size(), alg, o.out.c_str());
        std::fprintf(stderr,
                     "         %s is symmetric: the vendor must hold the very same bytes. The line\n"
                     "         above is that secret in base64url; give it to the vendor only where its\n"
                     "         settings take a base64url-encoded secret. Where they take the secret as\n"
                     "         typed text, make a text secret instead:\n"
                     "         jwtmint keygen %s --format base64url --out FILE\n",
                     alg, lower(alg).c_str());
    }
    const std::string alg_option = alg_option_for_sign<Alg>();
    if (!alg_option.empty()) {
        std::fprintf(stderr, "jwtmint: sign with: jwtmint sign --key %s%s --role \"Team Role\"\n", o.out.c_str(),
                     alg_option.c_str());
    }
    return exit_ok;
}

template <class Alg>
int keygen(const keygen_options& o) {
    constexpr key_kind kind = key_kind_of<Alg>();
    const std::string name = lower(Alg::alg);
    if (o.bits_given && kind != key_kind::rsa) {
        std::string why = "an " + std::string(Alg::alg) + " secret takes --bytes";
        if constexpr (kind == key_kind::ec) {
            why = "an " + std::string(Alg::alg) + " key is always on " + std::string(Alg::spec.curve);
        } else if constexpr (kind == key_kind::ed25519) {
            why = "an EdDSA key is always Ed25519";
        }
        throw usage_error("--bits is for RSA keys (rs256 ... ps512); " + why);
    }
    if ((o.bytes_given || o.format_given) && kind != key_kind::secret) {
        throw usage_error(std::string(o.bytes_given ? "--bytes" : "--format") +
                          " is for HMAC secrets (hs256, hs384, hs512), not " + name + " keys");
    }
    if (!o.passphrase_file.empty() && kind == key_kind::secret) {
        throw usage_error("--passphrase-file encrypts PEM keys; an " + std::string(Alg::alg) +
                          " secret file is not encrypted");
    }
    if (o.next && kind == key_kind::secret) {
        throw usage_error("--next is for the key pairs whose public keys are published (rs*, ps*, es*, eddsa); an " +
                          std::string(Alg::alg) +
                          " secret is never published: write a new one and switch the vendor's setting and the "
                          "backend to it at once");
    }
    const std::string out = o.next ? jwtmint_examples::next_key_path(o.out).string() : o.out;
    std::error_code ec;
    if (o.next && !std::filesystem::exists(o.out, ec)) {
        throw jwt::error(jwt::errc::key_file_error,
                         "--next: there is no current key '" + o.out +
                             "' to add a next key beside; --out names the current key with --next (make the first "
                             "key without --next: jwtmint keygen " +
                             name + " --out " + o.out + ")");
    }
    if (!o.public_out.empty() && kind == key_kind::secret) {
        throw usage_error("--public-out is for key pairs (rs*, ps*, es*, eddsa); an " + std::string(Alg::alg) +
                          " secret has no public key (the secret itself goes into the vendor's settings)");
    }
    if (!o.public_out.empty() &&
        std::filesystem::path(o.public_out).lexically_normal() == std::filesystem::path(out).lexically_normal()) {
        throw usage_error("--public-out names the same file as the private key '" + out + "'");
    }
    // Checked again atomically when the files are moved into place; this only saves a slow RSA
    // keygen, and writes neither file when either exists.
    if (!o.force && exists_or_link(out)) {
        std::string fix = o.next ? "make sure it is not published or pasted anywhere yet"
                                 : "make sure nothing uses the old key";
        throw jwt::error(
            jwt::errc::key_file_error,
            "'" + out + "' already exists; keygen never overwrites a key without --force (" + fix +
                " first); to print its public key again: jwtmint pubkey --key " + out + " > public_key.pem" +
                (o.public_out.empty() ? " (and --public-out FILE writes a new key's public key to a file, so a '>' "
                                        "redirect cannot empty the old one)"
                                      : "") +
                "; nothing was written");
    }
    if (!o.force && !o.public_out.empty() && exists_or_link(o.public_out)) {
        throw jwt::error(jwt::errc::key_file_error, "'" + o.public_out +
                                                        "' (--public-out) already exists and keygen never "
                                                        "overwrites it without --force; nothing was written");
    }
    if constexpr (kind == key_kind::secret) {
        return keygen_secret<Alg>(o);
    } else {
        return keygen_pem<Alg>(o, out);
    }
}

}  // namespace

int run_keygen(const keygen_options& o) {
    const auto a = parse_algorithm(o.algorithm);
    if (!a) {
        throw usage_error("unknown algorithm '" + o.algorithm + "' (use one of " + algorithm_list(true) + ")");
    }
    return with_algorithm(*a, [&](auto tag) { return keygen<typename decltype(tag)::type>(o); });
}

}  // namespace cli
