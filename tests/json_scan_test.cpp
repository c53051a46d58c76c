// SPDX-License-Identifier: MIT
// detail/json_scan.hpp against nlohmann::json plus the verifier's former rules: hand-written edge
// cases, the fuzz corpora, and deterministic mutations of both.
#include <jwtmint/base64url.hpp>
#include <jwtmint/detail/json_scan.hpp>

#include "catch.hpp"
#include "json_scan_oracle.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using jwt::detail::json_fault;
using jwt::detail::json_object_scan;

json_fault scan_of(std::string_view text) {
    json_object_scan s;
    return s.scan(text, 32);
}

std::string nest(int levels, std::string_view inner = "1") {
    std::string s;
    for (int i = 0; i < levels; ++i) s += i == 0 ? "{\"a\":" : "[";
    s += inner;
    for (int i = levels - 1; i >= 0; --i) s += i == 0 ? "}" : "]";
    return s;
}

/// 2^1024 - 2^970: halfway between DBL_MAX and 2^1024.
constexpr std::string_view dbl_max_halfway =
    "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692"
    "887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842"
    "914819860834936475292719074168444365510704342711559699508093042880177904174497792";

// Edge cases with the verdict written out by hand (not by either parser), so that the two could
// not agree on a wrong answer unnoticed.
struct edge {
    std::string text;
    json_fault expected;
};

