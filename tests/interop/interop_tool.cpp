// SPDX-License-Identifier: MIT
// The jwtmint side of the interoperability suite (driven by interop_test.py):
//
//   interop_tool mint   ALG KEY_FILE array|string EMAIL ROLE...   prints one token
//   interop_tool verify ALG KEY_FILE TOKEN_FILE                   prints what jwt::verifier read
//   interop_tool rotate ALG OUT_DIR OLD_KEY NEW_KEY               a key ring's rotation, as files
//
// ALG is any of the 13 JOSE names jwtmint implements (RS256 ... HS512, EdDSA). For mint,
// KEY_FILE is the private key PEM (or, for HS*, the secret file, its exact bytes); for verify it
// is the public key PEM (or the same secret file).
// mint uses jwt::builder as the host backend does: the roles in the chosen form, the email, and
// a 10-minute lifetime from the real clock. verify pins the algorithm to the key, requires exp
// and the role claim, and refuses lifetimes above 10 minutes (the vendor's recommendation);
// on success it prints one JSON object {"roles", "identity", "iat", "exp", "claims"}, on
// failure "error: <errc name>: <message>" on stderr and exit status 2.
// rotate runs a jwt::key_ring<ALG> through one rotation from OLD_KEY to NEW_KEY (private PEMs) and
// writes, in OUT_DIR, the tokens it mints and the JWK Sets it publishes at each step:
// before.jwt and jwks-before.json (OLD_KEY current), during.jwt and jwks-next.json (NEW_KEY added
// as next), after.jwt and jwks-promoted.json (NEW_KEY promoted, OLD_KEY retired), and
// jwks-retired.json (OLD_KEY retired at once by retire()); a peer checks them (rotation_test.py).
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
        "       interop_tool verify ALG KEY_FILE TOKEN_FILE\n"
        "       interop_tool rotate ALG OUT_DIR OLD_KEY NEW_KEY\n",
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

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text << '\n';
    if (!out) throw std::runtime_error("cannot write " + path);
}

template <class Signer>
void rotate(const std::string& dir, const char* old_key, const char* new_key) {
    auto ring = jwt::key_ring<Signer>::create(Signer::from_pem_file(old_key));
    const auto step = [&](const char* name) {
        write_file(dir + "/" + name + ".jwt",
                   jwt::builder{ring}.roles({"Support Team"}).email("ada@example.com").expires_in(10min).sign());
    };
    step("before");
    write_file(dir + "/jwks-before.json", ring.public_jwks());
    const std::string old_kid = ring.current_key_id();
    ring.add_next(Signer::from_pem_file(new_key));
    step("during");
    write_file(dir + "/jwks-next.json", ring.public_jwks());
    ring.promote();
    step("after");
    write_file(dir + "/jwks-promoted.json", ring.public_jwks());
    ring.retire(old_kid);
    write_file(dir + "/jwks-retired.json", ring.public_jwks());
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
    if (command == "rotate") {
        if (argc != 6) return usage();
        bool pkey = false;
        const bool known = jwt::with_algorithm(alg, [&](auto tag) {
            using Alg = typename decltype(tag)::type;
            if constexpr (jwt::is_pkey_algorithm_v<Alg>) {
                pkey = true;
                rotate<Alg>(key_file, argv[4], argv[5]);
            }
        });
        return known && pkey ? 0 : usage();
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
