// SPDX-License-Identifier: MIT
// jwt::key_ring: the key that signs names itself in the kid; next keys are published before they
// sign, retired keys until their tokens have expired; promote() and retire() while other threads
// sign. Tokens are checked by jwt::jwks_verifier over the ring's own published set, and by a
// verifier pinned to each key's public half.
#include <jwtmint/json.hpp>
#include <jwtmint/jwtmint.hpp>
#include <jwtmint/key_ring.hpp>

#include "catch.hpp"
#include "support.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

using jwtmint_test::fixed_clock;
using ring_es = jwt::key_ring<jwt::es256, fixed_clock>;
using ring_builder = jwt::builder<ring_es, fixed_clock>;

constexpr std::int64_t t0 = 1764000000;

jwt::es256 new_es256() { return jwt::es256::from_key(jwt::private_key::generate_ec("P-256")); }

/// A token's header, read without verifying it.
nlohmann::json header_of(const std::string& token) {
    return nlohmann::json::parse(jwt::base64url_decode(std::string_view(token).substr(0, token.find('.'))));
}

/// The kid in a token's header.
std::string kid_of(const std::string& token) { return header_of(token).at("kid").get<std::string>(); }

/// Whether an error's message holds text.
bool mentions(const jwt::error& e, const std::string& text) {
    return std::string(e.what()).find(text) != std::string::npos;
}

/// The kids of a JWK Set document, in its order.
std::vector<std::string> kids_of(const std::string& jwks) {
    const auto doc = nlohmann::json::parse(jwks);
    std::vector<std::string> out;
    for (const auto& k : doc.at("keys")) out.push_back(k.at("kid").get<std::string>());
    return out;
}

/// Verifies token against the set the ring publishes now.
jwt::result<jwt::verified_token> verify_with_set(const ring_es& ring, const std::string& token) {
    auto set = jwt::jwks_verifier<fixed_clock>::try_from_jwks(ring.public_jwks());
    if (!set) return set.error();
    return set->try_verify(token);
}

std::string mint(const ring_es& ring) {
    ring_builder b(ring);
    b.roles({"Support Team"});
    return b.sign();
}

}  // namespace

TEST_CASE("key ring: the current key signs and its thumbprint is the token's kid") {
    fixed_clock::set(t0);
    const jwt::es256 key = new_es256();
    const auto ring = ring_es::create(key);
    const std::string expected_kid = jwt::jwk_thumbprint(key);
    CHECK(ring.current_key_id() == expected_kid);

    const std::string token = mint(ring);
    CHECK(kid_of(token) == expected_kid);
    CHECK(header_of(token).at("alg") == "ES256");
    // The key the kid names verifies it: pinned to the signer's own public half ...
    const auto pinned = jwt::verifier<jwt::es256, fixed_clock>::from_pem(key.public_key_pem());
    CHECK(pinned.try_verify(token));
    // ... and through the set the ring publishes.
    CHECK(verify_with_set(ring, token));

    const auto published = nlohmann::json::parse(ring.public_jwks());
    REQUIRE(published.at("keys").size() == 1);
    const auto& jwk = published.at("keys")[0];
    CHECK(jwk.at("kid") == expected_kid);
    CHECK(jwk.at("alg") == "ES256");
    CHECK(jwk.at("use") == "sig");
    CHECK(jwk.at("kty") == "EC");
    CHECK_FALSE(jwk.contains("d"));  // never the private half
    CHECK(jwk.dump() != std::string());
}

TEST_CASE("key ring: a named kid replaces the thumbprint") {
    fixed_clock::set(t0);
    const auto ring = ring_es::create(new_es256(), "2026-12-a");
    CHECK(ring.current_key_id() == "2026-12-a");
    const std::string token = mint(ring);
    CHECK(kid_of(token) == "2026-12-a");
    CHECK(kids_of(ring.public_jwks()) == std::vector<std::string>{"2026-12-a"});
    CHECK(verify_with_set(ring, token));
}

