// SPDX-License-Identifier: MIT
// jwt::curl_fetch against a JWK Set served on loopback by cpp-httplib, over HTTP and over HTTPS with
// a CA the test makes (the openssl command line, into a temporary folder): status, body, ETag and
// Cache-Control; 304; timeouts, refused connections and oversized bodies as transport failures;
// http:// refused unless allowed; an untrusted server certificate refused.
#include <jwtmint/curl_fetch.hpp>
#include <jwtmint/remote_jwks.hpp>

#include "catch.hpp"
#include "jwks_test_server.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using namespace jwtmint_test;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

using http_server = jwks_server<httplib::Server>;
using https_server = jwks_server<httplib::SSLServer>;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// A CA and a certificate it issued for 127.0.0.1 and localhost, in a temporary folder removed at exit.
struct test_pki {
    fs::path dir;
    test_pki() {
        std::string pattern = (fs::temp_directory_path() / "jwtmint-curl-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        dir = pattern;
        std::ofstream(dir / "server.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                             "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
        const std::string d = "'" + dir.string() + "/";
        const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes ";
        const std::string script =
            "openssl req -x509" + ec + "-keyout " + d + "ca.key' -out " + d +
            "ca.pem' -days 2 -subj '/CN=jwtmint test CA' -addext basicConstraints=critical,CA:TRUE "
            "-addext keyUsage=critical,keyCertSign,cRLSign && "
            "openssl req" +
            ec + "-keyout " + d + "server.key' -out " + d +
            "server.csr' -subj '/CN=127.0.0.1' && "
            "openssl x509 -req -in " +
            d + "server.csr' -CA " + d + "ca.pem' -CAkey " + d + "ca.key' -CAcreateserial -days 2 -extfile " + d +
            "server.ext' -out " + d + "server.pem'";
        // The openssl command line makes the CA, as an administrator would (one thread, fixed text).
        const std::string command = "( " + script + " ) >/dev/null 2>&1";
        REQUIRE(std::system(command.c_str()) == 0);  // NOLINT(cert-env33-c,concurrency-mt-unsafe)
    }
    ~test_pki() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    [[nodiscard]] std::string path(const char* name) const { return (dir / name).string(); }
};

const test_pki& pki() {
    static const test_pki made;
    return made;
}

jwt::jwks_request request_for(const std::string& url) {
    jwt::jwks_request r;
    r.url = url;
    r.max_size = jwt::max_jwks_size;
    r.timeout = 2000ms;
    return r;
}

const jwt::es256& signer() {
    static const jwt::es256 s = jwt::es256::from_key(jwt::private_key::generate_ec_p256());
    return s;
}

}  // namespace

TEST_CASE("curl_fetch over HTTP: status, body, ETag and Cache-Control; 304; failures as status 0", "[curl]") {
    http_server server;
    REQUIRE(server.listening());
    const std::string doc = jwt::jwks_document({jwk_with_kid(signer(), "a")});
    server.serve([&](served_state& s) {
        s.body = doc;
        s.etag = "\"abc\"";
        s.cache_control = "max-age=120";
    });
    jwt::curl_fetch_options allow;
    allow.allow_insecure_http = true;
    const auto fetch = jwt::curl_fetch(allow);

    const auto ok = fetch(request_for(server.url()));
    INFO(ok.error);
    CHECK(ok.status == 200);
    CHECK(ok.body == doc);
    CHECK(ok.etag == "\"abc\"");
    CHECK(ok.cache_control == "max-age=120");
    CHECK(ok.error.empty());

    auto again = request_for(server.url());
    again.if_none_match = "\"abc\"";
    const auto same = fetch(again);
    CHECK(same.status == 304);
    CHECK(same.body.empty());
    CHECK(server.not_modified() == 1);
    CHECK(server.if_none_match().back() == "\"abc\"");

    SECTION("an HTTP error status is a response, not a transport failure") {
        server.serve([](served_state& s) { s.status = 500; });
        const auto r = fetch(request_for(server.url()));
        CHECK(r.status == 500);
        CHECK(r.error.empty());
    }
    SECTION("a body over max_size is cut off") {
        auto small = request_for(server.url());
        small.max_size = doc.size() - 1;
        const auto r = fetch(small);
        CHECK(r.status == 0);
        CHECK(contains(r.error, "longer than " + std::to_string(doc.size() - 1) + " octets"));
        small.max_size = doc.size();
        CHECK(fetch(small).status == 200);
    }
    SECTION("a slow server: the timeout ends the transfer") {
        server.serve([](served_state& s) { s.delay = 1000ms; });
        auto quick = request_for(server.url());
        quick.timeout = 200ms;
        const auto t0 = std::chrono::steady_clock::now();
        const auto r = fetch(quick);
        CHECK(std::chrono::steady_clock::now() - t0 < 900ms);
        CHECK(r.status == 0);
        CHECK(contains(r.error, "Timeout was reached"));
    }
    SECTION("a closed port: connection refused") {
        const std::string url = server.url();
        server.stop();
        const auto r = fetch(request_for(url));
        CHECK(r.status == 0);
        CHECK(contains(r.error, "Couldn't connect to server"));
        CHECK(contains(r.error, url));
    }
    SECTION("http:// without the opt-out is refused before any connection") {
        const int before = server.requests();
        const auto r = jwt::curl_fetch()(request_for(server.url()));
        CHECK(r.status == 0);
        CHECK(contains(r.error, "allow_insecure_http"));
        CHECK(server.requests() == before);
    }
}

TEST_CASE("curl_fetch over HTTPS trusts the CA it is given, and only that", "[curl]") {
    const test_pki& keys = pki();
    https_server server(keys.path("server.pem").c_str(), keys.path("server.key").c_str());
    REQUIRE(server.listening());
    server.serve_document(jwt::jwks_document({jwk_with_kid(signer(), "a")}));
    const std::string url = server.url("https");

    SECTION("without the test CA the server's certificate is refused") {
        const auto r = jwt::curl_fetch()(request_for(url));
        CHECK(r.status == 0);
        INFO(r.error);
        CHECK(contains(r.error, "certificate"));
    }
    SECTION("with it, the set is fetched and verifies tokens through remote_jwks_verifier") {
        jwt::curl_fetch_options trust;
        trust.ca_file = keys.path("ca.pem");
        const auto r = jwt::curl_fetch(trust)(request_for(url));
        INFO(r.error);
        CHECK(r.status == 200);

        jwt::remote_jwks_verifier<>::options o;
        o.url = url;  // https: no opt-out needed
        o.fetch = jwt::curl_fetch(trust);
        auto v = jwt::remote_jwks_verifier<>::make(o);
        const auto refreshed = v.try_refresh();
        INFO((refreshed ? std::string() : refreshed.error().what()));
        REQUIRE(refreshed);
        const std::string token = jwt::builder(signer()).key_id("a").roles({"Support Team"}).expires_in(5min).sign();
        CHECK(v.try_verify(token));
    }
    SECTION("a redirect from https to http is not followed") {
        http_server plain;
        plain.serve_document(jwt::jwks_document({jwk_with_kid(signer(), "a")}));
        server.serve([&](served_state& s) {
            s.status = 302;
            s.location = plain.url();
        });
        jwt::curl_fetch_options trust;
        trust.ca_file = keys.path("ca.pem");
        const auto r = jwt::curl_fetch(trust)(request_for(url));
        CHECK(r.status == 0);
        INFO(r.error);
        CHECK(contains(r.error, "Unsupported protocol"));
        CHECK(plain.requests() == 0);
        // Allowed, the redirect is followed to the plain server.
        trust.allow_insecure_http = true;
        const auto followed = jwt::curl_fetch(trust)(request_for(url));
        CHECK(followed.status == 200);
        CHECK(plain.requests() == 1);
    }
}
