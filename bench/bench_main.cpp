// SPDX-License-Identifier: MIT
// Google Benchmark: mint and verify the widget token with every implementation and algorithm,
// side by side in one process, on one thread and on two threads sharing one signer/verifier.
// Names are <op>/<alg>/<impl>/real_time/threads:<n>; items_per_second is tokens per second.
// verify/<alg>/jwtmint-kid and verify/<alg>/jwtmint-jwks (RS256, ES256) verify tokens that carry
// a kid, with the plain verifier of their key and with a jwks_verifier over three keys.
// verify-refused/<alg>/jwtmint/<kind> (one thread) has jwtmint's verifier refuse a bad token of
// each kind in bench::refusal, to set beside verify/<alg>/jwtmint: a refusal must cost no more.
// calibration/compute measures how well the machine itself scales to two threads right now.
#include "common.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace {

void mint(benchmark::State& state, const bench::implementation* x) {
    for (auto _ : state) {
        std::string token = x->mint();
        benchmark::DoNotOptimize(token.data());
    }
    state.SetItemsProcessed(state.iterations());
}

void verify(benchmark::State& state, const bench::implementation* x, const bench::implementation* floor) {
    // Minted here, not at start-up: a long run must not outlive the token's ten minutes.
    const std::string token = floor->mint();
    long failures = 0;
    for (auto _ : state) {
        const bool ok = x->verify(token);
        benchmark::DoNotOptimize(ok);
        failures += ok ? 0 : 1;
    }
    if (failures != 0) state.SkipWithError("verification failed");
    state.SetItemsProcessed(state.iterations());
}

void verify_refused(benchmark::State& state, const bench::refused_case* x) {
    const std::string token = x->token();
    // Measuring an accepted path, or another refusal than the one named, would mislead.
    if (const std::string why = x->explain(token); !why.empty()) {
        state.SkipWithError(why.c_str());
        return;
    }
    long accepted = 0;
    for (auto _ : state) {
        const bool refused = x->refused(token);
        benchmark::DoNotOptimize(refused);
        accepted += refused ? 0 : 1;
    }
    if (accepted != 0) state.SkipWithError("a token was not refused as expected");
    state.SetItemsProcessed(state.iterations());
}

// Machine calibration: pure arithmetic, nothing shared. Its two-thread scaling is the most any
// implementation can show on this machine at this moment (other processes, the hypervisor).
void compute(benchmark::State& state) {
    std::uint64_t x = 88172645463325252ULL;
    for (auto _ : state) {
        for (int i = 0; i < 2000; ++i) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        benchmark::DoNotOptimize(x);
    }
    state.SetItemsProcessed(state.iterations());
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

    if (const std::string why = bench::cross_check(); !why.empty()) {
        std::fprintf(stderr, "cross-check failed: %s\n", why.c_str());
        return 1;
    }

    // Built once and shared by every benchmark thread, as a server shares its signer.
    std::vector<std::unique_ptr<bench::implementation>> keep;
    std::vector<std::unique_ptr<bench::refused_case>> keep_refused;
    for (const bench::alg a : bench::all_algs) {
        keep.push_back(bench::make(bench::impl::floor, a));
        const bench::implementation* floor = keep.back().get();
        for (const bench::impl i : bench::all_impls) {
            const bench::implementation* x = floor;
            if (i != bench::impl::floor) {
                keep.push_back(bench::make(i, a));
                x = keep.back().get();
            }
            const std::string suffix = "/" + std::string(bench::name(a)) + "/" + std::string(bench::name(i));
            benchmark::RegisterBenchmark(("mint" + suffix).c_str(), mint, x)->UseRealTime()->Threads(1)->Threads(2);
            benchmark::RegisterBenchmark(("verify" + suffix).c_str(), verify, x, floor)
                ->UseRealTime()
                ->Threads(1)
                ->Threads(2);
            if (i == bench::impl::jwtmint) {
                for (const bench::refusal r : bench::all_refusals) {
                    keep_refused.push_back(bench::make_jwtmint_refused(a, r));
                    const std::string row = "verify-refused/" + std::string(bench::name(a)) + "/jwtmint/" +
                                            std::string(bench::name(r));
                    benchmark::RegisterBenchmark(row.c_str(), verify_refused, keep_refused.back().get())
                        ->UseRealTime()
                        ->Threads(1);
                }
            }
            if (i == bench::impl::jwtmint && a != bench::alg::hs256) {
                // Tokens with a kid: the plain verifier of their key, then a JWK Set of three keys
                // (its cost over the plain row is choosing the key).
                for (const bool through_set : {false, true}) {
                    keep.push_back(bench::make_jwtmint_kid(a, through_set));
                    const bench::implementation* k = keep.back().get();
                    const std::string row = "verify/" + std::string(bench::name(a)) +
                                            (through_set ? "/jwtmint-jwks" : "/jwtmint-kid");
                    benchmark::RegisterBenchmark(row.c_str(), verify, k, k)->UseRealTime()->Threads(1)->Threads(2);
                }
            }
        }
    }
    // Keys held by a provider (bench/provider_rows.py starts a software TPM and names its keys):
    // minting only (verification uses the public key in memory, as every other row), on one thread,
    // since jwtmint gives such a provider one call at a time.
    for (const auto& [a, variable] : {std::pair{bench::alg::rs256, "JWTMINT_BENCH_URI_RS256"},
                                      std::pair{bench::alg::es256, "JWTMINT_BENCH_URI_ES256"}}) {
        const char* uri = std::getenv(variable);
        if (uri == nullptr || *uri == '\0') continue;
        keep.push_back(bench::make_jwtmint_uri(a, uri));
        const bench::implementation* p = keep.back().get();
        const std::string row = "mint/" + std::string(bench::name(a)) + "/jwtmint-provider";
        benchmark::RegisterBenchmark(row.c_str(), mint, p)->UseRealTime()->Threads(1);
    }
    benchmark::RegisterBenchmark("calibration/compute", compute)->UseRealTime()->Threads(1)->Threads(2);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