std::vector<edge> edge_cases() {
    const auto ok = json_fault::none;
    const auto syntax = json_fault::syntax;
    const auto dup = json_fault::duplicate_name;
    const auto too_large = json_fault::number_too_large;
    std::vector<edge> e = {
        // the top level
        {"{}", ok},
        {" \t\r\n{}\n", ok},
        {"", syntax},
        {" ", syntax},
        {"[]", json_fault::not_object},
        {"\"x\"", json_fault::not_object},
        {"1", json_fault::not_object},
        {"null", json_fault::not_object},
        {"{}{}", syntax},
        {"{} x", syntax},
        {"{}\f", syntax},
        {"{}\v", syntax},
        // NUL ends the text for nlohmann's lexer (the former rules accepted these); never JSON
        {std::string("{}\0", 3), syntax},
        {std::string("{}\0{}", 5), syntax},
        {std::string("{} \0x", 5), syntax},
        {"\xEF\xBB\xBF{}", json_fault::byte_order_mark},
        {" \xEF\xBB\xBF{}", syntax},
        {"\xEF\xBB{}", syntax},
        {"/* c */{}", syntax},
        {"{} // c", syntax},
        {"{\"a\":1,}", syntax},
        {"{,}", syntax},
        {"{\"a\"}", syntax},
        {"{\"a\":}", syntax},
        {"{a:1}", syntax},
        {"{'a':1}", syntax},
        {"{\"a\" 1}", syntax},
        {"{\"a\"::1}", syntax},
        {R"({"a":1 "b":2})", syntax},
        {"{\"a\":[1,]}", syntax},
        {"{\"a\":[,1]}", syntax},
        {"{\"a\":[1 2]}", syntax},
        {"{\"a\":[}", syntax},
        {"{\"a\":{]}", syntax},
        {"{\"a\":1", syntax},
        {"{\"a\":1}}", syntax},
        // literals
        {R"({"a":true,"b":false,"c":null})", ok},
        {"{\"a\":tru}", syntax},
        {"{\"a\":True}", syntax},
        {"{\"a\":nul}", syntax},
        {"{\"a\":nulll}", syntax},
        {"{\"a\":NaN}", syntax},
        {"{\"a\":Infinity}", syntax},
        {"{\"a\":undefined}", syntax},
        // numbers: every form of RFC 8259 section 6 and the near misses
        {"{\"a\":0}", ok},
        {"{\"a\":-0}", ok},
        {"{\"a\":7}", ok},
        {"{\"a\":-7}", ok},
        {"{\"a\":10}", ok},
        {"{\"a\":0.5}", ok},
        {"{\"a\":-0.5}", ok},
        {"{\"a\":1e5}", ok},
        {"{\"a\":1E5}", ok},
        {"{\"a\":1e+5}", ok},
        {"{\"a\":1e-5}", ok},
        {"{\"a\":1.5e300}", ok},
        {"{\"a\":0e0}", ok},
        {"{\"a\":0.0e-0}", ok},
        {"{\"a\":01}", syntax},
        {"{\"a\":-01}", syntax},
        {"{\"a\":00}", syntax},
        {"{\"a\":+1}", syntax},
        {"{\"a\":.5}", syntax},
        {"{\"a\":1.}", syntax},
        {"{\"a\":1.e5}", syntax},
        {"{\"a\":1e}", syntax},
        {"{\"a\":1e+}", syntax},
        {"{\"a\":-}", syntax},
        {"{\"a\":--1}", syntax},
        {"{\"a\":0x10}", syntax},
        {"{\"a\":1_000}", syntax},
        {"{\"a\":1 .5}", syntax},
        // magnitudes: a double holds up to about 1.7976931348623157e308; smaller ones underflow to 0
        {"{\"a\":1e400}", too_large},
        {"{\"a\":-1e400}", too_large},
        {"{\"a\":1e309}", too_large},
        {"{\"a\":1e308}", ok},
        {"{\"a\":1.7976931348623157e308}", ok},
        {"{\"a\":1.7976931348623159e308}", too_large},
        {"{\"a\":17976931348623157e292}", ok},
        {"{\"a\":0.17976931348623157e309}", ok},
        {"{\"a\":1e-400}", ok},
        {"{\"a\":-1e-400}", ok},
        {"{\"a\":0e99999999999999999999}", ok},
        {"{\"a\":1e99999999999999999999}", too_large},
        {"{\"a\":1e-99999999999999999999}", ok},
        {"{\"a\":18446744073709551615}", ok},
        {"{\"a\":18446744073709551616}", ok},
        {"{\"a\":-9223372036854775809}", ok},
        {"{\"a\":1" + std::string(308, '0') + "}", ok},
        {"{\"a\":1" + std::string(309, '0') + "}", too_large},
        {"{\"a\":0." + std::string(400, '0') + "1e400}", ok},
        // 2^1024 - 2^970, halfway between DBL_MAX and 2^1024, rounds to even: to infinity
        {"{\"a\":" + std::string(dbl_max_halfway) + "}", too_large},
        {"{\"a\":" + std::string(dbl_max_halfway).substr(0, 308) + "1}", ok},
        {"{\"a\":1."
         "7976931348623158079372897140530341507993413271003782693617377898044496829276475094664901797758720709633"
         "028641669288791094655554785194040263065748867150582068190890200070838367627385484581771153176447573027006985"
         "557136695962284291481986083493647529271907416844436551070434271155969950809304288017790417449779e308}",
         ok},
        // exponents of 8 digits and more, beside a significand that moves the magnitude the other way
        // by about a million places (the scan read exponents to 7 digits, and took the first two for
        // finite: nlohmann refuses the first, and accepts the second as 0)
        {"{\"a\":0." + std::string(1000000, '0') + "1e10000000}", too_large},
        {"{\"a\":-0." + std::string(1000000, '0') + "1E+10000000}", too_large},
        {"{\"a\":1" + std::string(2000000, '0') + "e-10000000}", ok},
        {"{\"a\":0." + std::string(1000000, '0') + "1e1000099}", ok},
        {"{\"a\":0." + std::string(1000000, '0') + "1e1000310}", too_large},
        {"{\"a\":0." + std::string(1000000, '0') + "1e00000000000000000000001000099}", ok},
        {"{\"a\":1e9223372036854775807}", too_large},
        {"{\"a\":1e-9223372036854775808}", ok},
        {"{\"a\":1e18446744073709551616}", too_large},
        {"{\"a\":1e" + std::string(400, '9') + "}", too_large},
        {"{\"a\":1e-" + std::string(400, '9') + "}", ok},
        {"{\"a\":0e" + std::string(400, '9') + "}", ok},
        {"{\"a\":0.0e" + std::string(400, '9') + "}", ok},
        {"{\"a\":-0.000e" + std::string(400, '9') + "}", ok},
        // the first fault in text order is the one reported, as nlohmann reports it
        {R"({"a":1e400,"a":1})", too_large},
        {R"({"a":1,"a":1e400})", too_large},
        {"{\"a\":[1e400}", too_large},
        {"{\"a\":1e400 x}", too_large},
        {R"({"a":1x,"b":1e400})", syntax},
        {"{\"a\":1e400", too_large},
        // strings and escapes
        {R"({"a":""})", ok},
        {"{\"\":1}", ok},
        {R"({"a":"\"\\\/\b\f\n\r\t"})", ok},
        {R"({"a":"\u0041\u00e9\u20AC"})", ok},
        {R"({"a":"\u0000"})", ok},
        {R"({"a":"\ud83d\ude00"})", ok},
        {R"({"a":"\uD83D\uDE00"})", ok},
        {R"({"a":"\ud83d"})", syntax},
        {R"({"a":"\ude00"})", syntax},
        {R"({"a":"\ud83d\u0041"})", syntax},
        {R"({"a":"\ud83dx"})", syntax},
        {R"({"a":"\ud83d\ud83d"})", syntax},
        {R"({"a":"\u12"})", syntax},
        {R"({"a":"\u12g4"})", syntax},
        {R"({"a":"\x41"})", syntax},
        {R"({"a":"\a"})", syntax},
        {R"({"a":"\'"})", syntax},
        {R"({"a":"\"})", syntax},
        {R"({"a":"abc})", syntax},
        {"{\"a\":\"tab\there\"}", syntax},
        {"{\"a\":\"nl\nhere\"}", syntax},
        {std::string("{\"a\":\"\0\"}", 8), syntax},
        {"{\"a\":\"\x7f\"}", ok},
        {"{\"a\":\"\x1f\"}", syntax},
        // UTF-8, raw and in names: every class of invalid sequence
        {"{\"a\":\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"}", ok},
        {"{\"\xC3\xA9\":1}", ok},
        {"{\"a\":\"\xC0\x80\"}", syntax},
        {"{\"a\":\"\xC1\xBF\"}", syntax},
        {"{\"a\":\"\xE0\x80\x80\"}", syntax},
        {"{\"a\":\"\xE0\x9F\xBF\"}", syntax},
        {"{\"a\":\"\xE0\xA0\x80\"}", ok},
        {"{\"a\":\"\xED\xA0\x80\"}", syntax},
        {"{\"a\":\"\xED\xBF\xBF\"}", syntax},
        {"{\"a\":\"\xED\x9F\xBF\"}", ok},
        {"{\"a\":\"\xF0\x80\x80\x80\"}", syntax},
        {"{\"a\":\"\xF0\x8F\xBF\xBF\"}", syntax},
        {"{\"a\":\"\xF0\x90\x80\x80\"}", ok},
        {"{\"a\":\"\xF4\x8F\xBF\xBF\"}", ok},
        {"{\"a\":\"\xF4\x90\x80\x80\"}", syntax},
        {"{\"a\":\"\xF5\x80\x80\x80\"}", syntax},
        {"{\"a\":\"\xFF\"}", syntax},
        {"{\"a\":\"\x80\"}", syntax},
        {"{\"a\":\"\xBF\"}", syntax},
        {"{\"a\":\"\xC3\"}", syntax},
        {"{\"a\":\"\xE2\x82\"}", syntax},
        {"{\"a\":\"\xF0\x9F\x98\"}", syntax},
        {"{\"a\":\"\xC3\x28\"}", syntax},
        {"{\"a\":\"\xE2\x28\xA1\"}", syntax},
        {"{\"\xC0\xAF\":1}", syntax},
        {"{\"a\":1}\xC3\xA9", syntax},
        {"{\"a\":\xC3\xA9}", syntax},
        // duplicate names: at the top, nested, in arrays, and equal only after unescaping
        {R"({"a":1,"a":1})", dup},
        {R"({"a":1,"b":2,"a":3})", dup},
        {R"({"a":1,"\u0061":2})", dup},
        {R"({"\u0061":1,"a":2})", dup},
        {R"({"\u0061":1,"\u0061":2})", dup},
        {R"({"\/":1,"/":2})", dup},
        {"{\"\\u00e9\":1,\"\xC3\xA9\":2}", dup},
        {"{\"\\ud83d\\ude00\":1,\"\xF0\x9F\x98\x80\":2}", dup},
        {R"({"a\n":1,"a\u000a":2})", dup},
        {R"({"a":1,"A":2})", ok},
        {R"({"a":1,"a ":2})", ok},
        {R"({"a":1,"\u0061b":2})", ok},
        {R"({"ab":1,"\u0061":2})", ok},
        {R"({"a\u0000":1,"a":2})", ok},
        {R"({"":1,"":2})", dup},
        {R"({"x":{"a":1,"a":2}})", dup},
        {R"({"x":[{"a":1},{"a":2}]})", ok},
        {R"({"x":[{"a":1,"a":2}]})", dup},
        {R"({"a":{"a":{"a":1}}})", ok},
        {R"({"a":{"b":1},"b":2})", ok},
        {R"({"a":{"b":1,"c":{"b":2}},"c":3})", ok},
        {R"({"a":[1,{"b":1}],"b":{"b":[]}})", ok},
        {R"([{"a":1,"a":2}])", dup},
        {R"({"a":1,"a":2,)", syntax},
        // depth: the top-level object is level 1; 32 levels are accepted, 33 are not
        {nest(32), ok},
        {nest(33), json_fault::too_deep},
        {nest(32, "[]"), json_fault::too_deep},
        {nest(31, "{}"), ok},
        {nest(32, "{}"), json_fault::too_deep},
        {nest(100), json_fault::too_deep},
        // a duplicate, then nesting too deep: the scan stops there and says too_deep, whether the
        // rest is valid (the reference says duplicate) or not (syntax; found by fuzz_json_scan in CI)
        {R"({"e":1,"e":2,"x":)" + std::string(40, '[') + "1" + std::string(40, ']') + "}", json_fault::too_deep},
        {R"({"e":1,"e":2,"x":)" + std::string(70, '[') + "1.[[0M}", json_fault::too_deep},
        {R"([[{"e":1,"e":2,"x":)" + std::string(40, '[') + "}", json_fault::too_deep},
    };
    // A large object, past the point where the scan moves its names to a hash set.
    std::string big = "{";
    for (int i = 0; i < 300; ++i) big += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
    e.push_back({big + "}", ok});
    e.push_back({big + ",\"k7\":1}", dup});
    e.push_back({big + R"(,"k\u0037":1})", dup});
    e.push_back({big + R"(,"x":{"k7":1,"k7":2}})", dup});
    e.push_back({"{\"x\":" + big + "},\"k1\":2}", ok});
    return e;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The JSON texts the corpora hold: claims seeds (without their mode octet), claims_diff seeds
