// SPDX-License-Identifier: MIT
/// @file
/// jwt::builder: composes the widget-login claims, enforces the lifetime policy, signs a compact JWS.
#pragma once

#include <jwtmint/base64url.hpp>
#include <jwtmint/claims.hpp>
#include <jwtmint/detail/json_fwd.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/login_policy.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace jwt {
inline namespace v1 {

/// The lifetime ceiling the vendor recommends for widget tokens.
inline constexpr std::chrono::seconds default_max_lifetime{600};
/// The lifetime of a token when expires_in() is not called.
inline constexpr std::chrono::seconds default_lifetime{300};

namespace detail {
template <class S, class = void>
struct has_alg : std::false_type {};
template <class S>
struct has_alg<S, std::void_t<decltype(std::string_view{S::alg})>> : std::true_type {};

/// What a signer's sign(signing_input) returns: a std::string (failure thrown), or a
/// jwt::result<std::string> (failure returned).
template <class R>
inline constexpr bool is_signature_result_v = std::is_same_v<std::decay_t<R>, result<std::string>> ||
                                              std::is_convertible_v<R, std::string>;

template <class S, class = void>
struct has_sign : std::false_type {};
template <class S>
struct has_sign<S, std::void_t<decltype(std::declval<const S&>().sign(std::string_view{}))>>
    : std::bool_constant<is_signature_result_v<decltype(std::declval<const S&>().sign(std::string_view{}))>> {};

/// jwtmint's own signers: try_sign returning result<std::string>.
template <class S, class = void>
struct has_try_sign : std::false_type {};
template <class S>
struct has_try_sign<S, std::void_t<decltype(std::declval<const S&>().try_sign(std::string_view{}))>>
    : std::is_same<decltype(std::declval<const S&>().try_sign(std::string_view{})), result<std::string>> {};

/// The allocation-free fast path of jwtmint's own signers: try_sign_to returning result<std::size_t>.
template <class S, class = void>
struct has_try_sign_to : std::false_type {};
template <class S>
struct has_try_sign_to<S, std::void_t<decltype(std::declval<const S&>().try_sign_to(
                                          std::string_view{}, static_cast<unsigned char*>(nullptr))),
                                      decltype(std::declval<const S&>().signature_size())>>
    : std::is_same<decltype(std::declval<const S&>().try_sign_to(std::string_view{},
                                                                 static_cast<unsigned char*>(nullptr))),
                   result<std::size_t>> {};

/// A user's fast path: sign_to returning the octets written (0 for failure) or result<std::size_t>.
template <class S, class = void>
struct has_sign_to : std::false_type {};
template <class S>
struct has_sign_to<
    S, std::void_t<decltype(std::declval<const S&>().sign_to(std::string_view{}, static_cast<unsigned char*>(nullptr))),
                   decltype(std::declval<const S&>().signature_size())>> : std::true_type {};

template <class S>
inline constexpr bool has_fast_path_v = std::disjunction_v<has_try_sign_to<S>, has_sign_to<S>>;

/// A source of keys that rotate (jwt::key_ring): current_key() hands back one snapshot of the key
/// that signs, with signer() and key_id(); the builder names that key in the kid and signs with it.
template <class S, class = void>
struct has_current_key : std::false_type {};
template <class S>
struct has_current_key<S, std::void_t<decltype(std::declval<const S&>().current_key().signer()),
                                      decltype(std::string_view(std::declval<const S&>().current_key().key_id()))>>
    : std::true_type {};
}  // namespace detail

/// Whether S meets the signer requirements: `static constexpr std::string_view alg` (its JOSE
/// name) and a const `sign(std::string_view signing_input)` returning the raw signature, as a
/// `std::string` (failure thrown) or as a `jwt::result<std::string>` (failure returned).
template <class S>
inline constexpr bool is_signer_v = std::conjunction_v<detail::has_alg<S>, detail::has_sign<S>>;

#if defined(__cpp_concepts) && __cpp_concepts >= 201907L
/// The signer requirements as a C++20 concept.
template <class S>
concept signer = is_signer_v<S>;
#endif

namespace detail {
/// Calls a user's signer and hands back what it returns, its exceptions translated here, at our
/// boundary: a jwt::error as it is, any other std::exception (and anything else thrown) as
/// signing_failed naming the signer. std::bad_alloc passes through, as from any allocation.
/// Without exceptions a user's signer reports failure by returning jwt::result<std::string>.
template <class Signer, class R, class F>
result<R> call_user_signer(F&& f) {
#if JWTMINT_EXCEPTIONS
    try {
        return f();
    } catch (const jwt::error& e) {
        return e;
    } catch (const std::bad_alloc&) {
        throw;  // out of memory is not the signer's failure to report
    } catch (const std::exception& e) {
        return fail(errc::signing_failed, std::string(Signer::alg) + " signer failed: " + e.what());
    } catch (...) {
        return fail(errc::signing_failed, std::string(Signer::alg) + " signer threw a non-standard exception");
    }
#else
    return f();
#endif
}

/// The signature of input as a std::string, from whichever sign the signer has.
template <class Signer>
result<std::string> signature_of(const Signer& signer, std::string_view input) {
    if constexpr (has_try_sign<Signer>::value) {
        return signer.try_sign(input);
    } else {
        return call_user_signer<Signer, std::string>([&]() -> result<std::string> { return signer.sign(input); });
    }
}

/// The fast path: the signature written into out, from whichever sign_to the signer has.
template <class Signer>
result<std::size_t> signature_to(const Signer& signer, std::string_view input, unsigned char* out) {
    if constexpr (has_try_sign_to<Signer>::value) {
        return signer.try_sign_to(input, out);
    } else {
        return call_user_signer<Signer, std::size_t>([&]() -> result<std::size_t> {
            return signer.sign_to(input, out);
        });
    }
}

/// Appends '.' base64url(signature of token-so-far) to token.
template <class Signer>
[[nodiscard]] status append_signature(const Signer& signer, std::string& token) {
    static_assert(is_signer_v<Signer>);
    if constexpr (has_fast_path_v<Signer>) {
        std::array<unsigned char, 1024> buf{};  // RSA up to 8192 bits
        const std::size_t size = signer.signature_size();
        if (size <= buf.size()) {
            auto n = signature_to(signer, token, buf.data());
            if (!n) return std::move(n).error();
            if (*n == 0 || *n > size) {
                return fail(errc::signing_failed, std::string(Signer::alg) + " signer wrote " + std::to_string(*n) +
                                                      " signature octets (expected 1 to " + std::to_string(size) + ")");
            }
            const std::size_t old = token.size();
            token.resize(old + 1 + base64url_encoded_size(*n));
            token[old] = '.';
            base64url_encode_to(buf.data(), *n, token.data() + old + 1);
            return {};
        }
    }
    auto sig = signature_of(signer, std::string_view(token));
    if (!sig) return std::move(sig).error();
    if (sig->empty()) {
        return fail(errc::signing_failed, std::string(Signer::alg) + " signer returned an empty signature");
    }
    token += '.';
    base64url_append(token, *sig);
    return {};
}

[[nodiscard]] inline status check_signer_alg(std::string_view alg) {
    if (alg.empty() || is_unsecured_alg(alg)) {
        return fail(errc::signing_failed, "the signer's alg must name a real algorithm; 'none' is never used");
    }
    return {};
}

/// The first string (a value or an object member's name, in the order written) in value that is
/// not valid UTF-8, so that a claim is refused before nlohmann's dump() would throw (or abort) on
/// it. The walk keeps its own stack: a value nested a million deep cannot overflow the thread's.
template <class Json>
const std::string* find_invalid_utf8(const Json& root) {
    if (root.is_string()) {  // the usual custom claim: no walk, no stack to allocate
        const auto& text = root.template get_ref<const std::string&>();
        return is_valid_utf8(text) ? nullptr : &text;
    }
    if (!root.is_object() && !root.is_array()) return nullptr;
    struct step {
        const Json* value;
        const std::string* name;  // the member name that leads to value, if value is a member's
    };
    std::vector<step> pending{{&root, nullptr}};
    while (!pending.empty()) {
        const step s = pending.back();
        pending.pop_back();
        if (s.name != nullptr && !is_valid_utf8(*s.name)) return s.name;
        const Json& value = *s.value;
        if (value.is_string()) {
            const auto& text = value.template get_ref<const std::string&>();
            if (!is_valid_utf8(text)) return &text;
        } else if (value.is_object()) {
            // Pushed last to first, so that they are looked at first to last.
            for (auto it = value.rbegin(); it != value.rend(); ++it) pending.push_back({&it.value(), &it.key()});
        } else if (value.is_array()) {
            for (auto it = value.rbegin(); it != value.rend(); ++it) pending.push_back({&*it, nullptr});
        }
    }
    return nullptr;
}

}  // namespace detail

/// Signs header and payload octets exactly as given: base64url(header) '.' base64url(payload)
/// '.' base64url(signature). The lowest-level entry point, for known-answer vectors.
/// Error: signing_failed (the signer's failure, an empty signature, alg "none").
template <class Signer>
[[nodiscard]] result<std::string> try_sign_compact(const Signer& signer, std::string_view header_json,
                                                   std::string_view payload_json) {
    if (auto alg = detail::check_signer_alg(Signer::alg); !alg) return std::move(alg).error();
    std::string token;
    token.reserve(base64url_encoded_size(header_json.size()) + base64url_encoded_size(payload_json.size()) + 2 +
                  base64url_encoded_size(512));
    base64url_append(token, header_json);
    token += '.';
    base64url_append(token, payload_json);
    if (auto ok = detail::append_signature(signer, token); !ok) return std::move(ok).error();
    return token;
}
/// As try_sign_compact, throwing jwt::error.
template <class Signer>
[[nodiscard]] std::string sign_compact(const Signer& signer, std::string_view header_json,
                                       std::string_view payload_json) {
    return try_sign_compact(signer, header_json, payload_json).value();
}
/// As try_sign_compact, reporting only the code (the token is then empty).
template <class Signer>
[[nodiscard]] std::string sign_compact(const Signer& signer, std::string_view header_json,
                                       std::string_view payload_json, std::error_code& ec) {
    auto token = try_sign_compact(signer, header_json, payload_json);
    ec = token.error_code();
    return token ? std::move(*token) : std::string();
}

namespace detail {

/// Writes the members of one JSON object, placing the commas.
class object_writer {
public:
    explicit object_writer(std::string& out) : out_(out) { out_ += '{'; }
    std::string& key(std::string_view name) {
        if (!first_) out_ += ',';
        first_ = false;
        append_json_string(out_, name);
        out_ += ':';
        return out_;
    }
    void string(std::string_view name, std::string_view value) { append_json_string(key(name), value); }
    void number(std::string_view name, std::int64_t value) {
        // The decimal digits, last first, into the end of buf (what std::to_chars would write,
        // without <charconv> in every file that mints); the magnitude as unsigned, so INT64_MIN fits.
        std::array<char, 20> buf{};
        std::size_t at = buf.size();
        std::uint64_t magnitude = value < 0 ? 0 - static_cast<std::uint64_t>(value) : static_cast<std::uint64_t>(value);
        do {
            buf[--at] = static_cast<char>('0' + magnitude % 10);
            magnitude /= 10;
        } while (magnitude != 0);
        std::string& out = key(name);
        if (value < 0) out += '-';
        out.append(buf.data() + at, buf.size() - at);
    }
    void close() { out_ += '}'; }

private:
    std::string& out_;
    bool first_ = true;
};

/// What a jwt::builder<Signer, Clock> has been told, each value checked as it is given, and the
/// JSON it makes: everything of a builder but its signer, so that it is compiled once per clock
/// (once per program, in practice), not once per signer type; and, as a template, only by the
/// files that make a builder. The first invalid value is kept in first_error and reported by
/// write_payload.
template <class Clock>
struct token_draft {
    /// What a text value is: the email (checked to look like one), another identity claim (upn,
    /// preferred_username: not blank, as the verifier requires), or other text (sub, iss, jti,
    /// and the kid header).
    enum class text_kind { email, identity, other };

    const login_policy* policy = nullptr;
    std::optional<error> first_error;
    std::vector<std::string> roles;
    std::string role_claim{default_role_claim};
    jwt::role_format role_format = jwt::role_format::array;
    bool allow_missing_roles = false;
    std::string email, upn, preferred_username, sub, iss, jti, kid;
    std::vector<std::string> aud;
    bool aud_is_array = false;
    std::optional<std::int64_t> nbf;
    std::chrono::seconds lifetime = default_lifetime;
    std::chrono::seconds max_lifetime = default_max_lifetime;
    bool role_claim_set = false, role_format_set = false, max_lifetime_set = false;
    std::vector<std::pair<std::string, std::string>> custom;  // name, compact JSON text

    void remember(errc e, const std::string& message) {
        if (!first_error) first_error = error(e, message);
    }
    void remember(const status& st) {
        if (!st && !first_error) first_error = st.error();
    }

    /// Sets field (the claim or header member name) to value after checking it as kind.
    void set_text(std::string& field, const char* name, std::string_view value, text_kind kind) {
        if (kind == text_kind::email) {
            if (auto ok = try_check_email(value); !ok) return remember(ok);
        } else {
            if (value.empty()) {
                return remember(errc::invalid_claim, std::string(name) + " must not be empty (leave it out instead)");
            }
            if (auto ok = check_text(name, value); !ok) return remember(ok);
            if (kind == text_kind::identity && trim(value).empty()) {
                return remember(errc::invalid_claim,
                                std::string(name) + " must name the user, not be only spaces (leave it out instead)");
            }
        }
        field = std::string(value);
    }

    void set_role_claim(std::string_view name) {
        if (name.empty() || !is_valid_utf8(name) || has_control_char(name)) {
            remember(errc::invalid_claim, "the role claim name must be a non-empty printable string (e.g. \"roles\")");
        } else if (is_managed_claim(name)) {
            remember(errc::invalid_claim, "the role claim cannot be named '" + std::string(name) +
                                              "': that claim is managed by the builder");
        } else {
            role_claim = std::string(name);
            role_claim_set = true;
        }
    }

    void add_audience(std::string_view value) {
        if (value.empty()) return remember(errc::invalid_claim, "aud must not be empty");
        if (auto ok = check_text("aud", value); !ok) return remember(ok);
        aud.emplace_back(value);
    }

    /// Whether name may be a custom claim's; remembers why not.
    bool custom_claim_name_ok(std::string_view name) {
        if (name.empty() || !is_valid_utf8(name)) {
            remember(errc::invalid_claim, "a custom claim needs a non-empty UTF-8 name");
            return false;
        }
        if (name.find('\0') != std::string_view::npos) {
            // The verifier refuses it: a C string or a log would cut the name at the NUL.
            remember(errc::invalid_claim, "a custom claim name must not contain U+0000 (NUL)");
            return false;
        }
        if (is_managed_claim(name)) {
            remember(errc::invalid_claim, "claim '" + std::string(name) +
                                              "' is managed by the builder; use its own setter (e.g. .email(), "
                                              ".expires_in())");
            return false;
        }
        return true;
    }

    /// Sets the custom claim name to the compact JSON text, replacing an earlier value.
    void set_custom(std::string_view name, std::string text) {
        for (auto& c : custom) {
            if (c.first == name) {
                c.second = std::move(text);
                return;
            }
        }
        custom.emplace_back(std::string(name), std::move(text));
    }

    /// The header; ring_kid, when not empty, is the kid of the key ring's key that signs.
    void write_header(std::string& out, std::string_view alg, std::string_view ring_kid = {}) const {
        object_writer w(out);
        w.string("alg", alg);
        w.string("typ", "JWT");
        if (!ring_kid.empty()) {
            w.string("kid", ring_kid);
        } else if (!kid.empty()) {
            w.string("kid", kid);
        }
        w.close();
    }

    /// The login policy's checks: its own validity, the algorithm, the role claim's name and
    /// form against the builder's explicit ones, and the roles (missing, unknown, ',' in comma form).
    [[nodiscard]] status check_policy(std::string_view alg) const {
        if (auto ok = policy->check(); !ok) return ok;
        if (auto ok = policy->check_algorithm(alg); !ok) return ok;
        if (role_claim_set && role_claim != policy->role_claim()) {
            return fail(errc::invalid_policy,
                        "the builder's role claim '" + role_claim + "' differs from the login policy's '" +
                            policy->role_claim() +
                            "'; set the role claim in the policy only (the verifier reads it there)");
        }
        if (role_format_set && role_format != policy->role_format()) {
            return fail(errc::invalid_policy,
                        std::string("the builder's role format differs from the login policy's (") +
                            (policy->role_format() == jwt::role_format::array ? "array" : "comma_separated") +
                            "); set the role format in the policy only");
        }
        return policy->check_roles(roles);
    }

    /// Validates everything that depends on more than one setter, then writes the payload of a
    /// token signed with alg and issued at iat.
    [[nodiscard]] status write_payload(std::string& out, std::int64_t iat, std::string_view alg) const {
        if (first_error) return *first_error;
        if (auto ok = check_signer_alg(alg); !ok) return ok;
        const std::string& claim_name = policy != nullptr ? policy->role_claim() : role_claim;
        const jwt::role_format format = policy != nullptr ? policy->role_format() : role_format;
        if (policy != nullptr) {
            if (auto ok = check_policy(alg); !ok) return ok;
        } else if (roles.empty() && !allow_missing_roles) {
            return fail(errc::missing_roles,
                        "the token has no roles; the vendor refuses a token without the '" + role_claim +
                            "' claim (call .roles(...), or .allow_missing_roles() for other uses)");
        }
        if (auto ok = validate_roles(roles, format); !ok) return ok;
        if (auto ok = check_lifetime(); !ok) return ok;
        const std::int64_t exp = iat + lifetime.count();
        if (nbf && *nbf >= exp)
            return fail(errc::invalid_lifetime, "nbf is at or after exp: the token would never be valid");
        for (const auto& c : custom) {
            if (c.first == claim_name) {
                return fail(errc::invalid_claim, "claim '" + c.first + "' is the role claim; set it with .roles()");
            }
        }

        object_writer w(out);
        if (!iss.empty()) w.string("iss", iss);
        if (!sub.empty()) w.string("sub", sub);
        if (!aud.empty()) {
            if (aud.size() == 1 && !aud_is_array) {
                w.string("aud", aud.front());
            } else {
                w.key("aud") += '[';
                for (std::size_t i = 0; i < aud.size(); ++i) {
                    if (i > 0) out += ',';
                    append_json_string(out, aud[i]);
                }
                out += ']';
            }
        }
        if (!email.empty()) w.string("email", email);
        if (!upn.empty()) w.string("upn", upn);
        if (!preferred_username.empty()) w.string("preferred_username", preferred_username);
        if (!roles.empty()) {
            const bool array = format == jwt::role_format::array;
            w.key(claim_name) += array ? '[' : '"';
            for (std::size_t i = 0; i < roles.size(); ++i) {
                if (array) {
                    if (i > 0) out += ',';
                    append_json_string(out, roles[i]);
                } else {
                    if (i > 0) out += ", ";
                    append_json_escaped(out, roles[i]);
                }
            }
            out += array ? ']' : '"';
        }
        for (const auto& c : custom) w.key(c.first) += c.second;
        if (!jti.empty()) w.string("jti", jti);
        w.number("iat", iat);
        if (nbf) w.number("nbf", *nbf);
        w.number("exp", exp);
        w.close();
        return {};
    }

private:
    /// The lifetime against its ceiling: the builder's, or with a login policy the policy's (or
    /// the builder's where that is lower).
    [[nodiscard]] status check_lifetime() const {
        if (lifetime.count() < 1) return fail(errc::invalid_lifetime, "the lifetime must be at least 1 second");
        if (policy == nullptr && lifetime > max_lifetime) {
            return fail(errc::invalid_lifetime, "lifetime of " + std::to_string(lifetime.count()) +
                                                    " s exceeds the ceiling of " +
                                                    std::to_string(max_lifetime.count()) +
                                                    " s; the vendor recommends 10 minutes at most (raise it explicitly "
                                                    "with .max_lifetime())");
        }
        if (policy != nullptr) {
            const std::chrono::seconds ceiling = max_lifetime_set && max_lifetime < policy->max_lifetime()
                                                     ? max_lifetime
                                                     : policy->max_lifetime();
            if (lifetime > ceiling) {
                return fail(errc::invalid_lifetime,
                            "lifetime of " + std::to_string(lifetime.count()) + " s exceeds the ceiling of " +
                                std::to_string(ceiling.count()) + " s" +
                                (ceiling < policy->max_lifetime() ? " set with .max_lifetime()"
                                                                  : " of the login policy (max_lifetime)"));
            }
        }
        return {};
    }
};

}  // namespace detail

/// Composes a widget-login token: the role claim, identity, iat/exp from Clock, registered and
/// custom claims; sign() serialises, encodes and signs it with Signer.
///
/// Setters never fail: the first invalid value is remembered and reported by try_sign() (and by
/// sign(), which throws it, and sign(ec)), and no token is produced.
/// A builder refers to its signer, which must outlive it.
///
/// Given a jwt::login_policy (the widget's settings, shared with the verifier), the builder
/// mints only what that policy accepts: the signer's algorithm must be one of the policy's
/// (algorithm_not_allowed), roles are required (missing_roles) and each must be a team role
/// (unknown_role, naming the nearest one), the lifetime ceiling is the policy's, and the role
/// claim's name and form are the policy's. The builder refers to the policy, which must outlive it.
///
/// The signer may be one of jwtmint's (rs256, es256, hs256, ...) or the application's own type
/// (an HSM, a KMS): `static constexpr std::string_view alg = "RS256";` and a const
/// `sign(std::string_view signing_input)` returning the raw signature octets, either as a
/// `std::string` (reporting failure by throwing: the builder turns a std::exception into
/// errc::signing_failed with its what(), and passes a jwt::error on as it is) or as a
/// `jwt::result<std::string>` (reporting failure by returning a jwt::error; the form to use
/// without exceptions). An optional fast path, `std::size_t sign_to(std::string_view, unsigned
/// char* out) const` (0 on failure, or a `jwt::result<std::size_t>`) with `std::size_t
/// signature_size() const`, saves an allocation per token.
template <class Signer, class Clock = std::chrono::system_clock>
class builder {
    static_assert(detail::has_alg<Signer>::value,
                  "jwt::builder: the signer type needs `static constexpr std::string_view alg = \"...\";` "
                  "(its JOSE algorithm name, e.g. \"RS256\")");
    static_assert(detail::has_sign<Signer>::value,
                  "jwt::builder: the signer type needs a const member "
                  "`std::string sign(std::string_view signing_input) const` returning the raw signature octets "
                  "(or returning jwt::result<std::string>)");

public:
    using clock = Clock;                            ///< The clock iat (and exp) are read from.
    using time_point = typename Clock::time_point;  ///< A time on that clock.

    /// A builder that signs with signer. It keeps a reference: the signer must outlive it.
    explicit builder(const Signer& signer) : signer_(&signer) {}
    builder(const Signer&&) = delete;  ///< the builder keeps a reference: the signer must outlive it
    /// A builder bound to the widget's login policy; the signer type must be an algorithm the
    /// widget accepts (checked at compile time; the policy's own list is checked by sign()).
    /// (A template only so that an explicit instantiation of builder<Signer> for another
    /// algorithm does not trip the check.)
    template <class Policy, class = std::enable_if_t<std::is_same_v<Policy, login_policy>>>
    builder(const Signer& signer, const Policy& policy) : signer_(&signer) {
        draft_.policy = &policy;
        static_assert(is_widget_algorithm_v<Signer>,
                      "jwt::builder with a login_policy: the signer's algorithm is not one the widget accepts "
                      "(RS256, ES256 or HS256); use jwt::rs256, jwt::es256 or jwt::hs256");
    }
    builder(const Signer&&, const login_policy&) = delete;  ///< both must outlive the builder
    builder(const Signer&, const login_policy&&) = delete;
    builder(const Signer&&, const login_policy&&) = delete;

    /// Binds the builder to a login policy at run time (the builder keeps a reference: the
    /// policy must outlive it). sign() then refuses what the policy does not accept; see above.
    builder& policy(const login_policy& p) {
        draft_.policy = &p;
        return *this;
    }
    builder& policy(const login_policy&&) = delete;

    /// Replaces the roles with the given names (each trimmed; see check_roles for what is refused).
    builder& roles(std::initializer_list<std::string_view> names) {
        return set_roles(names.begin(), names.end(), names.size());
    }
    /// Replaces the roles with the names in any range of strings.
    template <class Range, class = std::enable_if_t<!std::is_convertible_v<const Range&, std::string_view>>,
              class = decltype(std::string_view(*std::begin(std::declval<const Range&>())))>
    builder& roles(const Range& names) {
        std::size_t count = 0;
        for (auto it = std::begin(names); it != std::end(names); ++it) ++count;
        return set_roles(std::begin(names), std::end(names), count);
    }
    /// Replaces the roles with one name, or several separated by commas as the vendor reads them
    /// ("Accounting Team, Support Team").
    builder& roles(std::string_view names) {
        draft_.roles = split_roles(names);
        return *this;
    }
    /// Adds one role name exactly as given (no splitting on commas).
    builder& add_role(std::string_view name) {
        draft_.roles.emplace_back(detail::trim(name));
        return *this;
    }
    /// The role claim's name: the vendor's "Attribute name" setting (default "roles"). With a
    /// login policy the policy's name is used; a different one here is refused (invalid_policy).
    builder& role_claim(std::string_view name) {
        draft_.set_role_claim(name);
        return *this;
    }
    /// Writes the role claim as a JSON array (default) or as one comma-separated string. With a
    /// login policy the policy's form is used; a different one here is refused (invalid_policy).
    builder& role_format(jwt::role_format format) {
        draft_.role_format = format;
        draft_.role_format_set = true;
        return *this;
    }
    /// Permits a token without a role claim (the vendor refuses those; only for other uses).
    /// A builder with a login policy always requires roles, as the policy's verifier does.
    builder& allow_missing_roles(bool allow = true) {
        draft_.allow_missing_roles = allow;
        return *this;
    }

    /// The session email (checked to look like one).
    builder& email(std::string_view value) { return set_text(draft_.email, "email", value, text_kind::email); }
    /// The user principal name, used by the vendor when no email is present.
    builder& upn(std::string_view value) { return set_text(draft_.upn, "upn", value, text_kind::identity); }
    /// The preferred username, used by the vendor when neither email nor upn is present.
    builder& preferred_username(std::string_view value) {
        return set_text(draft_.preferred_username, "preferred_username", value, text_kind::identity);
    }
    /// The `sub` claim: a stable user id in the host's system.
    builder& subject(std::string_view value) { return set_text(draft_.sub, "sub", value, text_kind::other); }
    /// The `iss` claim.
    builder& issuer(std::string_view value) { return set_text(draft_.iss, "iss", value, text_kind::other); }
    /// The `aud` claim as a single string.
    builder& audience(std::string_view value) {
        draft_.aud.clear();
        draft_.aud_is_array = false;
        draft_.add_audience(value);
        return *this;
    }
    /// The `aud` claim as an array.
    builder& audience(std::initializer_list<std::string_view> values) {
        draft_.aud.clear();
        for (const auto v : values) draft_.add_audience(v);
        draft_.aud_is_array = true;
        return *this;
    }
    /// The `aud` claim as an array, from any range of strings (a list read from configuration);
    /// an empty range leaves `aud` out.
    template <class Range, class = std::enable_if_t<!std::is_convertible_v<const Range&, std::string_view>>,
              class = decltype(std::string_view(*std::begin(std::declval<const Range&>())))>
    builder& audience(const Range& values) {
        draft_.aud.clear();
        for (const auto& v : values) draft_.add_audience(std::string_view(v));
        draft_.aud_is_array = true;
        return *this;
    }
    /// The `jti` claim (a unique token id; jwt::random_jwt_id() makes one).
    builder& jwt_id(std::string_view value) { return set_text(draft_.jti, "jti", value, text_kind::other); }
    /// The `kid` header parameter, naming the key for verifiers that hold several.
    builder& key_id(std::string_view value) { return set_text(draft_.kid, "kid", value, text_kind::other); }

    /// Lifetime of the token: exp = iat + lifetime. Must be at least one second and at most the
    /// ceiling (10 minutes unless raised with max_lifetime). Fractions of a second are dropped.
    template <class Rep, class Period>
    builder& expires_in(std::chrono::duration<Rep, Period> lifetime) {
        if (!(lifetime >= std::chrono::duration<Rep, Period>::zero()) ||  // also refuses NaN
            std::chrono::duration_cast<std::chrono::duration<double>>(lifetime).count() > 1e12) {
            draft_.remember(errc::invalid_lifetime, "the lifetime must be positive and reasonable");
            return *this;
        }
        draft_.lifetime = std::chrono::duration_cast<std::chrono::seconds>(lifetime);
        return *this;
    }
    /// Raises (or lowers) the lifetime ceiling. The vendor recommends at most 10 minutes; raise
    /// it only for tokens fetched long before the widget uses them. With a login policy the
    /// ceiling is the policy's max_lifetime, or this one where it is lower.
    template <class Rep, class Period>
    builder& max_lifetime(std::chrono::duration<Rep, Period> ceiling) {
        if (!(ceiling > std::chrono::duration<Rep, Period>::zero()) ||  // also refuses NaN
            std::chrono::duration_cast<std::chrono::duration<double>>(ceiling).count() > 1e12) {
            draft_.remember(errc::invalid_lifetime, "the lifetime ceiling must be positive and reasonable");
            return *this;
        }
        draft_.max_lifetime = std::chrono::duration_cast<std::chrono::seconds>(ceiling);
        draft_.max_lifetime_set = true;
        return *this;
    }
    /// The `nbf` claim: the token is not valid before t (must be before exp).
    builder& not_before(time_point t) {
        draft_.nbf = to_unix(t);
        return *this;
    }

    /// A custom claim; value is any JSON. Names the builder manages (iat, exp, email, ... and the
    /// role claim) are refused: use their setters, and so is a name holding U+0000, which the
    /// verifier refuses. The value may hold U+0000 in its strings: it is the application's to read.
    /// Needs <jwtmint/json.hpp> (value is a nlohmann::json).
    template <class Tag = detail::json_tag>
    builder& claim(std::string_view name, const detail::json_t<Tag>& value) {
        using Json = detail::json_t<Tag>;
        if (!draft_.custom_claim_name_ok(name)) return *this;
        if (detail::find_invalid_utf8(value) != nullptr) {
            // dump() would throw on it (or abort without exceptions): refuse it here instead.
            draft_.remember(errc::invalid_claim, "claim '" + std::string(name) +
                                                     "' cannot be serialised: its value holds text that is not valid "
                                                     "UTF-8 (a string or a member name)");
            return *this;
        }
        draft_.set_custom(name, value.dump(-1, ' ', false, Json::error_handler_t::strict));  // compact; all UTF-8
        return *this;
    }

    /// The payload JSON this builder would sign with iat = now; fails as try_sign_at(now) would.
    [[nodiscard]] result<std::string> try_payload_json(time_point now) const {
        std::string out;
        if (auto ok = draft_.write_payload(out, to_unix(now), Signer::alg); !ok) return std::move(ok).error();
        return out;
    }
    /// As try_payload_json, throwing jwt::error.
    [[nodiscard]] std::string payload_json(time_point now) const { return try_payload_json(now).value(); }
    /// As try_payload_json, reporting only the code (the JSON is then empty).
    [[nodiscard]] std::string payload_json(time_point now, std::error_code& ec) const {
        return or_empty(try_payload_json(now), ec);
    }
    /// The header JSON (with a key ring, naming the key that signs now).
    [[nodiscard]] std::string header_json() const {
        std::string out;
        if constexpr (detail::has_current_key<Signer>::value) {
            draft_.write_header(out, Signer::alg, signer_->current_key().key_id());
        } else {
            draft_.write_header(out, Signer::alg);
        }
        return out;
    }

    /// Signs a token with iat = Clock::now(). Errors: the first invalid setter value,
    /// missing_roles, invalid_lifetime, invalid_claim, signing_failed.
    [[nodiscard]] result<std::string> try_sign() const { return try_sign_at(Clock::now()); }
    /// As try_sign, throwing jwt::error.
    [[nodiscard]] std::string sign() const { return try_sign().value(); }
    /// As try_sign, reporting only the code (the token is then empty).
    [[nodiscard]] std::string sign(std::error_code& ec) const { return or_empty(try_sign(), ec); }

    /// Signs with an explicit issue time (for tests and replays); fails as try_sign().
    [[nodiscard]] result<std::string> try_sign_at(time_point now) const {
        if constexpr (detail::has_current_key<Signer>::value) {
            // One snapshot of the ring's current key names the key in the header and signs.
            const auto key = signer_->current_key();
            if (!draft_.kid.empty() && draft_.kid != key.key_id()) {
                return detail::fail(errc::invalid_claim,
                                    "key_id('" + draft_.kid +
                                        "') differs from the kid of the key ring's current key ('" +
                                        std::string(key.key_id()) + "'); a key ring names the key that signs itself");
            }
            return sign_with(key.signer(), key.key_id(), now);
        } else {
            return sign_with(*signer_, std::string_view{}, now);
        }
    }
    /// As try_sign_at, throwing jwt::error.
    [[nodiscard]] std::string sign_at(time_point now) const { return try_sign_at(now).value(); }
    /// As try_sign_at, reporting only the code (the token is then empty).
    [[nodiscard]] std::string sign_at(time_point now, std::error_code& ec) const {
        return or_empty(try_sign_at(now), ec);
    }

private:
    template <class KeySigner>
    [[nodiscard]] result<std::string> sign_with(const KeySigner& key_signer, std::string_view ring_kid,
                                                time_point now) const {
        // Header and payload JSON go into one per-thread buffer, so that after the first token on
        // a thread the only allocations here are the roles' copies made by the setters and the token.
        std::string& json = scratch();
        json.clear();
        draft_.write_header(json, Signer::alg, ring_kid);
        const std::size_t header_size = json.size();
        if (auto ok = draft_.write_payload(json, to_unix(now), Signer::alg); !ok) return std::move(ok).error();
        const std::string_view header(json.data(), header_size);
        const std::string_view payload(json.data() + header_size, json.size() - header_size);

        std::size_t sig_guess = 512;
        if constexpr (detail::has_fast_path_v<KeySigner>) sig_guess = key_signer.signature_size();
        std::string token;
        token.reserve(base64url_encoded_size(header.size()) + base64url_encoded_size(payload.size()) + 2 +
                      base64url_encoded_size(sig_guess));
        base64url_append(token, header);
        token += '.';
        base64url_append(token, payload);
        if (auto ok = detail::append_signature(key_signer, token); !ok) return std::move(ok).error();
        return token;
    }

    static std::int64_t to_unix(time_point t) {
        return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
    }

    static std::string or_empty(result<std::string>&& r, std::error_code& ec) {
        ec = r.error_code();
        return r ? std::move(*r) : std::string();
    }

    static std::string& scratch() {
        thread_local std::string buffer;  // reused per thread: payload serialisation allocates once
        return buffer;
    }

    using text_kind = typename detail::token_draft<Clock>::text_kind;
    builder& set_text(std::string& field, const char* name, std::string_view value, text_kind kind) {
        draft_.set_text(field, name, value, kind);
        return *this;
    }

    template <class It>
    builder& set_roles(It first, It last, std::size_t count) {
        std::vector<std::string>& roles = draft_.roles;
        roles.clear();
        roles.reserve(count);  // one allocation, not one per growth
        for (; first != last; ++first) roles.emplace_back(detail::trim(std::string_view(*first)));
        return *this;
    }

    const Signer* signer_;
    detail::token_draft<Clock> draft_;
};

/** @{ */
/// `jwt::builder{signer}` and `jwt::builder{signer, policy}` are a builder<Signer> on the system clock.
template <class Signer>
builder(const Signer&) -> builder<Signer>;
template <class Signer>
builder(const Signer&, const login_policy&) -> builder<Signer>;
/** @} */

}  // namespace v1
}  // namespace jwt
