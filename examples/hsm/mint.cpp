// SPDX-License-Identifier: MIT
// jwtmint-hsm-mint: mints a widget-login token with a key held in a PKCS#11 token, or prints the
// key's public half (SPKI PEM) to paste into the vendor's JWT settings.
//
//   JWTMINT_HSM_PIN=... jwtmint-hsm-mint --token LABEL --key LABEL [--alg RS256|ES256]
//                       [--module PATH] [--email E] [--role R]... [--public-key]
#include <jwtmint/jwtmint.hpp>

#include "pkcs11_signer.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr const char* usage =
    "usage: JWTMINT_HSM_PIN=<user PIN> jwtmint-hsm-mint --token LABEL --key LABEL [options]\n"
    "  --module PATH   the PKCS#11 module (default: /usr/lib/softhsm/libsofthsm2.so, SoftHSM 2 on "
    "Debian)\n"
    "  --token LABEL   the token's label\n"
    "  --key LABEL     the private key's label on the token\n"
    "  --alg ALG       RS256 (default) or ES256\n"
    "  --email E       the session email (default: ada@example.com)\n"
    "  --role R        a team role; repeat for more (default: Support Team)\n"
    "  --public-key    print the key's public half as SPKI PEM instead of minting\n"
    "The PIN is read from the environment, never from the command line (where ps would show it).\n";

struct options {
    std::string module = "/usr/lib/softhsm/libsofthsm2.so";
    std::string token;
    std::string key;
    std::string alg = "RS256";
    std::string email = "ada@example.com";
    std::vector<std::string> roles;
    bool public_key = false;
};

/// Parses argv into opts; returns an error message, or "" on success.
std::string parse(int argc, char** argv, options& opts) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--public-key") {
            opts.public_key = true;
            continue;
        }
        if (arg == "--help" || arg == "-h") return "help";
        std::string* target = nullptr;
        if (arg == "--module") target = &opts.module;
        if (arg == "--token") target = &opts.token;
        if (arg == "--key") target = &opts.key;
        if (arg == "--alg") target = &opts.alg;
        if (arg == "--email") target = &opts.email;
        if (target == nullptr && arg != "--role") return "unknown option " + std::string(arg);
        if (i + 1 >= argc) return std::string(arg) + " needs a value";
        if (target != nullptr) {
            *target = argv[++i];
        } else {
            opts.roles.emplace_back(argv[++i]);
        }
    }
    if (opts.token.empty()) return "--token is required";
    if (opts.key.empty()) return "--key is required";
    if (opts.alg != "RS256" && opts.alg != "ES256") return "--alg must be RS256 or ES256, not " + opts.alg;
    if (opts.roles.empty()) opts.roles.emplace_back("Support Team");
    return {};
}

template <class Signer>
int run(const Signer& signer, const options& opts) {
    using namespace std::chrono_literals;
    if (opts.public_key) {
        std::string pem = signer.public_key().to_pem();
        if (!pem.empty() && pem.back() != '\n') pem += '\n';
        std::fputs(pem.c_str(), stdout);
        return 0;
    }
    // The same builder call as with a jwt::rs256 loaded from a PEM file: the signer is the only
    // change.
    const std::string token = jwt::builder{signer}.roles(opts.roles).email(opts.email).expires_in(10min).sign();
    std::printf("%s\n", token.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    options opts;
    if (const std::string problem = parse(argc, argv, opts); !problem.empty()) {
        if (problem == "help") {
            std::fputs(usage, stdout);
            return 0;
        }
        std::fprintf(stderr, "jwtmint-hsm-mint: %s\n%s", problem.c_str(), usage);
        return 2;
    }
    const char* pin = std::getenv("JWTMINT_HSM_PIN");  // NOLINT(concurrency-mt-unsafe): one thread
    if (pin == nullptr) {
        std::fprintf(stderr, "jwtmint-hsm-mint: set JWTMINT_HSM_PIN to the token's user PIN\n");
        return 2;
    }
    try {
        // Once, at start-up: load the module, log in, find the key. Per token: one signature in the
        // HSM.
        const auto token = hsm::pkcs11_token::open(opts.module, opts.token, pin);
        if (opts.alg == "ES256") return run(hsm::pkcs11_es256::from_token(token, opts.key), opts);
        return run(hsm::pkcs11_rs256::from_token(token, opts.key), opts);
    } catch (const jwt::error& e) {
        std::fprintf(stderr, "jwtmint-hsm-mint: %s: %s\n", jwt::errc_name(e.value()), e.what());
        if (e.value() == jwt::errc::bad_passphrase) std::fprintf(stderr, "(the PIN was read from JWTMINT_HSM_PIN)\n");
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "jwtmint-hsm-mint: %s\n", e.what());
        return 1;
    }
}