TEST_CASE("key ring: a rotation from start to end") {
    fixed_clock::set(t0);
    const jwt::es256 old_key = new_es256();
    const jwt::es256 new_key = new_es256();
    auto ring = ring_es::create(old_key);
    const std::string old_kid = jwt::jwk_thumbprint(old_key);
    const std::string new_kid = jwt::jwk_thumbprint(new_key);
    const std::string before = mint(ring);

    // Published first, signing nothing yet.
    ring.add_next(new_key);
    CHECK(kids_of(ring.public_jwks()) == std::vector<std::string>{old_kid, new_kid});
    CHECK(kid_of(mint(ring)) == old_kid);
    const auto listed = ring.keys();
    REQUIRE(listed.size() == 2);
    CHECK(listed[0].status == jwt::key_status::current);
    CHECK(listed[1].status == jwt::key_status::next);
    CHECK(listed[1].kid == new_kid);

    // Promoted: the new key signs; the old one is retired and still published.
    fixed_clock::set(t0 + 60);
    ring.promote();
    const std::string after = mint(ring);
    CHECK(kid_of(after) == new_kid);
    CHECK(ring.current_key_id() == new_kid);
    CHECK(kids_of(ring.public_jwks()) == std::vector<std::string>{new_kid, old_kid});
    const auto retired = ring.keys().at(1);
    CHECK(retired.status == jwt::key_status::retired);
    CHECK(retired.retired_at == t0 + 60);
    CHECK(retired.published_until == t0 + 60 + jwt::default_retired_key_retention.count());
    CHECK(verify_with_set(ring, before));  // minted before the rotation, still alive
    CHECK(verify_with_set(ring, after));

    // Just before the retention ends the old key is still there; at its end it leaves the set,
    // and with it every token it signed (all expired by then).
    fixed_clock::set(t0 + 60 + jwt::default_retired_key_retention.count() - 1);
    CHECK(ring.keys().size() == 2);
    fixed_clock::set(t0 + 60 + jwt::default_retired_key_retention.count());
    CHECK(kids_of(ring.public_jwks()) == std::vector<std::string>{new_kid});
    const auto refused = jwt::jwks_verifier<fixed_clock>::from_jwks(ring.public_jwks()).try_verify(before);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code() == jwt::errc::unknown_key_id);
}

TEST_CASE("key ring: retire removes a key at once, and never the current one") {
    fixed_clock::set(t0);
    const jwt::es256 leaked = new_es256();
    auto ring = ring_es::create(leaked);
    const std::string leaked_kid = ring.current_key_id();
    const std::string before = mint(ring);

    const auto current = ring.try_retire(leaked_kid);
    REQUIRE_FALSE(current);
    CHECK(current.error().code() == jwt::errc::invalid_setting);
    CHECK(mentions(current.error(), "promote"));

    ring.add_next(new_es256());
    ring.promote();
    CHECK(verify_with_set(ring, before));
    ring.retire(leaked_kid);  // after a leak: its tokens stop verifying now, not in 11 minutes
    const auto refused = verify_with_set(ring, before);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code() == jwt::errc::unknown_key_id);
    CHECK(ring.keys().size() == 1);

    const auto unknown = ring.try_retire("no-such-kid");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code() == jwt::errc::unknown_key_id);
    CHECK(mentions(unknown.error(), ring.current_key_id()));

    // A next key that will not be used can be withdrawn before it signs.
    const jwt::es256 spare = new_es256();
    ring.add_next(spare, "spare");
    CHECK(ring.keys().size() == 2);
    ring.retire("spare");
    CHECK(ring.keys().size() == 1);
}

TEST_CASE("key ring: promote needs one next key, or its kid") {
    fixed_clock::set(t0);
    auto ring = ring_es::create(new_es256(), "a");
    const std::string first_kid = ring.current_key_id();

    const auto none = ring.try_promote();
    REQUIRE_FALSE(none);
    CHECK(none.error().code() == jwt::errc::unknown_key_id);
    CHECK(mentions(none.error(), "add_next"));
    CHECK(ring.current_key_id() == first_kid);  // nothing changed

    ring.add_next(new_es256(), "b");
    ring.add_next(new_es256(), "c");
    const auto ambiguous = ring.try_promote();
    REQUIRE_FALSE(ambiguous);
    CHECK(ambiguous.error().code() == jwt::errc::unknown_key_id);
    CHECK(mentions(ambiguous.error(), "2 next keys"));
    const auto current = ring.try_promote("a");  // not a next key
    REQUIRE_FALSE(current);
    CHECK(current.error().code() == jwt::errc::unknown_key_id);
    CHECK(ring.current_key_id() == "a");

    ring.promote("c");
    CHECK(ring.current_key_id() == "c");
    const auto listed = ring.keys();
    REQUIRE(listed.size() == 3);
    CHECK(listed[0].kid == "c");
    CHECK(listed[1].kid == "b");
    CHECK(listed[1].status == jwt::key_status::next);
    CHECK(listed[2].kid == "a");
    CHECK(listed[2].status == jwt::key_status::retired);
    CHECK(kid_of(mint(ring)) == "c");
}

