// SPDX-License-Identifier: MIT
// jwt::verifier: round trips with the builder, time rules, claims, key self-checks, bit flips.
#include <jwtmint/jwtmint.hpp>

#include "support.hpp"
#include "verifier_helpers.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using jwt::errc;
using namespace jwtmint_test;
using namespace std::chrono_literals;

namespace {

jwt::sys_seconds at(std::int64_t unix_seconds) { return jwt::sys_seconds{std::chrono::seconds{unix_seconds}}; }

fixed_clock::time_point clock_at(std::int64_t unix_seconds) {
    return fixed_clock::time_point{std::chrono::seconds{unix_seconds}};
}

template <class Signer>
std::string mint(const Signer& signer, std::int64_t iat, std::chrono::seconds lifetime = 300s) {
    fixed_clock::set(iat);
    return jwt::builder<Signer, fixed_clock>(signer)
        .roles({"Accounting Team"})
        .email("ada@example.com")
        .expires_in(lifetime)
        .sign();
}

template <class Signer>
void check_round_trip(const Signer& signer) {
    fixed_clock::set(test_now);
    const std::string token = jwt::builder<Signer, fixed_clock>(signer)
                                  .roles({"Accounting Team", "Support Team"})
                                  .email("ada@example.com")
                                  .upn("ada@corp.example")
                                  .issuer("https://host.example")
                                  .subject("user-42")
                                  .audience({"customgpt", "gateway"})
                                  .jwt_id("token-1")
                                  .key_id("key-2026")
                                  .expires_in(10min)
                                  .sign();
    auto v = pinned_verifier<Signer>::from_signer(signer);
    v.issuer("https://host.example")
        .subject("user-42")
        .audience("gateway")
        .require_claim("jti")
        .policy(jwt::login_policy{}.team_roles({"accounting team", "SUPPORT TEAM", "Sales"}))
        .max_lifetime(10min);
    fixed_clock::set(test_now + 599);
    const jwt::verified_token t = v.verify(token);
    CHECK(t.header().at("alg") == std::string(Signer::alg));
    CHECK(t.key_id() == std::optional<std::string>("key-2026"));
    // Team roles give the canonical spelling; the vendor matches case-insensitively.
    CHECK(t.roles() == std::vector<std::string>{"accounting team", "SUPPORT TEAM"});
    CHECK(t.identity() == std::optional<std::string>("ada@example.com"));
    CHECK(t.issued_at() == at(test_now));
    CHECK(t.expires_at() == at(test_now + 600));
    CHECK(!(t.not_before().has_value()));
    CHECK(t.lifetime() == std::optional<std::chrono::seconds>(600s));
    CHECK(t.issuer() == std::optional<std::string>("https://host.example"));
    CHECK(t.subject() == std::optional<std::string>("user-42"));
    CHECK(t.jwt_id() == std::optional<std::string>("token-1"));
    CHECK(t.audience() == std::vector<std::string>{"customgpt", "gateway"});
    REQUIRE(t.claim("upn").has_value());
    CHECK(*t.claim("upn") == "ada@corp.example");
    CHECK(!t.claim("preferred_username").has_value());
    CHECK(t.claims().at("roles") == nlohmann::json::array({"Accounting Team", "Support Team"}));

    fixed_clock::set(test_now + 600);
    CHECK(verify_code(v, token) == errc::token_expired);
}

/// Flips every bit of every character of token; none of the results may verify.
template <class Verifier>
std::size_t check_bit_flips(const Verifier& v, const std::string& token) {
    REQUIRE(!(verify_code(v, token)));
    std::size_t tried = 0;
    std::size_t failures = 0;
    for (std::size_t i = 0; i < token.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string t = token;
            t[i] = static_cast<char>(static_cast<unsigned char>(t[i]) ^ (1U << bit));
            std::error_code ec;
            std::optional<jwt::verified_token> result;
            try {
                result = v.verify(t, ec);
            } catch (...) {
                FAIL("the error_code overload threw for a flip at " << i << " bit " << bit);
            }
            if (!ec || result.has_value()) {
                ++failures;
                INFO("flipping bit " << bit << " of character " << i << " still verifies: " << t);
                CHECK(false);
            }
            bool threw_jwt_error = false;
            try {
                (void)v.verify(t);
            } catch (const jwt::error& e) {
                threw_jwt_error = e.code() == ec;
            }
            if (!threw_jwt_error) {
                INFO("the throwing overload disagrees for a flip at " << i << " bit " << bit);
                CHECK(false);
            }
            ++tried;
        }
    }
    CHECK(failures == 0);
    return tried;
}

}  // namespace

TEST_CASE("builder tokens verify, with every claim read back (RS256)", "[verifier]") { check_round_trip(keys().rs); }
TEST_CASE("builder tokens verify, with every claim read back (ES256)", "[verifier]") { check_round_trip(keys().es); }
TEST_CASE("builder tokens verify, with every claim read back (HS256)", "[verifier]") { check_round_trip(keys().hs); }

TEST_CASE("tokens minted now verify with the real clock", "[verifier]") {
    const auto& k = keys();
    const auto token = jwt::builder{k.rs}.roles({"Accounting Team"}).email("ada@example.com").expires_in(10min).sign();
    const auto v = jwt::verifier<jwt::rs256>::from_pem(k.rs.public_key_pem());
    const auto t = v.verify(token);
    CHECK(t.roles() == std::vector<std::string>{"Accounting Team"});
    const auto now = std::chrono::system_clock::now();
    CHECK(*t.issued_at() <= now);
    CHECK(*t.expires_at() > now);
}

