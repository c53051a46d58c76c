// SPDX-License-Identifier: MIT
// What every benchmarked implementation offers, behind one interface that names no JWT library
// (cpp-jwt and jwtmint both declare namespace jwt, so each lives in its own translation unit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace bench {

enum class alg { rs256, es256, hs256 };
enum class impl { floor, jwtmint, cppjwt, libjwt };

inline constexpr alg all_algs[] = {alg::rs256, alg::es256, alg::hs256};
inline constexpr impl all_impls[] = {impl::floor, impl::jwtmint, impl::cppjwt, impl::libjwt};

/// The typical widget-login token: two roles, an email, iat/exp, typ and alg.
namespace claims {
inline constexpr std::string_view email = "ada@example.com";
inline constexpr std::string_view role_a = "Accounting Team";
inline constexpr std::string_view role_b = "Support Team";
inline constexpr std::int64_t lifetime_s = 600;
}  // namespace claims

/// One JWT implementation set up for one algorithm: keys (or, for the peers, PEM text they parse
/// per call as their documentation shows) prepared at construction. Every member is const and
/// may run on several threads at once.
class implementation {
public:
    virtual ~implementation() = default;
    /// A token with iat = now, exp = now + 600 s, the way the library's users mint one.
    [[nodiscard]] virtual std::string mint() const = 0;
    /// The same token for a fixed iat (the start-up cross-checks compare bytes).
    [[nodiscard]] virtual std::string mint_at(std::int64_t iat) const = 0;
    /// Signature and expiry of a token minted by any implementation, as users would check it.
    [[nodiscard]] virtual bool verify(const std::string& token) const = 0;
};

std::unique_ptr<implementation> make_floor(alg a);
std::unique_ptr<implementation> make_jwtmint(alg a);
/// jwtmint on tokens that name their key (a kid header), for RS256 or ES256: verified by a
/// jwt::jwks_verifier over a set of three keys (the RS256 key, the ES256 key and another P-256
/// key) when through_set, else by the plain jwt::verifier of the token's key.
std::unique_ptr<implementation> make_jwtmint_kid(alg a, bool through_set);
/// jwtmint on tokens with a kid, for RS256 or ES256: verified by the plain jwt::verifier pinned to
/// their key when set_size is 0, else by a jwt::remote_jwks_verifier whose cached set holds
/// set_size keys (the token's among them; the fetch function returns a fixed document).
std::unique_ptr<implementation> make_jwtmint_remote(alg a, std::size_t set_size);
/// jwtmint minting tokens that name their key, the same key either way: a builder over the signer
/// given key_id() (through_ring false), or a builder over a jwt::key_ring holding that key as its
/// current one and a next key (through_ring true; the ring writes the kid). verify() checks with
/// the verifier pinned to the key.
std::unique_ptr<implementation> make_jwtmint_ring(alg a, bool through_ring);
/// jwtmint with the RS256 or ES256 private key a URI names (jwt::rs256::from_uri, e.g. a TPM key's
/// "handle:0x81000010" through tpm2-openssl), verified with the public key the same URI yields.
std::unique_ptr<implementation> make_jwtmint_uri(alg a, const std::string& uri);
std::unique_ptr<implementation> make_cppjwt(alg a);

/// The bad tokens jwtmint's verifier must refuse at no more cost than it accepts a good one
/// (a flood of forged tokens must not be a cheap way to burn a server's CPU):
/// - forged_signature: the valid token with one character of its signature altered (the whole
///   signature check runs, then refuses: errc::invalid_signature);
/// - foreign_key: a token of the same algorithm signed with another key (errc::invalid_signature);
/// - malformed: the valid token without its signature segment, two segments (errc::malformed_token);
/// - expired: validly signed, exp 50 minutes ago (iat = now - 1 h; errc::token_expired);
/// - unknown_role: validly signed, verified by a verifier whose login policy lists team roles the
///   token's roles are not among (errc::unknown_role).
enum class refusal { forged_signature, foreign_key, malformed, expired, unknown_role };
inline constexpr refusal all_refusals[] = {refusal::forged_signature, refusal::foreign_key, refusal::malformed,
                                           refusal::expired, refusal::unknown_role};

/// jwtmint's verifier (built once, as for the accepted verify) refusing one kind of bad token.
class refused_case {
public:
    virtual ~refused_case() = default;
    /// A fresh bad token of this kind (minted now: a long run must not outlive ten minutes).
    [[nodiscard]] virtual std::string token() const = 0;
    /// try_verify (the form that also builds the jwt::error and its message): whether token is
    /// refused with the expected code.
    [[nodiscard]] virtual bool refused(const std::string& token) const = 0;
    /// An empty string when token is refused with the expected code, else what happened instead.
    [[nodiscard]] virtual std::string explain(const std::string& token) const = 0;
};

std::unique_ptr<refused_case> make_jwtmint_refused(alg a, refusal r);
std::unique_ptr<implementation> make_libjwt(alg a);

/// jwtmint's verifier as the independent judge of every implementation's tokens: an empty string
/// when token verifies (signature, exp, the two roles, the email), else the reason.
std::string jwtmint_judge(alg a, const std::string& token);

std::unique_ptr<implementation> make(impl i, alg a);
std::string_view name(impl i);
std::string_view name(alg a);
std::string_view name(refusal r);
bool parse(std::string_view text, impl& out);
bool parse(std::string_view text, alg& out);
bool parse(std::string_view text, refusal& out);

/// Builds every implementation once and proves they produce equivalent tokens: each one's token
/// verifies with jwtmint's verifier and with the floor's, the floor accepts each, and jwtmint and
/// the floor agree byte for byte on the deterministic algorithms (HS256, RS256). Returns "" or
/// the first discrepancy.
std::string cross_check();

}  // namespace bench
