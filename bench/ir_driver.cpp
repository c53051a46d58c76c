// SPDX-License-Identifier: MIT
// A small, deterministic driver: `ir_driver <impl> <alg> <mint|verify> <N>` mints or verifies N
// widget tokens with one implementation and exits. Run under callgrind for N1 and N2 tokens,
// (Ir(N2) - Ir(N1)) / (N2 - N1) is the cost of one token with start-up cancelled out.
// `ir_driver jwtmint <alg> verify-refused-<kind> <N>` has jwtmint's verifier refuse N bad tokens
// of one kind (bench::refusal: forged-signature, foreign-key, malformed, expired, unknown-role).
// `ir_driver jwtmint <RS256|ES256> verify-kid-<pinned|remote-1|remote-20> <N>` verifies N tokens
// that carry a kid: with the verifier pinned to their key, or through a remote_jwks_verifier's
// cached set of 1 or 20 keys (bench::make_jwtmint_remote).
// `ir_driver jwtmint <alg> mint-kid-<pinned|ring> <N>` mints N tokens naming their key, by a builder
// over the signer with key_id() or over a jwt::key_ring holding that key (bench::make_jwtmint_ring).
// Built a second time as alloc_driver (BENCH_COUNT_ALLOCS), it prints heap allocations per token.
#include "common.hpp"

#ifdef BENCH_COUNT_ALLOCS
#include "alloc_count.hpp"
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

namespace {
int usage() {
    std::fprintf(
        stderr,
        "usage: ir_driver <floor|jwtmint|cpp-jwt|libjwt> <RS256|ES256|HS256> <mint|verify> <N>\n"
        "       ir_driver jwtmint <RS256|ES256|HS256> verify-refused-<forged-signature|foreign-key|malformed|\n"
        "                                             expired|unknown-role> <N>\n"
        "       ir_driver jwtmint <RS256|ES256> verify-kid-<pinned|remote-1|remote-20> <N>\n"
        "       ir_driver jwtmint <RS256|ES256|HS256> mint-kid-<pinned|ring> <N>\n"
        "       ir_driver --cross-check\n"
        "       ir_driver --cpu-features   (what OpenSSL's capability probe can see; differs under valgrind)\n");
    return 2;
}

int cpu_features() {
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return 1;
    std::printf("sha=%u avx512f=%u adx=%u bmi2=%u avx2=%u\n", (b >> 29) & 1U, (b >> 16) & 1U, (b >> 19) & 1U,
                (b >> 8) & 1U, (b >> 5) & 1U);
#else
    std::printf("not x86\n");
#endif
    return 0;
}

/// The N measured operations, in a function of their own: bench/run.py has callgrind count only
/// inside it (--toggle-collect), so the set-up (key loading, minting the token to verify, RSA
/// blinding set-up), whose cost varies from run to run by millions of instructions, stays out.
template <class Once>
[[gnu::noinline]] void measured_loop(long n, Once& once) {
    for (long i = 0; i < n; ++i) once();
}
}  // namespace

int main(int argc, char** argv) {
#ifdef BENCH_COUNT_ALLOCS
    // Before anything else touches OpenSSL: its allocations are counted only if the hooks are in.
    if (!bench::alloc::install()) {
        std::fprintf(stderr, "alloc_driver: CRYPTO_set_mem_functions refused (OpenSSL allocated before main)\n");
        return 1;
    }
#endif
    if (argc == 2 && std::string(argv[1]) == "--cross-check") {
        const std::string why = bench::cross_check();
        std::printf("%s\n", why.empty() ? "cross-check: all implementations agree" : why.c_str());
        return why.empty() ? 0 : 1;
    }
    if (argc == 2 && std::string(argv[1]) == "--cpu-features") return cpu_features();
    bench::impl which{};
    bench::alg a{};
    if (argc != 5 || !bench::parse(argv[1], which) || !bench::parse(argv[2], a)) return usage();
    const std::string op = argv[3];
    const long n = std::strtol(argv[4], nullptr, 10);
    const std::string refused_prefix = "verify-refused-";
    bench::refusal kind{};
    const bool refusing = op.rfind(refused_prefix, 0) == 0;
    if (refusing && (which != bench::impl::jwtmint || !bench::parse(op.substr(refused_prefix.size()), kind))) {
        return usage();
    }
    std::size_t kid_set_size = 0;
    const bool by_kid = op == "verify-kid-pinned" || op == "verify-kid-remote-1" || op == "verify-kid-remote-20";
    if (by_kid) {
        if (which != bench::impl::jwtmint || a == bench::alg::hs256) return usage();
        kid_set_size = op == "verify-kid-pinned" ? 0 : op == "verify-kid-remote-1" ? 1 : 20;
    }
    const bool ring_mint = op == "mint-kid-pinned" || op == "mint-kid-ring";
    if (ring_mint && which != bench::impl::jwtmint) return usage();
    if ((op != "mint" && op != "verify" && !refusing && !by_kid && !ring_mint) || n < 0) return usage();
    try {
        const auto x = by_kid      ? bench::make_jwtmint_remote(a, kid_set_size)
                       : ring_mint ? bench::make_jwtmint_ring(a, op == "mint-kid-ring")
                                   : bench::make(which, a);
        if (ring_mint && !x->verify(x->mint())) {
            std::fprintf(stderr, "%s %s %s: a token minted does not verify\n", argv[1], argv[2], op.c_str());
            return 1;
        }
        const auto bad = refusing ? bench::make_jwtmint_refused(a, kind) : nullptr;
        const std::string token = refusing         ? bad->token()
                                  : by_kid         ? x->mint()
                                  : op == "verify" ? bench::make(bench::impl::floor, a)->mint()
                                                   : std::string();
        if (refusing) {
            if (const std::string why = bad->explain(token); !why.empty()) {
                std::fprintf(stderr, "%s %s %s: %s\n", argv[1], argv[2], op.c_str(), why.c_str());
                return 1;
            }
        }
        std::size_t sink = 0;
        long failures = 0;
        const auto once = [&] {
            if (op == "mint" || ring_mint) {
                sink += x->mint().size();
            } else if (refusing) {
                if (!bad->refused(token)) ++failures;
            } else if (!x->verify(token)) {
                ++failures;
            }
        };
        for (int i = 0; i < 4; ++i) once();  // lazy initialisation inside the libraries happens here
#ifdef BENCH_COUNT_ALLOCS
        const auto before = bench::alloc::snapshot();
#endif
        measured_loop(n, once);
#ifdef BENCH_COUNT_ALLOCS
        const auto after = bench::alloc::snapshot();
        const auto per = [&](std::uint64_t a1, std::uint64_t a0) {
            return n > 0 ? static_cast<double>(a1 - a0) / static_cast<double>(n) : 0.0;
        };
        std::printf(
            "{\"impl\":\"%s\",\"alg\":\"%s\",\"op\":\"%s\",\"n\":%ld,\"allocs\":%.2f,\"new\":%.2f,\"openssl\":%.2f,"
            "\"bytes\":%.1f}\n",
            argv[1], argv[2], op.c_str(), n, per(after.total, before.total), per(after.cxx_new, before.cxx_new),
            per(after.openssl, before.openssl), per(after.bytes, before.bytes));
#else
        std::printf("%s %s %s %ld tokens (%zu octets)\n", argv[1], argv[2], op.c_str(), n, sink);
#endif
        if (failures != 0) {
            std::fprintf(stderr, refusing ? "%ld tokens not refused as expected\n" : "%ld verifications failed\n",
                         failures);
            return 1;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