/// (without their two option octets), the json_scan seeds, and the decoded header and payload of
/// each token seed.
std::vector<std::string> corpus_texts() {
    namespace fs = std::filesystem;
    const fs::path root = JWTMINT_FUZZ_CORPUS_DIR;
    std::vector<std::string> out;
    for (const char* dir : {"claims", "claims_diff", "json_scan", "token"}) {
        for (const auto& entry : fs::directory_iterator(root / dir)) {
            const std::string data = read_file(entry.path());
            if (std::string_view(dir) == "token") {
                std::string_view rest = data;
                while (!rest.empty() && (rest.back() == '\n' || rest.back() == ' ')) rest.remove_suffix(1);
                for (int seg = 0; seg < 2 && !rest.empty(); ++seg) {
                    const std::size_t dot = rest.find('.');
                    std::error_code ec;
                    const std::string decoded = jwt::base64url_decode(rest.substr(0, dot), ec);
                    if (!ec) out.push_back(decoded);
                    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
                }
            } else if (std::string_view(dir) == "claims_diff") {
                if (data.size() >= 2) out.push_back(data.substr(2));
            } else {
                out.push_back(data);
                if (std::string_view(dir) == "claims" && !data.empty()) out.push_back(data.substr(1));
            }
        }
    }
    return out;
}

