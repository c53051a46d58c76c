// SPDX-License-Identifier: MIT
// Every size and count limit applies before any work proportional to the input: shown by counting
// the heap allocations (operator new, and the octets asked for) that a refusal costs, for an input
// just over a limit and for one hundreds of times larger. A limit checked after decoding or
// scanning shows up as megabytes, or as one allocation per member.
//
// This executable replaces the global operator new and delete; they count only while a
// measurement is armed (one thread at a time).
#include <jwtmint/jwk.hpp>
#include <jwtmint/jwtmint.hpp>

#include "catch.hpp"
#include "core_helpers.hpp"
#include "verifier_helpers.hpp"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace {

std::atomic<bool> g_armed{false};
std::atomic<std::size_t> g_allocations{0};
std::atomic<std::size_t> g_octets{0};

void* counted_new(std::size_t n) {
    if (g_armed.load(std::memory_order_relaxed)) {
        g_allocations.fetch_add(1, std::memory_order_relaxed);
        g_octets.fetch_add(n, std::memory_order_relaxed);
    }
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}

}  // namespace

// Every form is replaced, the nothrow ones too: the standard's default nothrow forms would call
// these, but a sanitizer's runtime supplies its own, whose blocks our delete could not free.
void* operator new(std::size_t n) { return counted_new(n); }
void* operator new[](std::size_t n) { return counted_new(n); }
void* operator new(std::size_t n, const std::nothrow_t& /*unused*/) noexcept {
    try {
        return counted_new(n);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t n, const std::nothrow_t& /*unused*/) noexcept {
    try {
        return counted_new(n);
    } catch (...) {
        return nullptr;
    }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t /*size*/) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t /*size*/) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t& /*unused*/) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t& /*unused*/) noexcept { std::free(p); }

namespace {

using jwt::errc;
using jwtmint_test::outcome_of;

struct heap_use {
    std::size_t allocations = 0;
    std::size_t octets = 0;
};

/// The allocations f makes (f must not run Catch2 assertions: they allocate).
template <class F>
heap_use heap_use_of(F&& f) {
    g_allocations = 0;
    g_octets = 0;
    g_armed = true;
    f();
    g_armed = false;
    return {g_allocations.load(), g_octets.load()};
}

/// A JSON object text of exactly size octets: the given members, then "m0":0,"m1":0,... (each
/// name distinct, so that a scanner that reads it records every one), then spaces.
std::string object_of_size(std::string_view first_members, std::size_t size) {
    std::string text = "{" + std::string(first_members);
    for (std::size_t i = 0;; ++i) {
        const std::string member = (text.size() > 1 ? "," : "") + ("\"m" + std::to_string(i) + "\":0");
        if (text.size() + member.size() + 1 > size) break;
        text += member;
    }
    text.append(size - 1 - text.size(), ' ');
    return text + "}";
}

/// An unsigned compact token whose header (naming kid) is at least header_size octets of JSON.
std::string token_with_header_of_size(std::string_view kid, std::size_t header_size) {
    const std::string header = object_of_size(R"("alg":"ES256","kid":")" + std::string(kid) + "\"", header_size);
    return jwt::base64url_encode(header) + ".e30." + std::string(86, 'A');
}

/// The public JWK of an EC P-256 key with the given kid.
std::string ec_public_jwk(const jwt::es256& signer, std::string_view kid) {
    nlohmann::json jwk = nlohmann::json::parse(jwt::public_jwk(signer));
    jwk["kid"] = std::string(kid);
    return jwk.dump();
}

/// A JWK Set document of n copies of one public JWK under the kids k0, k1, ...
std::string set_of(const jwt::es256& signer, std::size_t n) {
    std::string doc = R"({"keys":[)";
    for (std::size_t i = 0; i < n; ++i) doc += (i ? "," : "") + ec_public_jwk(signer, "k" + std::to_string(i));
    return doc + "]}";
}

}  // namespace

