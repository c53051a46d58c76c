// SPDX-License-Identifier: MIT
// Test support for the remote JWK Set tests: a JWK Set served by cpp-httplib on loopback (plain or
// TLS), whose document, status, headers and delay a test changes while it runs, and which counts
// what it was asked; keys and tokens with chosen kids; a clock the test moves.
#pragma once

#include <jwtmint/jwtmint.hpp>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace jwtmint_test {

/// A clock the test sets; atomic, as a verifier's background thread reads it.
struct manual_clock {
    using duration = std::chrono::system_clock::duration;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::system_clock::time_point;
    static constexpr bool is_steady = false;
    static std::atomic<std::int64_t>& seconds() {
        static std::atomic<std::int64_t> s{1764000000};
        return s;
    }
    static void set(std::int64_t unix_seconds) { seconds() = unix_seconds; }
    static void advance(std::chrono::seconds by) { seconds() += by.count(); }
    static time_point now() { return time_point{std::chrono::seconds{seconds().load()}}; }
};

/// What the server answers and what it saw; every member is read and written under mutex.
struct served_state {
    std::mutex mutex;
    std::condition_variable stop_waiting;
    bool stopping = false;
    int status = 200;
    std::string body;
    std::string etag;           // sent when not empty; a matching If-None-Match gets 304
    std::string cache_control;  // sent when not empty
    std::string location;       // sent when not empty (with a 3xx status)
    std::chrono::milliseconds delay{0};
    int requests = 0;
    int not_modified = 0;                    // requests answered 304
    std::vector<std::string> if_none_match;  // each request's If-None-Match ("" when absent)
};

/// A JWK Set at /jwks.json on 127.0.0.1 (a free port), served from its own thread until stop().
template <class Server>
class jwks_server {
public:
    template <class... Args>
    explicit jwks_server(Args&&... args) : server_(std::forward<Args>(args)...) {
        server_.Get("/jwks.json", [this](const httplib::Request& req, httplib::Response& res) { answer(req, res); });
        port_ = server_.bind_to_any_port("127.0.0.1");
        // Bound and listening: connections queue until the thread accepts them.
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        // httplib's stop() does nothing until the server runs: wait for that, so stop() always stops it.
        while (port_ > 0 && !server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    jwks_server(const jwks_server&) = delete;
    jwks_server& operator=(const jwks_server&) = delete;
    ~jwks_server() { stop(); }

    void stop() {
        {
            const std::lock_guard<std::mutex> lock(state_.mutex);
            state_.stopping = true;
        }
        state_.stop_waiting.notify_all();
        server_.stop();
        if (thread_.joinable()) thread_.join();
    }

    [[nodiscard]] bool listening() const { return port_ > 0; }
    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] std::string url(const char* scheme = "http") const {
        return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_) + "/jwks.json";
    }

    /// Changes what is served: f(served_state&) under the lock.
    template <class F>
    void serve(F&& f) {
        const std::lock_guard<std::mutex> lock(state_.mutex);
        f(state_);
    }
    void serve_document(std::string body) {
        serve([&](served_state& s) {
            s.status = 200;
            s.body = std::move(body);
        });
    }
    [[nodiscard]] int requests() {
        const std::lock_guard<std::mutex> lock(state_.mutex);
        return state_.requests;
    }
    [[nodiscard]] int not_modified() {
        const std::lock_guard<std::mutex> lock(state_.mutex);
        return state_.not_modified;
    }
    [[nodiscard]] std::vector<std::string> if_none_match() {
        const std::lock_guard<std::mutex> lock(state_.mutex);
        return state_.if_none_match;
    }

private:
    void answer(const httplib::Request& req, httplib::Response& res) {
        std::unique_lock<std::mutex> lock(state_.mutex);
        ++state_.requests;
        const std::string inm = req.get_header_value("If-None-Match");
        state_.if_none_match.push_back(inm);
        if (state_.delay.count() > 0) {
            // Cut short by stop(), so that a test's teardown never waits out the delay.
            state_.stop_waiting.wait_for(lock, state_.delay, [this] { return state_.stopping; });
        }
        if (!state_.etag.empty()) res.set_header("ETag", state_.etag);
        if (!state_.cache_control.empty()) res.set_header("Cache-Control", state_.cache_control);
        if (!state_.location.empty()) res.set_header("Location", state_.location);
        if (!state_.etag.empty() && inm == state_.etag && state_.status == 200) {
            ++state_.not_modified;
            res.status = 304;
            return;
        }
        res.status = state_.status;
        res.set_content(state_.body, "application/json");
    }

    Server server_;
    served_state state_;
    int port_ = -1;
    std::thread thread_;
};

/// A fetch function over httplib::Client (plain HTTP only), honouring the request's timeout and
/// max_size, for the tests of the verifier itself (the curl adapter has its own tests).
inline jwt::jwks_fetch_function httplib_fetch() {
    return [](const jwt::jwks_request& r) {
        jwt::jwks_response out;
        const std::string rest = r.url.substr(std::string("http://").size());
        const std::size_t slash = rest.find('/');
        httplib::Client client("http://" + rest.substr(0, slash));
        client.set_connection_timeout(r.timeout);
        client.set_read_timeout(r.timeout);
        client.set_write_timeout(r.timeout);
        httplib::Headers headers;
        if (!r.if_none_match.empty()) headers.emplace("If-None-Match", r.if_none_match);
        std::string body;
        bool too_large = false;
        auto res = client.Get(rest.substr(slash), headers, [&](const char* data, std::size_t n) {
            if (body.size() + n > r.max_size) {
                too_large = true;
                return false;
            }
            body.append(data, n);
            return true;
        });
        if (!res) {
            out.error = too_large ? "the body is longer than " + std::to_string(r.max_size) + " octets"
                                  : "httplib: " + httplib::to_string(res.error());
            return out;
        }
        out.status = res->status;
        out.body = std::move(body);
        out.etag = res->get_header_value("ETag");
        out.cache_control = res->get_header_value("Cache-Control");
        return out;
    };
}

/// The public JWK of signer with kid in place of its thumbprint.
template <class Signer>
std::string jwk_with_kid(const Signer& signer, const std::string& kid) {
    std::string jwk = jwt::public_jwk(signer);
    const std::string thumbprint = jwt::jwk_thumbprint(signer);
    jwk.replace(jwk.find(thumbprint), thumbprint.size(), kid);
    return jwk;
}

/// A token signed by signer with kid, issued now by manual_clock, valid 10 minutes.
template <class Signer>
std::string token_for(const Signer& signer, const std::string& kid) {
    return jwt::builder<Signer, manual_clock>(signer)
        .key_id(kid)
        .roles({"Support Team"})
        .email("ada@example.com")
        .expires_in(std::chrono::minutes{10})
        .sign();
}

}  // namespace jwtmint_test
