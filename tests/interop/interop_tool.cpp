// SPDX-License-Identifier: MIT
// The jwtmint side of the interoperability suite (driven by interop_test.py):
//
//   interop_tool mint   ALG KEY_FILE array|string EMAIL ROLE...   prints one token
//   interop_tool verify ALG KEY_FILE TOKEN_FILE                   prints what jwt::verifier read
//
// ALG is any of the 13 JOSE names jwtmint implements (RS256 ... HS512, EdDSA). For mint,
// KEY_FILE is the private key PEM (or, for HS*, the secret file, its exact bytes); for verify it
// is the public key PEM (or the same secret file).
// mint uses jwt::builder as the host backend does: the roles in the chosen form, the email, and
// a 10-minute lifetime from the real clock. verify pins the algorithm to the key, requires exp
// and the role claim, and refuses lifetimes above 10 minutes (the vendor's recommendation);
// on success it prints one JSON object {"roles", "identity", "iat", "exp", "claims"}, on
// failure "error: <errc name>: <message>" on stderr and exit status 2.
#include <jwtmint/json.hpp>
#include <jwtmint/jwtmint.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

using namespace std::chrono_literals;

int usage() {
    std::fputs(
        "usage: interop_tool mint ALG KEY_FILE array|string EMAIL ROLE...\n"
        "       interop_tool verify ALG KEY_FILE TOKEN_FILE\n",
        stderr);
    return 64;
}

std::string read_all(const char* path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(std::string("cannot read ") + path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

template <class Signer>
std::string mint(const Signer& signer, jwt::role_format form, const std::string& email,
                 const std::vector<std::string>& roles) {
    return jwt::builder{signer}.roles(roles).role_format(form).email(email).expires_in(10min).sign();
}

template <class Verifier>
int verify(Verifier v, const std::string& token) {
    v.max_lifetime(10min).leeway(5s);
    const jwt::verified_token t = v.verify(token);
    nlohmann::json out;
    out["roles"] = t.roles();
    out["identity"] = t.identity() ? nlohmann::json(*t.identity()) : nlohmann::json(nullptr);
    out["iat"] = t.issued_at() ? nlohmann::json(t.issued_at()->time_since_epoch().count()) : nlohmann::json(nullptr);
    out["exp"] = t.expires_at() ? nlohmann::json(t.expires_at()->time_since_epoch().count()) : nlohmann::json(nullptr);
    out["header"] = t.header();
    out["claims"] = t.claims();
    std::printf("%s\n", out.dump().c_str());
    return 0;
}

int run(int argc, char** argv) {
    if (argc < 5) return usage();
    const std::string_view command = argv[1];
    const std::string_view alg = argv[2];
    const char* key_file = argv[3];
    if (command == "mint") {
        if (argc < 7) return usage();
        const std::string_view form_name = argv[4];
        if (form_name != "array" && form_name != "string") return usage();
        const auto form = form_name == "array" ? jwt::role_format::array : jwt::role_format::comma_separated;
        const std::string email = argv[5];
        const std::vector<std::string> roles(argv + 6, argv + argc);
        std::string token;
        const bool known = jwt::with_algorithm(alg, [&](auto tag) {
            using Alg = typename decltype(tag)::type;
            if constexpr (jwt::is_hmac_algorithm_v<Alg>) {
                token = mint(Alg::from_secret_file(key_file), form, email, roles);
            } else {
                token = mint(Alg::from_pem_file(key_file), form, email, roles);
            }
        });
        if (!known) return usage();
        std::printf("%s\n", token.c_str());
        return 0;
    }
    if (command == "verify") {
        const std::string token = read_all(argv[4]);
        int status = 0;
        const bool known = jwt::with_algorithm(alg, [&](auto tag) {
            using Alg = typename decltype(tag)::type;
            if constexpr (jwt::is_hmac_algorithm_v<Alg>) {
                status = verify(jwt::verifier<Alg>::from_secret_file(key_file), token);
            } else {
                status = verify(jwt::verifier<Alg>::from_pem_file(key_file), token);
            }
        });
        if (known) return status;
    }
    return usage();
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const jwt::error& e) {
        std::fprintf(stderr, "error: %s: %s\n", jwt::errc_name(e.value()), e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 3;
    }
}
