// SPDX-License-Identifier: MIT
// base64url.hpp: unpadded encoding and the strict decoder (RFC 4648 §5, RFC 7515 §2).
#include <jwtmint/base64url.hpp>

#include "core_helpers.hpp"

#include <array>
#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

// An independent oracle: OpenSSL's standard base64 made URL-safe and unpadded.
std::string oracle_encode(std::string_view data) { return jwtmint_test::b64url_encode(data); }

std::string random_bytes(std::mt19937& rng, std::size_t n) {
    std::uniform_int_distribution<int> byte(0, 255);
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(byte(rng));
    return s;
}

}  // namespace

TEST_CASE("encode then decode gives the input back for every length 0..70", "[base64url]") {
    std::mt19937 rng(20240531U);  // deterministic
    for (std::size_t n = 0; n <= 70; ++n) {
        for (int round = 0; round < 8; ++round) {
            const std::string data = random_bytes(rng, n);
            const std::string enc = jwt::base64url_encode(data);
            INFO("length " << n << ", encoding " << enc);
            CHECK(enc == oracle_encode(data));
            CHECK(enc.size() == jwt::base64url_encoded_size(n));
            CHECK(enc.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
                  std::string::npos);
            CHECK(jwt::base64url_decode(enc) == data);
            std::error_code ec = jwt::errc::weak_key;  // the overload must clear it
            CHECK(jwt::base64url_decode(enc, ec) == data);
            CHECK_FALSE(ec);
        }
    }
}

TEST_CASE("encoded sizes", "[base64url]") {
    // 4 characters per 3 octets; a partial group of 1 or 2 octets needs 2 or 3 characters.
    static_assert(jwt::base64url_encoded_size(0) == 0);
    static_assert(jwt::base64url_encoded_size(1) == 2);
    static_assert(jwt::base64url_encoded_size(2) == 3);
    static_assert(jwt::base64url_encoded_size(3) == 4);
    static_assert(jwt::base64url_encoded_size(32) == 43);
    static_assert(jwt::base64url_encoded_size(64) == 86);
    static_assert(jwt::base64url_encoded_size(256) == 342);
    CHECK(jwt::base64url_encoded_size(1000) == oracle_encode(std::string(1000, 'x')).size());
}

TEST_CASE("RFC 4648 section 10 test strings, URL-safe and unpadded", "[base64url]") {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", ""},
        {"f", "Zg"},
        {"fo", "Zm8"},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg"},
        {"fooba", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy"},
        // the two characters where base64url differs from base64 ('+' -> '-', '/' -> '_')
        {"\xfb\xff", "-_8"},
        {"\xff\xff\xff", "____"},
        {"\xfb\xef\xbe", "----"},
        {std::string(1, '\0'), "AA"},
        {std::string(3, '\0'), "AAAA"},
    };
    for (const auto& [plain, encoded] : cases) {
        INFO("'" << encoded << "'");
        CHECK(jwt::base64url_encode(plain) == encoded);
        CHECK(jwt::base64url_decode(encoded) == plain);
    }
}

TEST_CASE("base64url_append appends to what is there", "[base64url]") {
    std::string out = "eyJ.";
    jwt::base64url_append(out, "foobar");
    CHECK(out == "eyJ.Zm9vYmFy");
    jwt::base64url_append(out, "");
    CHECK(out == "eyJ.Zm9vYmFy");
}

TEST_CASE("the decoder refuses everything but the one canonical encoding", "[base64url]") {
    const std::vector<std::string> refused = {
        // padding
        "Zg==",
        "Zg=",
        "Zm8=",
        "Zm9v====",
        "=",
        "====",
        // the standard alphabet's '+' and '/'
        "+_8",
        "-/8",
        "Zm9v+A",
        "Zm9v/w",
        // whitespace and other foreign characters
        "Zm9v ",
        " Zm9v",
        "Zm 9v",
        "Zm9v\n",
        "Zm9v\r\n",
        "Zm\t9v",
        "Zm9v.",
        "Zm9v!",
        "Zm9v*",
        std::string("Zm\0v", 4),
        "Zm9v\xc3\xa9",
        // lengths of 1 mod 4 cannot be produced by any octet string
        "Z",
        "Zm9vY",
        "Zm9vYmFyZ",
        // non-canonical trailing bits: "f" is "Zg" and "fo" is "Zm8", nothing else
        "Zh",
        "Zv",
        "Z_",
        "Zm9",
        "Zm-",
        "Zm_",
        "Zm9vYh",
        "Zm9vYmF",
    };
    for (const auto& text : refused) {
        INFO("'" << text << "'");
        CHECK_ERRC(jwt::base64url_decode(text), jwt::errc::invalid_base64url);
        std::error_code ec;
        const std::string out = jwt::base64url_decode(text, ec);
        CHECK_EC(ec, jwt::errc::invalid_base64url);
        CHECK(out.empty());
    }
}

TEST_CASE("the canonical neighbours of the refused strings are accepted", "[base64url]") {
    // Guards the refusal table above: each would pass if the decoder were lenient only by accident.
    CHECK(jwt::base64url_decode("Zg") == "f");
    CHECK(jwt::base64url_decode("Zm8") == "fo");
    CHECK(jwt::base64url_decode("Zm9vYg") == "foob");
    CHECK(jwt::base64url_decode("Zm9vYmE") == "fooba");
    CHECK(jwt::base64url_decode("Zm9vYmFy") == "foobar");
    CHECK(jwt::base64url_decode("") == "");
}

