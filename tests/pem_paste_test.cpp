// SPDX-License-Identifier: MIT
// A PEM key as it arrives pasted into a config file, a web form or an environment variable: its
// BEGIN or END line lost, indented, all on one line, with CRLF line ends. Each damage is refused
// as invalid_key with a message that says which it is and how to mend it; CRLF just works.
#include <jwtmint/key.hpp>

#include "core_helpers.hpp"

#include <string>
#include <string_view>

using jwt::errc;

namespace {

/// The message of the jwt::error that f throws, after checking its code is want.
template <class F>
std::string refusal(F&& f, errc want) {
    const auto r = jwtmint_test::outcome_of(std::forward<F>(f));
    INFO("message: " << r.message);
    CHECK(r.code == jwtmint_test::describe_code(want));
    return r.message;
}

bool has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::string without_line(const std::string& pem, std::string_view marker) {
    const std::size_t at = pem.find(marker);
    REQUIRE(at != std::string::npos);
    return pem.substr(0, at) + pem.substr(pem.find('\n', at) + 1);
}

/// The base64 body alone: every line but the BEGIN and END lines.
std::string body_of(const std::string& pem) { return without_line(without_line(pem, "-----BEGIN"), "-----END"); }

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

}  // namespace

TEST_CASE("a pasted public key that lost its BEGIN or END line says which line to add", "[key][pem][paste]") {
    const std::string pub = jwtmint_test::openssl_public_pem(jwtmint_test::p256_pem());
    const auto load = [](const std::string& text) { return [text] { (void)jwt::public_key::from_pem(text); }; };

    SECTION("no BEGIN line") {
        const std::string m = refusal(load(without_line(pub, "-----BEGIN")), errc::invalid_key);
        CHECK(has(m, "no BEGIN line"));
        CHECK(has(m, "add the line '-----BEGIN PUBLIC KEY-----'"));
    }
    SECTION("no END line") {
        const std::string m = refusal(load(without_line(pub, "-----END")), errc::invalid_key);
        CHECK(has(m, "no END line"));
        CHECK(has(m, "add the line '-----END PUBLIC KEY-----'"));
    }
    SECTION("neither: the bare base64 body, of a public or a private key") {
        std::string m = refusal(load(body_of(pub)), errc::invalid_key);
        CHECK(has(m, "add the BEGIN/END lines"));
        CHECK(has(m, "'-----BEGIN PUBLIC KEY-----' before it and '-----END PUBLIC KEY-----' after it"));
        const std::string priv_body = body_of(jwtmint_test::p256_pem());
        m = refusal([&] { (void)jwt::private_key::from_pem(priv_body); }, errc::invalid_key);
        CHECK(has(m, "add the BEGIN/END lines"));
        CHECK(has(m, "'-----BEGIN PRIVATE KEY-----'"));
    }
    SECTION("base64 text that is no key is not taken for a headless key") {
        // 32 random-looking octets in standard base64, as `openssl rand -base64 32` prints a secret
        const std::string m = refusal(load("q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=\n"), errc::invalid_key);
        CHECK_FALSE(has(m, "BEGIN/END lines"));
    }
}

TEST_CASE("a pasted key that is indented or on one line says so; CRLF line ends are read", "[key][pem][paste]") {
    const std::string pub = jwtmint_test::openssl_public_pem(jwtmint_test::p256_pem());
    const auto load = [](const std::string& text) { return [text] { (void)jwt::public_key::from_pem(text); }; };

    SECTION("indented with spaces or tabs (OpenSSL's PEM reader refuses that)") {
        for (const std::string_view indent : {std::string_view("    "), std::string_view("\t")}) {
            INFO("indent: '" << indent << "'");
            const std::string indented = std::string(indent) +
                                         replace_all(pub.substr(0, pub.size() - 1), "\n", "\n" + std::string(indent)) +
                                         "\n";
            const std::string m = refusal(load(indented), errc::invalid_key);
            CHECK(has(m, "starts with spaces or tabs"));
            CHECK(has(m, "remove the indentation"));
        }
        const std::string m = refusal(load(replace_all(pub, "\nM", "\n  M")), errc::invalid_key);  // the body only
        CHECK(has(m, "line 2 starts with spaces or tabs"));
    }
    SECTION("all on one line, its line breaks turned into spaces") {
        std::string one = replace_all(pub.substr(0, pub.size() - 1), "\n", " ");
        const std::string m = refusal(load(one), errc::invalid_key);
        CHECK(has(m, "on one line"));
        CHECK(has(
            m, "'-----BEGIN PUBLIC KEY-----', the base64 body and '-----END PUBLIC KEY-----' on lines of their own"));
        const std::string priv_one = replace_all(jwtmint_test::p256_pem(), "\n", " ");
        CHECK(has(refusal([&] { (void)jwt::private_key::from_pem(priv_one); }, errc::invalid_key), "on one line"));
    }
    SECTION("CRLF line ends, of a public and a private key") {
        const jwt::public_key crlf = jwt::public_key::from_pem(replace_all(pub, "\n", "\r\n"));
        CHECK(crlf.to_pem() == pub);
        const jwt::private_key key = jwt::private_key::from_pem(replace_all(jwtmint_test::p256_pem(), "\n", "\r\n"));
        CHECK(key.public_key_pem() == pub);
    }
    SECTION("a public key where the private key is needed names both") {
        const std::string m = refusal([&] { (void)jwt::private_key::from_pem(pub); }, errc::private_key_required);
        CHECK(has(m, "PUBLIC KEY"));
        CHECK(has(m, "signing needs the private key"));
    }
}