/// One deterministic mutation; the octets it inserts are the ones the grammar turns on.
std::string mutate(std::string s, std::mt19937& rng) {
    static constexpr std::string_view interesting[] = {"{",
                                                       "}",
                                                       "[",
                                                       "]",
                                                       "\"",
                                                       "\\",
                                                       ",",
                                                       ":",
                                                       " ",
                                                       "0",
                                                       "1",
                                                       "-",
                                                       ".",
                                                       "e",
                                                       "E",
                                                       "+",
                                                       "\\u",
                                                       "\\u0061",
                                                       "\\ud83d",
                                                       "\\ude00",
                                                       "\xC3",
                                                       "\xA9",
                                                       "\xED\xA0\x80",
                                                       "\xF4\x90",
                                                       "\xFF",
                                                       "\x80",
                                                       std::string_view("\0", 1),
                                                       "\t",
                                                       "\n",
                                                       "true",
                                                       "null",
                                                       "1e400",
                                                       "\"a\":1,",
                                                       "{\"a\":1}",
                                                       "[[[[",
                                                       "]]]]",
                                                       "\xEF\xBB\xBF"};
    const auto pick = [&](std::size_t n) { return n == 0 ? std::size_t{0} : static_cast<std::size_t>(rng() % n); };
    const std::size_t at = pick(s.size() + 1);
    switch (rng() % 7) {
        case 0:  // flip a bit
            if (!s.empty()) {
                // The bit is drawn before the place, as `s[pick(..)] ^= bit` did (C++17 evaluates the
                // right side of ^= first): the same seed gives the same mutations.
                const unsigned bit = 1U << (rng() % 8);
                char& c = s[pick(s.size())];
                c = static_cast<char>(static_cast<unsigned char>(c) ^ bit);
            }
            break;
        case 1:  // insert an interesting token
            s.insert(at, interesting[pick(std::size(interesting))]);
            break;
        case 2:  // delete a run
            if (at < s.size()) s.erase(at, 1 + pick(4));
            break;
        case 3:  // duplicate a run
            if (at < s.size()) s.insert(at, s.substr(at, 1 + pick(16)));
            break;
        case 4:  // truncate
            s.resize(at);
            break;
        case 5:  // overwrite with a random octet
            if (!s.empty()) s[pick(s.size())] = static_cast<char>(rng() & 0xFF);
            break;
        default:  // swap two octets
            if (s.size() > 1) std::swap(s[pick(s.size())], s[pick(s.size())]);
            break;
    }
    return s;
}

}  // namespace

