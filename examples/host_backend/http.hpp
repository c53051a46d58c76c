// SPDX-License-Identifier: MIT
// The host backend's HTTP/1.1 server: one epoll event loop per core, every limit in one struct.
//
// Why its own server and not a framework: the token endpoint must run at the speed of the
// signature (a request costs ~250 us of RSA and should cost little else), and the server must
// stand up to clients that trickle, stall, oversize or hoard connections. The thread-per-
// connection design of cpp-httplib 0.11 (Debian 12's) holds a thread for each idle keep-alive
// connection and bounds only each read, not a whole request, so a few hundred idle connections,
// or one byte a second, starve everyone else. In your own backend, your framework does this
// part; what to copy from here is server.cpp (the routes) and signing.cpp (the minting).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace host::http {

/// Every bound the server enforces; each refusal is logged with the reason shown here.
struct limits {
    /// Request line (method, target, version) longer than this: 414, reason uri-too-long.
    std::size_t max_request_line = std::size_t{8} * 1024;
    /// Request line and header fields together longer than this: 431, reason headers-too-large.
    std::size_t max_header_bytes = std::size_t{16} * 1024;
    /// More header fields than this: 431, reason headers-too-large.
    std::size_t max_header_fields = 100;
    /// A request body (Content-Length) longer than this: 413, reason body-too-large, refused
    /// before it is read. Only POST and PUT carry a body; one on GET or HEAD is 400, body-on-get.
    std::size_t max_body = std::size_t{16} * 1024;
    /// From a request's first byte to its last, and again from its response to the last byte the
    /// client takes: a client that trickles its request gets 408 (reason request-timeout), one
    /// that stops reading its response is disconnected.
    std::chrono::milliseconds request_timeout{10'000};
    /// A keep-alive connection with no request for this long is closed (not logged: no request).
    std::chrono::milliseconds keep_alive_timeout{15'000};
    /// Open connections, all loops together. A new one beyond it closes the connection that has
    /// been idle longest; when none is idle, the new one gets 503 (reason connection-limit).
    std::size_t max_connections = 10'000;
    /// After stop(): how long requests in progress may take to finish before their connections
    /// are closed regardless.
    std::chrono::milliseconds shutdown_grace{10'000};
    /// After a response that ends a connection, how long the server keeps reading (and
    /// discarding) what the client still sends, so the response is not lost to a TCP reset.
    std::chrono::milliseconds linger{2'000};
    /// Event-loop threads; 0: one per hardware thread.
    unsigned threads = 0;
    /// Threads for slow handlers (sign-in's password hashing), so they never stall the loops.
    unsigned slow_threads = 2;
    /// Requests waiting for a slow thread; beyond it: 503 with Retry-After (reason busy).
    std::size_t max_slow_queue = 64;
};

/// One request, parsed. Owns its text; valid for the whole handler call.
struct request {
    std::string method;
    std::string target;  ///< as sent: path and query
    std::string path;    ///< target before '?', not percent-decoded
    std::string query;   ///< after '?', or empty
    int minor_version = 1;
    std::vector<std::pair<std::string, std::string>> headers;  ///< names as sent
    std::string body;
    std::string remote_addr;

    /// The first field of that name (case-insensitive), or "".
    [[nodiscard]] std::string_view header(std::string_view name) const noexcept;
    [[nodiscard]] bool has_header(std::string_view name) const noexcept;
    /// A parameter of the query, or of an application/x-www-form-urlencoded body; decoded; "".
    [[nodiscard]] std::string param(std::string_view name) const;
    void clear() noexcept;
};

/// One response. Status 200 and an empty body to begin with.
struct response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string content_type;
    /// For the request log: the signed-in user ("" for none) and, for a refusal, a short reason.
    std::string log_user;
    std::string log_reason;
    /// Ends the connection after this response.
    bool close = false;

    void set_header(std::string name, std::string value);
    void set_content(std::string text, std::string type);
    void redirect(std::string location, int code = 303);
    void clear() noexcept;
};

/// A request handler. `slow` decides which requests go to the slow threads (sign-in); the rest
/// run on the event loop that read them, which is right for anything that takes microseconds to
/// a millisecond: a token is ~0.3 ms of CPU either way, and a hand-over would add to it.
struct handlers {
    std::function<void(const request&, response&)> handle;
    std::function<bool(const request&)> slow;
    /// What a handler threw: logged to stderr by the server, answered 500.
    std::function<void(const request&, const std::exception_ptr&)> on_exception;
};

/// The reason phrase of a status code ("Not Found").
[[nodiscard]] std::string_view reason_phrase(int status) noexcept;

class server {
public:
    server(handlers h, limits l);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    server(server&&) = delete;
    server& operator=(server&&) = delete;

    /// Binds and listens (port 0 picks a free one); returns the port.
    /// @throws std::runtime_error naming the address and the system's reason
    int bind(const std::string& address, int port);
    /// Runs the event loops until stop(); returns when every connection has ended.
    void run();
    /// From any thread (not a signal handler): new connections are refused from now on, idle
    /// ones close, requests in progress finish (their responses say Connection: close) within
    /// shutdown_grace, then run() returns.
    void stop() noexcept;

    [[nodiscard]] const limits& settings() const noexcept;

    struct impl;  ///< defined in http.cpp only

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace host::http
