// SPDX-License-Identifier: MIT
// jwtmint doctor --key PRIVATE ...: the set-up mistakes behind most failed widget logins,
// one check per line with its verdict.
#include <jwtmint/builder.hpp>
#include <jwtmint/claims.hpp>
#include <jwtmint/json.hpp>
#include <jwtmint/verifier.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "common/key_rotation.hpp"
#include "durations.hpp"
#include "jwk.hpp"
#include "key_io.hpp"
#include "policy.hpp"
#include "token_view.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <type_traits>

namespace cli {

namespace {

enum class verdict { ok, warn, fail, skip };

/// Keeps the tally and each check: printed as it is made (text), or kept for one JSON object.
class checklist {
public:
    explicit checklist(bool json) : json_(json), checks_(nlohmann::json::array()) {}

    /// One check: what was found (message) and, where it can be told apart, what to do (fix).
    void add(verdict v, const char* name, const std::string& message, const std::string& fix = {}) {
        const char* tag = "[ ok ]";
        const char* outcome = "ok";
        switch (v) {
            case verdict::ok: ++ok_; break;
            case verdict::warn:
                tag = "[warn]";
                outcome = "warn";
                ++warn_;
                break;
            case verdict::fail:
                tag = "[FAIL]";
                outcome = "fail";
                ++fail_;
                break;
            case verdict::skip:
                tag = "[skip]";
                outcome = "skip";
                ++skip_;
                break;
        }
        if (json_) {
            checks_.push_back({{"name", name},
                               {"outcome", outcome},
                               {"message", message},
                               {"fix", fix.empty() ? nlohmann::json(nullptr) : nlohmann::json(fix)}});
            return;
        }
        const std::string line = fix.empty() ? message : message + "; " + fix;
        std::printf("%s %-17s %s\n", tag, name, one_line(line).c_str());
    }
    /// Prints the summary line (text) and returns the exit status.
    [[nodiscard]] int exit_status(bool allow_warnings) const {
        if (!json_) {
            std::printf("doctor: %d ok, %d warning%s, %d failed, %d skipped\n", ok_, warn_, warn_ == 1 ? "" : "s",
                        fail_, skip_);
        }
        return fail_ > 0 || (!allow_warnings && warn_ > 0) ? exit_refused : exit_ok;
    }
    [[nodiscard]] bool json() const noexcept { return json_; }
    [[nodiscard]] nlohmann::json summary() const {
        return {{"ok", ok_}, {"warn", warn_}, {"fail", fail_}, {"skip", skip_}};
    }
    [[nodiscard]] const nlohmann::json& checks() const noexcept { return checks_; }

private:
    bool json_;
    nlohmann::json checks_;
    int ok_ = 0, warn_ = 0, fail_ = 0, skip_ = 0;
};

std::string quote_list(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
    return out;
}

struct context {
    const doctor_options& o;
    checklist& list;
    std::int64_t now;
    const login_rules& rules;
    std::int64_t max_ttl;
    /// Set when the widget does not accept the key's algorithm (the "widget algorithm" line).
    bool algorithm_refused = false;
    /// The public key the vendor's settings must hold (the signing key's) and its kid; "" for a secret.
    std::string vendor_pem{}, vendor_kid{};
    /// The next key of a rotation, when there is one that loads: its file, public key and kid.
    std::string next_path{}, next_pem{}, next_kid{};

