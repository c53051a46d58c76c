// SPDX-License-Identifier: MIT
// Secrets are wiped before their memory is released: shown by watching the heap, not by assertion.
//
// This executable replaces the global operator new/delete and, before main and before any static
// initialiser (a constructor function of the first user priority, so before OpenSSL can have
// allocated anything), installs CRYPTO_set_mem_functions hooks. Every heap block, ours and
// OpenSSL's, carries a small header and sits on a list. While a test case is "armed":
//   - every block released (operator delete, OPENSSL_free, or the old block of a realloc) is
//     scanned for the registered secret patterns before it goes back to malloc; a hit means a
//     copy of the secret was released without being wiped;
//   - on every OpenSSL allocation the live blocks are scanned, which records that a secret did sit
//     on the heap at some point (so that "no hit" cannot pass because nothing was ever copied);
// and after it, no live block may still hold the secret. The fixtures keep their own copies of
// the secrets in static arrays, never on the heap, so every heap copy seen is the library's or
// OpenSSL's. Stack copies and CPU registers are out of reach of this test.
#include <jwtmint/jwtmint.hpp>

#include "catch.hpp"
#include "support.hpp"

#include <fcntl.h>  // open
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <stdlib.h>  // NOLINT(modernize-deprecated-headers): mkdtemp (POSIX) is declared here
#include <string.h>  // NOLINT(modernize-deprecated-headers): memmem (GNU) is declared here
#include <unistd.h>  // read, close

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace watch {

enum class origin : std::size_t { cxx = 0, openssl = 1 };
constexpr std::size_t origins = 2;

/// Precedes every block handed out; 32 octets keep the payload 16-byte aligned.
struct alignas(16) header {
    header* prev;
    header* next;
    std::size_t size;
    origin from;
};
static_assert(sizeof(header) % alignof(std::max_align_t) == 0, "the header must keep malloc's alignment");

/// A secret to look for, with what was seen of it.
struct pattern {
    const unsigned char* bytes = nullptr;
    std::size_t size = 0;
    std::array<int, origins> released_unwiped{};  // blocks released while holding it
    std::array<bool, origins> seen_live{};        // a live block held it during an OpenSSL allocation
    bool probe = true;                            // whether to look for it in live blocks at all
};

constexpr std::size_t max_patterns = 8;

struct state {
    std::mutex lock;
    header list{&list, &list, 0, origin::cxx};  // circular, with a sentinel
    std::array<pattern, max_patterns> patterns{};
    std::size_t pattern_count = 0;
    bool armed = false;
};

state& the() {
    static state s;  // constant-initialised members: usable from the first allocation on
    return s;
}

bool holds(const header* h, const pattern& p) {
    return p.size > 0 && h->size >= p.size && ::memmem(h + 1, h->size, p.bytes, p.size) != nullptr;
}

void* allocate(std::size_t n, origin from) {
    auto* h = static_cast<header*>(std::malloc(sizeof(header) + n));
    if (h == nullptr) return nullptr;
    h->size = n;
    h->from = from;
    state& s = the();
    const std::lock_guard<std::mutex> guard(s.lock);
    // Probing on OpenSSL's allocations is enough: every secret copy of interest lives while
    // OpenSSL works with it. A pattern is looked for until it has been seen in a C++ block (where
    // the library's own copies live), which keeps the probes cheap.
    if (s.armed && from == origin::openssl) {
        for (const header* b = s.list.next; b != &s.list; b = b->next) {
            for (std::size_t i = 0; i < s.pattern_count; ++i) {
                pattern& p = s.patterns[i];
                if (!p.probe || p.seen_live[0]) continue;
                if (holds(b, p)) p.seen_live[static_cast<std::size_t>(b->from)] = true;
            }
        }
    }
    h->prev = &s.list;
    h->next = s.list.next;
    s.list.next->prev = h;
    s.list.next = h;
    return h + 1;
}

void release(void* p) {
    if (p == nullptr) return;
    header* h = static_cast<header*>(p) - 1;
    state& s = the();
    {
        const std::lock_guard<std::mutex> guard(s.lock);
        h->prev->next = h->next;
        h->next->prev = h->prev;
        if (s.armed) {
            for (std::size_t i = 0; i < s.pattern_count; ++i) {
                if (holds(h, s.patterns[i])) s.patterns[i].released_unwiped[static_cast<std::size_t>(h->from)] += 1;
            }
        }
    }
    std::free(h);
}

void* resize(void* p, std::size_t n) {
    if (p == nullptr) return allocate(n, origin::openssl);
    const header* h = static_cast<header*>(p) - 1;
    void* q = allocate(n, origin::openssl);
    if (q == nullptr) return nullptr;
    std::memcpy(q, p, h->size < n ? h->size : n);
    release(p);  // a moved block left behind unwiped is a leak like any other
    return q;
}

/// Live blocks that hold p (after a test: nothing may still hold a secret).
int live_holding(const pattern& p) {
    state& s = the();
    const std::lock_guard<std::mutex> guard(s.lock);
    int n = 0;
    for (const header* b = s.list.next; b != &s.list; b = b->next) n += holds(b, p) ? 1 : 0;
    return n;
}

/// Registers the secrets of one test case (held by the caller in static storage) and resets counts;
/// unprobed ones are only looked for in released blocks (for secrets the library never copies).
void watch_for(std::initializer_list<std::string_view> secrets, std::initializer_list<std::string_view> unprobed = {}) {
    state& s = the();
    const std::lock_guard<std::mutex> guard(s.lock);
    s.pattern_count = 0;
    for (const auto secret : secrets) {
        s.patterns[s.pattern_count++] = pattern{
            reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), {}, {}, true};
    }
    for (const auto secret : unprobed) {
        s.patterns[s.pattern_count++] = pattern{
            reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), {}, {}, false};
    }
}

