// SPDX-License-Identifier: MIT
// The claims layer of jwt::verifier: claim types, time, issuer / audience / subject / required
// claims, and the login policy's role rules. Not a template: compiled once, whatever the algorithm.
#pragma once

#include <jwtmint/claims.hpp>
#include <jwtmint/detail/json_scan.hpp>
#include <jwtmint/detail/refusal.hpp>
#include <jwtmint/detail/shared_const.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/login_policy.hpp>
#include <jwtmint/verified_token.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jwt {
inline namespace v1 {
namespace detail {

/// What a verifier requires of a claims set, and the checks that apply it. The setters return
/// why a value is refused (the verifier remembers the first refusal); check() is const and
/// thread-safe.
class claim_rules {
public:
    void leeway(std::int64_t seconds) noexcept { leeway_ = seconds; }
    void max_lifetime(std::int64_t seconds) noexcept { max_lifetime_ = seconds; }
    void require_expiration(bool required) noexcept { require_exp_ = required; }

    [[nodiscard]] status issuer(std::string_view value) { return set_required(iss_, "issuer", value); }
    [[nodiscard]] status subject(std::string_view value) { return set_required(sub_, "subject", value); }
    void clear_audiences() noexcept { aud_.clear(); }
    [[nodiscard]] status add_audience(std::string_view value) {
        if (value.empty() || !is_valid_utf8(value))
            return fail(errc::invalid_claim, "an audience must be non-empty UTF-8 text");
        aud_.emplace_back(value);
        return {};
    }
    [[nodiscard]] status require_claim(std::string_view name) {
        if (name.empty()) return fail(errc::invalid_claim, "require_claim needs a claim name");
        required_.emplace_back(name);
        return {};
    }

    /// Takes the widget's login rules for a verifier of alg (see jwt::verifier::policy).
    [[nodiscard]] status policy(const login_policy& rules, std::string_view alg) {
        if (auto valid = rules.check(); !valid) return valid;
        if (auto allowed = rules.check_algorithm(alg); !allowed) return allowed;
        auto copy = shared_const<login_policy>::make(rules);
        // The verifier reads both forms whatever form the policy mints: a comma inside an array
        // element is then no fault of the token's.
        copy.unshared().role_format(role_format::array);
        policy_ = std::move(copy);
        max_lifetime_ = std::chrono::duration_cast<std::chrono::seconds>(policy_->max_lifetime()).count();
        identity_count_ = 0;
        for (const std::string& name : policy_->identity_claims()) {
            const claim_slot k = slot_of(name);
            if (k == email_slot || k == upn_slot || k == preferred_username_slot)
                identity_order_[identity_count_++] = k;
            if (identity_count_ == identity_order_.size()) break;
        }
        return {};
    }

    /// Judges the claims set c (scanned, signature verified) at now, filling t's checked values:
    /// claim types, then time, then issuer, audience, subject, required claims and roles.
    bool check(const json_object_scan& c, std::int64_t now, verified_token& t, rejection& why) const {
        return check_types(c, t, why) && check_time(t, now, why) && check_required(c, t, why);
    }

private:
    static status set_required(std::optional<std::string>& field, const char* what, std::string_view value) {
        if (value.empty() || !is_valid_utf8(value)) {
            return fail(errc::invalid_claim, std::string("the required ") + what + " must be non-empty UTF-8 text");
        }
        field = std::string(value);
        return {};
    }

    /// The claims the verifier reads itself, in the order it judges them.
    enum claim_slot : std::size_t {
        exp_slot,
        nbf_slot,
        iat_slot,
        iss_slot,
        sub_slot,
        jti_slot,
        email_slot,
        upn_slot,
        preferred_username_slot,
        aud_slot,
        claim_slots,
        no_slot = claim_slots
    };
    static constexpr std::array<const char*, claim_slots> slot_names = {
        "exp", "nbf", "iat", "iss", "sub", "jti", "email", "upn", "preferred_username", "aud"};

    /// Which of the verifier's claims a (decoded) member name is.
    static claim_slot slot_of(std::string_view name) noexcept {
        const auto is = [&](claim_slot k) { return name == slot_names[k]; };
        switch (name.size()) {
            case 3:
                for (const claim_slot k :
                     {exp_slot, nbf_slot, iat_slot, iss_slot, sub_slot, jti_slot, upn_slot, aud_slot}) {
                    if (is(k)) return k;
                }
                return no_slot;
            case 5: return is(email_slot) ? email_slot : no_slot;
            case 18: return is(preferred_username_slot) ? preferred_username_slot : no_slot;
            default: return no_slot;
        }
    }

    /// Registered and identity claims must have their RFC 7519 types; fills t's typed values.

    bool check_types(const json_object_scan& c, verified_token& t, rejection& why) const {
        // One pass over the members, instead of a search of them per claim name. The scan refused
        // duplicate names, so each slot is filled at most once.
        std::array<const json_member*, claim_slots> slot{};
        for (const json_member& m : c) {
            if (!m.name_escaped) {  // a NUL can only be written escaped: the scan refused raw ones
                if (const claim_slot k = slot_of(m.name); k != no_slot) slot[k] = &m;
                continue;
            }
            const std::string name = json_unescape(m.name, true);
            if (name.find('\0') != std::string::npos) return reject_nul_name(why, "claims set", name);
            if (const claim_slot k = slot_of(name); k != no_slot) slot[k] = &m;
        }
        const auto date = [&](claim_slot k, bool round_up, std::optional<std::int64_t>& out) {
            const json_member* m = slot[k];
            if (m == nullptr) return true;
            std::int64_t v = 0;
            if (!read_numeric_date(*m, slot_names[k], round_up, v, why)) return false;
            out = v;
            return true;
        };
        if (!date(exp_slot, false, t.exp_) || !date(nbf_slot, true, t.nbf_) || !date(iat_slot, true, t.iat_))
            return false;
        // The session identity: the first identity claim present, in the order the policy gives
        // (email, upn, preferred_username by default).
        claim_slot identity_slot = no_slot;
        for (std::size_t i = 0; i < identity_count_ && identity_slot == no_slot; ++i) {
            if (slot[identity_order_[i]] != nullptr) identity_slot = identity_order_[i];
        }
        std::string scratch;
        for (const claim_slot k : {iss_slot, sub_slot, jti_slot, email_slot, upn_slot, preferred_username_slot}) {
            const json_member* m = slot[k];
            const char* name = slot_names[k];
            if (m == nullptr) continue;
            if (m->type != json_type::string) {
                return reject(why, errc::invalid_claim,
                              std::string(name) + " must be a string, not a JSON " + json_type_name(m->type));
            }
            const std::string_view value = json_string_text(*m, scratch);
            // The scan proved the text UTF-8 and its escapes decode to UTF-8: only control
            // characters (raw DEL, or escaped) remain to refuse.
            if (has_control_char(value)) {
                if (auto text = check_text(name, value); !text) {
                    return reject(why, text.error().value(), text.error().what());
                }
            }
            if (k == iss_slot) {
                t.iss_ = std::string(value);
            } else if (k == sub_slot) {
                t.sub_ = std::string(value);
            } else if (k == jti_slot) {
                t.jti_ = std::string(value);
            } else {
                // The vendor takes the first identity claim "available"; whether an empty one is
                // available to it is unknown, so an identity claim present must hold a name.
                if (trim(value).empty()) {
                    return reject(why, errc::invalid_claim,
                                  std::string(name) + " is " + (value.empty() ? "empty" : "only spaces") +
                                      "; an identity claim that is present must name the user (the vendor may "
                                      "take it as the session email, or skip it for the next one), so leave it "
                                      "out instead");
                }
                if (k == identity_slot) t.identity_ = std::string(value);
            }
        }
        if (const json_member* m = slot[aud_slot]) {
            bool ok = m->type == json_type::string;
            if (m->type == json_type::array) {
                ok = true;
                std::size_t n = 0;
                json_for_each_element(m->value, [&](std::string_view v) {
                    ok = ok && json_type_of(v.front()) == json_type::string;
                    ++n;
                });
                ok = ok && n > 0;
            }
            if (!ok) return reject(why, errc::invalid_claim, "aud must be a string or a non-empty array of strings");
            if (m->type == json_type::string) {
                t.aud_.push_back(json_string_copy(m->value));
            } else {
                json_for_each_element(m->value, [&](std::string_view v) { t.aud_.push_back(json_string_copy(v)); });
            }
            for (const std::string& a : t.aud_) {
                if (has_control_char(a)) {
                    reject(why, errc::invalid_claim, "aud " + quote(a) + " contains a control character");
                    t.aud_.clear();  // after the message is made from a
                    return false;
                }
            }
        }
        return true;
    }

    bool check_time(verified_token& t, std::int64_t now, rejection& why) const {
        // Only a refusal's message needs it: built then, never for a token that passes.
        const auto skew = [this] {
            return leeway_ > 0 ? " (leeway " + std::to_string(leeway_) + " s)" : std::string();
        };
        if (!t.exp_ && require_exp_) {
            return reject(why, errc::missing_claim,
                          "the token has no exp, so it would never expire; widget tokens must carry one "
                          "(.allow_missing_expiration() accepts such tokens)");
        }
        if (t.exp_ && now >= *t.exp_ + leeway_) {
            return reject(why, errc::token_expired,
                          "token expired " + std::to_string(now - *t.exp_) + " s ago at " + format_utc(*t.exp_) +
                              skew() + "; mint tokens when the widget needs them, or give them a longer lifetime");
        }
        if (t.nbf_ && now < *t.nbf_ - leeway_) {
            return reject(why, errc::token_not_yet_valid,
                          "token is not valid before " + format_utc(*t.nbf_) + ", " + std::to_string(*t.nbf_ - now) +
                              " s from now" + skew() + "; check the issuing server's clock");
        }
        if (t.iat_ && *t.iat_ > now + leeway_) {
            return reject(why, errc::token_not_yet_valid,
                          "token was issued " + std::to_string(*t.iat_ - now) + " s in the future (iat " +
                              format_utc(*t.iat_) + ")" + skew() +
                              "; the issuing server's clock is ahead of this one (sync both with NTP)");
        }
        if (max_lifetime_) {
            if (!t.iat_) {
                return reject(why, errc::missing_claim,
                              "the token has no iat, so its lifetime cannot be checked against the maximum of " +
                                  std::to_string(*max_lifetime_) + " s");
            }
            if (!t.exp_) {
                return reject(why, errc::lifetime_too_long,
                              "the token has no exp, so its lifetime is unbounded; the maximum is " +
                                  std::to_string(*max_lifetime_) + " s");
            }
            if (*t.exp_ - *t.iat_ > *max_lifetime_) {
                return reject(why, errc::lifetime_too_long,
                              "token lifetime is " + std::to_string(*t.exp_ - *t.iat_) + " s (iat " +
                                  format_utc(*t.iat_) + ", exp " + format_utc(*t.exp_) +
                                  "); this verifier accepts at most " + std::to_string(*max_lifetime_) +
                                  " s (the vendor recommends 10 minutes)");
            }
        }
        return true;
    }

    bool check_required(const json_object_scan& c, verified_token& t, rejection& why) const {
        const auto check_equal = [&](const char* name, const std::optional<std::string>& want,
                                     const std::optional<std::string>& have) {
            if (!want) return true;
            if (!have) {
                return reject(why, errc::missing_claim,
                              std::string("the token has no ") + name + "; this verifier requires " + quote(*want));
            }
            if (*have != *want) {
                return reject(why, errc::claim_mismatch,
                              std::string(name) + " is " + quote(*have) + "; this verifier requires " + quote(*want));
            }
            return true;
        };
        if (!check_equal("iss", iss_, t.iss_)) return false;
        // check_claim_types gave t one audience at least for any aud claim.
        if (const bool has_aud = !t.aud_.empty(); !aud_.empty() || has_aud) {
            if (!has_aud) {
                return reject(why, errc::missing_claim,
                              "the token has no aud; this verifier requires one of its audiences, e.g. " +
                                  quote(aud_.front()));
            }
            if (aud_.empty()) {
                return reject(why, errc::claim_mismatch,
                              "the token is addressed to an audience (aud), but this verifier was given none; "
                              "configure .audience(...) (RFC 7519 section 4.1.3)");
            }
            bool addressed = false;
            for (const std::string& a : t.aud_) addressed = addressed || is_listed(aud_, a);
            if (!addressed) {
                return reject(why, errc::claim_mismatch,
                              "the token's aud does not include this verifier's audience " + quote(aud_.front()) +
                                  (aud_.size() > 1 ? " (or its other accepted audiences)" : ""));
            }
        }
        if (!check_equal("sub", sub_, t.sub_)) return false;
        for (const auto& name : required_) {
            if (c.find(name) == nullptr) {
                return reject(why, errc::missing_claim,
                              "the token has no " + quote(name) + " claim, which this verifier requires");
            }
        }
        return check_roles(c, t, why);
    }

    /// Reads the role claim in either form as jwt::parse_roles does, with its messages, into
    /// trimmed names; false with why filled (invalid_claim) for a claim that holds none.
    static bool read_roles(const json_member& m, std::vector<std::string>& out, rejection& why) {
        bool strings = true;
        std::size_t n = 0;
        if (m.type == json_type::string) {
            std::string scratch;
            out = split_roles(json_string_text(m, scratch));
        } else if (m.type == json_type::array) {
            json_for_each_element(m.value, [&](std::string_view v) {
                strings = strings && json_type_of(v.front()) == json_type::string;
                ++n;
            });
        }
        if (m.type == json_type::array && strings) {
            out.reserve(n);
            json_for_each_element(m.value, [&](std::string_view v) {
                const std::string_view body = v.substr(1, v.size() - 2);
                if (body.find('\\') == std::string_view::npos) {
                    out.emplace_back(trim(body));
                } else {
                    out.emplace_back(trim(json_unescape(body, true)));
                }
            });
        }
        const bool form_ok = m.type == json_type::string || m.type == json_type::array;
        if (const char* fault = role_claim_fault(form_ok, strings, out)) return reject(why, errc::invalid_claim, fault);
        // Repeats (case-insensitively) are dropped in place, keeping the first spelling.
        std::size_t kept = 0;
        for (std::size_t i = 0; i < out.size(); ++i) {
            std::string& r = out[i];
            if (has_control_char(r)) {  // UTF-8 already
                if (auto text = check_text("role name " + quote(r), r); !text) {
                    return reject(why, text.error().value(), text.error().what());
                }
            }
            bool seen = false;
            for (std::size_t k = 0; k < kept && !seen; ++k) seen = role_equal(out[k], r);
            if (!seen) {
                if (kept != i) out[kept] = std::move(r);
                ++kept;
            }
        }
        out.resize(kept);
        return true;
    }

    /// The role claim: without a policy, read from "roles" when it holds role names and never
    /// required; with one, required under the policy's name and matched to its team roles.
    bool check_roles(const json_object_scan& c, verified_token& t, rejection& why) const {
        const std::string_view claim = policy_ ? std::string_view(policy_->role_claim()) : default_role_claim;
        const json_member* m = c.find(claim);
        if (m == nullptr) {
            if (!policy_) return true;
            return reject(why, errc::missing_roles,
                          "the token has no " + quote(claim) +
                              " claim; the vendor reads the role from the claim named in its 'Attribute name' setting");
        }
        if (!read_roles(*m, t.roles_, why)) {
            t.roles_.clear();
            if (!policy_) return true;  // a plain verifier does not judge the role claim
            why.message += " (in the token's " + quote(claim) + " claim)";
            return false;
        }
        if (!policy_ || policy_->team_roles().empty()) return true;
        const std::vector<std::string>& team = policy_->team_roles();
        for (auto& r : t.roles_) {
            const std::string* match = nullptr;
            for (const std::string& k : team) {
                if (match == nullptr && role_equal(k, r)) match = &k;
            }
            if (match != nullptr) {
                r = *match;
                continue;
            }
            // The policy's own message, which names the nearest team role.
            return reject(why, errc::unknown_role, policy_->unknown_role_message(r));
        }
        return true;
    }
    std::int64_t leeway_ = 0;
    std::optional<std::int64_t> max_lifetime_;
    bool require_exp_ = true;
    std::optional<std::string> iss_, sub_;
    std::vector<std::string> aud_;
    std::vector<std::string> required_;
    shared_const<login_policy> policy_;  // the widget's login rules, if given
    std::array<claim_slot, 3> identity_order_ = {email_slot, upn_slot, preferred_username_slot};
    std::size_t identity_count_ = 3;
};

}  // namespace detail
}  // namespace v1
}  // namespace jwt