TEST_CASE("the throwing decoder's message names the rules", "[base64url]") {
    try {
        static_cast<void>(jwt::base64url_decode("Zg=="));
        FAIL("no exception");
    } catch (const jwt::error& e) {
        const std::string what = e.what();
        CHECK(what.find("padding") != std::string::npos);
        CHECK(what.find("trailing bits") != std::string::npos);
    }
}

TEST_CASE("decoded sizes", "[base64url]") {
    static_assert(jwt::base64url_decoded_size(0) == 0);
    static_assert(jwt::base64url_decoded_size(2) == 1);
    static_assert(jwt::base64url_decoded_size(3) == 2);
    static_assert(jwt::base64url_decoded_size(4) == 3);
    static_assert(jwt::base64url_decoded_size(43) == 32);
    static_assert(jwt::base64url_decoded_size(86) == 64);
    static_assert(jwt::base64url_decoded_size(342) == 256);
}

TEST_CASE("decoding into a caller buffer: every length 0..200 against the oracle", "[base64url]") {
    std::mt19937 rng(7U);
    for (std::size_t n = 0; n <= 200; ++n) {
        const std::string data = random_bytes(rng, n);
        const std::string enc = oracle_encode(data);
        INFO("length " << n << ", encoding " << enc);
        REQUIRE(jwt::base64url_decoded_size(enc.size()) == n);
        std::vector<unsigned char> buf(n + 8, 0xAA);
        std::error_code ec = jwt::errc::weak_key;  // must be cleared
        const std::size_t got = jwt::base64url_decode(enc, buf.data(), n, ec);
        CHECK_FALSE(ec);
        CHECK(got == n);
        CHECK(std::string(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)) == data);
        for (std::size_t k = n; k < buf.size(); ++k) CHECK(buf[k] == 0xAA);  // nothing past the octets
        CHECK(jwt::base64url_decode(enc) == data);
        if (n > 0) {
            std::vector<unsigned char> small(n - 1, 0x55);
            CHECK(jwt::base64url_decode(enc, small.data(), small.size(), ec) == 0);
            CHECK(ec == std::errc::no_buffer_space);
            for (const unsigned char c : small) CHECK(c == 0x55);
        }
    }
}

TEST_CASE("every non-canonical trailing-bit case is refused, every canonical one accepted", "[base64url]") {
    const std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // Behind a full group ("Zm9v" = "foo"), so the 4-at-a-time loop runs before the tail.
    for (const std::string prefix : {"", "Zm9v"}) {
        for (std::size_t a = 0; a < 64; ++a) {
            for (std::size_t b = 0; b < 64; ++b) {
                // Two characters carry one octet: the last character's low 4 bits are unused.
                const std::string two = prefix + alphabet[a] + alphabet[b];
                std::error_code ec;
                const std::string out = jwt::base64url_decode(two, ec);
                INFO("'" << two << "'");
                if ((b & 0x0F) == 0) {
                    CHECK_FALSE(ec);
                    CHECK(oracle_encode(out) == two);
                } else {
                    CHECK_EC(ec, jwt::errc::invalid_base64url);
                }
                // Three characters carry two octets: the last character's low 2 bits are unused.
                const std::string three = prefix + "Q" + alphabet[a] + alphabet[b];
                const std::string out3 = jwt::base64url_decode(three, ec);
                INFO("'" << three << "'");
                if ((b & 0x03) == 0) {
                    CHECK_FALSE(ec);
                    CHECK(oracle_encode(out3) == three);
                } else {
                    CHECK_EC(ec, jwt::errc::invalid_base64url);
                }
                std::array<unsigned char, 8> buf{};
                CHECK(jwt::base64url_decode(three, buf.data(), buf.size(), ec) == ((b & 0x03) == 0 ? out3.size() : 0));
                CHECK(((b & 0x03) == 0) == !ec);
            }
        }
    }
}

TEST_CASE("a foreign character is refused in every position of a group", "[base64url]") {
    for (const char bad : {'=', '+', '/', ' ', '.', '\0', '\x80', '\xff'}) {
        for (std::size_t pos = 0; pos < 8; ++pos) {
            std::string text = "Zm9vYmFy";
            text[pos] = bad;
            INFO("position " << pos << ", octet " << static_cast<int>(static_cast<unsigned char>(bad)));
            std::error_code ec;
            CHECK(jwt::base64url_decode(text, ec).empty());
            CHECK_EC(ec, jwt::errc::invalid_base64url);
            std::array<unsigned char, 6> buf{};
            CHECK(jwt::base64url_decode(text, buf.data(), buf.size(), ec) == 0);
            CHECK_EC(ec, jwt::errc::invalid_base64url);
        }
    }
}

TEST_CASE("try_base64url_decode: the value, or invalid_base64url with the full message", "[base64url]") {
    const auto ok = jwt::try_base64url_decode("aGk");
    REQUIRE(ok.has_value());
    CHECK(*ok == "hi");
    for (const std::string_view bad : {"aGk=", "a", "aGl", "a+b/"}) {
        const auto r = jwt::try_base64url_decode(bad);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().value() == jwt::errc::invalid_base64url);
        CHECK(std::string(r.error().what()).find("without '=' padding") != std::string::npos);
    }
}