void arm(bool on) {
    state& s = the();
    const std::lock_guard<std::mutex> guard(s.lock);
    s.armed = on;
}

pattern seen(std::size_t i) {
    state& s = the();
    const std::lock_guard<std::mutex> guard(s.lock);
    return s.patterns[i];
}

/// Whether OpenSSL took the hooks (it refuses them once it has allocated).
bool hooks_installed = false;

extern "C" {
void* ossl_malloc(std::size_t n, const char* /*file*/, int /*line*/) { return allocate(n, origin::openssl); }
void* ossl_realloc(void* p, std::size_t n, const char* /*file*/, int /*line*/) {
    if (n == 0) {
        release(p);
        return nullptr;
    }
    return resize(p, n);
}
void ossl_free(void* p, const char* /*file*/, int /*line*/) { release(p); }
}

// Before every static initialiser of the program (101 is the first priority left to users), so
// before anything can make OpenSSL allocate.
__attribute__((constructor(101))) void install_openssl_hooks() {
    hooks_installed = CRYPTO_set_mem_functions(&ossl_malloc, &ossl_realloc, &ossl_free) == 1;
}

}  // namespace watch

void* operator new(std::size_t n) {
    if (void* p = watch::allocate(n, watch::origin::cxx)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    if (void* p = watch::allocate(n, watch::origin::cxx)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t& /*unused*/) noexcept {
    return watch::allocate(n, watch::origin::cxx);
}
void* operator new[](std::size_t n, const std::nothrow_t& /*unused*/) noexcept {
    return watch::allocate(n, watch::origin::cxx);
}
void operator delete(void* p) noexcept { watch::release(p); }
void operator delete[](void* p) noexcept { watch::release(p); }
void operator delete(void* p, std::size_t /*size*/) noexcept { watch::release(p); }
void operator delete[](void* p, std::size_t /*size*/) noexcept { watch::release(p); }
void operator delete(void* p, const std::nothrow_t& /*unused*/) noexcept { watch::release(p); }
void operator delete[](void* p, const std::nothrow_t& /*unused*/) noexcept { watch::release(p); }

namespace {

using namespace std::chrono_literals;

// The secrets, in static storage only. Each is distinctive and longer than any short-string buffer.
constexpr char hmac_secret[] = "hs256-secret:7f3a9c1e-5b2d-4e8f-a6c0-91d4b7e2f358";
constexpr char file_secret[] =
    "secret-file:0c5e8a2f6d1b4973e8a05f2c7d6b1e94-3a7f0d2c5b8e1964a3f7c0d5b2e8196f-9d4c7a1e3b6f0825";
constexpr char passphrase[] = "passphrase:d2b7f4a91c6e3058b9a4e7d1";
constexpr char other_secret[] = "control-secret:4b8e2d6f1a3c5079e2b4d6f8a1c3e507";

std::string_view sv(const char* s) { return {s, std::strlen(s)}; }

/// A fresh directory, removed afterwards.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string t = (std::filesystem::temp_directory_path() / "jwtmint-secrets-XXXXXX").string();
        REQUIRE(::mkdtemp(t.data()) != nullptr);
        path = t;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

void write_file(const std::filesystem::path& p, std::string_view bytes) {
    std::FILE* f = std::fopen(p.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
    REQUIRE(std::fclose(f) == 0);
}

/// Text held outside the heap, so that the fixture's copy is never mistaken for the library's.
template <std::size_t N>
struct static_text {
    std::array<char, N> buf{};
    std::size_t size = 0;
    void set(const std::string& s) {
        REQUIRE(s.size() <= N);
        std::memcpy(buf.data(), s.data(), s.size());
        size = s.size();
    }
    void append(std::string_view s) {
        REQUIRE(size + s.size() <= N);
        std::memcpy(buf.data() + size, s.data(), s.size());
        size += s.size();
    }
    /// Appends the base64url of bytes, wiping the encoder's heap copy.
    void append_b64url(std::string_view bytes) {
        std::string encoded = jwt::base64url_encode(bytes);
        append(encoded);
        OPENSSL_cleanse(encoded.data(), encoded.size());
    }
    [[nodiscard]] std::string_view view() const { return {buf.data(), size}; }
};

/// A file's bytes read straight into static storage: no stream buffer left behind on the heap.
template <std::size_t N>
void read_into(static_text<N>& out, const std::filesystem::path& p) {
    const int fd = ::open(p.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    out.size = 0;
    while (out.size < N) {
        const ssize_t n = ::read(fd, out.buf.data() + out.size, N - out.size);
        REQUIRE(n >= 0);
        if (n == 0) break;
        out.size += static_cast<std::size_t>(n);
    }
    ::close(fd);
    REQUIRE(out.size < N);
}

/// The text of a string member "name" of JSON text written the plain way (no escapes in it).
std::string_view member_text(std::string_view json, std::string_view name) {
    const std::string quoted_name = "\"" + std::string(name) + "\"";
    const std::size_t at = json.find(quoted_name);
    REQUIRE(at != std::string_view::npos);
    const std::size_t open = json.find('"', json.find(':', at) + 1) + 1;
    return json.substr(open, json.find('"', open) - open);
}

/// A slice of a PEM's base64 body: if any freed block holds it, the file text was not wiped.
std::string_view pem_body_slice(std::string_view pem) {
    const std::size_t line2 = pem.find('\n') + 1;  // the second line: 64 characters of the body
    return pem.substr(line2, 48);
}

/// Checks what the watcher saw of pattern i: it was on the heap (in a block from `where`),
/// no block holding it was released, and none still holds it.
void check_wiped(std::size_t i, const char* what, watch::origin where) {
    REQUIRE(watch::hooks_installed);
    const watch::pattern p = watch::seen(i);
    INFO(what << ": seen live in a C++ block " << (p.seen_live[0] ? "yes" : "no") << ", in an OpenSSL block "
              << (p.seen_live[1] ? "yes" : "no") << "; released unwiped from C++ blocks " << p.released_unwiped[0]
              << " times, from OpenSSL blocks " << p.released_unwiped[1] << " times");
    CHECK(p.seen_live[static_cast<std::size_t>(where)]);
    CHECK(p.released_unwiped[0] == 0);
    CHECK(p.released_unwiped[1] == 0);
    CHECK(watch::live_holding(p) == 0);
}

/// Checks a pattern that is looked for in released blocks only (text the library should never
/// copy to the heap at all): no block holding it was released, and none still holds it.
void check_never_released(std::size_t i, const char* what) {
    REQUIRE(watch::hooks_installed);
    const watch::pattern p = watch::seen(i);
    INFO(what << ": released unwiped from C++ blocks " << p.released_unwiped[0] << " times, from OpenSSL blocks "
              << p.released_unwiped[1] << " times");
    CHECK(p.released_unwiped[0] == 0);
    CHECK(p.released_unwiped[1] == 0);
    CHECK(watch::live_holding(p) == 0);
}

/// An EC P-256 private key as a JWK, with its d (text and octets), all in static storage. The
/// key is made with OpenSSL and written out here, so no heap copy of d outlives the fixture.
struct ec_jwk_fixture {
    static_text<512> jwk;
    static_text<64> d_text;
    std::array<unsigned char, 32> d{};

    /// other_d: when set, the JWK carries that d instead of the key's own (a mismatched JWK).
    void make(const ec_jwk_fixture* other_d = nullptr) {
        const auto key = jwt::private_key::generate_ec_p256();
        std::array<unsigned char, 32> x{};
        std::array<unsigned char, 32> y{};
        const auto get = [&](const char* name, std::array<unsigned char, 32>& out) {
            BIGNUM* bn = nullptr;
            REQUIRE(EVP_PKEY_get_bn_param(key.native_handle(), name, &bn) == 1);
            REQUIRE(BN_bn2binpad(bn, out.data(), static_cast<int>(out.size())) == 32);
            BN_clear_free(bn);
        };
        get(OSSL_PKEY_PARAM_EC_PUB_X, x);
        get(OSSL_PKEY_PARAM_EC_PUB_Y, y);
        get(OSSL_PKEY_PARAM_PRIV_KEY, d);
        const auto text = [](const std::array<unsigned char, 32>& a) {
            return std::string_view(reinterpret_cast<const char*>(a.data()), a.size());
        };
        jwk.append(R"({"kty":"EC","crv":"P-256","x":")");
        jwk.append_b64url(text(x));
        jwk.append(R"(","y":")");
        jwk.append_b64url(text(y));
        jwk.append(R"(","d":")");
        jwk.append_b64url(text(other_d != nullptr ? other_d->d : d));
        jwk.append(R"("})");
        if (other_d != nullptr) d = other_d->d;
        d_text.set(std::string(member_text(jwk.view(), "d")));
    }
    [[nodiscard]] std::string_view d_octets() const { return {reinterpret_cast<const char*>(d.data()), d.size()}; }
};

}  // namespace

TEST_CASE("control: the watcher catches a secret released unwiped, from either allocator", "[secrets]") {
    REQUIRE(watch::hooks_installed);  // OpenSSL took the hooks: nothing allocated through it before
    watch::watch_for({sv(other_secret), sv(hmac_secret)});
    watch::arm(true);
    {
        std::string copy(sv(other_secret));  // a plain copy, released as is
        auto* raw = static_cast<char*>(OPENSSL_malloc(sizeof other_secret));
        REQUIRE(raw != nullptr);
        std::memcpy(raw, other_secret, sizeof other_secret);
        OPENSSL_free(raw);
        auto* wiped = static_cast<char*>(OPENSSL_malloc(sizeof hmac_secret));
        REQUIRE(wiped != nullptr);
        std::memcpy(wiped, hmac_secret, sizeof hmac_secret);
        OPENSSL_free(OPENSSL_malloc(1));  // an OpenSSL allocation, which probes the live blocks
        OPENSSL_clear_free(wiped, sizeof hmac_secret);
    }
    watch::arm(false);
    const watch::pattern plain = watch::seen(0);
    const watch::pattern cleared = watch::seen(1);
    CHECK(plain.released_unwiped[0] == 1);  // the std::string
    CHECK(plain.released_unwiped[1] == 1);  // the OPENSSL_free'd block
    CHECK(cleared.seen_live[1]);
    CHECK(cleared.released_unwiped[0] == 0);
    CHECK(cleared.released_unwiped[1] == 0);  // OPENSSL_clear_free wiped it first
}

TEST_CASE("hs256: the signer's copy of the secret is wiped when the last copy of the signer goes", "[secrets][hs256]") {
    watch::watch_for({sv(hmac_secret)});
    watch::arm(true);
    {
        const auto signer = jwt::hs256::from_secret(sv(hmac_secret));
        // NOLINTNEXTLINE(performance-unnecessary-copy-initialization): the copy is what is tested
        const auto copy = signer;  // shares the state; the secret is released with the last copy
        std::string token =
            jwt::builder{copy}.roles({"Accounting Team"}).email("ada@example.com").expires_in(5min).sign();
        const auto v = jwt::verifier<jwt::hs256>::from_secret(sv(hmac_secret));
        CHECK(v.verify(token).identity() == std::optional<std::string>("ada@example.com"));
        CHECK(signer.matches_secret(sv(hmac_secret)));
    }
    watch::arm(false);
    check_wiped(0, "the HS256 secret", watch::origin::cxx);
}

TEST_CASE("hs256::from_secret_file: the file's bytes are wiped wherever they were read into",
          "[secrets][hs256][files]") {
    temp_dir dir;
    const auto path = dir.path / "secret.key";
    write_file(path, sv(file_secret));
    watch::watch_for({sv(file_secret)});
    watch::arm(true);
    {
        const auto signer = jwt::hs256::from_secret_file(path);
        const auto v = jwt::verifier<jwt::hs256>::from_secret_file(path);
        CHECK(v.verify_signature("x", signer.sign("x")));
    }
    watch::arm(false);
    check_wiped(0, "the secret file's bytes", watch::origin::cxx);
}

TEST_CASE("private_key::from_pem_file: the PEM text read from the file is wiped", "[secrets][keys][files]") {
    // Keys made before the watch, their text kept in static storage.
    static static_text<4096> rsa_pem;
    static static_text<4096> ec_pem;
    static static_text<4096> encrypted_pem;
    if (rsa_pem.size == 0) {  // once, not for every SECTION
        rsa_pem.set(jwt::private_key::generate_rsa().to_pem());
        ec_pem.set(jwt::private_key::generate_ec_p256().to_pem());
        encrypted_pem.set(jwt::private_key::generate_ec_p256().to_pem(sv(passphrase)));
    }
    temp_dir dir;
    write_file(dir.path / "rsa.pem", rsa_pem.view());
    write_file(dir.path / "ec.pem", ec_pem.view());
    write_file(dir.path / "encrypted.pem", encrypted_pem.view());

    // One watch per file, so that each file's text is looked for only while it is being read.
    SECTION("RSA, through rs256::from_pem_file") {
        watch::watch_for({pem_body_slice(rsa_pem.view())});
        watch::arm(true);
        {
            const auto rs = jwt::rs256::from_pem_file(dir.path / "rsa.pem");
            CHECK(rs.key().info().type == "RSA");
        }
        watch::arm(false);
        check_wiped(0, "the RSA PEM file text", watch::origin::cxx);
    }
    SECTION("EC, through private_key::from_pem_file and es256::from_pem_file") {
        watch::watch_for({pem_body_slice(ec_pem.view())});
        watch::arm(true);
        {
            const auto key = jwt::private_key::from_pem_file(dir.path / "ec.pem");
            const auto es = jwt::es256::from_pem_file(dir.path / "ec.pem");
            CHECK(jwt::try_check_key_pair(key, jwt::public_key::from_private(es.key())).has_value());
        }
        watch::arm(false);
        check_wiped(0, "the EC PEM file text", watch::origin::cxx);
    }
    SECTION("encrypted, with the passphrase and with a wrong one") {
        // The passphrase is passed through, never copied by the library: only released blocks are checked.
        watch::watch_for({pem_body_slice(encrypted_pem.view())}, {sv(passphrase)});
        watch::arm(true);
        {
            const auto encrypted = jwt::es256::from_pem_file(dir.path / "encrypted.pem", sv(passphrase));
            CHECK(encrypted.sign("x").size() == 64);
            std::error_code ec;  // a failed load must wipe too
            CHECK(!jwt::private_key::from_pem_file(dir.path / "encrypted.pem", "wrong passphrase", ec));
            CHECK(ec == jwt::errc::bad_passphrase);
        }
        watch::arm(false);
        check_wiped(0, "the encrypted PEM file text", watch::origin::cxx);
        const watch::pattern pass = watch::seen(1);
        INFO("passphrase released unwiped: C++ " << pass.released_unwiped[0] << ", OpenSSL "
                                                 << pass.released_unwiped[1]);
        CHECK(pass.released_unwiped[0] == 0);
        CHECK(pass.released_unwiped[1] == 0);
        CHECK(watch::live_holding(pass) == 0);
    }
}

TEST_CASE("private_key::to_pem: the copy of the passphrase is wiped", "[secrets][keys]") {
    const auto key = jwt::private_key::generate_ec_p256();
    static static_text<4096> pem;
    watch::watch_for({sv(passphrase)});
    watch::arm(true);
    pem.set(key.to_pem(sv(passphrase)));
    watch::arm(false);
    // jwtmint hands the passphrase to OpenSSL's encoder without a copy of its own; the encoder's
    // copy is the one that must be wiped.
    check_wiped(0, "the passphrase given to to_pem", watch::origin::openssl);
    // and the passphrase was really used: the PEM is encrypted and opens with it only
    CHECK(pem.view().find("ENCRYPTED PRIVATE KEY") != std::string_view::npos);
    CHECK(jwt::try_check_key_pair(jwt::private_key::from_pem(pem.view(), sv(passphrase)),
                                  jwt::public_key::from_private(key))
              .has_value());
    std::error_code ec;
    CHECK(!jwt::private_key::from_pem(pem.view(), "not the passphrase", ec));
    CHECK(ec == jwt::errc::bad_passphrase);
}

TEST_CASE("an oct JWK: the text of k and its octets are wiped (Signer::from_jwk, verifier::from_jwk, select_jwk)",
          "[secrets][jwk][hs256]") {
    static constexpr char k_octets[] = "oct-jwk-secret:9e1c4a7f-3b6d-4f20-8a5e-c7d2b9f16e03";
    static static_text<256> jwk;
    static static_text<128> k_text;
    if (jwk.size == 0) {
        jwk.append(R"({"kty":"oct","alg":"HS256","k":")");
        jwk.append_b64url(sv(k_octets));
        jwk.append(R"("})");
        k_text.set(std::string(member_text(jwk.view(), "k")));
    }
    // The k text is only ever in the caller's (static) JWK: it is looked for in released blocks;
    // the octets sit in the signer, so they must be seen on the heap.
    watch::watch_for({sv(k_octets)}, {k_text.view()});
    watch::arm(true);
    {
        const auto signer = jwt::hs256::from_jwk(jwk.view());
        const auto v = jwt::verifier<jwt::hs256>::from_jwk(jwk.view());
        CHECK(signer.matches_secret(sv(k_octets)));
        CHECK(v.verify_signature("x", signer.sign("x")));
        const jwt::jwk_key key = jwt::select_jwk(jwk.view());  // as a key file is read
        CHECK((key.secret && key.secret->size() == sizeof k_octets - 1));
    }
    watch::arm(false);
    check_wiped(0, "the octets of k", watch::origin::cxx);
    check_never_released(1, "the base64url text of k");
}

TEST_CASE(
    "an EC private JWK: the text of d and its octets are wiped (private_key::from_jwk, Signer::from_jwk, select_jwk)",
    "[secrets][jwk][es256]") {
    static ec_jwk_fixture ec;
    if (ec.jwk.size == 0) ec.make();
    watch::watch_for({ec.d_octets()}, {ec.d_text.view()});
    watch::arm(true);
    {
        const auto key = jwt::private_key::from_jwk(ec.jwk.view());
        const auto es = jwt::es256::from_jwk(ec.jwk.view());
        CHECK(jwt::try_check_key_pair(key, jwt::public_key::from_private(es.key())).has_value());
        CHECK(es.sign("x").size() == 64);
        const jwt::jwk_key selected = jwt::select_jwk(ec.jwk.view());  // as a key file is read
        CHECK((selected.private_key &&
               jwt::try_check_key_pair(*selected.private_key, jwt::public_key::from_private(es.key())).has_value()));
    }
    watch::arm(false);
    check_wiped(0, "the octets of d", watch::origin::cxx);
    check_never_released(1, "the base64url text of d");
}

TEST_CASE("an RSA private JWK (RFC 7520 section 3.4): the text of d and its octets are wiped",
          "[secrets][jwk][rs256]") {
    const auto dir = jwtmint_test::vectors_dir();
    static static_text<8192> jwk;
    static static_text<512> d_text;
    static std::array<unsigned char, 512> d{};
    static std::size_t d_size = 0;
    if (jwk.size == 0) {
        read_into(jwk, dir / "rfc" / "keys" / "rfc7520-3.4-rsa2048.jwk.json");
        d_text.set(std::string(member_text(jwk.view(), "d")));
        std::error_code ec;
        d_size = jwt::base64url_decode(d_text.view(), d.data(), d.size(), ec);
        REQUIRE(!ec);
        REQUIRE(d_size == 256);
    }
    const std::string_view d_octets(reinterpret_cast<const char*>(d.data()), d_size);
    watch::watch_for({d_octets}, {d_text.view()});
    watch::arm(true);
    {
        const auto key = jwt::private_key::from_jwk(jwk.view());
        const auto rs = jwt::rs256::from_jwk(jwk.view());
        CHECK(jwt::try_check_key_pair(key, jwt::public_key::from_private(rs.key())).has_value());
        CHECK(rs.sign("x").size() == 256);
    }
    watch::arm(false);
    check_wiped(0, "the octets of d", watch::origin::cxx);
    check_never_released(1, "the base64url text of d");
}

TEST_CASE("a failed JWK load (an EC d of another key) leaves no copy of d behind", "[secrets][jwk][errors]") {
    static ec_jwk_fixture other;
    static ec_jwk_fixture mismatched;
    if (other.jwk.size == 0) {
        other.make();
        mismatched.make(&other);
    }
    watch::watch_for({mismatched.d_octets()}, {mismatched.d_text.view()});
    watch::arm(true);
    {
        std::error_code ec;
        CHECK(!jwt::private_key::from_jwk(mismatched.jwk.view(), ec));
        CHECK(ec == jwt::errc::key_mismatch);
        CHECK_THROWS_AS(jwt::es256::from_jwk(mismatched.jwk.view()), jwt::error);
    }
    watch::arm(false);
    check_wiped(0, "the octets of d", watch::origin::cxx);
    check_never_released(1, "the base64url text of d");
}

TEST_CASE("JWK Sets: an oct key or a private JWK refused from a set leaves no copy of its secret text",
          "[secrets][jwk][jwks]") {
    static constexpr char k_octets[] = "jwks-oct-secret:51f0c8e2-7a3d-4b96-9e14-d2a86c3f7b05";
    static static_text<256> set;
    static static_text<128> k_text;
    static ec_jwk_fixture ec;
    if (set.size == 0) {
        set.append(R"({"keys":[{"kty":"oct","alg":"HS256","kid":"h","k":")");
        set.append_b64url(sv(k_octets));
        set.append(R"("}]})");
        k_text.set(std::string(member_text(set.view(), "k")));
        ec.make();
    }
    watch::watch_for({}, {k_text.view(), ec.d_text.view()});
    watch::arm(true);
    {
        std::error_code ec_code;
        CHECK(!jwt::jwks_verifier<>::from_jwks(set.view(), ec_code));
        CHECK(ec_code == jwt::errc::key_algorithm_mismatch);
        // jwks_document takes std::strings: this test's own copy is wiped by the test.
        std::vector<std::string> jwks(1);
        jwks[0].assign(ec.jwk.view());
        CHECK_THROWS_AS(jwt::jwks_document(jwks), jwt::error);
        OPENSSL_cleanse(jwks[0].data(), jwks[0].size());
    }
    watch::arm(false);
    check_never_released(0, "the base64url text of an oct key's k in a JWK Set");
    check_never_released(1, "the base64url text of d in a private JWK given to jwks_document");
}