TEST_CASE("every way to build a verifier accepts the signer's tokens", "[verifier][keys]") {
    const auto& k = keys();
    fixed_clock::set(test_now);
    const auto dir = std::filesystem::temp_directory_path() / ("jwtmint_verifier_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto write = [&](const char* name, const std::string& text) {
        std::ofstream(dir / name, std::ios::binary) << text;
        return dir / name;
    };

    SECTION("RS256") {
        const auto token = mint(k.rs, test_now);
        const auto key = jwt::public_key::from_pem(k.rs.public_key_pem());
        CHECK(!(verify_code(pinned_verifier<jwt::rs256>::from_pem(k.rs.public_key_pem()), token)));
        CHECK(!(verify_code(pinned_verifier<jwt::rs256>::from_key(key), token)));
        CHECK(!(verify_code(pinned_verifier<jwt::rs256>::from_evp_pkey(key.native_handle()), token)));
        CHECK(!(verify_code(pinned_verifier<jwt::rs256>::from_pem_file(write("rs.pem", k.rs.public_key_pem())),
                            token)));
        // A private key PEM works too (only its public half is kept).
        CHECK(!(verify_code(pinned_verifier<jwt::rs256>::from_pem(k.rs.key().to_pem()), token)));
        CHECK(pinned_verifier<jwt::rs256>::from_pem(k.rs.key().to_pem()).public_key_pem() == k.rs.public_key_pem());
        CHECK(pinned_verifier<jwt::rs256>::from_signer(k.rs).signature_size() == 256);
    }
    SECTION("ES256") {
        const auto token = mint(k.es, test_now);
        const auto key = jwt::public_key::from_pem(k.es.public_key_pem());
        CHECK(!(verify_code(pinned_verifier<jwt::es256>::from_pem(k.es.public_key_pem()), token)));
        CHECK(!(verify_code(pinned_verifier<jwt::es256>::from_key(key), token)));
        CHECK(!(verify_code(pinned_verifier<jwt::es256>::from_evp_pkey(key.native_handle()), token)));
        CHECK(!(verify_code(pinned_verifier<jwt::es256>::from_pem_file(write("es.pem", k.es.public_key_pem())),
                            token)));
        CHECK(pinned_verifier<jwt::es256>::from_signer(k.es).public_key_pem() == k.es.public_key_pem());
        CHECK(pinned_verifier<jwt::es256>::from_signer(k.es).signature_size() == 64);
    }
    SECTION("HS256") {
        const std::string secret = "0123456789abcdef0123456789abcdef-test-secret";
        const auto token = mint(k.hs, test_now);
        CHECK(!(verify_code(pinned_verifier<jwt::hs256>::from_secret(secret), token)));
        CHECK(!(verify_code(pinned_verifier<jwt::hs256>::from_secret_file(write("hs.key", secret)), token)));
        CHECK(verify_code(pinned_verifier<jwt::hs256>::from_secret_file(write("hs-nl.key", secret + "\n")), token) ==
              errc::invalid_signature);
        CHECK(pinned_verifier<jwt::hs256>::from_signer(k.hs).signature_size() == 32);
    }
    SECTION("error_code factories report and do not throw") {
        std::error_code ec;
        CHECK(!(jwt::verifier<jwt::rs256>::from_pem("nope", ec).has_value()));
        CHECK(ec == errc::invalid_key);
        CHECK(jwt::verifier<jwt::rs256>::from_pem(k.rs.public_key_pem(), ec).has_value());
        CHECK(!(ec));
        CHECK(!(jwt::verifier<jwt::hs256>::from_secret("short", ec).has_value()));
        CHECK(ec == errc::weak_key);
        CHECK(jwt::verifier<jwt::es256>::from_signer(k.es, ec).has_value());
        CHECK(!(ec));
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("exp, nbf and iat are checked at the boundaries, with leeway", "[verifier][time]") {
    const auto& k = keys();
    const auto token = mint(k.hs, test_now, 300s);  // iat = test_now, exp = test_now + 300
    auto v = pinned_verifier<jwt::hs256>::from_signer(k.hs);

    CHECK(v.verify_at(token, clock_at(test_now + 299)).expires_at() == at(test_now + 300));
    std::error_code ec;
    CHECK(!(v.verify_at(token, clock_at(test_now + 300), ec).has_value()));
    CHECK(ec == errc::token_expired);
    CHECK(!(v.verify_at(token, clock_at(test_now - 1), ec).has_value()));
    CHECK(ec == errc::token_not_yet_valid);  // iat one second ahead of this clock

    v.leeway(30s);
    CHECK(v.verify_at(token, clock_at(test_now + 329), ec).has_value());
    CHECK(!(v.verify_at(token, clock_at(test_now + 330), ec).has_value()));
    CHECK(ec == errc::token_expired);
    CHECK(v.verify_at(token, clock_at(test_now - 30), ec).has_value());
    CHECK(!(v.verify_at(token, clock_at(test_now - 31), ec).has_value()));
    CHECK(ec == errc::token_not_yet_valid);

    SECTION("nbf") {
        fixed_clock::set(test_now);
        const auto with_nbf = jwt::builder<jwt::hs256, fixed_clock>(k.hs)
                                  .roles({"a"})
                                  .not_before(clock_at(test_now + 60))
                                  .expires_in(300s)
                                  .sign();
        auto strict = pinned_verifier<jwt::hs256>::from_signer(k.hs);
        CHECK(!(strict.verify_at(with_nbf, clock_at(test_now + 59), ec).has_value()));
        CHECK(ec == errc::token_not_yet_valid);
        CHECK(strict.verify_at(with_nbf, clock_at(test_now + 60)).not_before() == at(test_now + 60));
        strict.leeway(5s);
        CHECK(strict.verify_at(with_nbf, clock_at(test_now + 55), ec).has_value());
        CHECK(!(strict.verify_at(with_nbf, clock_at(test_now + 54), ec).has_value()));
    }
    SECTION("maximum lifetime: equal passes, one second more fails") {
        auto capped = pinned_verifier<jwt::hs256>::from_signer(k.hs);
        capped.max_lifetime(300s);
        CHECK(capped.verify_at(token, clock_at(test_now)).lifetime() == std::optional<std::chrono::seconds>(300s));
        capped.max_lifetime(299s);
        CHECK(!(capped.verify_at(token, clock_at(test_now), ec).has_value()));
        CHECK(ec == errc::lifetime_too_long);
    }
    SECTION("fractional NumericDates round toward the stricter side") {
        const auto frac = sign_json(k.hs, R"({"alg":"HS256"})",
                                    R"({"roles":["a"],"iat":1764000000.5,"nbf":1764000000.2,"exp":1764000300.9})");
        auto f = pinned_verifier<jwt::hs256>::from_signer(k.hs);
        CHECK(!(f.verify_at(frac, clock_at(test_now), ec).has_value()));  // nbf rounds up to +1
        CHECK(ec == errc::token_not_yet_valid);
        const auto t = f.verify_at(frac, clock_at(test_now + 1));
        CHECK(t.expires_at() == at(test_now + 300));  // exp rounds down
        CHECK(t.issued_at() == at(test_now + 1));
        CHECK(!(f.verify_at(frac, clock_at(test_now + 300), ec).has_value()));
        CHECK(ec == errc::token_expired);
    }
}

TEST_CASE("NumericDates are read as nlohmann::json reads the number, or the token is refused", "[verifier][time]") {
    const auto& k = keys();
    auto v = pinned_verifier<jwt::hs256>::from_signer(k.hs);
    v.max_token_size(std::size_t{4} * 1024 * 1024).allow_missing_expiration();
    const auto verify_nbf = [&](const std::string& nbf, std::int64_t now = test_now + 3600) {
        return v.verify_at(sign_json(k.hs, R"({"alg":"HS256"})", R"({"roles":["a"],"nbf":)" + nbf + "}"),
                           clock_at(now));
    };
    const std::string zeros(1000000, '0');
    struct reading {
        std::string text;
        std::int64_t nbf;  // nlohmann's value, rounded up
    };
    const std::vector<reading> readings = {
        {"1764000060", test_now + 60},
        {"1764000060.0", test_now + 60},
        {"1.76400006e9", test_now + 60},
        {"176400006E+1", test_now + 60},
        {"17640000600000e-4", test_now + 60},
        {"0." + zeros + "176400006e1000010", test_now + 60},  // a million-digit fraction, exact exponent
        {"1764000060" + zeros + "e-1000000", test_now + 60},  // a million-digit integer part
        {"1764000059.9999999999999999999", test_now + 60},    // the double nearest is 1764000060.0
        {"1764000059.0000002", test_now + 60},                // a double above 1764000059: rounded up
        {"1764000060.0000001", test_now + 60},                // the double nearest is 1764000060.0
        {"-0", 0},
        {"-0.0", 0},
        {"0e99999999999999999999", 0},
        {"4.9406564584124654e-324", 1},  // the least subnormal: above 0, rounds up to 1
        {"2.4703282292062328e-324", 1},  // rounds to the least subnormal
        {"2.4703282292062327e-324", 0},  // underflows to 0, as strtod reads it
        {"1e-400", 0},
        {"-1e-400", 0},                   // -0.0 is not negative
        {"1" + zeros + "e-10000000", 0},  // an 8-digit exponent, value 0 all the same
        {"4102444800", 4102444800},
        {"4102444799.5", 4102444800},  // 2100-01-01T00:00:00Z
    };
    for (const reading& r : readings) {
        INFO("nbf " << r.text.substr(0, 40) << (r.text.size() > 40 ? "..." : ""));
        CHECK(verify_nbf(r.text, std::max(r.nbf, test_now + 3600)).not_before() == at(r.nbf));
    }
    // Refused: beyond a double (malformed_token, naming the number), or no NumericDate.
    for (const std::string& text : {std::string("1e400"), std::string("-1e400"), "0." + zeros + "1e10000000",
                                    "1" + std::string(309, '0'), "0." + zeros + "1e1000310"}) {
        INFO("nbf " << text.substr(0, 40));
        try {
            (void)verify_nbf(text);
            FAIL("accepted");
        } catch (const jwt::error& e) {
            CHECK(e.code() == errc::malformed_token);
            CHECK(std::string(e.what()).find("no double holds") != std::string::npos);
            CHECK(std::string(e.what()).find(text.substr(0, 20)) != std::string::npos);
        }
    }
    for (const std::string& text :
         {std::string("253402300800"), std::string("253402300799.5"), std::string("-1"), std::string("-1e-300"),
          std::string("-9223372036854775809"), std::string("18446744073709551616")}) {
        INFO("nbf " << text);
        std::error_code ec;
        CHECK(!(v.verify_at(sign_json(k.hs, R"({"alg":"HS256"})", R"({"roles":["a"],"nbf":)" + text + "}"),
                            clock_at(test_now), ec)
                    .has_value()));
        CHECK(ec == errc::invalid_claim);
    }
}

TEST_CASE("messages say what happened, when, and what to do", "[verifier][messages]") {
    const auto& k = keys();
    // 2026-11-24T10:00:00Z is 1795514400 (calendar.timegm in Python), a fact independent of jwtmint.
    const std::int64_t exp = 1795514400;
    const auto token = mint(k.es, exp - 300, 300s);
    const auto v = pinned_verifier<jwt::es256>::from_signer(k.es);
    try {
        (void)v.verify_at(token, clock_at(exp + 42));
        FAIL("an expired token verified");
    } catch (const jwt::error& e) {
        CHECK(e.code() == errc::token_expired);
        CHECK(std::string(e.what()).find("token expired 42 s ago at 2026-11-24T10:00:00Z") != std::string::npos);
    }
    try {
        (void)v.verify_at(token, clock_at(exp - 300 - 17));
        FAIL("a token from the future verified");
    } catch (const jwt::error& e) {
        CHECK(e.code() == errc::token_not_yet_valid);
        CHECK(std::string(e.what()).find("17 s in the future") != std::string::npos);
        CHECK(std::string(e.what()).find("2026-11-24T09:55:00Z") != std::string::npos);
    }
    auto roles = pinned_verifier<jwt::es256>::from_signer(k.es);
    roles.policy(jwt::login_policy{}.team_roles({"Accounting Team", "Support Team"}));
    fixed_clock::set(test_now);
    const auto misspelt = jwt::builder<jwt::es256, fixed_clock>(k.es).roles({"Acounting team"}).sign();
    try {
        (void)roles.verify(misspelt);
        FAIL("an unknown role verified");
    } catch (const jwt::error& e) {
        CHECK(e.code() == errc::unknown_role);
        CHECK(std::string(e.what()).find("did you mean 'Accounting Team'?") != std::string::npos);
    }
    const auto far_off = jwt::builder<jwt::es256, fixed_clock>(k.es).roles({"Marketing"}).sign();
    try {
        (void)roles.verify(far_off);
        FAIL("an unknown role verified");
    } catch (const jwt::error& e) {
        CHECK(e.code() == errc::unknown_role);
        CHECK(std::string(e.what()).find("did you mean") == std::string::npos);
        CHECK(std::string(e.what()).find("Support Team") != std::string::npos);
    }
    std::error_code ec;
    CHECK(!(roles.verify(far_off, ec).has_value()));
    CHECK(ec == errc::unknown_role);
}

TEST_CASE("role claim forms, names and identity resolution", "[verifier][claims]") {
    const auto& k = keys();
    fixed_clock::set(test_now);
    auto v = pinned_verifier<jwt::hs256>::from_signer(k.hs);
    SECTION("comma-separated string form is split and trimmed") {
        const auto token = jwt::builder<jwt::hs256, fixed_clock>(k.hs)
                               .roles({"Accounting Team", "Support Team"})
                               .role_format(jwt::role_format::comma_separated)
                               .sign();
        CHECK(v.verify(token).roles() == std::vector<std::string>{"Accounting Team", "Support Team"});
        const auto raw = sign_json(k.hs, R"({"alg":"HS256"})",
                                   R"({"roles":"  Accounting Team ,Support Team ","exp":1764000300})");
        CHECK(v.verify(raw).roles() == std::vector<std::string>{"Accounting Team", "Support Team"});
        const auto repeated = sign_json(k.hs, R"({"alg":"HS256"})",
                                        R"({"roles":["Support Team"," support team","Sales"],"exp":1764000300})");
        CHECK(v.verify(repeated).roles() == std::vector<std::string>{"Support Team", "Sales"});
    }
    SECTION("a role claim name configured in the login policy") {
        const auto token =
            jwt::builder<jwt::hs256, fixed_clock>(k.hs).role_claim("groups").roles({"Support Team"}).sign();
        auto widget = pinned_verifier<jwt::hs256>::from_signer(k.hs);
        widget.policy(jwt::login_policy{});
        CHECK(verify_code(widget, token) == errc::missing_roles);
        widget.policy(jwt::login_policy{}.role_claim("groups"));
        CHECK(widget.verify(token).roles() == std::vector<std::string>{"Support Team"});
        // A plain verifier requires no role claim and reads only "roles".
        const auto plain = v.verify(token);
        CHECK(plain.roles().empty());
    }
    SECTION("identity: email, then upn, then preferred_username") {
        const auto b = [&] { return jwt::builder<jwt::hs256, fixed_clock>(k.hs).roles({"a"}); };
        CHECK(v.verify(b().upn("u@corp").preferred_username("pu").sign()).identity() ==
              std::optional<std::string>("u@corp"));
        CHECK(v.verify(b().preferred_username("pu").sign()).identity() == std::optional<std::string>("pu"));
        CHECK(v.verify(b().preferred_username("pu").email("e@example.com").sign()).identity() ==
              std::optional<std::string>("e@example.com"));
        CHECK(!(v.verify(b().sign()).identity().has_value()));
        // An identity claim present but empty or blank is refused, never skipped for the next one.
        for (const char* claims :
             {R"({"roles":"a","email":"","upn":"u","exp":1764000300})",
              R"({"roles":"a","email":" ","upn":"u","exp":1764000300})",
              R"({"roles":"a","upn":"","preferred_username":"p","exp":1764000300})",
              R"({"roles":"a","email":"e@example.com","preferred_username":"  ","exp":1764000300})"}) {
            INFO(claims);
            try {
                (void)v.verify(sign_json(k.hs, R"({"alg":"HS256"})", claims));
                FAIL("accepted");
            } catch (const jwt::error& e) {
                CHECK(e.code() == errc::invalid_claim);
                CHECK(std::string(e.what()).find("leave it out") != std::string::npos);
            }
        }
    }
    SECTION("U+0000: refused in kid, in member names and in the claims the verifier reads; kept in custom values") {
        const auto refused = [&](const std::string& header, const std::string& claims, errc code) {
            INFO(header << " " << claims);
            CHECK(verify_code(v, sign_json(k.hs, header, claims)) == code);
        };
        const std::string h = R"({"alg":"HS256"})";
        const std::string tail = R"("exp":1764000300})";
        refused(R"({"alg":"HS256","kid":"k1\u0000"})", R"({"roles":"a",)" + tail, errc::malformed_token);
        refused(R"({"alg":"HS256","kid":"k1\n"})", R"({"roles":"a",)" + tail, errc::malformed_token);
        refused(R"({"alg":"HS256","alg\u0000":"none"})", R"({"roles":"a",)" + tail, errc::malformed_token);
        refused(h, R"({"roles":"a","email\u0000":"eve@example.com",)" + tail, errc::malformed_token);
        refused(h, R"({"roles":"a","roles\u0000":["Admin"],)" + tail, errc::malformed_token);
        refused(h, R"({"roles":"a","\u0000":1,)" + tail, errc::malformed_token);
        refused(h, R"({"roles":"a","email":"ada@example.com\u0000eve",)" + tail, errc::invalid_claim);
        refused(h, R"({"roles":"a","upn":"\u0000",)" + tail, errc::invalid_claim);
        // The role claim is judged under a login policy; a plain verifier leaves such roles unread.
        auto widget = pinned_verifier<jwt::hs256>::from_signer(k.hs);
        widget.policy(jwt::login_policy{});
        const std::string dated_tail = R"("iat":1764000000,)" + tail;
        for (const char* roles : {R"({"roles":["Admin\u0000"],)", R"({"roles":"Admin\u0000, b",)"}) {
            INFO(roles);
            CHECK(verify_code(widget, sign_json(k.hs, h, roles + dated_tail)) == errc::invalid_claim);
            CHECK(v.verify(sign_json(k.hs, h, roles + dated_tail)).roles().empty());
        }
        refused(h, R"({"roles":"a","sub":"u\u0000",)" + tail, errc::invalid_claim);
        refused(h, R"({"roles":"a","aud":"customgpt\u0000x",)" + tail, errc::invalid_claim);
        refused(h, R"({"roles":"a","aud":["ok","x\n"],)" + tail, errc::invalid_claim);
        // Long enough to live on the heap: the message must be made before the audiences are
        // dropped (fuzz_claims_diff found a read after free there under ASan).
        refused(h, R"({"roles":"a","aud":["an audience longer than any short-string buffer\u007f"],)" + tail,
                errc::invalid_claim);
        // A custom claim's value is the application's, read through nlohmann::json, which keeps
        // the NUL; so is a name nested inside it.
        const auto t = v.verify(sign_json(k.hs, h, R"({"roles":"a","note":"a\u0000b","o":{"k\u0000":[1]},)" + tail));
        CHECK(t.claims()["note"] == std::string("a\0b", 3));
        CHECK(t.claims()["o"].contains(std::string("k\0", 2)));
        CHECK(t.claim("note") == nlohmann::json(std::string("a\0b", 3)));
    }
    SECTION("tokens without roles or exp, when allowed") {
        const auto bare = sign_json(k.hs, R"({"alg":"HS256"})", R"({"sub":"x"})");
        CHECK(verify_code(v, bare) == errc::missing_claim);
        v.allow_missing_expiration();
        // A plain verifier requires no role claim; the login policy does.
        const auto t = v.verify(bare);
        CHECK(t.roles().empty());
        CHECK(!(t.expires_at().has_value()));
        const auto dated = sign_json(k.hs, R"({"alg":"HS256"})", R"({"sub":"x","iat":1764000000,"exp":1764000300})");
        CHECK(!(verify_code(v, dated)));
        v.policy(jwt::login_policy{});
        CHECK(verify_code(v, dated) == errc::missing_roles);
    }
    SECTION("typ: absent, JWT in any case, or application/jwt") {
        for (const char* header : {R"({"alg":"HS256"})", R"({"alg":"HS256","typ":"jwt"})",
                                   R"({"alg":"HS256","typ":"JWT"})", R"({"alg":"HS256","typ":"application/JWT"})"}) {
            INFO(header);
            CHECK(!(verify_code(v, sign_json(k.hs, header, R"({"roles":"a","exp":1764000300})"))));
        }
    }
    SECTION("key-carrying header parameters are ignored, never obeyed") {
        const auto t = sign_json(
            k.hs, R"({"alg":"HS256","jku":"https://evil.example/keys","jwk":{"kty":"oct","k":"AA"},"kid":"x"})",
            R"({"roles":"a","exp":1764000300})");
        CHECK(!(verify_code(v, t)));
        const auto forged = sign_json(k.hs_other, R"({"alg":"HS256","jwk":{"kty":"oct","k":"AA"}})",
                                      R"({"roles":"a","exp":1764000300})");
        CHECK(verify_code(v, forged) == errc::invalid_signature);
    }
}

TEST_CASE("verify_jws checks the JWS layer and leaves the payload uninterpreted", "[verifier]") {
    const auto& k = keys();
    const auto v = pinned_verifier<jwt::es256>::from_signer(k.es);
    const auto token = sign_json(k.es, R"({"alg":"ES256","kid":"k"})", "Payload");
    const auto jws = v.verify_jws(token);
    CHECK(jws.payload() == "Payload");
    CHECK(jws.key_id() == std::optional<std::string>("k"));
    CHECK(verify_code(v, token) == errc::malformed_token);
    std::error_code ec;
    CHECK(!(v.verify_jws(with_signature(token, std::string(64, '\x01')), ec).has_value()));
    CHECK(ec == errc::invalid_signature);
}

TEST_CASE("the builder's own header and the same header written otherwise verify alike", "[verifier]") {
    // The verifier judges the header the builder writes ({"alg":..,"typ":"JWT"}) once and
    // recognises its segment after that; any other spelling takes the full path. Both must agree.
    const auto& k = keys();
    const auto v = pinned_verifier<jwt::hs256>::from_signer(k.hs);
    const std::string payload = R"({"roles":["Support Team"],"email":"ada@example.com","iat":)" +
                                std::to_string(test_now) + R"(,"exp":)" + std::to_string(test_now + 300) + "}";
    const std::string builder_header = R"({"alg":"HS256","typ":"JWT"})";
    fixed_clock::set(test_now);
    CHECK(mint(k.hs, test_now).substr(0, mint(k.hs, test_now).find('.')) == jwt::base64url_encode(builder_header));
    for (const std::string& header :
         {builder_header, std::string(R"({"typ":"JWT","alg":"HS256"})"),
          std::string(R"({ "alg":"HS256", "typ":"JWT" })"), std::string(R"({"alg":"HS256"})")}) {
        INFO(header);
        const auto t = v.verify(sign_json(k.hs, header, payload));
        CHECK(t.header_text() == header);
        CHECK(t.header() == nlohmann::json::parse(header));
        CHECK(t.claims_text() == payload);
        CHECK(t.roles() == std::vector<std::string>{"Support Team"});
        CHECK(t.identity() == std::optional<std::string>("ada@example.com"));
        CHECK_FALSE(t.key_id().has_value());
        const auto jws = v.verify_jws(sign_json(k.hs, header, payload));
        CHECK(jws.payload() == payload);
        CHECK_FALSE(jws.key_id().has_value());
    }
    // The recognised header changes nothing about the rest: a bad signature or claim still fails.
    const std::string good = sign_json(k.hs, builder_header, payload);
    CHECK(verify_code(v, with_signature(good, std::string(32, '\x01'))) == errc::invalid_signature);
    CHECK(verify_code(v, sign_json(k.hs, builder_header, R"({"email":"ada@example.com","exp":1})")) ==
          errc::token_expired);
    CHECK(verify_code(pinned_verifier<jwt::hs384>::from_secret(std::string(48, 'k')),
                      sign_json(k.hs, builder_header, payload)) == errc::algorithm_mismatch);
}

TEST_CASE("verify_signature is the bare primitive", "[verifier]") {
    const auto& k = keys();
    const std::string input = "header.payload";
    CHECK(jwt::verifier<jwt::rs256>::from_signer(k.rs).verify_signature(input, k.rs.sign(input)));
    CHECK(jwt::verifier<jwt::es256>::from_signer(k.es).verify_signature(input, k.es.sign(input)));
    CHECK(jwt::verifier<jwt::hs256>::from_signer(k.hs).verify_signature(input, k.hs.sign(input)));
    CHECK(jwt::verifier<jwt::hs256>::from_signer(k.hs).verify_signature("", k.hs.sign("")));
    CHECK(jwt::verifier<jwt::es256>::from_signer(k.es).verify_signature("", k.es.sign("")));
    CHECK(!(jwt::verifier<jwt::rs256>::from_signer(k.rs).verify_signature(input + "x", k.rs.sign(input))));
    CHECK(!(jwt::verifier<jwt::es256>::from_signer(k.es).verify_signature(input, k.es_other.sign(input))));
    CHECK(!(jwt::verifier<jwt::hs256>::from_signer(k.hs).verify_signature(input, k.hs_other.sign(input))));
    CHECK(!(jwt::verifier<jwt::es256>::from_signer(k.es).verify_signature(input, rs_to_der(k.es.sign(input)))));
    CHECK(!(jwt::verifier<jwt::hs256>::from_signer(k.hs).verify_signature(input, k.hs.sign(input).substr(0, 16))));
}

TEST_CASE("check_key_pair proves a public key (or secret) belongs to a signer", "[verifier][keys]") {
    const auto& k = keys();
    const auto code = [](auto&& f) {
        try {
            f();
        } catch (const jwt::error& e) {
            return e.code();
        }
        return std::error_code{};
    };
    using rs_verifier = jwt::verifier<jwt::rs256>;
    using es_verifier = jwt::verifier<jwt::es256>;
    using hs_verifier = jwt::verifier<jwt::hs256>;
    CHECK(!code([&] { jwt::check_key_pair(k.rs, rs_verifier::from_pem(k.rs.public_key_pem())); }));
    CHECK(!code([&] { jwt::check_key_pair(k.es, es_verifier::from_pem(k.es.public_key_pem())); }));
    CHECK(!code([&] {
        jwt::check_key_pair(k.hs, hs_verifier::from_secret("0123456789abcdef0123456789abcdef-test-secret"));
    }));
    CHECK(!code([&] { jwt::check_key_pair(k.rs, rs_verifier::from_signer(k.rs)); }));
    CHECK(!code([&] { jwt::check_key_pair(k.hs, hs_verifier::from_signer(k.hs)); }));
    CHECK(code([&] { jwt::check_key_pair(k.rs, rs_verifier::from_pem(k.rs_other.public_key_pem())); }) ==
          errc::key_mismatch);
    CHECK(code([&] { jwt::check_key_pair(k.es, es_verifier::from_pem(k.es_other.public_key_pem())); }) ==
          errc::key_mismatch);
    CHECK(code([&] {
              jwt::check_key_pair(k.hs, hs_verifier::from_secret("fedcba9876543210fedcba9876543210-other-secret"));
          }) == errc::key_mismatch);
    CHECK(code([&] { jwt::check_key_pair(k.es, es_verifier::from_signer(k.es_other)); }) == errc::key_mismatch);
    // The text to check is read by the verifier first, which names what is wrong with it.
    CHECK(code([&] { jwt::check_key_pair(k.rs, rs_verifier::from_pem(k.es.public_key_pem())); }) ==
          errc::key_algorithm_mismatch);
    CHECK(code([&] { jwt::check_key_pair(k.rs, rs_verifier::from_pem("not a key")); }) == errc::invalid_key);
    CHECK(code([&] { jwt::check_key_pair(k.hs, hs_verifier::from_secret(k.rs.public_key_pem())); }) ==
          errc::key_algorithm_mismatch);
    try {
        jwt::check_key_pair(k.rs, rs_verifier::from_pem(k.rs_other.public_key_pem()));
        FAIL("a foreign public key passed");
    } catch (const jwt::error& e) {
        CHECK(std::string(e.what()).find("Key mismatch") != std::string::npos);
    }
    // The three forms agree, code and message.
    const auto other = es_verifier::from_pem(k.es_other.public_key_pem());
    const jwt::status tried = jwt::try_check_key_pair(k.es, other);
    REQUIRE(!tried);
    CHECK(tried.error().value() == errc::key_mismatch);
    CHECK(std::string(tried.error().what()).find("paste the signer's public key") != std::string::npos);
    try {
        jwt::check_key_pair(k.es, other);
        FAIL("a foreign public key passed");
    } catch (const jwt::error& e) {
        CHECK(std::string(e.what()) == tried.error().what());
    }
    const jwt::status hs_tried = jwt::try_check_key_pair(k.hs, hs_verifier::from_signer(k.hs_other));
    REQUIRE(!hs_tried);
    CHECK(std::string(hs_tried.error().what()).find("paste the exact secret") != std::string::npos);
    CHECK(jwt::try_check_key_pair(k.es, es_verifier::from_signer(k.es)));
    std::error_code ec;
    jwt::check_key_pair(k.es, other, ec);
    CHECK(ec == errc::key_mismatch);
    jwt::check_key_pair(k.es, es_verifier::from_pem(k.es.public_key_pem()), ec);
    CHECK(!(ec));
    jwt::check_key_pair(k.hs, hs_verifier::from_signer(k.hs_other), ec);
    CHECK(ec == errc::key_mismatch);
    // The key-level check agrees.
    CHECK(jwt::try_check_key_pair(k.rs.key(), jwt::public_key::from_pem(k.rs.public_key_pem())));
    CHECK(!(jwt::try_check_key_pair(k.rs.key(), jwt::public_key::from_pem(k.rs_other.public_key_pem()))));
}

TEST_CASE("one verifier, many threads", "[verifier][threads]") {
    const auto& k = keys();
    fixed_clock::set(test_now);
    const auto good = mint(k.es, test_now);
    const auto bad = with_signature(good, k.es_other.sign("x"));
    const auto v = pinned_verifier<jwt::es256>::from_signer(k.es);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    threads.reserve(4);
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&] {
            for (int n = 0; n < 150; ++n) {
                std::error_code ec;
                if (!v.verify(good, ec) || ec) ++wrong;
                if (v.verify(bad, ec) || ec != errc::invalid_signature) ++wrong;
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(wrong == 0);
}

TEST_CASE("flipping any bit of any character of a minted token makes it fail", "[verifier][bitflip]") {
    const auto& k = keys();
    fixed_clock::set(test_now);
    std::size_t total = 0;
    SECTION("RS256") { total = check_bit_flips(pinned_verifier<jwt::rs256>::from_signer(k.rs), mint(k.rs, test_now)); }
    SECTION("ES256") { total = check_bit_flips(pinned_verifier<jwt::es256>::from_signer(k.es), mint(k.es, test_now)); }
    SECTION("HS256") { total = check_bit_flips(pinned_verifier<jwt::hs256>::from_signer(k.hs), mint(k.hs, test_now)); }
    std::printf("verifier_test: %zu single-bit flips refused\n", total);
    CHECK(total > 1000);
}

TEST_CASE("a plain verifier checks JWS, time and registered claims only: no role claim is required",
          "[verifier][policy]") {
    const auto& k = keys();
    fixed_clock::set(test_now);
    const auto v = pinned_verifier<jwt::hs256>::from_signer(k.hs);
    const std::string h = R"({"alg":"HS256","typ":"JWT"})";
    // No role claim at all: accepted, with no roles and the default identity precedence.
    const auto t = v.verify(sign_json(k.hs, h,
                                      R"({"sub":"svc","upn":"u@corp","preferred_username":"p","exp":1764000300})"));
    CHECK(t.roles().empty());
    CHECK(t.identity() == std::optional<std::string>("u@corp"));
    // A "roles" claim that holds role names is read; another claim name is not.
    CHECK(v.verify(sign_json(k.hs, h, R"({"roles":"Sales, Support","exp":1764000300})")).roles() ==
          std::vector<std::string>{"Sales", "Support"});
    CHECK(v.verify(sign_json(k.hs, h, R"({"groups":["Sales"],"exp":1764000300})")).roles().empty());
    // A "roles" claim of another shape (another system's) does not refuse the token.
    for (const char* roles :
         {R"({"roles":{"admin":true},)", R"({"roles":[],)", R"({"roles":[1,2],)", R"({"roles":"",)"}) {
        INFO(roles);
        const auto other = v.verify(sign_json(k.hs, h, std::string(roles) + R"("exp":1764000300})"));
        CHECK(other.roles().empty());
    }
    // Registered claims are still judged.
    CHECK(verify_code(v, sign_json(k.hs, h, R"({"exp":"soon"})")) == errc::invalid_claim);
    CHECK(verify_code(v, sign_json(k.hs, h, R"({"exp":1763999999})")) == errc::token_expired);
}

TEST_CASE("a login policy adds the widget's rules to a verifier", "[verifier][policy]") {
    const auto& k = keys();
    fixed_clock::set(test_now);
    const std::string h = R"({"alg":"HS256","typ":"JWT"})";
    const auto dated = [](const std::string& members, std::int64_t lifetime = 300) {
        return "{" + members + R"("iat":1764000000,"exp":)" + std::to_string(test_now + lifetime) + "}";
    };
    auto v = pinned_verifier<jwt::hs256>::from_signer(k.hs);
    SECTION("the role claim is required, in either form, and matched to the team roles") {
        v.policy(jwt::login_policy{}.team_roles({"Accounting Team", "Support Team"}));
        CHECK(verify_code(v, sign_json(k.hs, h, dated(""))) == errc::missing_roles);
        CHECK(verify_code(v, sign_json(k.hs, h, dated(R"("roles":{"a":1},)"))) == errc::invalid_claim);
        CHECK(verify_code(v, sign_json(k.hs, h, dated(R"("roles":[],)"))) == errc::invalid_claim);
        CHECK(v.verify(sign_json(k.hs, h, dated(R"("roles":"support team , ACCOUNTING TEAM",)"))).roles() ==
              std::vector<std::string>{"Support Team", "Accounting Team"});
        CHECK(v.verify(sign_json(k.hs, h, dated(R"("roles":["accounting team"],)"))).roles() ==
              std::vector<std::string>{"Accounting Team"});
        const auto refused = v.try_verify(sign_json(k.hs, h, dated(R"("roles":["Acounting Team"],)")));
        REQUIRE(!refused);
        CHECK(refused.error().value() == errc::unknown_role);
        CHECK(std::string(refused.error().what()).find("did you mean 'Accounting Team'?") != std::string::npos);
    }
    SECTION("the policy's role claim name") {
        v.policy(jwt::login_policy{}.role_claim("groups"));
        CHECK(verify_code(v, sign_json(k.hs, h, dated(R"("roles":["Sales"],)"))) == errc::missing_roles);
        CHECK(v.verify(sign_json(k.hs, h, dated(R"("groups":["Sales"],)"))).roles() ==
              std::vector<std::string>{"Sales"});
    }
    SECTION("the policy's lifetime ceiling") {
        v.policy(jwt::login_policy{}.max_lifetime(std::chrono::minutes(5)));
        CHECK(!(verify_code(v, sign_json(k.hs, h, dated(R"("roles":"a",)", 300)))));
        CHECK(verify_code(v, sign_json(k.hs, h, dated(R"("roles":"a",)", 301))) == errc::lifetime_too_long);
        // The default policy: 10 minutes.
        auto widget = pinned_verifier<jwt::hs256>::from_signer(k.hs);
        widget.policy(jwt::login_policy{});
        CHECK(!(verify_code(widget, sign_json(k.hs, h, dated(R"("roles":"a",)", 600)))));
        CHECK(verify_code(widget, sign_json(k.hs, h, dated(R"("roles":"a",)", 601))) == errc::lifetime_too_long);
    }
    SECTION("the policy's identity precedence") {
        const auto token = sign_json(k.hs, h, dated(R"("roles":"a","email":"e@example.com","upn":"u@corp",)"));
        v.policy(jwt::login_policy{});
        CHECK(v.verify(token).identity() == std::optional<std::string>("e@example.com"));
        v.policy(jwt::login_policy{}.identity_claims({"upn", "email"}));
        CHECK(v.verify(token).identity() == std::optional<std::string>("u@corp"));
        v.policy(jwt::login_policy{}.identity_claims({"preferred_username"}));
        CHECK(!(v.verify(token).identity().has_value()));
    }
    SECTION("an algorithm the policy does not accept refuses every token") {
        const auto good = sign_json(k.hs, h, dated(R"("roles":"a",)"));
        REQUIRE(!(verify_code(v, good)));
        v.policy(jwt::login_policy{}.algorithms({"RS256", "ES256"}));
        CHECK(verify_code(v, good) == errc::algorithm_not_allowed);
        CHECK(verify_code(v, "not.a.token") == errc::algorithm_not_allowed);
        // RS384 is no widget algorithm: a verifier of it refuses every token under any policy.
        const auto rs384 = jwt::rs384::from_key(k.rs.key());
        auto other = pinned_verifier<jwt::rs384>::from_signer(rs384);
        const auto minted = sign_json(rs384, R"({"alg":"RS384"})", dated(R"("roles":"a",)"));
        REQUIRE(!(verify_code(other, minted)));
        other.policy(jwt::login_policy{});
        const auto refused = other.try_verify(minted);
        REQUIRE(!refused);
        CHECK(refused.error().value() == errc::algorithm_not_allowed);
        CHECK(std::string(refused.error().what()).find("RS384") != std::string::npos);
    }
    SECTION("an invalid policy is reported by every verify") {
        v.policy(jwt::login_policy{}.role_claim(""));
        CHECK(verify_code(v, sign_json(k.hs, h, dated(R"("roles":"a",)"))) == errc::invalid_policy);
    }
}