TEST_CASE("a token over the size limit is refused by jwks_verifier as by jwt::verifier, before any decoding",
          "[limits][jwks]") {
    const auto& keys = jwtmint_test::keys();
    const std::string doc = jwt::jwks_document({ec_public_jwk(keys.es, "es"), jwt::public_jwk(keys.rs)});
    const auto set = jwt::jwks_verifier<>::from_jwks(doc);
    const auto plain = jwt::verifier<jwt::es256>::from_signer(keys.es);

    // Just over the default 8 KiB, and a header of 620,000 members (about 10 MB of base64url).
    const std::string over = token_with_header_of_size("es", 6200);
    const std::string huge = token_with_header_of_size("es", 8'000'000);
    REQUIRE(over.size() > jwt::default_max_token_size);
    REQUIRE(over.size() < jwt::default_max_token_size + 512);
    REQUIRE(huge.size() > 10'000'000);

    for (const std::string* token : {&over, &huge}) {
        INFO("a token of " << token->size() << " octets");
        const auto by_plain = outcome_of([&] { (void)plain.verify(*token); });
        const auto by_set = outcome_of([&] { (void)set.verify(*token); });
        CHECK(by_plain.code == jwtmint_test::describe_code(errc::token_too_large));
        CHECK(by_set.code == by_plain.code);
        CHECK(by_set.message == by_plain.message);
        std::error_code ec;
        CHECK_FALSE(set.verify(*token, ec).has_value());
        CHECK(ec == errc::token_too_large);
    }

    // What the refusal costs does not grow with the token: the message, and nothing read.
    std::error_code ec;
    const heap_use set_over = heap_use_of([&] { (void)set.verify(over, ec); });
    const heap_use set_huge = heap_use_of([&] { (void)set.verify(huge, ec); });
    const heap_use plain_huge = heap_use_of([&] { (void)plain.verify(huge, ec); });
    INFO("jwks_verifier: " << set_over.allocations << " allocations (" << set_over.octets << " octets) for "
                           << over.size() << " octets, " << set_huge.allocations << " (" << set_huge.octets << ") for "
                           << huge.size() << "; jwt::verifier: " << plain_huge.allocations << " (" << plain_huge.octets
                           << ")");
    CHECK(set_huge.allocations == set_over.allocations);
    CHECK(set_huge.octets <= set_over.octets + 16);  // the longer number in the message
    CHECK(set_huge.octets < 1024);
    CHECK(set_huge.allocations <= plain_huge.allocations);
}

TEST_CASE("jwks_verifier applies its keys' configured size limit", "[limits][jwks]") {
    const auto& keys = jwtmint_test::keys();
    auto set = jwt::jwks_verifier<>::from_jwks(jwt::jwks_document({ec_public_jwk(keys.es, "es")}));
    auto plain = jwt::verifier<jwt::es256>::from_signer(keys.es);
    const std::string token = jwt::sign_compact(keys.es, R"({"alg":"ES256","kid":"es"})", R"({"roles":["a"]})");

    set.max_token_size(token.size() - 1);
    plain.max_token_size(token.size() - 1);
    const auto by_set = outcome_of([&] { (void)set.verify(token); });
    CHECK(by_set.code == jwtmint_test::describe_code(errc::token_too_large));
    CHECK(by_set.message == outcome_of([&] { (void)plain.verify(token); }).message);

    // Through configure(), as any other rule.
    set.configure([&](auto& v) { v.max_token_size(token.size()); });
    CHECK(outcome_of([&] { (void)set.verify(token); }).code != jwtmint_test::describe_code(errc::token_too_large));
}

TEST_CASE("a JWK Set over the size limit is refused before it is scanned", "[limits][jwk]") {
    const auto& keys = jwtmint_test::keys();
    const std::string key = ec_public_jwk(keys.es, "es");
    // A valid set, then members enough to pass the limit: by one octet, and by 15 MiB.
    const std::string over = object_of_size(R"("keys":[)" + key + "]", jwt::max_jwks_size + 1);
    const std::string huge = object_of_size(R"("keys":[)" + key + "]", 16 * jwt::max_jwks_size);
    REQUIRE(over.size() == jwt::max_jwks_size + 1);
    REQUIRE(nlohmann::json::parse(over).at("keys").size() == 1);

    for (const std::string* doc : {&over, &huge}) {
        INFO("a set of " << doc->size() << " octets");
        const auto refused = outcome_of([&] { (void)jwt::jwks_verifier<>::from_jwks(*doc); });
        CHECK(refused.code == jwtmint_test::describe_code(errc::invalid_jwk));
        CHECK(refused.message == "JWK: the JWK Set has " + std::to_string(doc->size()) + " octets; at most " +
                                     std::to_string(jwt::max_jwks_size) + " are read (jwt::max_jwks_size)");
        CHECK(outcome_of([&] { (void)jwt::select_jwk(*doc, "es"); }).message == refused.message);
    }
    std::error_code ec;
    const heap_use cost_over = heap_use_of([&] { (void)jwt::jwks_verifier<>::from_jwks(over, ec); });
    const heap_use cost_huge = heap_use_of([&] { (void)jwt::jwks_verifier<>::from_jwks(huge, ec); });
    INFO(cost_over.allocations << " allocations for " << over.size() << " octets, " << cost_huge.allocations << " for "
                               << huge.size());
    CHECK(cost_huge.allocations == cost_over.allocations);
    CHECK(cost_huge.octets < 1024);
    const heap_use select_huge = heap_use_of([&] { (void)jwt::select_jwk(huge, "es", ec); });
    CHECK(select_huge.allocations == cost_huge.allocations);
}

