// SPDX-License-Identifier: MIT
// jwtmint-sign-ceiling: how many tokens this machine's cores mint per second with a given key file,
// the ceiling that bench/host_load/run.py holds the host backend's token endpoint against.
//
//   jwtmint-sign-ceiling --alg rs256|es256|hs256 --key FILE [--threads N] [--seconds D] [--warmup W]
//
// The key file is the one jwtmint-host-backend signs with (a PEM private key, or the HS256 secret
// file, whose bytes are the secret). The key is loaded and the tokens minted by the host backend's
// own code (examples/host_backend/signing.cpp: host::load_or_create_key, host::token_minter), so
// each token is the one the server mints for its demo user ada: the widget's default login policy,
// a key ring for RS256 and ES256 (so a kid header), roles, email, sub, a random jti, iat and exp
// 600 s later. N threads (default: one per
// core) mint for W seconds unmeasured, then for D seconds counted; the result is one JSON line:
//   {"alg":"RS256","threads":2,"seconds":5.000,"tokens":40500,"tokens_per_s":8100.0}
#include <jwtmint/error.hpp>
#include <jwtmint/login_policy.hpp>

#include "signing.hpp"
#include "users.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using steady = std::chrono::steady_clock;

constexpr const char* usage =
    "usage: jwtmint-sign-ceiling --alg rs256|es256|hs256 --key FILE [--threads N] [--seconds D] [--warmup W]\n"
    "  mints host-backend tokens with the key FILE on N threads (default: one per core) for W seconds\n"
    "  (default 0.5) unmeasured, then D seconds (default 5) counted; prints one JSON line\n";

struct options {
    std::string alg;
    std::string key;
    unsigned threads = 0;  // 0: one per core
    double seconds = 5.0;
    double warmup = 0.5;
};

/// A thread's count on a cache line of its own, so that counting costs no line transfers.
struct alignas(64) counter {
    std::atomic<std::uint64_t> tokens{0};
};

bool parse_number(std::string_view text, double& out) {
    const char* const end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

bool parse_number(std::string_view text, unsigned& out) {
    const char* const end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

/// The options, or a message saying what is wrong with them ("" when they are right).
std::string parse(int argc, char** argv, options& o) {
    const std::vector<std::string_view> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view name = args[i];
        if (name == "-h" || name == "--help") return "help";
        if (name != "--alg" && name != "--key" && name != "--threads" && name != "--seconds" && name != "--warmup") {
            return "unknown option " + std::string(name);
        }
        if (i + 1 >= args.size()) return std::string(name) + " needs a value";
        const std::string_view value = args[++i];
        if (name == "--alg") {
            o.alg = std::string(value);
        } else if (name == "--key") {
            o.key = std::string(value);
        } else if (name == "--threads") {
            if (!parse_number(value, o.threads) || o.threads == 0 || o.threads > 1024) {
                return "--threads is a number from 1 to 1024";
            }
        } else if (name == "--seconds") {
            if (!parse_number(value, o.seconds) || !(o.seconds > 0.0 && o.seconds <= 3600.0)) {
                return "--seconds is more than 0 and at most 3600";
            }
        } else {
            if (!parse_number(value, o.warmup) || !(o.warmup >= 0.0 && o.warmup <= 600.0)) {
                return "--warmup is from 0 to 600";
            }
        }
    }
    if (o.alg != "rs256" && o.alg != "es256" && o.alg != "hs256") return "--alg is rs256, es256 or hs256";
    if (o.key.empty()) return "--key FILE is required";
    if (o.threads == 0) o.threads = std::max(1U, std::thread::hardware_concurrency());
    return {};
}

/// The host backend's demo user ada (examples/host_backend/users.json), as the token needs her.
host::user demo_user() {
    host::user u;
    u.username = "ada";
    u.display_name = "Ada Lovelace";
    u.email = "ada@example.com";
    u.roles = {"Accounting Team", "Support Team"};
    return u;
}

std::chrono::duration<double> seconds_of(double s) { return std::chrono::duration<double>(s); }

std::uint64_t total(const std::vector<counter>& counts) {
    std::uint64_t sum = 0;
    for (const counter& c : counts) sum += c.tokens.load(std::memory_order_relaxed);
    return sum;
}

/// Mints on o.threads threads; prints the JSON line. Each thread's first token is minted before
/// the clock starts, so a key or policy that cannot sign fails here rather than counting nothing.
void measure(const host::token_minter& minter, const options& o) {
    const host::user ada = demo_user();
    static_cast<void>(minter.mint(ada));

    std::vector<counter> counts(o.threads);
    std::atomic<bool> stop{false};
    std::atomic<bool> failed{false};
    std::vector<std::thread> workers;
    workers.reserve(o.threads);
    for (unsigned t = 0; t < o.threads; ++t) {
        workers.emplace_back([&, t] {
            std::atomic<std::uint64_t>& mine = counts[t].tokens;
            try {
                while (!stop.load(std::memory_order_relaxed)) {
                    static_cast<void>(minter.mint(ada));
                    mine.store(mine.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
                }
            } catch (const std::exception& e) {
                std::fprintf(stderr, "jwtmint-sign-ceiling: a thread stopped: %s\n", e.what());
                failed.store(true);
                stop.store(true);
            }
        });
    }
    std::this_thread::sleep_for(seconds_of(o.warmup));
    const std::uint64_t first = total(counts);
    const steady::time_point start = steady::now();
    std::this_thread::sleep_for(seconds_of(o.seconds));
    const std::uint64_t last = total(counts);
    const std::chrono::duration<double> elapsed = steady::now() - start;
    stop.store(true);
    for (std::thread& w : workers) w.join();
    if (failed.load()) throw std::runtime_error("minting failed on a thread (see above)");

    const std::uint64_t tokens = last - first;
    std::printf(R"({"alg":"%.*s","threads":%u,"seconds":%.3f,"tokens":%llu,"tokens_per_s":%.1f})"
                "\n",
                static_cast<int>(minter.alg().size()), minter.alg().data(), o.threads, elapsed.count(),
                static_cast<unsigned long long>(tokens), static_cast<double>(tokens) / elapsed.count());
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    if (const std::string problem = parse(argc, argv, o); !problem.empty()) {
        if (problem == "help") {
            std::fputs(usage, stdout);
            return 0;
        }
        std::fprintf(stderr, "jwtmint-sign-ceiling: %s\n%s", problem.c_str(), usage);
        return 2;
    }
    try {
        // The host backend's own loading and minting, with the widget's default policy and the
        // server's default lifetime.
        const host::algorithm alg = *host::parse_algorithm(o.alg);
        const jwt::login_policy policy;
        const host::signing_key key = host::load_or_create_key(
            alg, alg, [&](std::string_view name) { return policy.check_algorithm(name); }, o.key, {}, {});
        const host::token_minter minter(key.signer, policy, std::chrono::seconds{600});
        measure(minter, o);
    } catch (const jwt::error& e) {
        std::fprintf(stderr, "jwtmint-sign-ceiling: %s: %s\n", jwt::errc_name(e.value()), e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "jwtmint-sign-ceiling: %s\n", e.what());
        return 1;
    }
    return std::fflush(stdout) == 0 ? 0 : 1;
}
