// SPDX-License-Identifier: MIT
/// @file
/// jwt::remote_jwks_verifier: verifies tokens against a JWK Set that lives at a URL, fetched through
/// a function the user supplies, cached by Cache-Control and ETag, and kept through key-server failures.
#pragma once

#include <jwtmint/base64url.hpp>
#include <jwtmint/detail/json_scan.hpp>
#include <jwtmint/detail/refusal.hpp>
#include <jwtmint/detail/shared_const.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/jwk.hpp>
#include <jwtmint/verified_token.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace jwt {
inline namespace v1 {

/// What a fetch function is asked to get: one HTTP GET of url.
struct jwks_request {
    std::string url;                       ///< the set's URL (https:// unless the verifier allows http://)
    std::string if_none_match;             ///< the ETag of the set held, to send as If-None-Match; "" for none
    std::size_t max_size = 0;              ///< the longest body to read, in octets; stop and fail beyond it
    std::chrono::milliseconds timeout{0};  ///< the whole fetch's time limit, connection included
};

/// What a fetch function returns. A transport failure (no connection, a timeout, a TLS error, a
/// body over max_size) is status 0 with the reason in error.
struct jwks_response {
    int status = 0;             ///< the HTTP status; 0 when no response came
    std::string body;           ///< the document, for status 200
    std::string etag;           ///< the ETag header; "" for none
    std::string cache_control;  ///< the Cache-Control header; "" for none
    std::string error;          ///< with status 0: why no response came
};

/// Gets a JWK Set over HTTP(S); called by one thread at a time. <jwtmint/curl_fetch.hpp> makes one
/// over libcurl. If it throws, the exception's what() is taken as a transport failure.
using jwks_fetch_function = std::function<jwks_response(const jwks_request&)>;

/// What happened to a remote JWK Set, for a log.
enum class jwks_event_kind {
    fetched,            ///< a new set was fetched and is now in use
    not_modified,       ///< the server answered 304: the set held is still current and its freshness renewed
    fetch_failed,       ///< no usable response (transport error, timeout, an HTTP error status): the set held is kept
    document_refused,   ///< a response whose document cannot be used (JSON, size, key count, a key): the set held is
                        ///< kept
    refetch_suppressed  ///< a token named an unknown kid within the cool-down after a fetch: no refetch yet
};

/// One event of a remote JWK Set: its kind, the URL and a message naming the cause and what was kept.
struct jwks_event {
    /// what happened
    jwks_event_kind kind = jwks_event_kind::fetched;
    /// the set's URL (options::url)
    std::string url;
    /// the cause and what was kept, for a log
    std::string message;
    std::size_t keys = 0;  ///< the keys of the set in use after the event (0: none yet)
};

/// Who fetches: the caller (try_refresh / refresh_if_due, no thread) or one thread of the verifier's own.
enum class jwks_refresh_mode { caller, background };

/// Verifies tokens against a JWK Set fetched from a URL, as jwt::jwks_verifier verifies against a
/// set it is given (the token's kid picks the key; each key's algorithm is pinned by the set; keys
/// marked "use": "enc" are passed over).
///
/// Verification never waits for the network: it reads an immutable snapshot of the last good set
/// (a pointer copied under a mutex held for nothing else), and at most notes that a refetch is
/// wanted. Fetches happen one at a time, in the caller's thread (jwks_refresh_mode::caller: call
/// try_refresh() once at start-up, then refresh_if_due() now and then) or in one thread the
/// verifier owns (jwks_refresh_mode::background: it fetches at once, then whenever the set is due
/// or a token names an unknown kid).
///
/// Cache rules: the set is fresh for the response's Cache-Control max-age, clamped to
/// [min_refresh, max_refresh] (no-cache or no-store: min_refresh; none: default_refresh); an ETag
/// is sent back as If-None-Match, and a 304 renews the set held. A token with a kid the set lacks
/// asks for a refetch at once, but no fetch starts within unknown_kid_cooldown of the last one, so
/// tokens with random kids cannot flood the key server. A failed fetch (or a refused document)
/// never empties or replaces the set held: the last good set stays in use, the event hook is
/// told, and the fetch is retried after failure_retry. Before the first good fetch every token is
/// refused with errc::key_set_unavailable, naming the URL and the last failure.
///
/// The state lives on the heap, so the verifier is movable (a moved-from one may only be assigned
/// or destroyed); the destructor stops the background thread and joins it (waiting at most for a
/// fetch in flight, which fetch_timeout bounds). try_verify / verify are thread-safe; so are
/// try_refresh and refresh_if_due (fetches queue behind each other).
template <class Clock = std::chrono::system_clock>
class remote_jwks_verifier {
public:
    using clock = Clock;                            ///< The clock of freshness, cool-downs and token times.
    using time_point = typename Clock::time_point;  ///< A time on that clock.
    /// The set of verifiers one fetched document makes.
    using key_set = jwks_verifier<Clock>;

    /// How the set is fetched, cached and checked. url and fetch are required.
    struct options {
        std::string url;            ///< https://... (http:// only with allow_insecure_http)
        jwks_fetch_function fetch;  ///< gets the document (jwt::curl_fetch(...) from <jwtmint/curl_fetch.hpp>)
        /// Applied to each new set before it is used: `[](jwt::jwks_verifier<>& s) { s.policy(p); }`,
        /// or s.configure([](auto& v) { v.issuer("https://idp.example"); }).
        std::function<void(key_set&)> configure;
        /// Told of each fetch, 304, failure, refused document and suppressed refetch. Called without
        /// any lock held, from the fetching thread or (refetch_suppressed) a verifying one: it must be
        /// thread-safe, and it must not destroy the verifier.
        std::function<void(const jwks_event&)> on_event;
        /// who fetches: the caller or a thread of its own
        jwks_refresh_mode refresh = jwks_refresh_mode::caller;
        bool allow_insecure_http = false;                    ///< accept an http:// URL (tests on loopback only)
        std::chrono::seconds min_refresh{60};                ///< the shortest time a set is fresh
        std::chrono::seconds max_refresh{24 * 3600};         ///< the longest time a set is fresh
        std::chrono::seconds default_refresh{600};           ///< when the server sends no max-age
        std::chrono::seconds unknown_kid_cooldown{30};       ///< no fetch for an unknown kid sooner after the last
        std::chrono::seconds failure_retry{30};              ///< the wait before a failed fetch is retried
        std::chrono::milliseconds fetch_timeout{5000};       ///< passed to the fetch function
        std::size_t max_document_size = jwt::max_jwks_size;  ///< octets; at most jwt::max_jwks_size
        std::size_t max_keys = jwt::max_jwks_keys;           ///< keys per document; at most jwt::max_jwks_keys
    };

    /// A verifier for the set at o.url; in background mode its thread starts fetching at once. No
    /// fetch happens here in caller mode. Fails with invalid_setting: no URL or fetch function, an
    /// http:// URL without allow_insecure_http, a URL of another scheme, durations out of order.
    [[nodiscard]] static result<remote_jwks_verifier> try_make(options o) {
        if (auto checked = check(o); !checked) return std::move(checked).error();
        remote_jwks_verifier out;
        out.state_ = std::make_unique<state>(std::move(o));
        if (out.state_->opts.refresh == jwks_refresh_mode::background) {
            state* s = out.state_.get();
            s->worker = std::thread([s] { run(*s); });
        }
        return out;
    }
    /// As try_make, throwing jwt::error.
    [[nodiscard]] static remote_jwks_verifier make(options o) { return try_make(std::move(o)).value(); }
    /// As try_make, reporting only the code.
    [[nodiscard]] static std::optional<remote_jwks_verifier> make(options o, std::error_code& ec) {
        return detail::to_optional(try_make(std::move(o)), ec);
    }

    /** @{ */
    /// Movable, not copyable. Assigning stops this verifier's own fetching thread, if it has one,
    /// before it takes other's state.
    remote_jwks_verifier(const remote_jwks_verifier&) = delete;
    remote_jwks_verifier& operator=(const remote_jwks_verifier&) = delete;
    remote_jwks_verifier(remote_jwks_verifier&& other) noexcept = default;
    remote_jwks_verifier& operator=(remote_jwks_verifier&& other) noexcept {
        if (this != &other) {
            stop();
            state_ = std::move(other.state_);
        }
        return *this;
    }
    /** @} */
    /// Stops the verifier's own fetching thread, if it has one, and waits for it.
    ~remote_jwks_verifier() { stop(); }

    /// Verifies with the key of the current set that the token's kid names. Never fetches. Fails
    /// with key_set_unavailable before the first good fetch; unknown_key_id (saying whether a
    /// refetch was asked for or held back by the cool-down) for a kid the set lacks; or as
    /// jwks_verifier::try_verify.
    [[nodiscard]] result<verified_token> try_verify(std::string_view token) const {
        const detail::shared_const<key_set> set = snapshot();
        if (!set) return unavailable();
        result<verified_token> out = set->try_verify(token);
        if (out || out.error().value() != errc::unknown_key_id || !names_a_kid(token)) return out;
        return error(errc::unknown_key_id, std::string(out.error().what()) + "; " + ask_refetch());
    }
    /// As try_verify, throwing jwt::error.
    [[nodiscard]] verified_token verify(std::string_view token) const { return try_verify(token).value(); }
    /// As try_verify, reporting only the code.
    [[nodiscard]] std::optional<verified_token> verify(std::string_view token, std::error_code& ec) const {
        const detail::shared_const<key_set> set = snapshot();
        if (!set) {
            (void)ask_refetch();
            ec = errc::key_set_unavailable;
            return std::nullopt;
        }
        std::optional<verified_token> out = set->verify(token, ec);
        if (ec == errc::unknown_key_id && names_a_kid(token)) (void)ask_refetch();
        return out;
    }

    /// Fetches the set now (waiting for a fetch already under way to finish first). On a 200 with
    /// a usable document the new set replaces the old; on a 304 the set held is renewed. Fails with
    /// key_set_unavailable (transport error, timeout, HTTP error status) or the document's own
    /// error (invalid_jwk, ...); the set held is kept either way.
    status try_refresh() { return fetch_now(*state_); }
    /// As try_refresh, throwing jwt::error.
    void refresh() { try_refresh().value(); }
    /// As try_refresh, reporting only the code.
    void refresh(std::error_code& ec) { detail::to_error_code(try_refresh(), ec); }

    /// try_refresh() if the set is due (past its freshness, or a failed fetch's retry time) or a
    /// token asked for a refetch; otherwise nothing. For caller mode: call it from a timer, or
    /// before or after handling a request (never on the hot path of one that must not wait).
    status try_refresh_if_due() {
        if (!due(*state_)) return {};
        return fetch_now(*state_);
    }
    /// As try_refresh_if_due, throwing jwt::error.
    void refresh_if_due() { try_refresh_if_due().value(); }
    /// As try_refresh_if_due, reporting only the code.
    void refresh_if_due(std::error_code& ec) { detail::to_error_code(try_refresh_if_due(), ec); }

    /// The set in use: shared, immutable, valid as long as the copy is held; empty before the first
    /// good fetch.
    [[nodiscard]] detail::shared_const<key_set> snapshot() const {
        const std::lock_guard<std::mutex> lock(state_->mutex);
        return state_->set;
    }
    /// Whether a set has been fetched.
    [[nodiscard]] bool has_key_set() const { return static_cast<bool>(snapshot()); }
    /// The key ids of the set in use (none before the first good fetch).
    [[nodiscard]] std::vector<std::string> key_ids() const {
        const detail::shared_const<key_set> set = snapshot();
        return set ? set->key_ids() : std::vector<std::string>{};
    }
    /// The set's URL.
    [[nodiscard]] const std::string& url() const noexcept { return state_->opts.url; }

private:
    using duration = typename Clock::duration;

    struct state {
        explicit state(options o) : opts(std::move(o)) {}
        options opts;
        std::mutex fetch_mutex;  // one fetch at a time
        // Guards the members below; held only to read or write them, never across a fetch, a
        // parse or a callback.
        std::mutex mutex;
        std::condition_variable wake;
        detail::shared_const<key_set> set;
        std::string etag;
        std::string last_error;  // the last failure, for key_set_unavailable's message
        time_point due{};        // the next refresh is due at this time
        time_point last_fetch{};
        bool fetched_before = false;    // a fetch has started (last_fetch is meaningful)
        bool refetch_wanted = false;    // a token asked for a refetch, past the cool-down
        bool suppression_told = false;  // refetch_suppressed already told since the last fetch
        bool stopping = false;
        std::thread worker;
    };

    remote_jwks_verifier() = default;

    static status setting(const std::string& message) {
        return detail::fail(errc::invalid_setting, "remote JWK Set: " + message);
    }

    static status check(const options& o) {
        const std::string url = detail::ascii_lower_copy(std::string_view(o.url).substr(0, 8));
        if (o.url.empty()) return setting("options.url is empty; give the https:// URL of the JWK Set");
        if (url.rfind("http://", 0) == 0) {
            if (!o.allow_insecure_http) {
                return setting("the URL " + detail::quote(o.url) +
                               " is plain http://, which anyone on the path can change to their own keys; use "
                               "https://, or set options.allow_insecure_http for a test server on loopback");
            }
        } else if (url.rfind("https://", 0) != 0) {
            return setting("the URL " + detail::quote(o.url) + " is neither https:// nor http://");
        }
        if (!o.fetch) return setting("options.fetch is empty; give a fetch function (jwt::curl_fetch(), say)");
        if (o.min_refresh.count() < 1 || o.min_refresh > o.default_refresh || o.default_refresh > o.max_refresh) {
            return setting("the refresh times must satisfy 1 s <= min_refresh <= default_refresh <= max_refresh");
        }
        if (o.unknown_kid_cooldown.count() < 1 || o.failure_retry.count() < 1) {
            return setting("unknown_kid_cooldown and failure_retry must be at least 1 s");
        }
        if (o.fetch_timeout.count() < 1) return setting("fetch_timeout must be positive");
        if (o.max_document_size == 0 || o.max_document_size > max_jwks_size) {
            return setting("max_document_size must be between 1 and jwt::max_jwks_size (" +
                           std::to_string(max_jwks_size) + ")");
        }
        if (o.max_keys == 0 || o.max_keys > max_jwks_keys) {
            return setting("max_keys must be between 1 and jwt::max_jwks_keys (" + std::to_string(max_jwks_keys) + ")");
        }
        return {};
    }

    static std::string seconds_text(std::chrono::seconds s) { return std::to_string(s.count()) + " s"; }

    template <class D>
    static std::chrono::seconds ceil_seconds(D d) {
        return std::chrono::ceil<std::chrono::seconds>(d);
    }

    /// How long a response keeps the set fresh, from its Cache-Control header.
    static std::chrono::seconds freshness(const options& o, std::string_view cache_control) {
        std::optional<std::int64_t> max_age;
        bool no_cache = false;
        while (!cache_control.empty()) {
            const std::size_t comma = cache_control.find(',');
            const std::string_view part = cache_control.substr(0, comma);
            cache_control = comma == std::string_view::npos ? std::string_view{} : cache_control.substr(comma + 1);
            const std::string directive = detail::ascii_lower_copy(detail::trim(part));
            if (directive == "no-cache" || directive == "no-store") {
                no_cache = true;
            } else if (directive.rfind("max-age=", 0) == 0) {
                std::string_view value = std::string_view(directive).substr(8);
                if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
                    value = value.substr(1, value.size() - 2);
                }
                std::int64_t n = 0;
                bool digits = !value.empty();
                for (const char c : value) {
                    if (c < '0' || c > '9') {
                        digits = false;
                        break;
                    }
                    // RFC 9111 section 1.2.2: a delta-seconds too large to hold means "very long".
                    n = n > std::int64_t{1} << 40 ? n : n * 10 + (c - '0');
                }
                if (digits) max_age = n;
            }
        }
        if (no_cache) return o.min_refresh;
        if (!max_age) return o.default_refresh;
        return std::clamp(std::chrono::seconds{*max_age}, o.min_refresh, o.max_refresh);
    }

    /// Whether the token has a string kid header (a refetch could find its key), judged as
    /// jwks_verifier judged it; only called on the unknown_key_id path.
    static bool names_a_kid(std::string_view token) {
        detail::rejection why;
        detail::compact_segments segments;
        if (!detail::split_compact(token, token.size(), segments, why)) return false;
        std::string header_text(base64url_decoded_size(segments.header.size()), '\0');
        if (!detail::base64url_decode_to(segments.header, reinterpret_cast<unsigned char*>(header_text.data()))) {
            return false;
        }
        detail::json_object_scan header;
        if (!detail::scan_json_object(header_text, "header", header, why)) return false;
        const detail::json_member* kid = header.find("kid");
        return kid != nullptr && kid->type == detail::json_type::string;
    }

    static void tell(const state& s, std::optional<jwks_event> event) {
        if (event && s.opts.on_event) s.opts.on_event(*event);
    }

    /// Notes that a token wants a refetch (unless the cool-down holds it back), and says which.
    [[nodiscard]] std::string ask_refetch() const {
        state& s = *state_;
        std::optional<jwks_event> event;
        std::string said;
        {
            const std::lock_guard<std::mutex> lock(s.mutex);
            const time_point now = Clock::now();
            const auto cooldown = std::chrono::duration_cast<duration>(s.opts.unknown_kid_cooldown);
            if (!s.fetched_before || now - s.last_fetch >= cooldown) {
                s.refetch_wanted = true;
                s.wake.notify_one();
                said = "a refetch of " + s.opts.url + " was requested" +
                       (s.opts.refresh == jwks_refresh_mode::caller ? " (it runs at the next refresh_if_due())" : "");
            } else {
                const auto ago = std::chrono::floor<std::chrono::seconds>(now - s.last_fetch);
                const auto wait = ceil_seconds(s.last_fetch + cooldown - now);
                said = "no refetch of " + s.opts.url + " yet: the set was fetched " + seconds_text(ago) +
                       " ago and an unknown kid refetches it at most once per " +
                       seconds_text(s.opts.unknown_kid_cooldown) + " (unknown_kid_cooldown); the next may happen in " +
                       seconds_text(wait);
                if (!s.suppression_told) {
                    s.suppression_told = true;
                    event = jwks_event{jwks_event_kind::refetch_suppressed, s.opts.url,
                                       "a token named a kid the JWK Set lacks; " + said +
                                           " (told once per fetch; further tokens are refused alike)",
                                       s.set ? s.set->key_ids().size() : 0};
                }
            }
        }
        tell(s, std::move(event));
        return said;
    }

    [[nodiscard]] error unavailable() const {
        std::string why;
        {
            const std::lock_guard<std::mutex> lock(state_->mutex);
            why = state_->fetched_before ? "the last fetch failed: " + state_->last_error
                                         : "no fetch has completed yet";
            if (state_->opts.refresh == jwks_refresh_mode::caller && !state_->fetched_before) {
                why += " (in caller mode, call try_refresh() at start-up)";
            }
        }
        std::string message = "no JWK Set has been fetched from " + state_->opts.url + ": " + why;
        message += "; " + ask_refetch();
        return error(errc::key_set_unavailable, message);
    }

    static bool due(state& s) {
        const std::lock_guard<std::mutex> lock(s.mutex);
        return s.refetch_wanted || Clock::now() >= s.due;
    }

    /// The size and key count of a document, before jwks_verifier reads its keys.
    static status check_document(const options& o, std::string_view body) {
        if (body.size() > o.max_document_size) {
            return detail::fail(errc::invalid_jwk, "the document has " + std::to_string(body.size()) +
                                                       " octets; at most " + std::to_string(o.max_document_size) +
                                                       " are read (max_document_size)");
        }
        detail::json_object_scan doc;
        if (doc.scan(body, max_json_depth) != detail::json_fault::none) return {};  // try_from_jwks says why
        const detail::json_member* keys = doc.find("keys");
        if (keys == nullptr || keys->type != detail::json_type::array) return {};
        std::size_t count = 0;
        detail::json_for_each_element(keys->value, [&](std::string_view) { ++count; });
        if (count > o.max_keys) {
            return detail::fail(errc::invalid_jwk, "the document has " + std::to_string(count) + " keys; at most " +
                                                       std::to_string(o.max_keys) + " are read (max_keys)");
        }
        return {};
    }

    /// What stays in use after a failure, for messages.
    static std::string kept(const state& s) {
        if (!s.set) return "no set is held yet, so tokens are refused (key_set_unavailable)";
        return "the last good set (" + std::to_string(s.set->key_ids().size()) + " keys) stays in use";
    }

    static jwks_response call_fetch(const state& s, const jwks_request& request) {
#if JWTMINT_EXCEPTIONS
        try {
            return s.opts.fetch(request);
        } catch (const std::exception& e) {
            jwks_response r;
            r.error = std::string("the fetch function threw: ") + e.what();
            return r;
        }
#else
        return s.opts.fetch(request);
#endif
    }

    /// One fetch, then its event told with no lock held: the hook may call try_refresh() itself.
    static status fetch_now(state& s) {
        std::optional<jwks_event> event;
        status outcome;
        {
            const std::lock_guard<std::mutex> one_fetch(s.fetch_mutex);
            outcome = fetch_locked(s, event);
        }
        tell(s, std::move(event));
        return outcome;
    }

    /// A fetch under fetch_mutex; what happened goes to event.
    static status fetch_locked(state& s, std::optional<jwks_event>& event) {
        jwks_request request;
        request.url = s.opts.url;
        request.max_size = s.opts.max_document_size;
        request.timeout = s.opts.fetch_timeout;
        {
            const std::lock_guard<std::mutex> lock(s.mutex);
            if (s.set) request.if_none_match = s.etag;
            s.last_fetch = Clock::now();
            s.fetched_before = true;
            s.refetch_wanted = false;
            s.suppression_told = false;
        }
        jwks_response response = call_fetch(s, request);
        const time_point now = Clock::now();

        if (response.status == 200) {
            if (auto fits = check_document(s.opts, response.body); !fits)
                return refused(s, std::move(fits).error(), now, event);
            auto parsed = key_set::try_from_jwks(response.body);
            if (!parsed) return refused(s, std::move(parsed).error(), now, event);
            auto fresh = detail::shared_const<key_set>::make(std::move(*parsed));
            if (s.opts.configure) s.opts.configure(fresh.unshared());
            const std::size_t keys = fresh->key_ids().size();
            const auto lasts = freshness(s.opts, response.cache_control);
            {
                const std::lock_guard<std::mutex> lock(s.mutex);
                s.set = std::move(fresh);  // the old set lives on in the snapshots readers still hold
                s.etag = std::move(response.etag);
                s.due = now + std::chrono::duration_cast<duration>(lasts);
                s.last_error.clear();
            }
            event = jwks_event{jwks_event_kind::fetched, s.opts.url,
                               "fetched the JWK Set from " + s.opts.url + ": " + std::to_string(keys) +
                                   " keys, fresh for " + seconds_text(lasts),
                               keys};
            return {};
        }
        if (response.status == 304) {
            {
                const std::lock_guard<std::mutex> lock(s.mutex);
                if (s.set) {
                    const auto lasts = freshness(s.opts, response.cache_control);
                    s.due = now + std::chrono::duration_cast<duration>(lasts);
                    if (!response.etag.empty()) s.etag = std::move(response.etag);
                    event = jwks_event{jwks_event_kind::not_modified, s.opts.url,
                                       "the JWK Set at " + s.opts.url + " is unchanged (304 Not Modified); its " +
                                           std::to_string(s.set->key_ids().size()) + " keys stay fresh for " +
                                           seconds_text(lasts),
                                       s.set->key_ids().size()};
                }
            }
            if (event) return {};
            return failed(s, "304 Not Modified, but no set is held to reuse", now, event);
        }
        if (response.status == 0) {
            return failed(s,
                          response.error.empty() ? "the fetch function gave no response and no reason" : response.error,
                          now, event);
        }
        return failed(s, "HTTP status " + std::to_string(response.status), now, event);
    }

    static status failed(state& s, const std::string& cause, time_point now, std::optional<jwks_event>& event) {
        std::string message;
        std::size_t keys = 0;
        {
            const std::lock_guard<std::mutex> lock(s.mutex);
            s.last_error = cause;
            s.due = now + std::chrono::duration_cast<duration>(s.opts.failure_retry);
            message = "fetching the JWK Set from " + s.opts.url + " failed: " + cause + "; " + kept(s) +
                      "; the next attempt is due in " + seconds_text(s.opts.failure_retry);
            keys = s.set ? s.set->key_ids().size() : 0;
        }
        event = jwks_event{jwks_event_kind::fetch_failed, s.opts.url, message, keys};
        return detail::fail(errc::key_set_unavailable, message);
    }

    static status refused(state& s, const error& why, time_point now, std::optional<jwks_event>& event) {
        std::string message;
        std::size_t keys = 0;
        {
            const std::lock_guard<std::mutex> lock(s.mutex);
            s.last_error = std::string("the document was refused: ") + why.what();
            s.due = now + std::chrono::duration_cast<duration>(s.opts.failure_retry);
            message = "the JWK Set from " + s.opts.url + " was refused: " + why.what() + "; " + kept(s) +
                      "; the next attempt is due in " + seconds_text(s.opts.failure_retry);
            keys = s.set ? s.set->key_ids().size() : 0;
        }
        event = jwks_event{jwks_event_kind::document_refused, s.opts.url, message, keys};
        return detail::fail(why.value(), message);
    }

    /// The background thread: fetch when due or asked, else sleep until then (at most a minute, so
    /// that a change of the wall clock is noticed), until stop().
    static void run(state& s) {
        std::unique_lock<std::mutex> lock(s.mutex);
        while (!s.stopping) {
            const time_point now = Clock::now();
            if (s.refetch_wanted || now >= s.due) {
                lock.unlock();
                (void)fetch_now(s);  // reported through the event hook
                lock.lock();
                continue;
            }
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(s.due - now);
            s.wake.wait_for(lock, std::min<std::chrono::milliseconds>(left, std::chrono::minutes{1}));
        }
    }

    void stop() noexcept {
        if (!state_ || !state_->worker.joinable()) return;
        {
            const std::lock_guard<std::mutex> lock(state_->mutex);
            state_->stopping = true;
        }
        state_->wake.notify_all();
        state_->worker.join();
    }

    std::unique_ptr<state> state_;
};

}  // namespace v1
}  // namespace jwt
