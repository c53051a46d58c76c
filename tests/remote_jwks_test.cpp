// SPDX-License-Identifier: MIT
// jwt::remote_jwks_verifier against a real HTTP server on loopback (cpp-httplib): rotation, a key
// server that is down, slow, failing or serving bad documents, the cache rules (max-age clamped,
// ETag revalidation, the unknown-kid cool-down), background refresh, and verification while the
// set is replaced on other threads.
#include <jwtmint/remote_jwks.hpp>

#include "catch.hpp"
#include "jwks_test_server.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using jwt::errc;
using namespace jwtmint_test;
using namespace std::chrono_literals;

namespace {

using remote = jwt::remote_jwks_verifier<manual_clock>;
using http_server = jwks_server<httplib::Server>;

constexpr std::int64_t start_time = 1764000000;

const jwt::es256& es_key(int which) {
    static const jwt::es256 keys[] = {jwt::es256::from_key(jwt::private_key::generate_ec_p256()),
                                      jwt::es256::from_key(jwt::private_key::generate_ec_p256()),
                                      jwt::es256::from_key(jwt::private_key::generate_ec_p256())};
    return keys[which];
}
const jwt::rs256& rs_key(int which) {
    static const jwt::rs256 keys[] = {jwt::rs256::from_key(jwt::private_key::generate_rsa(2048)),
                                      jwt::rs256::from_key(jwt::private_key::generate_rsa(2048))};
    return keys[which];
}

std::string set_of(const std::vector<std::string>& jwks) { return jwt::jwks_document(jwks); }

/// Records the events it is told, for the test to read.
struct event_log {
    std::mutex mutex;
    std::vector<jwt::jwks_event> events;
    std::function<void(const jwt::jwks_event&)> hook() {
        return [this](const jwt::jwks_event& e) {
            const std::lock_guard<std::mutex> lock(mutex);
            events.push_back(e);
        };
    }
    std::size_t count(jwt::jwks_event_kind kind) {
        const std::lock_guard<std::mutex> lock(mutex);
        std::size_t n = 0;
        for (const auto& e : events) n += e.kind == kind ? 1 : 0;
        return n;
    }
    jwt::jwks_event last() {
        const std::lock_guard<std::mutex> lock(mutex);
        return events.back();
    }
};

remote::options options_for(const http_server& server) {
    remote::options o;
    o.url = server.url();
    o.fetch = httplib_fetch();
    o.allow_insecure_http = true;
    return o;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

errc code_of(const jwt::result<jwt::verified_token>& r) { return r ? errc{} : r.error().value(); }

}  // namespace

TEST_CASE("a remote set verifies its tokens once fetched; before that tokens are key_set_unavailable",
          "[remote_jwks]") {
    manual_clock::set(start_time);
    http_server server;
    REQUIRE(server.listening());
    server.serve_document(set_of({jwk_with_kid(es_key(0), "a"), jwk_with_kid(rs_key(0), "r")}));
    event_log log;
    auto o = options_for(server);
    o.on_event = log.hook();
    o.configure = [](remote::key_set& s) { s.configure([](auto& v) { v.require_claim("email"); }); };
    auto v = remote::make(o);

    const std::string es_token = token_for(es_key(0), "a");
    const std::string rs_token = token_for(rs_key(0), "r");
    const auto before = v.try_verify(es_token);
    REQUIRE(code_of(before) == errc::key_set_unavailable);
    CHECK(contains(before.error().what(), server.url()));
    CHECK(contains(before.error().what(), "no fetch has completed yet"));
    CHECK(server.requests() == 0);  // verification never fetches

    REQUIRE(v.try_refresh());
    CHECK(server.requests() == 1);
    CHECK(v.key_ids() == std::vector<std::string>{"a", "r"});
    CHECK(v.verify(es_token).identity() == std::optional<std::string>("ada@example.com"));
    CHECK(v.try_verify(rs_token));
    std::error_code ec;
    CHECK(v.verify(rs_token, ec).has_value());
    CHECK(!ec);
    REQUIRE(log.count(jwt::jwks_event_kind::fetched) == 1);
    CHECK(log.last().keys == 2);
    CHECK(contains(log.last().message, server.url()));

    // The configure hook ran on the new set: a token without email is refused.
    const std::string no_email = jwt::builder<jwt::es256, manual_clock>(es_key(0))
                                     .key_id("a")
                                     .roles({"Support Team"})
                                     .upn("ada@corp.example")
                                     .expires_in(5min)
                                     .sign();
    CHECK(code_of(v.try_verify(no_email)) == errc::missing_claim);
}

TEST_CASE("rotation: a new kid is fetched at once after the cool-down, a retired one is then unknown",
          "[remote_jwks]") {
    manual_clock::set(start_time);
    http_server server;
    server.serve_document(set_of({jwk_with_kid(rs_key(0), "2025")}));
    event_log log;
    auto o = options_for(server);
    o.on_event = log.hook();
    auto v = remote::make(o);
    REQUIRE(v.try_refresh());
    const std::string old_token = token_for(rs_key(0), "2025");
    REQUIRE(v.try_verify(old_token));

    // The issuer publishes the next key and starts signing with it.
    server.serve_document(set_of({jwk_with_kid(rs_key(0), "2025"), jwk_with_kid(es_key(1), "2026")}));
    manual_clock::advance(40s);
    const std::string new_token = token_for(es_key(1), "2026");
    const auto unknown = v.try_verify(new_token);
    REQUIRE(code_of(unknown) == errc::unknown_key_id);
    CHECK(contains(unknown.error().what(), "a refetch of " + server.url() + " was requested"));
    CHECK(server.requests() == 1);  // verify only asked
    REQUIRE(v.try_refresh_if_due());
    CHECK(server.requests() == 2);
    CHECK(v.try_verify(new_token));
    CHECK(v.try_verify(old_token));

    // The old key is retired: after the next fetch its tokens name an unknown kid.
    server.serve_document(set_of({jwk_with_kid(es_key(1), "2026")}));
    manual_clock::advance(10min);  // the default freshness (no max-age sent)
    REQUIRE(v.try_refresh_if_due());
    CHECK(server.requests() == 3);
    CHECK(v.key_ids() == std::vector<std::string>{"2026"});
    const auto retired = v.try_verify(token_for(rs_key(0), "2025"));
    CHECK(code_of(retired) == errc::unknown_key_id);
    CHECK(v.try_verify(token_for(es_key(1), "2026")));
    CHECK(log.count(jwt::jwks_event_kind::fetched) == 3);
}

TEST_CASE("a key changed under the same kid: old tokens fail the signature after the refresh, new ones pass",
          "[remote_jwks]") {
    manual_clock::set(start_time);
    http_server server;
    server.serve_document(set_of({jwk_with_kid(es_key(0), "k1")}));
    auto v = remote::make(options_for(server));
    REQUIRE(v.try_refresh());
    const std::string old_token = token_for(es_key(0), "k1");
    const std::string new_token = token_for(es_key(1), "k1");
    CHECK(v.try_verify(old_token));
    CHECK(code_of(v.try_verify(new_token)) == errc::invalid_signature);

    server.serve_document(set_of({jwk_with_kid(es_key(1), "k1")}));
    REQUIRE(v.try_refresh());
    CHECK(code_of(v.try_verify(old_token)) == errc::invalid_signature);
    CHECK(v.try_verify(new_token));
}

TEST_CASE("a key server that is down, slow, failing or serving a bad document never costs the set held",
          "[remote_jwks]") {
    manual_clock::set(start_time);
    const std::string good = set_of({jwk_with_kid(es_key(0), "a")});

    SECTION("down before the first fetch: key_set_unavailable names the URL and the failure") {
        std::string url;
        {
            http_server gone;
            url = gone.url();
        }  // its port is closed: connections are refused
        remote::options o;
        o.url = url;
        o.fetch = httplib_fetch();
        o.allow_insecure_http = true;
        auto v = remote::make(o);
        const auto refresh = v.try_refresh();
        REQUIRE(!refresh);
        CHECK(refresh.error().value() == errc::key_set_unavailable);
        CHECK(contains(refresh.error().what(), url));
        CHECK(contains(refresh.error().what(), "httplib: "));  // the fetch function's own reason
        const auto token = v.try_verify(token_for(es_key(0), "a"));
        REQUIRE(code_of(token) == errc::key_set_unavailable);
        CHECK(contains(token.error().what(), url));
        CHECK(contains(token.error().what(), "the last fetch failed: httplib: "));
    }

    http_server server;
    server.serve_document(good);
    event_log log;
    auto o = options_for(server);
    o.on_event = log.hook();
    o.fetch_timeout = 200ms;
    auto v = remote::make(o);
    REQUIRE(v.try_refresh());
    const auto still_good = [&] {
        const auto r = v.try_verify(token_for(es_key(0), "a"));
        if (!r) FAIL_CHECK(r.error().what());
        return static_cast<bool>(r);
    };

    SECTION("refused connections, many times over: the set stays, every failure is told") {
        server.stop();
        manual_clock::advance(o.default_refresh);  // the set is due
        for (int i = 0; i < 20; ++i) {
            if (i > 0) {
                manual_clock::advance(o.failure_retry - 1s);  // not yet retried
                REQUIRE(v.try_refresh_if_due());
                CHECK(log.count(jwt::jwks_event_kind::fetch_failed) == static_cast<std::size_t>(i));
                manual_clock::advance(1s);
            }
            const auto r = v.try_refresh_if_due();
            REQUIRE(!r);
            CHECK(r.error().value() == errc::key_set_unavailable);
            CHECK(contains(r.error().what(), "the last good set (1 keys) stays in use"));
            CHECK(still_good());
        }
        CHECK(v.key_ids() == std::vector<std::string>{"a"});
        CHECK(log.count(jwt::jwks_event_kind::fetch_failed) == 20);
        CHECK(log.last().keys == 1);
    }
    SECTION("slow: the fetch gives up at its timeout, well before the server answers") {
        server.serve([](served_state& s) { s.delay = 1000ms; });
        const auto t0 = std::chrono::steady_clock::now();
        const auto r = v.try_refresh();
        const auto took = std::chrono::steady_clock::now() - t0;
        REQUIRE(!r);
        CHECK(took < 900ms);
        CHECK(contains(r.error().what(), "httplib: Read"));  // httplib's "Read" error: the read timed out
        CHECK(still_good());
    }
    SECTION("HTTP 500") {
        server.serve([](served_state& s) { s.status = 500; });
        const auto r = v.try_refresh();
        REQUIRE(!r);
        CHECK(contains(r.error().what(), "HTTP status 500"));
        CHECK(log.count(jwt::jwks_event_kind::fetch_failed) == 1);
        CHECK(still_good());
    }
    SECTION("malformed JSON") {
        server.serve_document(good.substr(0, good.size() - 3));
        const auto r = v.try_refresh();
        REQUIRE(!r);
        CHECK(r.error().value() == errc::invalid_jwk);
        CHECK(contains(r.error().what(), "not valid JSON"));
        CHECK(contains(r.error().what(), "the last good set (1 keys) stays in use"));
        CHECK(log.count(jwt::jwks_event_kind::document_refused) == 1);
        CHECK(still_good());
    }
    SECTION("a document with a bad key") {
        std::string bad = jwk_with_kid(es_key(1), "b");
        bad.replace(bad.find(R"("crv":"P-256")"), 13, R"("crv":"P-257")");
        server.serve_document("{\"keys\":[" + bad + "]}");
        const auto r = v.try_refresh();
        REQUIRE(!r);
        CHECK(r.error().value() == errc::key_algorithm_mismatch);
        CHECK(still_good());
        CHECK(v.key_ids() == std::vector<std::string>{"a"});
    }
    SECTION("a set with no keys at all is refused, not taken as the new (empty) set") {
        server.serve_document("{\"keys\":[]}");
        REQUIRE(!v.try_refresh());
        CHECK(still_good());
    }
}

TEST_CASE("the document's size and key count are bounded", "[remote_jwks]") {
    manual_clock::set(start_time);
    http_server server;
    std::string doc = set_of({jwk_with_kid(es_key(0), "a")});
    auto o = options_for(server);
    o.max_document_size = 4096;
    std::size_t asked_max = 0;
    bool honour_max = true;
    const auto inner = o.fetch;
    // A fetch function that ignores max_size (reads everything) shows the verifier's own check.
    o.fetch = [&](const jwt::jwks_request& r) {
        asked_max = r.max_size;
        jwt::jwks_request unbounded = r;
        if (!honour_max) unbounded.max_size = std::size_t{1} << 30;
        return inner(unbounded);
    };
    o.max_keys = 2;
    auto v = remote::make(o);
    server.serve_document(doc);
    REQUIRE(v.try_refresh());

    SECTION("over max_document_size: the fetch is told the bound, and stops there") {
        server.serve_document(doc.substr(0, doc.size() - 1) + std::string(5000, ' ') + "}");
        const auto r = v.try_refresh();
        REQUIRE(!r);
        CHECK(asked_max == 4096);
        CHECK(r.error().value() == errc::key_set_unavailable);
        CHECK(contains(r.error().what(), "longer than 4096 octets"));
    }
    SECTION("over max_document_size from a fetch that reads it all: refused by the verifier") {
        honour_max = false;
        server.serve_document(doc.substr(0, doc.size() - 1) + std::string(5000, ' ') + "}");
        const auto r = v.try_refresh();
        REQUIRE(!r);
        CHECK(r.error().value() == errc::invalid_jwk);
        CHECK(contains(r.error().what(), "at most 4096 are read (max_document_size)"));
    }
    SECTION("over max_keys") {
        server.serve_document(set_of({jwk_with_kid(es_key(0), "a"), jwk_with_kid(es_key(1), "b"),
                                      jwk_with_kid(es_key(2), "c")}));
        const auto r = v.try_refresh();
        REQUIRE(!r);
        CHECK(r.error().value() == errc::invalid_jwk);
        CHECK(contains(r.error().what(), "3 keys; at most 2 are read (max_keys)"));
    }
    CHECK(v.key_ids() == std::vector<std::string>{"a"});
    CHECK(v.try_verify(token_for(es_key(0), "a")));
}

TEST_CASE("a flood of unknown kids makes at most one fetch per cool-down", "[remote_jwks]") {
    manual_clock::set(start_time);
    http_server server;
    server.serve_document(set_of({jwk_with_kid(es_key(0), "a")}));
    event_log log;
    auto o = options_for(server);
    o.on_event = log.hook();
    auto v = remote::make(o);
    REQUIRE(v.try_refresh());
    REQUIRE(server.requests() == 1);

    const auto flood = [&](int n) {
        for (int i = 0; i < n; ++i) {
            const auto r = v.try_verify(token_for(es_key(1), "random-" + std::to_string(i)));
            CHECK(code_of(r) == errc::unknown_key_id);
            v.refresh_if_due();  // the app refreshes as often as it likes
        }
    };
    manual_clock::advance(5s);
    flood(200);
    CHECK(server.requests() == 1);                                    // within the cool-down of the first fetch: none
    CHECK(log.count(jwt::jwks_event_kind::refetch_suppressed) == 1);  // told once, not 200 times
    const auto suppressed = v.try_verify(token_for(es_key(1), "random"));
    CHECK(contains(suppressed.error().what(), "no refetch of " + server.url() + " yet"));
    CHECK(contains(suppressed.error().what(), "the next may happen in 25 s"));

    manual_clock::advance(30s);
    flood(200);
    CHECK(server.requests() == 2);  // one fetch, the first unknown kid's; the rest wait again
    manual_clock::advance(29s);
    flood(50);
    CHECK(server.requests() == 2);
    manual_clock::advance(1s);
    flood(50);
    CHECK(server.requests() == 3);
    // A token without a kid cannot be helped by a refetch and asks for none.
    manual_clock::advance(60s);
    const std::string no_kid =
        jwt::builder<jwt::es256, manual_clock>(es_key(0)).roles({"Support Team"}).expires_in(5min).sign();
    CHECK(code_of(v.try_verify(no_kid)) == errc::unknown_key_id);
    v.refresh_if_due();
    CHECK(server.requests() == 3);
}

TEST_CASE("ETag revalidation: If-None-Match is sent, a 304 keeps the set and renews its freshness", "[remote_jwks]") {
    manual_clock::set(start_time);
    http_server server;
    server.serve([](served_state& s) {
        s.body = jwt::jwks_document({jwk_with_kid(es_key(0), "a")});
        s.etag = "\"v1\"";
        s.cache_control = "public, max-age=300";
    });
    event_log log;
    auto o = options_for(server);
    o.on_event = log.hook();
    auto v = remote::make(o);
    REQUIRE(v.try_refresh());
    manual_clock::advance(299s);
    v.refresh_if_due();
    CHECK(server.requests() == 1);
    manual_clock::advance(1s);
    REQUIRE(v.try_refresh_if_due());
    CHECK(server.requests() == 2);
    CHECK(server.not_modified() == 1);
    CHECK(server.if_none_match() == std::vector<std::string>{"", "\"v1\""});
    CHECK(log.count(jwt::jwks_event_kind::not_modified) == 1);
    CHECK(contains(log.last().message, "304"));
    CHECK(v.try_verify(token_for(es_key(0), "a")));
    // Renewed for another max-age from the 304.
    manual_clock::advance(299s);
    v.refresh_if_due();
    CHECK(server.requests() == 2);
    // A new document under a new ETag replaces the set.
    server.serve([](served_state& s) {
        s.body = jwt::jwks_document({jwk_with_kid(es_key(1), "b")});
        s.etag = "\"v2\"";
    });
    manual_clock::advance(1s);
    REQUIRE(v.try_refresh_if_due());
    CHECK(server.not_modified() == 1);
    CHECK(v.key_ids() == std::vector<std::string>{"b"});
}

TEST_CASE("Cache-Control max-age is honoured within [min_refresh, max_refresh]", "[remote_jwks]") {
    manual_clock::set(start_time);
    http_server server;
    server.serve_document(set_of({jwk_with_kid(es_key(0), "a")}));
    auto o = options_for(server);
    o.min_refresh = 60s;
    o.max_refresh = 24h;
    o.default_refresh = 10min;
    auto v = remote::make(o);
    struct fresh_case {
        const char* cache_control;
        std::chrono::seconds lasts;
    };
    const fresh_case c = GENERATE(fresh_case{"max-age=5", 60s}, fresh_case{"max-age=120", 120s},
                                  fresh_case{"Max-Age=\"900\", must-revalidate", 900s},
                                  fresh_case{"max-age=999999999999", 24h}, fresh_case{"no-store", 60s},
                                  fresh_case{"max-age=3600, no-cache", 60s}, fresh_case{"", 10min},
                                  fresh_case{"max-age=soon", 10min});
    INFO("Cache-Control: " << c.cache_control);
    server.serve([&](served_state& s) { s.cache_control = c.cache_control; });
    REQUIRE(v.try_refresh());
    const int n = server.requests();
    manual_clock::advance(c.lasts - 1s);
    v.refresh_if_due();
    CHECK(server.requests() == n);
    manual_clock::advance(1s);
    v.refresh_if_due();
    CHECK(server.requests() == n + 1);
}

TEST_CASE("keys marked use: enc are passed over; a set of only those is refused", "[remote_jwks]") {
    manual_clock::set(start_time);
    http_server server;
    std::string enc = jwk_with_kid(rs_key(1), "enc-1");
    enc.replace(enc.find(R"("use":"sig")"), 11, R"("use":"enc")");
    enc.replace(enc.find(R"("alg":"RS256")"), 13, R"("alg":"RSA-OAEP")");
    server.serve_document("{\"keys\":[" + enc + "," + jwk_with_kid(es_key(0), "sig-1") + "]}");
    auto v = remote::make(options_for(server));
    REQUIRE(v.try_refresh());
    CHECK(v.key_ids() == std::vector<std::string>{"sig-1"});
    CHECK(v.try_verify(token_for(es_key(0), "sig-1")));
    server.serve_document("{\"keys\":[" + enc + "]}");
    const auto r = v.try_refresh();
    REQUIRE(!r);
    CHECK(contains(r.error().what(), "no signature keys"));
}

TEST_CASE("remote_jwks_verifier settings: http:// needs the opt-out, and bad settings are refused", "[remote_jwks]") {
    remote::options o;
    o.fetch = [](const jwt::jwks_request&) { return jwt::jwks_response{}; };
    o.url = "http://127.0.0.1:1/jwks.json";
    const auto plain = remote::try_make(o);
    REQUIRE(!plain);
    CHECK(plain.error().value() == errc::invalid_setting);
    CHECK(contains(plain.error().what(), "allow_insecure_http"));
    std::error_code ec;
    CHECK(!remote::make(o, ec).has_value());
    CHECK(ec == errc::invalid_setting);
    o.allow_insecure_http = true;
    CHECK(remote::try_make(o));
    o.url = "ftp://idp.example/jwks.json";
    CHECK(!remote::try_make(o));
    o.url = "HTTPS://idp.example/jwks.json";
    o.allow_insecure_http = false;
    CHECK(remote::try_make(o));
    auto bad = o;
    bad.fetch = nullptr;
    CHECK(!remote::try_make(bad));
    bad = o;
    bad.min_refresh = 0s;
    CHECK(!remote::try_make(bad));
    bad = o;
    bad.default_refresh = 48h;
    CHECK(!remote::try_make(bad));
    bad = o;
    bad.max_document_size = jwt::max_jwks_size + 1;
    CHECK(!remote::try_make(bad));
    bad = o;
    bad.max_keys = 0;
    CHECK(!remote::try_make(bad));
#if JWTMINT_EXCEPTIONS
    CHECK_THROWS_AS(remote::make(bad), jwt::error);
#endif
}

TEST_CASE("a fetch function that throws is a failed fetch", "[remote_jwks]") {
    remote::options o;
    o.url = "https://idp.example/jwks.json";
    o.fetch = [](const jwt::jwks_request&) -> jwt::jwks_response { throw std::runtime_error("no route to host"); };
    auto v = remote::make(o);
    const auto r = v.try_refresh();
    REQUIRE(!r);
    CHECK(contains(r.error().what(), "the fetch function threw: no route to host"));
}

TEST_CASE("the event hook runs with no lock held: it may refresh again from inside", "[remote_jwks]") {
    // A failed fetch's hook retries once at once (a pattern a user may write); with the fetch lock
    // held while the hook ran, this would deadlock on the second fetch.
    int fetches = 0;
    int nested = 0;
    remote::options o;
    o.url = "https://idp.example/jwks.json";
    o.fetch = [&](const jwt::jwks_request&) {
        ++fetches;
        jwt::jwks_response r;
        r.error = "connection refused";
        return r;
    };
    remote* self = nullptr;
    o.on_event = [&](const jwt::jwks_event& e) {
        if (e.kind != jwt::jwks_event_kind::fetch_failed || nested++ > 0) return;
        REQUIRE(self != nullptr);
        CHECK_FALSE(self->try_refresh());
    };
    auto v = remote::make(o);
    self = &v;
    CHECK_FALSE(v.try_refresh());
    CHECK(fetches == 2);
    CHECK(nested == 2);
}

TEST_CASE("background mode fetches on its own, refetches for an unknown kid, and stops promptly", "[remote_jwks]") {
    manual_clock::set(start_time);
    http_server server;
    server.serve_document(set_of({jwk_with_kid(es_key(0), "a")}));
    event_log log;
    auto o = options_for(server);
    o.on_event = log.hook();
    o.refresh = jwt::jwks_refresh_mode::background;
    const auto wait_for = [](auto&& done) {
        const auto give_up = std::chrono::steady_clock::now() + 10s;
        while (!done() && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(2ms);
        return done();
    };
    std::optional<remote> v(remote::make(o));
    REQUIRE(wait_for([&] { return v->has_key_set(); }));
    CHECK(server.requests() == 1);
    CHECK(v->try_verify(token_for(es_key(0), "a")));

    server.serve_document(set_of({jwk_with_kid(es_key(0), "a"), jwk_with_kid(es_key(1), "b")}));
    manual_clock::advance(31s);
    const std::string b = token_for(es_key(1), "b");
    const auto first = v->try_verify(b);
    CHECK(code_of(first) == errc::unknown_key_id);
    CHECK(contains(first.error().what(), "was requested"));
    REQUIRE(wait_for([&] { return static_cast<bool>(v->try_verify(b)); }));
    CHECK(server.requests() == 2);
    // A flood within the cool-down: the thread is not woken.
    for (int i = 0; i < 100; ++i) CHECK(!v->try_verify(token_for(es_key(2), "x" + std::to_string(i))));
    std::this_thread::sleep_for(50ms);
    CHECK(server.requests() == 2);

    // Due by max-age: the thread notices within its wait once told (the test clock does not tick).
    // Moving a verifier keeps its thread running against the same state.
    remote moved = std::move(*v);
    v.reset();
    CHECK(moved.try_verify(b));
    const auto t0 = std::chrono::steady_clock::now();
    {
        const remote gone = std::move(moved);
    }  // the thread sleeps until the set is due (10 minutes): the destructor wakes and joins it
    CHECK(std::chrono::steady_clock::now() - t0 < 500ms);
    CHECK(server.requests() == 2);
}

TEST_CASE("many threads verify while the served set rotates and is refetched", "[remote_jwks][concurrency]") {
    manual_clock::set(start_time);
    http_server server;
    const std::string a = jwk_with_kid(es_key(0), "a");
    const std::string b = jwk_with_kid(es_key(1), "b");
    const std::string c = jwk_with_kid(es_key(2), "c");
    server.serve_document(set_of({a, b}));
    auto o = options_for(server);
    o.refresh = GENERATE(jwt::jwks_refresh_mode::caller, jwt::jwks_refresh_mode::background);
    auto v = remote::make(o);
    if (o.refresh == jwt::jwks_refresh_mode::caller) REQUIRE(v.try_refresh());
    const std::vector<std::string> always = {token_for(es_key(0), "a"), token_for(es_key(1), "b")};
    const std::string sometimes = token_for(es_key(2), "c");

    std::atomic<bool> done{false};
    std::atomic<int> verified{0}, failures{0}, c_seen{0};
    std::vector<std::thread> readers;
    readers.reserve(3);
    for (int t = 0; t < 3; ++t) {
        readers.emplace_back([&, t] {
            auto i = static_cast<std::size_t>(t);
            while (!done) {
                const auto r = v.try_verify(always[i++ % always.size()]);
                // Before the background thread's first fetch there is no set yet.
                if (r) {
                    ++verified;
                } else if (r.error().value() != errc::key_set_unavailable) {
                    ++failures;
                }
                std::error_code ec;
                if (v.verify(sometimes, ec)) ++c_seen;
            }
        });
    }
    // Background rounds move the clock 31 s each; the tokens live 10 minutes.
    const int rounds = o.refresh == jwt::jwks_refresh_mode::caller ? 40 : 15;
    for (int round = 0; round < rounds; ++round) {
        server.serve_document(round % 2 == 0 ? set_of({a, b, c}) : set_of({b, a}));
        if (o.refresh == jwt::jwks_refresh_mode::caller) {
            CHECK(v.try_refresh());
        } else {
            manual_clock::advance(31s);  // past the cool-down: c's tokens wake the thread
        }
        std::this_thread::sleep_for(2ms);
    }
    done = true;
    for (auto& r : readers) r.join();
    CHECK(failures == 0);
    CHECK(verified > 0);
    INFO("c verified " << c_seen << " times; the server was asked " << server.requests() << " times");
    CHECK(server.requests() >= 2);
}