TEST_CASE("json_scan: hand-written edge cases, verdicts written out and checked against nlohmann", "[json_scan]") {
    for (const edge& c : edge_cases()) {
        INFO("text: "
             << nlohmann::json(std::string(c.text)).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
        CHECK(jwtmint_test::fault_name(scan_of(c.text)) == std::string(jwtmint_test::fault_name(c.expected)));
        CHECK(jwtmint_test::compare_with_reference(c.text) == "");
    }
}

TEST_CASE("json_number_value: each number's value, written out by hand and checked against nlohmann", "[json_scan]") {
    using jwt::detail::json_number;
    using kind = json_number::kind;
    struct number_case {
        std::string text;
        kind type;
        double value;  // for an integer kind, the value as a double (all here are exact)
    };
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<number_case> cases = {
        {"0", kind::unsigned_integer, 0},
        {"-0", kind::integer, 0},
        {"7", kind::unsigned_integer, 7},
        {"-7", kind::integer, -7},
        {"1764000000", kind::unsigned_integer, 1764000000},
        {"18446744073709551615", kind::unsigned_integer, 18446744073709551615.0},
        {"18446744073709551616", kind::floating, 18446744073709551616.0},
        {"-9223372036854775808", kind::integer, -9223372036854775808.0},
        {"-9223372036854775809", kind::floating, -9223372036854775808.0},
        {"0.0", kind::floating, 0.0},
        {"-0.0", kind::floating, -0.0},
        {"1.0", kind::floating, 1.0},
        {"1e2", kind::floating, 100.0},
        {"1E+2", kind::floating, 100.0},
        {"25e-1", kind::floating, 2.5},
        {"9007199254740993.0", kind::floating, 9007199254740992.0},
        {"1764000000.5", kind::floating, 1764000000.5},
        // nearer 1764000001 than any other double: that is the value, whatever the decimals say
        {"1764000000.9999999999999999999", kind::floating, 1764000001.0},
        {"1.7976931348623157e308", kind::floating, 0x1.fffffffffffffp+1023},
        {"1.7976931348623158e308", kind::floating, 0x1.fffffffffffffp+1023},
        {std::string(dbl_max_halfway).substr(0, 308) + "1", kind::floating, 0x1.fffffffffffffp+1023},
        {"2.2250738585072014e-308", kind::floating, 0x1p-1022},
        {"2.2250738585072011e-308", kind::floating, 0x0.fffffffffffffp-1022},
        {"4.9406564584124654e-324", kind::floating, 0x0.0000000000001p-1022},
        {"2.4703282292062328e-324", kind::floating, 0x0.0000000000001p-1022},  // just above half the least subnormal
        {"2.4703282292062327e-324", kind::floating, 0.0},                      // just below: underflows to 0
        {"1e-400", kind::floating, 0.0},
        {"-1e-400", kind::floating, -0.0},
        {"1e-99999999999999999999", kind::floating, 0.0},
        {"0e99999999999999999999", kind::floating, 0.0},
        {"1" + std::string(2000000, '0') + "e-10000000", kind::floating, 0.0},
        {"0." + std::string(1000, '0') + "1e1001", kind::floating, 1.0},
        {"0." + std::string(1000000, '0') + "1e1000099", kind::floating, 1e98},
        // out of a double's range: json_number_value says infinity (the scan refuses these first)
        {"1e400", kind::floating, inf},
        {"-1e400", kind::floating, -inf},
        {std::string(dbl_max_halfway), kind::floating, inf},
        {"0." + std::string(1000000, '0') + "1e10000000", kind::floating, inf},
    };
    for (const number_case& c : cases) {
        INFO("number: " << c.text.substr(0, 60) << (c.text.size() > 60 ? "..." : ""));
        const json_number n = jwt::detail::json_number_value(c.text);
        CHECK(static_cast<int>(n.type) == static_cast<int>(c.type));
        switch (n.type) {
            case kind::unsigned_integer: CHECK(static_cast<double>(n.unsigned_value) == c.value); break;
            case kind::integer: CHECK(static_cast<double>(n.integer_value) == c.value); break;
            case kind::floating:
                CHECK(n.float_value == c.value);
                CHECK(std::signbit(n.float_value) == std::signbit(c.value));
                break;
        }
        CHECK(jwt::detail::json_number_fits_double(c.text) == (c.value != inf && c.value != -inf));
        const std::string text = "{\"n\":" + c.text + "}";
        CHECK(jwtmint_test::compare_with_reference(text) == "");
    }
    // Exactly the integers above: an integer must stay exact, not pass through a double.
    const json_number big = jwt::detail::json_number_value("9007199254740993");
    CHECK(big.type == kind::unsigned_integer);
    CHECK(big.unsigned_value == 9007199254740993U);
    CHECK(jwt::detail::json_number_value("-9223372036854775807").integer_value == -9223372036854775807);
}

TEST_CASE("json_scan: members are the text's spans, in text order", "[json_scan]") {
    const std::string text = R"( {"exp" : 1764000300 ,"roles":["A", "B\u0043"],"e\u006dail":"a\"b","o":{"k":[]}} )";
    json_object_scan s;
    REQUIRE(s.scan(text, 32) == json_fault::none);
    REQUIRE(s.size() == 4);
    const auto* m = s.begin();
    CHECK(m[0].name == "exp");
    CHECK(m[0].value == "1764000300");
    CHECK(m[0].type == jwt::detail::json_type::number);
    CHECK(m[1].value == "[\"A\", \"B\\u0043\"]");
    CHECK(m[1].type == jwt::detail::json_type::array);
    CHECK(m[2].name == "e\\u006dail");
    CHECK(m[2].name_escaped);
    CHECK(m[2].value == "\"a\\\"b\"");
    CHECK(m[2].value_escaped);
    CHECK(m[3].value == "{\"k\":[]}");
    CHECK(s.find("email") == &m[2]);
    CHECK(s.find("e\\u006dail") == nullptr);
    CHECK(s.find("Exp") == nullptr);
    CHECK(jwt::detail::json_unescape("a\\\"b\\u00e9\\ud83d\\ude00\\n", true) == "a\"b\xC3\xA9\xF0\x9F\x98\x80\n");
    std::vector<std::string> elements;
    jwt::detail::json_for_each_element(m[1].value, [&](std::string_view e) { elements.emplace_back(e); });
    CHECK(elements == std::vector<std::string>{"\"A\"", "\"B\\u0043\""});
}