TEST_CASE("key ring: a key or a kid already in the ring is refused, and changes nothing") {
    fixed_clock::set(t0);
    const jwt::es256 key = new_es256();
    auto ring = ring_es::create(key);
    const std::string before = ring.public_jwks();

    const auto same_key = ring.try_add_next(key);
    REQUIRE_FALSE(same_key);
    CHECK(same_key.error().code() == jwt::errc::invalid_jwk);
    const auto same_key_other_kid = ring.try_add_next(key, "other-name");
    REQUIRE_FALSE(same_key_other_kid);
    CHECK(same_key_other_kid.error().code() == jwt::errc::invalid_jwk);
    CHECK(mentions(same_key_other_kid.error(), "already holds this key"));
    const auto same_kid = ring.try_add_next(new_es256(), ring.current_key_id());
    REQUIRE_FALSE(same_kid);
    CHECK(same_kid.error().code() == jwt::errc::invalid_jwk);

    const auto control = ring.try_add_next(new_es256(), "bad\nkid");
    REQUIRE_FALSE(control);
    CHECK(control.error().code() == jwt::errc::invalid_claim);
    CHECK(ring.public_jwks() == before);
    CHECK(ring.keys().size() == 1);
}

TEST_CASE("key ring: RS256 keys, and a builder bound to the login policy") {
    fixed_clock::set(t0);
    jwt::login_policy policy;
    policy.team_roles({"Support Team"});
    auto ring = jwt::key_ring<jwt::rs256, fixed_clock>::create(jwt::rs256::from_key(jwt::private_key::generate_rsa()));
    jwt::builder<jwt::key_ring<jwt::rs256, fixed_clock>, fixed_clock> b(ring, policy);
    b.roles({"Support Team"}).email("ada@example.com");
    const std::string token = b.sign();
    CHECK(kid_of(token) == ring.current_key_id());
    auto set = jwt::jwks_verifier<fixed_clock>::from_jwks(ring.public_jwks());
    set.policy(policy);
    const auto verified = set.try_verify(token);
    REQUIRE(verified);
    CHECK(verified->identity() == "ada@example.com");
    // The header the builder shows names the ring's key too.
    CHECK(nlohmann::json::parse(b.header_json()).at("kid") == ring.current_key_id());
}

TEST_CASE("key ring: a builder's own key_id must be the ring's") {
    fixed_clock::set(t0);
    const auto ring = ring_es::create(new_es256(), "k1");
    ring_builder b(ring);
    b.roles({"Support Team"});
    b.key_id("k1");
    CHECK(kid_of(b.sign()) == "k1");  // the same kid: fine
    b.key_id("someone-else");
    const auto refused = b.try_sign();
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code() == jwt::errc::invalid_claim);
    CHECK(mentions(refused.error(), "key ring"));
}

namespace {
/// An application's signer (a stand-in for an HSM's): no key(), so the ring needs its public half.
struct app_signer {
    static constexpr std::string_view alg = "ES256";
    jwt::es256 inner;
    [[nodiscard]] std::string sign(std::string_view input) const { return inner.sign(input); }
};
}  // namespace

TEST_CASE("key ring: an application's signer is published through its public key, checked to match") {
    fixed_clock::set(t0);
    const jwt::es256 inner = new_es256();
    const auto pub = jwt::public_key::from_pem(inner.public_key_pem());
    using app_ring = jwt::key_ring<app_signer, fixed_clock>;
    auto ring = app_ring::create(app_signer{inner}, pub);
    CHECK(ring.current_key_id() == jwt::jwk_thumbprint(pub));
    jwt::builder<app_ring, fixed_clock> b(ring);
    b.roles({"Support Team"});
    const std::string token = b.sign();
    CHECK(jwt::jwks_verifier<fixed_clock>::from_jwks(ring.public_jwks()).try_verify(token));

    // The wrong public half is found out by a probe signature, before the key is used.
    const auto other = jwt::public_key::from_pem(new_es256().public_key_pem());
    const auto mismatch = app_ring::try_create(app_signer{inner}, other);
    REQUIRE_FALSE(mismatch);
    CHECK(mismatch.error().code() == jwt::errc::key_mismatch);
    const auto mismatch_next = ring.try_add_next(app_signer{new_es256()}, other);
    REQUIRE_FALSE(mismatch_next);
    CHECK(mismatch_next.error().code() == jwt::errc::key_mismatch);

    // Without a public half a signer needs a kid, and then cannot be published.
    const auto no_kid = app_ring::try_create(app_signer{inner});
    REQUIRE_FALSE(no_kid);
    CHECK(no_kid.error().code() == jwt::errc::invalid_claim);
    const auto unpublished = app_ring::create(app_signer{inner}, "hsm-slot-3");
    CHECK(kid_of(jwt::builder<app_ring, fixed_clock>(unpublished).allow_missing_roles().sign()) == "hsm-slot-3");
    const auto jwks = unpublished.try_public_jwks();
    REQUIRE_FALSE(jwks);
    CHECK(jwks.error().code() == jwt::errc::key_algorithm_mismatch);
}

