// SPDX-License-Identifier: MIT
// Google Benchmark: mint and verify the widget token with every implementation and algorithm,
// side by side in one process, on one thread and on two threads sharing one signer/verifier.
// Names are <op>/<alg>/<impl>/real_time/threads:<n>; items_per_second is tokens per second.
// verify/<alg>/jwtmint-kid and verify/<alg>/jwtmint-jwks (RS256, ES256) verify tokens that carry
// a kid, with the plain verifier of their key and with a jwks_verifier over three keys.
// calibration/compute measures how well the machine itself scales to two threads right now.
#include "common.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <string>
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
            if (i == bench::impl::jwtmint && a != bench::alg::hs256) {
                // Tokens with a kid: the plain verifier of their key, then a JWK Set of three keys
                // (its cost over the plain row is choosing the key).
                for (const bool through_set : {false, true}) {
                    keep.push_back(bench::make_jwtmint_kid(a, through_set));
                    const bench::implementation* k = keep.back().get();
                    const std::string row =
                        "verify/" + std::string(bench::name(a)) + (through_set ? "/jwtmint-jwks" : "/jwtmint-kid");
                    benchmark::RegisterBenchmark(row.c_str(), verify, k, k)->UseRealTime()->Threads(1)->Threads(2);
                }
            }
        }
    }
    benchmark::RegisterBenchmark("calibration/compute", compute)->UseRealTime()->Threads(1)->Threads(2);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