    /// Where the public keys are shown: after the checks, or in the JSON object's members.
    [[nodiscard]] std::string below(bool next = false) const {
        if (!list.json()) return "printed below";
        return next ? "in next_public_key" : "in vendor_public_key";
    }
};

/// The RFC 7638 thumbprint of key's public half; "" for a secret or a key without one.
std::string thumbprint_of(const key_material& key) {
    if (key.secret) return {};
    try {
        return jwk_thumbprint(key.public_half());
    } catch (const jwt::error&) {
        return {};
    }
}

/// The key the vendor's settings must hold: the signing key's public half (or, HS*, its secret).
template <class Alg>
void check_vendor_key(context& c, const key_material& key) {
    if constexpr (jwt::is_hmac_algorithm_v<Alg>) {
        c.list.add(verdict::ok, "vendor key",
                   std::string(Alg::alg) + " is symmetric: the vendor's settings must hold the very secret in '" +
                       c.o.key + "' (not printed here)");
    } else {
        c.vendor_pem = key.public_half().to_pem();
        c.vendor_kid = thumbprint_of(key);
        c.list.add(verdict::ok, "vendor key",
                   "the vendor's settings must hold the public key of '" + c.o.key + "', the key that signs (" +
                       std::string(Alg::alg) + ", kid " + c.vendor_kid + "; its PEM is " + c.below() + ")");
    }
}

/// The next key of a rotation (--next-key, or the file keygen --next writes beside --key).
template <class Alg>
void check_next_key(context& c, const secret_buffer& passphrase) {
    std::string path = c.o.next_key;
    if constexpr (jwt::is_hmac_algorithm_v<Alg>) {
        if (!path.empty()) {
            c.list.add(verdict::skip, "next key",
                       std::string(Alg::alg) +
                           " secrets are not published, so they have no next key; switch the vendor's "
                           "setting and the backend to a new secret at once");
        }
        return;
    } else {
        const bool given = !path.empty();
        if (!given && is_key_uri(c.o.key)) {
            c.list.add(verdict::skip, "next key",
                       "'" + c.o.key + "' is a key URI, so no next key file lies beside it; name one with --next-key");
            return;
        }
        if (!given) {
            path = jwtmint_examples::next_key_path(c.o.key).string();
            std::error_code ec;
            if (!std::filesystem::exists(path, ec)) {
                c.list.add(verdict::skip, "next key", "none beside the key ('" + path + "' does not exist)",
                           "to rotate, make one with: jwtmint keygen " + lower(Alg::alg) + " --next --out " + c.o.key);
                return;
            }
        }
        std::optional<key_material> next;
        try {
            next.emplace(load_key(path, passphrase.view()));
            (void)make_signer<Alg>(*next);
        } catch (const jwt::error& e) {
            if (e.value() == jwt::errc::key_file_error && given) throw;
            c.list.add(verdict::fail, "next key",
                       "'" + path + "' cannot become the key that signs " + std::string(Alg::alg) + ": " + e.what());
            return;
        }
        const std::string kid = thumbprint_of(*next);
        if (kid == c.vendor_kid) {
            c.list.add(verdict::warn, "next key",
                       "'" + path + "' holds the same key as '" + c.o.key + "' (kid " + kid +
                           "): it was copied, not moved, when it was promoted",
                       "remove it (rm " + path + ")");
            return;
        }
        c.next_path = path;
        c.next_kid = kid;
        c.next_pem = next->public_half().to_pem();
        c.list.add(verdict::ok, "next key",
                   "'" + path + "' (kid " + kid +
                       ") is the next key, which does not sign yet: publish it beside the current one; the vendor "
                       "holds one key, so when you promote it (mv " +
                       path + " " + c.o.key + ", then SIGHUP the backend) paste its public key, " + c.below() +
                       ", into the vendor's "
                       "settings at the same time");
    }
}

void check_file_mode(context& c, const key_material& key) {
    if (key.is_uri) {
        c.list.add(verdict::skip, "key file mode",
                   "'" + c.o.key + "' is a key URI" +
                       (key.private_key && key.private_key->provider() != "default"
                            ? ", held by the OpenSSL provider '" + key.private_key->provider() +
                                  "', which keeps the private key: no file to check"
                            : ": check the mode of the file it names"));
        return;
    }
    unsigned mode = 0;
    try {
        mode = file_mode(c.o.key);
    } catch (const jwt::error& e) {
        c.list.add(verdict::fail, "key file mode", e.what());
        return;
    }
    char text[8];
    static_cast<void>(std::snprintf(text, sizeof text, "%04o", mode));  // at most 07777: fits
    if ((mode & 0007U) != 0) {
        c.list.add(verdict::fail, "key file mode",
                   std::string("mode ") + text + ": every user on this machine can read the key",
                   "run: chmod 600 " + c.o.key);
    } else if ((mode & 0070U) != 0) {
        c.list.add(verdict::warn, "key file mode", std::string("mode ") + text + ": the file's group can read the key",
                   "unless that is the service's own group, run: chmod 600 " + c.o.key);
    } else {
        c.list.add(verdict::ok, "key file mode", std::string("mode ") + text + ": only the owner can read it");
    }
}

template <class Alg>
void check_public_match(context& c, const Alg& signer, const secret_buffer& passphrase) {
    if (c.o.public_key.empty()) {
        c.list.add(verdict::skip, "public key match", "no --public given",
                   "pass the key pasted into the vendor's settings to compare it with this one");
        return;
    }
    std::optional<jwt::verifier<Alg>> v;
    try {
        const key_material pasted = load_key(c.o.public_key, passphrase.view());
        if (pasted.private_key) {
            c.list.add(verdict::fail, "public key match",
                       "'" + c.o.public_key + "' holds " + with_article(pasted.description) +
                           ", not a public key: the vendor's settings take the public key, and a private key never "
                           "leaves the server",
                       "paste the output of: jwtmint pubkey --key " + c.o.public_key);
            return;
        }
        v.emplace(make_verifier<Alg>(pasted));
    } catch (const jwt::error& e) {
        if (e.value() == jwt::errc::key_file_error) throw;
        c.list.add(verdict::fail, "public key match", "'" + c.o.public_key + "': " + e.what());
        return;
    }
    if (auto paired = jwt::try_check_key_pair(signer, *v); !paired) {
        std::string pasted_kid;
        if constexpr (!jwt::is_hmac_algorithm_v<Alg>) {
            pasted_kid = thumbprint_of(load_key(c.o.public_key, passphrase.view()));
        }
        if (pasted_kid.empty() || c.vendor_kid.empty()) {
            c.list.add(verdict::fail, "public key match", "'" + c.o.public_key + "': " + paired.error().what());
        } else if (pasted_kid == c.next_kid) {
            c.list.add(verdict::fail, "public key match",
                       "key_mismatch: '" + c.o.public_key + "' is the public key of the next key '" + c.next_path +
                           "' (kid " + pasted_kid + "), which does not sign yet; the key that signs is '" + c.o.key +
                           "' (kid " + c.vendor_kid +
                           "): the vendor refuses every token until the next key is promoted (mv " + c.next_path + " " +
                           c.o.key + ", then SIGHUP the backend)",
                       "promote it so, or paste the PEM of kid " + c.vendor_kid + " " + c.below() +
                           " back into the vendor's settings");
        } else {
            c.list.add(verdict::fail, "public key match",
                       "key_mismatch: '" + c.o.public_key + "' (kid " + pasted_kid + ") is not the public key of '" +
                           c.o.key + "' (kid " + c.vendor_kid + "), which signs: the vendor refuses every token",
                       "paste the PEM of kid " + c.vendor_kid + " " + c.below() + " into the vendor's settings");
        }
        return;
    }
    constexpr bool symmetric = jwt::is_hmac_algorithm_v<Alg>;
    c.list.add(verdict::ok, "public key match",
               "'" + c.o.public_key +
                   (symmetric ? "' holds the same secret" : "' belongs to the private key (kid " + c.vendor_kid + ")") +
                   ": the vendor can verify the backend's tokens with it");
}

template <class Alg>
void check_fresh_token(context& c, const Alg& signer) {
    if (c.algorithm_refused) {
        c.list.add(verdict::skip, "fresh token",
                   std::string("the widget does not accept ") + std::string(Alg::alg) + " (see 'widget algorithm')");
        return;
    }
    const auto failed = [&](const jwt::error& e) {
        c.list.add(verdict::fail, "fresh token", std::string(jwt::errc_name(e.value())) + ": " + e.what());
    };
    const jwt::login_policy& policy = c.rules.policy;
    const std::string role = policy.team_roles().empty() ? std::string("jwtmint doctor") : policy.team_roles().front();
    const auto now = std::chrono::system_clock::time_point{std::chrono::seconds{c.now}};
    auto v = jwt::verifier<Alg>::try_from_signer(signer);
    if (!v) return failed(v.error());
    jwt::builder b{signer};
    if (c.rules.general) {
        b.role_claim(policy.role_claim()).role_format(policy.role_format());
        v->max_lifetime(c.rules.max_lifetime);
    } else {
        b.policy(policy);
        v->policy(policy);
    }
    b.expires_in(std::min<std::chrono::seconds>(jwt::default_lifetime, c.rules.max_lifetime));
    const auto token = b.roles({role}).email("doctor@example.com").try_sign_at(now);
    if (!token) return failed(token.error());
    if (auto verified = v->try_verify_at(*token, now); !verified) return failed(verified.error());
    c.list.add(verdict::ok, "fresh token",
               "minted " + algorithm_with_article(alg_tag<Alg>{}) + " token and verified it with " +
                   (jwt::is_hmac_algorithm_v<Alg> ? "the secret" : "the key's own public half"));
}

void check_roles(context& c, const unverified_token& t) {
    const std::string& claim = c.rules.policy.role_claim();
    const auto it = t.claims.find(claim);
    if (it == t.claims.end()) {
        if (c.rules.general) {
            c.list.add(verdict::skip, "token roles", "no '" + claim + "' claim (--general: none is required)");
            return;
        }
        c.list.add(verdict::fail, "token roles", "no '" + claim + "' claim: the vendor refuses the token",
                   "mint it with the user's roles; the vendor's 'Attribute name' setting names the role claim (pass "
                   "--role-claim if it is not '" +
                       claim + "')");
        return;
    }
    auto parsed = jwt::try_parse_roles(*it);
    if (!parsed) {
        c.list.add(verdict::fail, "token roles", "the '" + claim + "' claim: " + parsed.error().what());
        return;
    }
    const std::vector<std::string>& roles = *parsed;
    if (c.rules.policy.team_roles().empty()) {
        c.list.add(verdict::skip, "token roles", quote_list(roles),
                   "pass --known-roles \"A,B\" (or a --policy with team_roles) to check them against the vendor's "
                   "team roles");
        return;
    }
    // The policy judges each role as the widget would; the token may hold either form, so a
    // comma inside an array element is no fault here (as in the verifier).
    jwt::login_policy judge = c.rules.policy;
    judge.role_format(jwt::role_format::array);
    bool failed = false;
    std::string matches;
    for (const auto& r : roles) {
        if (auto known = judge.check_role(r); !known) {
            failed = true;
            c.list.add(verdict::fail, "token roles",
                       std::string(jwt::errc_name(known.error().value())) + ": " + known.error().what());
        } else {
            const auto& team = judge.team_roles();
            const auto match = std::find_if(team.begin(), team.end(),
                                            [&](const std::string& name) { return jwt::role_equal(name, r); });
            matches += (matches.empty() ? "" : ", ") + ("'" + r + "' is team role '" + *match + "'");
        }
    }
    if (!failed) c.list.add(verdict::ok, "token roles", matches);
}

/// Whether the widget accepts the key's algorithm (under --general: not checked).
void check_widget_algorithm(context& c, const algorithm& a) {
    const jwt::login_policy& policy = c.rules.policy;
    std::string accepted;
    for (const auto& name : policy.algorithms()) accepted += (accepted.empty() ? "" : ", ") + name;
    if (c.rules.general) {
        c.list.add(verdict::skip, "widget algorithm",
                   std::string(algorithm_name(a)) + ": --general, for tokens that are not for the widget (it accepts " +
                       accepted + ")");
        return;
    }
    if (auto why = algorithm_refusal(policy, a)) {
        c.algorithm_refused = true;
        c.list.add(verdict::fail, "widget algorithm", *why);
        return;
    }
    c.list.add(verdict::ok, "widget algorithm",
               std::string(algorithm_name(a)) + " is one the widget accepts (" + accepted + ")");
}

void check_token_times(context& c, const unverified_token& t) {
    std::optional<std::int64_t> iat, nbf, exp;
    try {
        iat = numeric_date(t.claims, "iat");
        nbf = numeric_date(t.claims, "nbf");
        exp = numeric_date(t.claims, "exp");
    } catch (const jwt::error& e) {
        c.list.add(verdict::fail, "token expiry", e.what());
        return;
    }
    if (!exp) {
        c.list.add(verdict::fail, "token expiry", "no exp: the token never expires",
                   "mint it with a lifetime of minutes");
    } else if (*exp <= c.now) {
        c.list.add(verdict::fail, "token expiry", describe_expiry(*exp, c.now),
                   "mint tokens when the widget asks for them (the Live Chat resolver)");
    } else if (nbf && *nbf > c.now) {
        c.list.add(verdict::fail, "token expiry", describe_not_before(*nbf, c.now));
    } else {
        c.list.add(verdict::ok, "token expiry", describe_expiry(*exp, c.now));
    }

    if (!iat) {
        c.list.add(verdict::warn, "token lifetime",
                   "no iat, so the lifetime cannot be told (the vendor recommends iat)");
    } else if (exp) {
        const std::int64_t life = *exp - *iat;
        if (life <= 0) {
            c.list.add(verdict::fail, "token lifetime", "exp is not after iat: the token was never valid");
        } else if (life > c.max_ttl) {
            c.list.add(verdict::warn, "token lifetime",
                       format_span(life) + " is above " + format_span(c.max_ttl) +
                           " (the vendor recommends 10 minutes at most)",
                       "mint on demand instead of on page load");
        } else {
            c.list.add(verdict::ok, "token lifetime", format_span(life) + " (at most " + format_span(c.max_ttl) + ")");
        }
    }
}

/// The token's iat against this machine's clock.
void check_clock_skew(context& c, const std::optional<unverified_token>& t) {
    if (!t) return;
    std::optional<std::int64_t> iat;
    try {
        iat = numeric_date(t->claims, "iat");
    } catch (const jwt::error&) {
        // reported under "token expiry"
    }
    if (!iat) {
        c.list.add(verdict::skip, "clock skew", "the token has no iat to compare with this clock");
    } else if (*iat > c.now + 60) {
        c.list.add(verdict::fail, "clock skew",
                   "the token was " + describe_issued(*iat, c.now) +
                       ": the minting server's clock is ahead of this one (or this one is behind)",
                   "sync both with NTP");
    } else {
        c.list.add(verdict::ok, "clock skew", "the token was " + describe_issued(*iat, c.now));
    }
}

void check_identity(context& c, const unverified_token& t) {
    const auto identity = jwt::session_identity(t.claims);
    if (identity) {
        c.list.add(verdict::ok, "token identity", "session email '" + *identity + "'");
    } else {
        c.list.add(verdict::warn, "token identity",
                   "no email, upn or preferred_username: the vendor lets the user in by role, but "
                   "without an email",
                   "mint the token with the user's email (jwtmint sign --email, or the builder's email())");
    }
}

/// Checks the --token the backend minted; returns it decoded for the clock checks.
template <class Alg>
std::optional<unverified_token> check_token(context& c, const key_material& key, const Alg& signer) {
    if (c.o.token.empty()) {
        c.list.add(verdict::skip, "token", "no --token given", "pass one your backend minted to check it too");
        return std::nullopt;
    }
    const std::string token = read_token(c.o.token);
    unverified_token t;
    try {
        t = decode_unverified(token);
    } catch (const jwt::error& e) {
        c.list.add(verdict::fail, "token format", std::string(jwt::errc_name(e.value())) + ": " + e.what());
        return std::nullopt;
    }
    auto v = jwt::verifier<Alg>::try_from_signer(signer);
    auto verified = v ? v->try_verify_jws(token) : jwt::result<jwt::verified_jws>(v.error());
    if (verified) {
        c.list.add(verdict::ok, "token signature", std::string(Alg::alg) + " signature verifies with the key");
    } else {
        const jwt::error& e = verified.error();
        std::string hint;
        if (e.value() == jwt::errc::algorithm_mismatch) {
            hint = assumed_algorithm_hint(key, !c.o.alg.empty(), alg_tag<Alg>{}, token);
        }
        c.list.add(verdict::fail, "token signature", std::string(jwt::errc_name(e.value())) + ": " + e.what() + hint);
    }
    check_token_times(c, t);
    check_roles(c, t);
    check_identity(c, t);
    return t;
}

void check_system_clock(context& c) {
    const auto t = static_cast<std::time_t>(c.now);
    std::tm tm{};
    const int year = gmtime_r(&t, &tm) != nullptr ? tm.tm_year + 1900 : 0;
    // This tool was written in 2025: a clock before that is wrong, and one past 2100 surely is.
    if (year < 2025 || year > 2100) {
        c.list.add(verdict::fail, "system clock",
                   "now is " + format_utc(c.now) + ", which cannot be right; tokens minted here carry wrong times",
                   "sync the clock with NTP");
    } else {
        c.list.add(verdict::ok, "system clock", "now is " + format_utc(c.now) + (c.o.now ? " (pinned by --now)" : ""));
    }
}

/// The checks that need a usable signing key; returns the --token, decoded, when there is one.
template <class Alg>
std::optional<unverified_token> run_key_checks(context& c, const key_material& key, const secret_buffer& passphrase) {
    std::optional<Alg> signer;
    try {
        signer.emplace(make_signer<Alg>(key));
    } catch (const jwt::error& e) {
        c.list.add(verdict::fail, "key strength", e.what());
    }
    if (signer) {
        const jwt::key_info info = key.private_key ? key.private_key->info() : jwt::key_info{};
        std::string detail = std::string(Alg::alg) + ": ";
        if constexpr (jwt::is_hmac_algorithm_v<Alg>) {
            detail += std::to_string(key.secret->size()) + "-byte secret (at least " + std::to_string(Alg::spec.size) +
                      " needed)";
        } else if constexpr (key_kind_of<Alg>() == key_kind::rsa) {
            detail += std::to_string(info.bits) + "-bit " + info.type + " key (at least " +
                      std::to_string(Alg::spec.min_bits) + " needed)";
        } else if constexpr (key_kind_of<Alg>() == key_kind::ec) {
            detail += "EC key on " + info.curve;
        } else {
            detail += "Ed25519 key";
        }
        if (key.secret && has_trailing_line_break(key.secret->view())) {
            c.list.add(verdict::warn, "key strength",
                       detail +
                           "; the file ends with a line break, which is part of the secret: "
                           "the vendor must hold it too",
                       "write secret files without one");
        } else {
            c.list.add(verdict::ok, "key strength", detail);
        }
    }
    check_file_mode(c, key);
    if (!signer) {
        c.list.add(verdict::skip, "public key match", "the key is not usable");
        c.list.add(verdict::skip, "fresh token", "the key is not usable");
        c.list.add(verdict::skip, "token", "the key is not usable");
        return std::nullopt;
    }
    check_vendor_key<Alg>(c, key);
    check_next_key<Alg>(c, passphrase);
    check_public_match(c, *signer, passphrase);
    check_fresh_token(c, *signer);
    return check_token(c, key, *signer);
}

}  // namespace

int run_doctor(const doctor_options& o) {
    const login_rules rules = resolve_rules(o.policy);
    if (o.now && *o.now < 0) throw usage_error("--now must be a Unix time in seconds (0 or more)");
    const std::optional<algorithm> requested = parse_algorithm_option(o.alg, "--alg");
    if (!o.public_key.empty()) {
        (void)read_file_bytes(o.public_key, "public key file");  // a missing file is a usage error, before any check
    }
    if (!o.next_key.empty() && !is_key_uri(o.next_key)) (void)read_file_bytes(o.next_key, "next key file");
    checklist list(o.json);
    context c{o, list, now_or(o.now), rules, rules.max_lifetime.count()};
    const secret_buffer passphrase = passphrase_for(o.passphrase_file);

    std::optional<key_material> key;
    std::optional<algorithm> a;
    try {
        key.emplace(load_key(o.key, passphrase.view()));
        if (!key->private_key && !key->secret) {
            list.add(verdict::fail, "key loads",
                     "'" + o.key + "' holds " + with_article(key->description) +
                         "; doctor checks the private key the backend signs with (give the public "
                         "key as --public)");
        } else {
            list.add(verdict::ok, "key loads", "'" + o.key + "': " + key->description);
            a = choose_algorithm(*key, requested);
        }
    } catch (const jwt::error& e) {
        if (e.value() == jwt::errc::key_file_error) throw;  // no such file: a usage error
        list.add(verdict::fail, key ? "key type" : "key loads", e.what());
    }
    std::optional<unverified_token> token;
    if (key && a) {
        check_widget_algorithm(c, *a);
        token = with_algorithm(*a, [&](auto tag) {
            return run_key_checks<typename decltype(tag)::type>(c, *key, passphrase);
        });
    } else {
        list.add(verdict::skip, "key checks", "the key did not load as a signing key");
    }
    check_system_clock(c);
    check_clock_skew(c, token);
    if (list.json()) {
        const auto key_entry = [](const std::string& path, const std::string& kid, const std::string& pem) {
            return pem.empty() ? nlohmann::json(nullptr) : nlohmann::json{{"file", path}, {"kid", kid}, {"pem", pem}};
        };
        const int status = list.exit_status(o.allow_warnings);
        const nlohmann::json out = {{"checks", list.checks()},
                                    {"summary", list.summary()},
                                    {"exit_status", status},
                                    {"vendor_public_key", key_entry(o.key, c.vendor_kid, c.vendor_pem)},
                                    {"next_public_key", key_entry(c.next_path, c.next_kid, c.next_pem)}};
        std::printf("%s\n", out.dump(2).c_str());
        return status;
    }
    if (!c.vendor_pem.empty()) {
        std::printf("The vendor's settings must hold this public key (kid %s, the key in '%s', which signs):\n%s",
                    c.vendor_kid.c_str(), o.key.c_str(), c.vendor_pem.c_str());
    }
    if (!c.next_pem.empty()) {
        std::printf("When you promote the next key, replace it there with this one (kid %s, the key in '%s'):\n%s",
                    c.next_kid.c_str(), c.next_path.c_str(), c.next_pem.c_str());
    }
    return list.exit_status(o.allow_warnings);
}

}  // namespace cli