TEST_CASE("a JWK Set of more keys than the limit is refused before any key is read", "[limits][jwk]") {
    const auto& keys = jwtmint_test::keys();
    const std::string at_limit = set_of(keys.es, jwt::max_jwks_keys);
    const std::string over = set_of(keys.es, jwt::max_jwks_keys + 1);
    const std::string far_over = set_of(keys.es, 10 * jwt::max_jwks_keys);
    REQUIRE(far_over.size() < jwt::max_jwks_size);

    CHECK(jwt::jwks_verifier<>::from_jwks(at_limit).key_ids().size() == jwt::max_jwks_keys);
    for (const std::string* doc : {&over, &far_over}) {
        const std::size_t n = nlohmann::json::parse(*doc).at("keys").size();
        INFO("a set of " << n << " keys");
        const auto refused = outcome_of([&] { (void)jwt::jwks_verifier<>::from_jwks(*doc); });
        CHECK(refused.code == jwtmint_test::describe_code(errc::invalid_jwk));
        CHECK(refused.message == "JWK: the JWK Set has " + std::to_string(n) + " keys; at most " +
                                     std::to_string(jwt::max_jwks_keys) + " are read (jwt::max_jwks_keys)");
        CHECK(outcome_of([&] { (void)jwt::select_jwk(*doc, "k0"); }).message == refused.message);
    }
    // No key was parsed or loaded: ten times the keys cost no more.
    std::error_code ec;
    const heap_use cost_over = heap_use_of([&] { (void)jwt::jwks_verifier<>::from_jwks(over, ec); });
    const heap_use cost_far = heap_use_of([&] { (void)jwt::jwks_verifier<>::from_jwks(far_over, ec); });
    INFO(cost_over.allocations << " allocations for " << jwt::max_jwks_keys + 1 << " keys, " << cost_far.allocations
                               << " for " << 10 * jwt::max_jwks_keys);
    CHECK(cost_far.allocations == cost_over.allocations);
    CHECK(cost_far.allocations < 16);
    // The writer of sets keeps to the same limit.
    CHECK_ERRC(jwt::jwks_document(std::vector<std::string>(jwt::max_jwks_keys + 1, jwt::public_jwk(keys.es))),
               errc::invalid_jwk);
}

TEST_CASE("a JWK over the size limit is refused before it is scanned", "[limits][jwk]") {
    const auto& keys = jwtmint_test::keys();
    const nlohmann::json jwk = nlohmann::json::parse(jwt::public_jwk(keys.es));
    const std::string members = jwk.dump().substr(1, jwk.dump().size() - 2);
    const std::string over = object_of_size(members, jwt::max_jwk_size + 1);
    const std::string huge = object_of_size(members, 64 * jwt::max_jwk_size);
    REQUIRE(over.size() == jwt::max_jwk_size + 1);
    const std::string expected_over = "JWK: the JWK has " + std::to_string(over.size()) + " octets; at most " +
                                      std::to_string(jwt::max_jwk_size) + " are read (jwt::max_jwk_size)";

    for (const std::string* text : {&over, &huge}) {
        INFO("a JWK of " << text->size() << " octets");
        const auto refused = outcome_of([&] { (void)jwt::public_key::from_jwk(*text); });
        CHECK(refused.code == jwtmint_test::describe_code(errc::invalid_jwk));
        CHECK(refused.message == "JWK: the JWK has " + std::to_string(text->size()) + " octets; at most " +
                                     std::to_string(jwt::max_jwk_size) + " are read (jwt::max_jwk_size)");
        CHECK(outcome_of([&] { (void)jwt::private_key::from_jwk(*text); }).message == refused.message);
        CHECK(outcome_of([&] { (void)jwt::verifier<jwt::es256>::from_jwk(*text); }).message == refused.message);
        CHECK(outcome_of([&] { (void)jwt::es256::from_jwk(*text); }).message == refused.message);
    }
    CHECK(outcome_of([&] { (void)jwt::select_jwk(over); }).message == expected_over);
    // Inside a set, each key is held to the JWK limit as well.
    CHECK(outcome_of([&] { (void)jwt::jwks_verifier<>::from_jwks(R"({"keys":[)" + over + "]}"); }).message ==
          expected_over);

    std::error_code ec;
    const heap_use cost_over = heap_use_of([&] { (void)jwt::public_key::from_jwk(over, ec); });
    const heap_use cost_huge = heap_use_of([&] { (void)jwt::public_key::from_jwk(huge, ec); });
    INFO(cost_over.allocations << " allocations for " << over.size() << " octets, " << cost_huge.allocations << " for "
                               << huge.size());
    CHECK(cost_huge.allocations == cost_over.allocations);
    CHECK(cost_huge.octets < 1024);
}