TEST_CASE("json_scan: more members than fit inline, and many names open at once", "[json_scan]") {
    std::string text = "{";
    for (int i = 0; i < 40; ++i)
        text += (i ? ",\"m" : "\"m") + std::to_string(i) + R"(":{"n":)" + std::to_string(i) + "}";
    text += "}";
    json_object_scan s;
    REQUIRE(s.scan(text, 32) == json_fault::none);
    CHECK(s.size() == 40);
    CHECK(s.find("m39") != nullptr);
    CHECK(s.find("m39")->value == "{\"n\":39}");
    // 20 names on each of 5 levels: 100 names on the stack at the deepest point.
    std::string deep = "{";
    for (int level = 0; level < 5; ++level) {
        for (int i = 0; i < 20; ++i) deep += "\"l" + std::to_string(level) + "n" + std::to_string(i) + "\":0,";
        deep += "\"next\":{";
    }
    deep += "\"l0n0\":0}}}}}}";
    CHECK(jwtmint_test::compare_with_reference(deep) == "");
    CHECK(scan_of(deep) == json_fault::none);
    std::string deep_dup = deep;
    deep_dup.insert(deep_dup.size() - 6, ",\"l0n0\":1");
    CHECK(scan_of(deep_dup) == json_fault::duplicate_name);
    CHECK(jwtmint_test::compare_with_reference(deep_dup) == "");
}

TEST_CASE("json_scan: the fuzz corpora and their mutations agree with nlohmann", "[json_scan]") {
    const std::vector<std::string> seeds = corpus_texts();
    REQUIRE(seeds.size() >= 30);
    std::mt19937 rng(0x6a736f6eU);  // fixed: the same mutations on every run
    std::size_t accepted = 0;
    std::size_t total = 0;
    for (const std::string& seed : seeds) {
        std::string text = seed;
        for (int round = 0; round < 400; ++round) {
            const std::string diff = jwtmint_test::compare_with_reference(text);
            INFO("text: " << nlohmann::json(text).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
            REQUIRE(diff == "");
            if (scan_of(text) == json_fault::none) ++accepted;
            ++total;
            // Walk away from the seed for a while, then start again from it.
            text = round % 8 == 7 ? seed : mutate(text, rng);
        }
    }
    // The mutations must keep a fair share valid, or the comparison of members says little.
    INFO(accepted << " of " << total << " accepted");
    CHECK(accepted * 10 > total);
    CHECK(accepted * 10 < total * 9);
}
