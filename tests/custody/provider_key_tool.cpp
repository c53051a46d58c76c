// SPDX-License-Identifier: MIT
// The library's key-by-URI API driven from tpm_test.py against a software TPM: each command loads
// a key the way an application would (jwt::<alg>::from_uri, jwt::public_key::from_uri,
// jwt::private_key::from_uri with a jwt::openssl_context) and prints what it got, so the script
// can check it with PyJWT and the openssl command line.
//
//   provider_key_tool mint ALG URI [THREADS COUNT]  tokens, one per line (RS256, PS256, ES256)
//   provider_key_tool pubkey URI                     the public key, SPKI PEM
//   provider_key_tool export URI                     private_key::to_pem: the PEM, or "refused: ..."
//   provider_key_tool propq ALG URI QUERY            mint once with openssl_context{nullptr, QUERY}
//   provider_key_tool libctx ALG URI CONFIG|-        mint once in a new OSSL_LIB_CTX that loaded
//                                                    CONFIG (or nothing, "-")
// Exit status: 0 done, 1 a jwt::error (printed as "error: <code>: <message>"), 2 usage.
#include <jwtmint/jwtmint.hpp>

#include <openssl/provider.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

template <class Signer>
std::string mint_one(const Signer& signer, int n) {
    return jwt::builder{signer}
        .roles({"Support Team"})
        .email("user" + std::to_string(n) + "@example.com")
        .expires_in(5min)
        .sign();
}

/// Mints threads x count tokens with one signer shared by every thread; prints them in order.
template <class Signer>
int mint(const Signer& signer, int threads, int count) {
    std::vector<std::vector<std::string>> out(static_cast<std::size_t>(threads));
    std::vector<std::thread> pool;
    std::vector<std::string> failures(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            auto& mine = out[static_cast<std::size_t>(t)];
            for (int i = 0; i < count; ++i) {
                try {
                    mine.push_back(mint_one(signer, t * count + i));
                } catch (const jwt::error& e) {
                    failures[static_cast<std::size_t>(t)] = e.what();
                    return;
                }
            }
        });
    }
    for (auto& th : pool) th.join();
    for (const auto& f : failures) {
        if (!f.empty()) {
            std::cout << "error: signing_failed: " << f << "\n";
            return 1;
        }
    }
    for (const auto& list : out) {
        for (const auto& token : list) std::cout << token << "\n";
    }
    return 0;
}

template <class T>
struct alg_tag {
    using type = T;
};

template <class F>
int with_alg(std::string_view alg, F&& f) {
    if (alg == "RS256") return f(alg_tag<jwt::rs256>{});
    if (alg == "PS256") return f(alg_tag<jwt::ps256>{});
    if (alg == "ES256") return f(alg_tag<jwt::es256>{});
    std::cerr << "unknown algorithm " << alg << "\n";
    return 2;
}

int run(const std::vector<std::string>& args) {
    if (args.size() < 2) return 2;
    const std::string& cmd = args[0];
    if (cmd == "mint" && (args.size() == 3 || args.size() == 5)) {
        const int threads = args.size() == 5 ? std::atoi(args[3].c_str()) : 1;
        const int count = args.size() == 5 ? std::atoi(args[4].c_str()) : 1;
        return with_alg(args[1], [&](auto tag) {
            using Alg = typename decltype(tag)::type;
            return mint(Alg::from_uri(args[2]), threads, count);
        });
    }
    if (cmd == "pubkey" && args.size() == 2) {
        std::cout << jwt::public_key::from_uri(args[1]).to_pem();
        return 0;
    }
    if (cmd == "export" && args.size() == 2) {
        const jwt::private_key key = jwt::private_key::from_uri(args[1]);
        auto pem = key.try_to_pem();
        if (!pem) {
            std::cout << "refused: " << pem.error().code().message() << ": " << pem.error().what() << "\n";
            return 3;
        }
        std::cout << *pem;
        return 0;
    }
    if (cmd == "propq" && args.size() == 4) {
        jwt::openssl_context ctx;
        ctx.property_query = args[3];
        return with_alg(args[1], [&](auto tag) {
            using Alg = typename decltype(tag)::type;
            std::cout << mint_one(Alg::from_uri(args[2], {}, ctx), 0) << "\n";
            return 0;
        });
    }
    if (cmd == "libctx" && args.size() == 4) {
        OSSL_LIB_CTX* libctx = OSSL_LIB_CTX_new();
        if (libctx == nullptr) return 2;
        int rc = 0;
        if (args[3] != "-" && OSSL_LIB_CTX_load_config(libctx, args[3].c_str()) != 1) {
            std::cout << "error: could not load " << args[3] << " into the new library context\n";
            rc = 2;
        }
        if (rc == 0) {
            try {
                jwt::openssl_context ctx;
                ctx.library_context = libctx;
                rc = with_alg(args[1], [&](auto tag) {
                    using Alg = typename decltype(tag)::type;
                    const auto signer = Alg::from_uri(args[2], {}, ctx);
                    std::cout << mint_one(signer, 0) << "\n";
                    return 0;
                });
            } catch (const jwt::error& e) {
                std::cout << "error: " << e.code().message() << ": " << e.what() << "\n";
                rc = 1;
            }
        }
        OSSL_LIB_CTX_free(libctx);
        return rc;
    }
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    try {
        const int rc = run(args);
        if (rc == 2) std::cerr << "usage: see the comment at the top of provider_key_tool.cpp\n";
        return rc;
    } catch (const jwt::error& e) {
        std::cout << "error: " << e.code().message() << ": " << e.what() << "\n";
        return 1;
    }
}