TEST_CASE("key ring: HMAC secrets rotate by kid and are never published") {
    fixed_clock::set(t0);
    const std::string secret_a(32, 'a');
    const std::string secret_b(32, 'b');
    using hs_ring = jwt::key_ring<jwt::hs256, fixed_clock>;
    const auto unnamed = hs_ring::try_create(jwt::hs256::from_secret(secret_a));
    REQUIRE_FALSE(unnamed);
    CHECK(unnamed.error().code() == jwt::errc::invalid_claim);

    auto ring = hs_ring::create(jwt::hs256::from_secret(secret_a), "hs-a");
    ring.add_next(jwt::hs256::from_secret(secret_b), "hs-b");
    ring.promote();
    jwt::builder<hs_ring, fixed_clock> b(ring);
    b.roles({"Support Team"});
    const std::string token = b.sign();
    CHECK(kid_of(token) == "hs-b");
    CHECK(jwt::verifier<jwt::hs256, fixed_clock>::from_secret(secret_b).try_verify(token));
    CHECK_FALSE(jwt::verifier<jwt::hs256, fixed_clock>::from_secret(secret_a).try_verify(token));
    CHECK_FALSE(ring.try_public_jwks());
}

TEST_CASE("key ring: the retention is a setting with bounds") {
    auto ring = ring_es::create(new_es256());
    CHECK(ring.retired_key_retention() == jwt::default_retired_key_retention);
    ring.retired_key_retention(std::chrono::minutes(30));
    CHECK(ring.retired_key_retention() == std::chrono::minutes(30));
    const auto negative = ring.try_retired_key_retention(std::chrono::seconds(-1));
    REQUIRE_FALSE(negative);
    CHECK(negative.error().code() == jwt::errc::invalid_setting);
    CHECK_FALSE(ring.try_retired_key_retention(std::chrono::hours(24 * 31)));
    CHECK(ring.retired_key_retention() == std::chrono::minutes(30));

    fixed_clock::set(t0);
    ring.add_next(new_es256());
    ring.promote();
    fixed_clock::set(t0 + std::int64_t{29} * 60);
    CHECK(ring.keys().size() == 2);
    fixed_clock::set(t0 + std::int64_t{30} * 60);
    CHECK(ring.keys().size() == 1);
}

TEST_CASE("key ring: a moved ring keeps its keys") {
    fixed_clock::set(t0);
    auto ring = ring_es::create(new_es256(), "moved");
    ring.add_next(new_es256(), "n");
    ring_es moved = std::move(ring);
    CHECK(moved.current_key_id() == "moved");
    CHECK(moved.keys().size() == 2);
    auto assigned = ring_es::create(new_es256(), "other");
    assigned = std::move(moved);
    CHECK(assigned.current_key_id() == "moved");
    CHECK(kid_of(mint(assigned)) == "moved");
}

TEST_CASE("key ring concurrency: many threads sign while another promotes and retires") {
    fixed_clock::set(t0);
    // Every key the ring ever holds, by kid, to check each token against the key its kid names.
    std::vector<jwt::es256> keys;
    keys.reserve(6);
    for (int i = 0; i < 6; ++i) keys.push_back(new_es256());
    std::map<std::string, jwt::verifier<jwt::es256, fixed_clock>> by_kid;
    for (const auto& k : keys) {
        by_kid.emplace(jwt::jwk_thumbprint(k), jwt::verifier<jwt::es256, fixed_clock>::from_pem(k.public_key_pem()));
    }
    auto ring = ring_es::create(keys[0]);

    constexpr int signers = 4;
    constexpr int per_thread = 150;
    std::atomic<bool> go{false};
    std::atomic<int> wrong{0};
    std::atomic<int> verified{0};
    std::vector<std::thread> threads;
    threads.reserve(signers + 1);
    for (int t = 0; t < signers; ++t) {
        threads.emplace_back([&] {
            while (!go.load()) std::this_thread::yield();
            ring_builder b(ring);
            b.roles({"Support Team"});
            for (int i = 0; i < per_thread; ++i) {
                const auto token = b.try_sign();
                if (!token) {
                    ++wrong;
                    continue;
                }
                // The kid names the key that signed: that key's verifier accepts the token.
                const auto found = by_kid.find(kid_of(*token));
                if (found == by_kid.end() || !found->second.try_verify(*token)) {
                    ++wrong;
                } else {
                    ++verified;
                }
                (void)ring.public_jwks();
            }
        });
    }
    threads.emplace_back([&] {
        while (!go.load()) std::this_thread::yield();
        for (std::size_t k = 1; k < keys.size(); ++k) {
            const std::string old_kid = ring.current_key_id();
            ring.add_next(keys[k]);
            std::this_thread::yield();
            ring.promote();
            std::this_thread::yield();
            ring.retire(old_kid);
        }
    });
    go = true;
    for (auto& th : threads) th.join();
    CHECK(wrong.load() == 0);
    CHECK(verified.load() == signers * per_thread);
    CHECK(ring.current_key_id() == jwt::jwk_thumbprint(keys.back()));
    CHECK(ring.keys().size() == 1);
}
