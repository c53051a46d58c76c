// SPDX-License-Identifier: MIT
// Naming, construction and the start-up cross-check of the benchmarked implementations.
#include "common.hpp"

#include <chrono>
#include <exception>

namespace bench {

std::unique_ptr<implementation> make(impl i, alg a) {
    switch (i) {
        case impl::floor: return make_floor(a);
        case impl::jwtmint: return make_jwtmint(a);
        case impl::cppjwt: return make_cppjwt(a);
        case impl::libjwt: break;
    }
    return make_libjwt(a);
}

std::string_view name(impl i) {
    switch (i) {
        case impl::floor: return "floor";
        case impl::jwtmint: return "jwtmint";
        case impl::cppjwt: return "cpp-jwt";
        case impl::libjwt: break;
    }
    return "libjwt";
}

std::string_view name(alg a) {
    switch (a) {
        case alg::rs256: return "RS256";
        case alg::es256: return "ES256";
        case alg::hs256: break;
    }
    return "HS256";
}

std::string_view name(refusal r) {
    switch (r) {
        case refusal::forged_signature: return "forged-signature";
        case refusal::foreign_key: return "foreign-key";
        case refusal::malformed: return "malformed";
        case refusal::expired: return "expired";
        case refusal::unknown_role: break;
    }
    return "unknown-role";
}

bool parse(std::string_view text, refusal& out) {
    for (const refusal r : all_refusals) {
        if (text == name(r)) {
            out = r;
            return true;
        }
    }
    return false;
}

bool parse(std::string_view text, impl& out) {
    for (const impl i : all_impls) {
        if (text == name(i)) {
            out = i;
            return true;
        }
    }
    return false;
}

bool parse(std::string_view text, alg& out) {
    for (const alg a : all_algs) {
        if (text == name(a)) {
            out = a;
            return true;
        }
    }
    return false;
}

std::string cross_check() {
    try {
        const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
        for (const alg a : all_algs) {
            const std::string where = std::string(name(a)) + ": ";
            const auto floor = make(impl::floor, a);
            if (a != alg::es256) {
                const auto ours = make(impl::jwtmint, a);
                if (floor->mint_at(now) != ours->mint_at(now))
                    return where + "jwtmint and the floor mint different bytes";
            }
            const std::string floor_token = floor->mint();
            for (const impl i : all_impls) {
                const auto x = make(i, a);
                const std::string who = where + std::string(name(i)) + ": ";
                const std::string token = x->mint();
                if (auto why = jwtmint_judge(a, token); !why.empty()) return who + "its token: " + why;
                if (!floor->verify(token)) return who + "the floor refuses its token";
                if (!x->verify(floor_token)) return who + "refuses the floor's token";
                if (!x->verify(token)) return who + "refuses its own token";
                std::string tampered = floor_token;
                tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
                if (x->verify(tampered)) return who + "accepts a tampered token";
            }
        }
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

}  // namespace bench
