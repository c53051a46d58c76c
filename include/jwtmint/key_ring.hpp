// SPDX-License-Identifier: MIT
/// @file
/// jwt::key_ring: minting with keys that rotate. One current key signs and names itself in the
/// token's kid; the ring publishes the public JWK Set of its current, next and recently retired
/// keys; promote() and retire() are one call each and safe while other threads sign.
#pragma once

#include <jwtmint/builder.hpp>
#include <jwtmint/detail/shared_const.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/jwk.hpp>
#include <jwtmint/key.hpp>
#include <jwtmint/signers.hpp>
#include <jwtmint/verifier.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace jwt {
inline namespace v1 {

/// Where a key stands in a key_ring.
enum class key_status {
    next,     ///< published, so that verifiers learn it before it signs; does not sign yet
    current,  ///< signs every new token; published
    retired,  ///< signs no more; published until the tokens it signed have expired
};

/// The name of a key_status as written in source ("next", "current", "retired").
[[nodiscard]] inline const char* key_status_name(key_status s) noexcept {
    switch (s) {
        case key_status::next: return "next";
        case key_status::current: return "current";
        case key_status::retired: return "retired";
    }
    return "unknown";
}

/// One key of a key_ring as key_ring::keys() lists it.
struct key_ring_entry {
    std::string kid;                   ///< the key's id: its RFC 7638 thumbprint unless named when it was added
    key_status status;                 ///< next, current or retired
    std::int64_t retired_at = 0;       ///< when it was retired (seconds since the Unix epoch); 0 unless retired
    std::int64_t published_until = 0;  ///< retired keys: when they leave the published set; 0 otherwise
    std::string public_jwk;            ///< its public JWK as published ("kid", "alg", "use": "sig"); "" without one
};

/// How long a key_ring keeps publishing a retired key by default: the longest lifetime a token
/// jwtmint mints may have (default_max_lifetime, 10 minutes) plus a minute for clocks that differ.
inline constexpr std::chrono::seconds default_retired_key_retention = default_max_lifetime + std::chrono::seconds(60);

namespace detail {
template <class S, class = void>
struct signer_has_private_key : std::false_type {};
template <class S>
struct signer_has_private_key<S, std::void_t<decltype(std::declval<const S&>().key())>>
    : std::is_same<std::decay_t<decltype(std::declval<const S&>().key())>, private_key> {};
/// A signer that holds only its public key (jwt::kms_signer, checked against it at construction).
template <class S, class = void>
struct signer_has_public_half : std::false_type {};
template <class S>
struct signer_has_public_half<S, std::void_t<decltype(std::declval<const S&>().public_half())>>
    : std::is_same<std::decay_t<decltype(std::declval<const S&>().public_half())>, public_key> {};
}  // namespace detail

/// Signing keys that rotate, for one algorithm (Signer: jwt::rs256, jwt::es256, ..., or the
/// application's own signer type, an HSM's say). The current key signs; jwt::builder given a
/// ring writes that key's kid into each token's header and signs with it, both from one snapshot,
/// so a token's kid always names the key that signed it, even while another thread promotes.
///
/// A key's kid is the RFC 7638 thumbprint of its public key (what jwt::public_jwk names it)
/// unless one is given when it is added. public_jwks() is the JWK Set a verifier fetches: the
/// current key, the next keys (published before they sign, so that verifiers that cache the set
/// already hold them when they do) and the retired keys whose tokens may still be alive (for
/// retired_key_retention() after retirement; default_retired_key_retention by default).
///
/// A rotation: add_next(new_key) (publish it; paste it into the vendor's settings now if the
/// vendor holds one key), promote() (it signs from now on; the old key is retired, still
/// published), and after the retention the old key leaves the set by itself, or retire(kid)
/// removes it at once (after a leak: its tokens then stop verifying wherever the set is fetched).
///
/// Thread-safe: current_key(), sign(), public_jwks() and keys() may run on many threads while
/// another calls add_next(), promote() or retire(). Each change publishes a new immutable
/// snapshot; a reader holds the one it took for as long as it signs.
/// Not copyable (one ring, shared by reference); movable while no other thread uses it.
template <class Signer, class Clock = std::chrono::system_clock>
class key_ring {
    static_assert(is_signer_v<Signer>,
                  "jwt::key_ring<Signer>: Signer must be a signer (jwt::rs256, jwt::es256, ..., or a type with "
                  "`static constexpr std::string_view alg` and a const `sign(std::string_view)`)");

    struct slot {
        Signer signer;
        std::string kid;
        std::string public_jwk;  // "" for a key without a public half to publish (an HMAC secret)
        std::string thumbprint;  // RFC 7638; "" without a public half
        key_status stage;
        std::int64_t retired_at;
    };
    struct state {
        std::vector<slot> keys;
        std::size_t current = 0;
    };

public:
    /// The JOSE name of the ring's algorithm (every key of the ring signs with it).
    static constexpr std::string_view alg = Signer::alg;
    using signer_type = Signer;  ///< The type of each key's signer.
    using clock = Clock;         ///< The clock retirements and their retention are measured on.

    /// The key that signs, as one consistent snapshot: its signer and its kid. Holding one keeps
    /// that key alive (and unchanged) however the ring changes meanwhile. Cheap to copy.
    class signing_key {
    public:
        /// The key's signer.
        [[nodiscard]] const Signer& signer() const noexcept { return at().signer; }
        /// The key's kid, for the header of the tokens it signs.
        [[nodiscard]] std::string_view key_id() const noexcept { return at().kid; }

    private:
        friend class key_ring;
        explicit signing_key(detail::shared_const<state> s) noexcept : state_(std::move(s)) {}
        [[nodiscard]] const slot& at() const noexcept { return state_->keys[state_->current]; }
        detail::shared_const<state> state_;
    };

    /// A ring whose current key is current. kid names it; empty, its RFC 7638 thumbprint. A
    /// signer with neither `key()` nor `public_half()` (jwt::kms_signer has the latter; the
    /// application's own, an HSM's) needs its public key given with
    /// it (the overload below) to be thumbprinted and published; without one it needs a kid and
    /// is not published (an HMAC secret).
    /// Fails with invalid_claim (a kid that is not printable UTF-8), or as public_key::try_from_private.
    [[nodiscard]] static result<key_ring> try_create(const Signer& current, std::string_view kid = {}) {
        auto made = make_slot(current, nullptr, kid, key_status::current);
        if (!made) return std::move(made).error();
        return key_ring(std::move(*made));
    }
    /// A ring whose current key is current, whose public half is public_key; the pair is checked
    /// by signing a probe token with current and verifying it with public_key (key_mismatch).
    [[nodiscard]] static result<key_ring> try_create(const Signer& current, const public_key& public_half,
                                                     std::string_view kid = {}) {
        auto made = make_slot(current, &public_half, kid, key_status::current);
        if (!made) return std::move(made).error();
        return key_ring(std::move(*made));
    }
    /// As try_create, throwing jwt::error.
    [[nodiscard]] static key_ring create(const Signer& current, std::string_view kid = {}) {
        return try_create(current, kid).value();
    }
    /// As try_create, throwing jwt::error.
    [[nodiscard]] static key_ring create(const Signer& current, const public_key& public_half,
                                         std::string_view kid = {}) {
        return try_create(current, public_half, kid).value();
    }

    /** @{ */
    /// Not copyable (one ring, shared by reference); movable while no other thread uses it.
    key_ring(const key_ring&) = delete;
    key_ring& operator=(const key_ring&) = delete;
    key_ring(key_ring&& other) noexcept : state_(other.take()), retention_(other.retention_) {}
    key_ring& operator=(key_ring&& other) noexcept {
        if (this != &other) {
            auto taken = other.take();
            const std::lock_guard<std::mutex> lock(read_);
            state_ = std::move(taken);
            retention_ = other.retention_;
        }
        return *this;
    }
    /** @} */
    ~key_ring() = default;

    /// Adds a key that verifiers should learn before it signs: published at once, signing after
    /// promote(). kid as for try_create. Fails with invalid_jwk when the key or its kid is
    /// already in the ring, and as try_create.
    [[nodiscard]] status try_add_next(const Signer& next, std::string_view kid = {}) { return add(next, nullptr, kid); }
    /// As try_add_next, for a signer whose public half is given (checked as in try_create).
    [[nodiscard]] status try_add_next(const Signer& next, const public_key& public_half, std::string_view kid = {}) {
        return add(next, &public_half, kid);
    }
    /// As try_add_next, throwing jwt::error.
    void add_next(const Signer& next, std::string_view kid = {}) { try_add_next(next, kid).value(); }
    /// As try_add_next, throwing jwt::error.
    void add_next(const Signer& next, const public_key& public_half, std::string_view kid = {}) {
        try_add_next(next, public_half, kid).value();
    }

    /// Makes a next key the current one: the next key whose kid is kid, or with kid empty the
    /// ring's only next key. The key it replaces is retired: it signs no more and stays published
    /// for retired_key_retention(). Tokens signed before keep their kid and keep verifying
    /// against the published set until then. Fails with unknown_key_id (no such next key; the
    /// message lists the ring's keys).
    [[nodiscard]] status try_promote(std::string_view kid = {}) {
        const std::lock_guard<std::mutex> writing(write_);
        state next = copy_pruned();
        std::size_t chosen = next.keys.size();
        std::size_t candidates = 0;
        for (std::size_t i = 0; i < next.keys.size(); ++i) {
            if (next.keys[i].stage != key_status::next) continue;
            ++candidates;
            if (kid.empty() || next.keys[i].kid == kid) chosen = i;
        }
        if (chosen == next.keys.size() || (kid.empty() && candidates > 1)) {
            std::string why = kid.empty() ? (candidates == 0 ? "the ring has no next key to promote (add one with "
                                                               "add_next first)"
                                                             : "the ring has " + std::to_string(candidates) +
                                                                   " next keys: name the one to promote")
                                          : "the ring has no next key with kid " + detail::quote(kid);
            return detail::fail(errc::unknown_key_id, why + "; its keys: " + listing(next));
        }
        next.keys[next.current].stage = key_status::retired;
        next.keys[next.current].retired_at = now_unix();
        next.keys[chosen].stage = key_status::current;
        next.current = chosen;
        publish(std::move(next));
        return {};
    }
    /// As try_promote, throwing jwt::error.
    void promote(std::string_view kid = {}) { try_promote(kid).value(); }

    /// Removes the key whose kid is kid now: a retired key (after a leak, or once its tokens have
    /// expired: verifiers that fetch the set then refuse them) or a next key that will not be
    /// used. Fails with unknown_key_id (no such key) or invalid_setting (the current key: promote
    /// another first, a ring always has a key that signs).
    [[nodiscard]] status try_retire(std::string_view kid) {
        const std::lock_guard<std::mutex> writing(write_);
        state next = copy_pruned();
        for (std::size_t i = 0; i < next.keys.size(); ++i) {
            if (next.keys[i].kid != kid) continue;
            if (i == next.current) {
                return detail::fail(errc::invalid_setting, "the key " + detail::quote(kid) +
                                                               " is the ring's current key, which signs; add a "
                                                               "next key and promote it before retiring this one");
            }
            next.keys.erase(next.keys.begin() + static_cast<std::ptrdiff_t>(i));
            if (next.current > i) --next.current;
            publish(std::move(next));
            return {};
        }
        return detail::fail(errc::unknown_key_id,
                            "the ring has no key with kid " + detail::quote(kid) + "; its keys: " + listing(next));
    }
    /// As try_retire, throwing jwt::error.
    void retire(std::string_view kid) { try_retire(kid).value(); }

    /// How long a retired key stays published after promote() retired it (default
    /// default_retired_key_retention). Set it to at least the longest lifetime of the tokens the
    /// ring signs plus the verifiers' leeway and the time they cache the set. Fails with
    /// invalid_setting for a negative time or one over 30 days.
    [[nodiscard]] status try_retired_key_retention(std::chrono::seconds keep) {
        if (keep < std::chrono::seconds::zero() || keep > std::chrono::hours(24 * 30)) {
            return detail::fail(errc::invalid_setting,
                                "a retired key's retention must be between 0 and 30 days (it should cover the "
                                "longest token lifetime plus the verifiers' leeway and cache time)");
        }
        const std::lock_guard<std::mutex> writing(write_);
        const std::lock_guard<std::mutex> reading(read_);
        retention_ = keep;
        return {};
    }
    /// As try_retired_key_retention, throwing jwt::error.
    key_ring& retired_key_retention(std::chrono::seconds keep) {
        try_retired_key_retention(keep).value();
        return *this;
    }
    /// How long a retired key stays published.
    [[nodiscard]] std::chrono::seconds retired_key_retention() const {
        const std::lock_guard<std::mutex> reading(read_);
        return retention_;
    }

    /// The key that signs now, with its kid, as one snapshot (see signing_key).
    [[nodiscard]] signing_key current_key() const { return signing_key(snapshot()); }
    /// The kid of the key that signs now.
    [[nodiscard]] std::string current_key_id() const { return std::string(current_key().key_id()); }

    /// The ring's keys (current first, then next, then retired keys still published), as of now.
    [[nodiscard]] std::vector<key_ring_entry> keys() const {
        const auto s = snapshot();
        const std::chrono::seconds keep = retired_key_retention();
        const std::int64_t now = now_unix();
        std::vector<key_ring_entry> out;
        const auto add_all = [&](key_status wanted) {
            for (const slot& k : s->keys) {
                if (k.stage != wanted || (wanted == key_status::retired && expired(k, now, keep))) continue;
                const std::int64_t until = k.stage == key_status::retired ? k.retired_at + keep.count() : 0;
                out.push_back(key_ring_entry{k.kid, k.stage, k.retired_at, until, k.public_jwk});
            }
        };
        add_all(key_status::current);
        add_all(key_status::next);
        add_all(key_status::retired);
        return out;
    }

    /// The public JWK Set ({"keys": [...]}, RFC 7517 section 5) of the keys keys() lists, each
    /// with its kid, "alg" and "use": "sig": the document to serve at /.well-known/jwks.json.
    /// Fails with key_algorithm_mismatch when a key has no public half to publish (an HMAC
    /// secret, or an application's signer added without its public key).
    [[nodiscard]] result<std::string> try_public_jwks() const {
        std::string out = "{\"keys\":[";
        bool first = true;
        for (const key_ring_entry& k : keys()) {
            if (k.public_jwk.empty()) {
                return detail::fail(errc::key_algorithm_mismatch,
                                    "the key " + detail::quote(k.kid) +
                                        " has no public key to publish (an HMAC secret, or a signer added without "
                                        "its public key)");
            }
            if (!first) out += ',';
            first = false;
            out += k.public_jwk;
        }
        out += "]}";
        return out;
    }
    /// As try_public_jwks, throwing jwt::error.
    [[nodiscard]] std::string public_jwks() const { return try_public_jwks().value(); }

    /// The raw signature of signing_input by the current key. A token must also name that key:
    /// jwt::builder does both from one snapshot (current_key()); call this only where the kid
    /// is not needed. Fails as Signer's sign.
    [[nodiscard]] result<std::string> try_sign(std::string_view signing_input) const {
        const signing_key key = current_key();
        return detail::signature_of(key.signer(), signing_input);
    }
    /// As try_sign, throwing jwt::error.
    [[nodiscard]] std::string sign(std::string_view signing_input) const { return try_sign(signing_input).value(); }

private:
    explicit key_ring(slot first) {
        state s;
        s.keys.push_back(std::move(first));
        state_ = detail::shared_const<state>::make(std::move(s));
    }

    [[nodiscard]] static std::int64_t now_unix() {
        return std::chrono::floor<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
    }
    [[nodiscard]] static bool expired(const slot& k, std::int64_t now, std::chrono::seconds keep) noexcept {
        return k.stage == key_status::retired && now - k.retired_at >= keep.count();
    }

    [[nodiscard]] detail::shared_const<state> snapshot() const {
        const std::lock_guard<std::mutex> reading(read_);
        return state_;
    }
    detail::shared_const<state> take() noexcept {
        const std::lock_guard<std::mutex> writing(write_);
        const std::lock_guard<std::mutex> reading(read_);
        return std::move(state_);
    }
    /// Swaps in the new state; readers that took the old one keep it until they let it go.
    void publish(state next) {
        auto swapped = detail::shared_const<state>::make(std::move(next));
        {
            const std::lock_guard<std::mutex> reading(read_);
            std::swap(state_, swapped);
        }
        // swapped now holds the old state: released here, outside the lock readers take.
    }
    /// A copy of the state to change (under write_), without the retired keys whose time is up.
    [[nodiscard]] state copy_pruned() const {
        const auto s = snapshot();
        const std::chrono::seconds keep = retired_key_retention();
        const std::int64_t now = now_unix();
        state out;
        for (std::size_t i = 0; i < s->keys.size(); ++i) {
            if (expired(s->keys[i], now, keep)) continue;
            if (i == s->current) out.current = out.keys.size();
            out.keys.push_back(s->keys[i]);
        }
        return out;
    }

    [[nodiscard]] static std::string listing(const state& s) {
        std::string out;
        for (const slot& k : s.keys) {
            if (!out.empty()) out += ", ";
            out += detail::quote(k.kid) + " (" + key_status_name(k.stage) + ")";
        }
        return out;
    }

    [[nodiscard]] status add(const Signer& signer, const public_key* public_half, std::string_view kid) {
        auto made = make_slot(signer, public_half, kid, key_status::next);
        if (!made) return std::move(made).error();
        const std::lock_guard<std::mutex> writing(write_);
        state next = copy_pruned();
        for (const slot& k : next.keys) {
            if (k.kid == made->kid) {
                return detail::bad_jwk("the ring already holds a key with kid " + detail::quote(k.kid) + " (" +
                                       key_status_name(k.stage) + ")" +
                                       (kid.empty() ? std::string("; it is the same key (the kid is its thumbprint)")
                                                    : std::string()));
            }
            if (!made->thumbprint.empty() && k.thumbprint == made->thumbprint) {
                return detail::bad_jwk("the ring already holds this key, as " + detail::quote(k.kid) + " (" +
                                       key_status_name(k.stage) + ")");
            }
        }
        next.keys.push_back(std::move(*made));
        publish(std::move(next));
        return {};
    }

    /// The public half a signer holds itself: derived from its private key (jwtmint's signers), its
    /// public_half() (a kms_signer), or none (an HMAC secret, an application's signer).
    [[nodiscard]] static result<std::optional<public_key>> own_public_half(const Signer& signer) {
        if constexpr (detail::signer_has_private_key<Signer>::value) {
            auto derived = public_key::try_from_private(signer.key());
            if (!derived) return std::move(derived).error();
            return std::optional<public_key>(std::move(*derived));
        } else if constexpr (detail::signer_has_public_half<Signer>::value) {
            return std::optional<public_key>(signer.public_half());
        } else {
            static_cast<void>(signer);
            return std::optional<public_key>();
        }
    }

    /// The kid and public JWK of a key: from the signer's own private key, or from public_half
    /// (checked to be the signer's by a probe token), or neither (then kid must be given).
    [[nodiscard]] static result<slot> make_slot(const Signer& signer, const public_key* public_half,
                                                std::string_view kid, key_status initial) {
        if (auto ok = detail::check_text("the kid", kid); !ok) return std::move(ok).error();  // as verifiers read it
        std::optional<public_key> pub;
        if (public_half != nullptr) {
            if (auto ok = check_pair(signer, *public_half); !ok) return std::move(ok).error();
            pub = *public_half;
        } else {
            auto own = own_public_half(signer);
            if (!own) return std::move(own).error();
            pub = std::move(*own);
        }
        slot out{signer, std::string(kid), std::string(), std::string(), initial, 0};
        if (!pub) {
            if (kid.empty()) {
                return detail::fail(errc::invalid_claim,
                                    "a key without a public key to thumbprint (an HMAC secret, or a signer given "
                                    "without its public half) needs a kid");
            }
            return out;
        }
        auto thumbprint = try_jwk_thumbprint(*pub);
        if (!thumbprint) return std::move(thumbprint).error();
        out.thumbprint = std::move(*thumbprint);
        if (out.kid.empty()) out.kid = out.thumbprint;
        // The public JWK with its alg and use, under the ring's kid.
        auto members = detail::required_public_members(pub->native_handle());
        if (!members) return std::move(members).error();
        (*members)("alg", std::string(alg))("kid", out.kid)("use", "sig");
        out.public_jwk = members->text();
        return out;
    }

    /// Signs a probe token with signer and verifies it with public_half, pinned to the ring's alg.
    [[nodiscard]] static status check_pair(const Signer& signer, const public_key& public_half) {
        std::optional<status> checked;
        with_algorithm(alg, [&](auto tag) {
            using Alg = typename decltype(tag)::type;
            if constexpr (is_pkey_algorithm_v<Alg>) {
                auto v = verifier<Alg>::try_from_key(public_half);
                if (!v) {
                    checked = std::move(v).error();
                    return;
                }
                builder<Signer> probe(signer);
                probe.allow_missing_roles();
                auto token = probe.try_sign();
                if (!token) {
                    checked = std::move(token).error();
                    return;
                }
                if (auto ok = v->try_verify(*token); !ok) {
                    checked = detail::fail(errc::key_mismatch,
                                           "the public key given is not the signer's: a token it signed does not "
                                           "verify with it (" +
                                               std::string(ok.error().what()) + ")");
                    return;
                }
                checked = status{};
            }
        });
        if (!checked) {
            return detail::fail(errc::key_algorithm_mismatch, "a public key was given for the " + std::string(alg) +
                                                                  " signer, but " + std::string(alg) +
                                                                  " is not a public-key algorithm jwtmint verifies");
        }
        return std::move(*checked);
    }

    mutable std::mutex read_;  // guards state_ and retention_ (held only to copy or swap them)
    std::mutex write_;         // one change at a time
    detail::shared_const<state> state_;
    std::chrono::seconds retention_ = default_retired_key_retention;
};

}  // namespace v1
}  // namespace jwt
