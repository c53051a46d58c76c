// SPDX-License-Identifier: MIT
// The host backend's HTTP/1.1 server: epoll loops, request parsing under limits, the request log.
#include "http.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <exception>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace host::http {

namespace {

using clock = std::chrono::steady_clock;

constexpr char lower_ascii(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
    }
    return true;
}

/// RFC 9110 token characters (method and field names).
bool is_tchar(char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte; a stray '%' stays.
std::string form_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

/// The value of name in "a=1&b=2", decoded; nullopt-like "" with found=false when absent.
bool find_param(std::string_view pairs, std::string_view name, std::string& value) {
    while (!pairs.empty()) {
        const std::size_t amp = pairs.find('&');
        const std::string_view item = pairs.substr(0, amp);
        pairs = amp == std::string_view::npos ? std::string_view() : pairs.substr(amp + 1);
        const std::size_t eq = item.find('=');
        const std::string_view key = item.substr(0, eq);
        if (form_decode(key) == name) {
            value = eq == std::string_view::npos ? std::string() : form_decode(item.substr(eq + 1));
            return true;
        }
    }
    return false;
}

/// Percent-encodes anything outside printable ASCII, so a request cannot forge log lines.
void append_loggable(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    if (s.empty()) {
        out += '-';
        return;
    }
    for (const char ch : s.substr(0, 200)) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7F || c == '%') {
            out += '%';
            out += hex[c >> 4U];
            out += hex[c & 0xFU];
        } else {
            out += ch;
        }
    }
    if (s.size() > 200) out += "...";
}

std::string errno_text(int err) {
    char buf[256];
    // The GNU strerror_r returns the text, which may or may not be in buf.
    return ::strerror_r(err, buf, sizeof buf);
}

struct fd_closer {
    int fd = -1;
    fd_closer() = default;
    explicit fd_closer(int f) noexcept : fd(f) {}
    fd_closer(const fd_closer&) = delete;
    fd_closer& operator=(const fd_closer&) = delete;
    fd_closer(fd_closer&&) = delete;
    fd_closer& operator=(fd_closer&&) = delete;
    ~fd_closer() {
        if (fd >= 0) ::close(fd);
    }
};

/// What went wrong with a request's framing, as the response says it.
struct refusal {
    int status = 0;
    const char* reason = "";
};

/// The head of one request, parsed from text ending in CRLF CRLF. Fills req (method, target,
/// path, query, version, headers); returns a refusal with status 0 when it is well formed.
refusal parse_head(std::string_view head, const limits& lim, request& req) {
    const std::size_t line_end = head.find("\r\n");
    const std::string_view line = head.substr(0, line_end);
    if (line.size() > lim.max_request_line) return {414, "uri-too-long"};
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == 0 || sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        return {400, "bad-request-line"};
    }
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (!std::all_of(method.begin(), method.end(), is_tchar)) return {400, "bad-request-line"};
    if (target.empty() || target.front() != '/') return {400, "bad-request-line"};
    for (const char c : target) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) return {400, "bad-request-line"};
    }
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' ||
        version[5] > '9' || version[7] < '0' || version[7] > '9') {
        return {400, "bad-request-line"};
    }
    if (version[5] != '1') return {505, "http-version"};
    req.method.assign(method);
    req.target.assign(target);
    const std::size_t q = target.find('?');
    req.path.assign(target.substr(0, q));
    if (q != std::string_view::npos) req.query.assign(target.substr(q + 1));
    req.minor_version = version[7] - '0';

    std::string_view rest = head.substr(line_end + 2);
    while (!rest.empty()) {
        const std::size_t end = rest.find("\r\n");
        const std::string_view field = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
        if (field.empty()) break;  // the blank line that ends the head
        if (req.headers.size() >= lim.max_header_fields) return {431, "headers-too-large"};
        if (field.front() == ' ' || field.front() == '\t') return {400, "obsolete-line-folding"};
        const std::size_t colon = field.find(':');
        if (colon == 0 || colon == std::string_view::npos) return {400, "bad-header"};
        const std::string_view name = field.substr(0, colon);
        if (!std::all_of(name.begin(), name.end(), is_tchar)) return {400, "bad-header"};
        std::string_view value = field.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
        for (const char c : value) {
            const auto u = static_cast<unsigned char>(c);
            if ((u < 0x20 && c != '\t') || u == 0x7F) return {400, "bad-header"};
        }
        req.headers.emplace_back(name, value);
    }
    if (req.minor_version == 1 && !req.has_header("Host")) return {400, "no-host"};
    return {};
}

/// Whether a Connection field value lists token (case-insensitive).
/// The body a request's head announces: its size, or why it is refused (status 0: taken).
struct body_frame {
    std::size_t size = 0;
    refusal bad;
};

/// Content-Length only: chunked bodies are refused (411), as is any body on GET or HEAD, a
/// length that is not a number or two lengths that differ (400), and one above lim.max_body (413),
/// all before the body is read.
body_frame frame_body(const request& req, const limits& lim) {
    const bool takes_body = req.method != "GET" && req.method != "HEAD";
    if (req.has_header("Transfer-Encoding")) {
        return {0, takes_body ? refusal{411, "length-required"} : refusal{400, "body-on-get"}};
    }
    std::size_t size = 0;
    bool seen_length = false;
    for (const auto& [name, value] : req.headers) {
        if (!iequals(name, "Content-Length")) continue;
        if (value.empty() || value.size() > 15 ||
            !std::all_of(value.begin(), value.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
            return {0, {400, "bad-content-length"}};
        }
        std::size_t v = 0;
        for (const char ch : value) v = v * 10 + static_cast<std::size_t>(ch - '0');
        if (seen_length && v != size) return {0, {400, "bad-content-length"}};
        seen_length = true;
        size = v;
    }
    if (size > 0 && !takes_body) return {0, {400, "body-on-get"}};
    if (size > lim.max_body) return {0, {413, "body-too-large"}};
    return {size, {}};
}

bool connection_has(std::string_view value, std::string_view token) {
    while (!value.empty()) {
        const std::size_t comma = value.find(',');
        std::string_view item = value.substr(0, comma);
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (iequals(item, token)) return true;
    }
    return false;
}

/// RFC 9110 IMF-fixdate and the log's ISO 8601 time, formatted once per second per loop.
class time_texts {
public:
    void refresh() {
        const std::time_t now = std::time(nullptr);
        if (now == second_) return;
        second_ = now;
        std::tm tm{};
        ::gmtime_r(&now, &tm);
        char buf[64];
        http_date_.assign(buf, std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm));
        log_time_.assign(buf, std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm));
    }
    [[nodiscard]] const std::string& http_date() const noexcept { return http_date_; }
    [[nodiscard]] const std::string& log_time() const noexcept { return log_time_; }

private:
    std::time_t second_ = -1;
    std::string http_date_;
    std::string log_time_;
};

/// Writes all of text to standard output in writes of whole lines of at most PIPE_BUF bytes,
/// which the kernel does not interleave with other threads' writes to a pipe.
void write_log(std::string_view text) {
    constexpr std::size_t atomic_write = 4096;
    while (!text.empty()) {
        std::size_t n = text.size();
        if (n > atomic_write) {
            const std::size_t nl = text.rfind('\n', atomic_write - 1);
            n = nl == std::string_view::npos ? atomic_write : nl + 1;
        }
        const ssize_t w = ::write(STDOUT_FILENO, text.data(), n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;  // a log that cannot be written has no one to report to
        text.remove_prefix(static_cast<std::size_t>(w));
    }
}

}  // namespace

// ---- request and response -------------------------------------------------------------------

std::string_view request::header(std::string_view name) const noexcept {
    for (const auto& [n, v] : headers) {
        if (iequals(n, name)) return v;
    }
    return {};
}

bool request::has_header(std::string_view name) const noexcept {
    return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); });
}

std::string request::param(std::string_view name) const {
    std::string value;
    if (find_param(query, name, value)) return value;
    const std::string_view type = header("Content-Type");
    if (iequals(type.substr(0, type.find(';')), "application/x-www-form-urlencoded")) find_param(body, name, value);
    return value;
}

void request::clear() noexcept {
    method.clear();
    target.clear();
    path.clear();
    query.clear();
    minor_version = 1;
    headers.clear();
    body.clear();
}

void response::set_header(std::string name, std::string value) {
    for (auto& [n, v] : headers) {
        if (iequals(n, name)) {
            v = std::move(value);
            return;
        }
    }
    headers.emplace_back(std::move(name), std::move(value));
}

void response::set_content(std::string text, std::string type) {
    body = std::move(text);
    content_type = std::move(type);
}

void response::redirect(std::string location, int code) {
    status = code;
    set_header("Location", std::move(location));
}

void response::clear() noexcept {
    status = 200;
    headers.clear();
    body.clear();
    content_type.clear();
    log_user.clear();
    log_reason.clear();
    close = false;
}

std::string_view reason_phrase(int status) noexcept {
    switch (status) {
        case 100: return "Continue";
        case 200: return "OK";
        case 204: return "No Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 411: return "Length Required";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "Unknown";
    }
}

// ---- the server ------------------------------------------------------------------------------

namespace {

class loop;

/// A request handed to a slow thread, and its answer on the way back.
struct slow_job {
    loop* owner = nullptr;
    std::uint64_t connection = 0;
    request req;
    response res;
};

}  // namespace

struct server::impl {
    handlers h;
    limits lim;
    int listen_fd = -1;
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> connections{0};
    /// Idle connections some loop should close to make room for ones another loop accepted.
    std::atomic<std::size_t> owed_evictions{0};
    std::mutex loops_mu;  // run() fills and empties loops while stop() may wake them
    std::vector<std::unique_ptr<loop>> loops;

    // The slow threads' queue.
    std::mutex slow_mu;
    std::condition_variable slow_cv;
    std::deque<std::unique_ptr<slow_job>> slow_queue;
    bool slow_done = false;

    impl(handlers hs, limits l) : h(std::move(hs)), lim(l) {}
    ~impl() {
        if (listen_fd >= 0) ::close(listen_fd);
    }
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;
    impl(impl&&) = delete;
    impl& operator=(impl&&) = delete;

    /// Queues a slow request; false when the queue is full.
    bool submit(std::unique_ptr<slow_job>& job) {
        const std::lock_guard<std::mutex> lock(slow_mu);
        if (slow_queue.size() >= lim.max_slow_queue) return false;
        slow_queue.push_back(std::move(job));
        slow_cv.notify_one();
        return true;
    }

    void slow_worker();
    /// Calls the handler, turning an exception into a 500.
    void call(const request& req, response& res) const {
        try {
            h.handle(req, res);
        } catch (...) {
            if (h.on_exception) h.on_exception(req, std::current_exception());
            res.clear();
            res.status = 500;
            res.set_content("500 internal server error\n", "text/plain; charset=utf-8");
            res.log_reason = "handler-exception";
        }
    }
};

namespace {

constexpr std::uint64_t listener_id = 0;
constexpr std::uint64_t wake_id = 1;

class loop {
public:
    explicit loop(server::impl& srv) : srv_(srv) {
        epoll_fd_.fd = ::epoll_create1(EPOLL_CLOEXEC);
        wake_fd_.fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (epoll_fd_.fd < 0 || wake_fd_.fd < 0) throw std::runtime_error("epoll/eventfd: " + errno_text(errno));
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = wake_id;
        if (::epoll_ctl(epoll_fd_.fd, EPOLL_CTL_ADD, wake_fd_.fd, &ev) != 0)
            throw std::runtime_error("epoll_ctl: " + errno_text(errno));
        // EPOLLEXCLUSIVE: a new connection wakes one idle loop, not all of them.
        ev.events = EPOLLIN | EPOLLEXCLUSIVE;
        ev.data.u64 = listener_id;
        if (::epoll_ctl(epoll_fd_.fd, EPOLL_CTL_ADD, srv_.listen_fd, &ev) != 0)
            throw std::runtime_error("epoll_ctl: " + errno_text(errno));
    }

    /// From any thread.
    void wake() const noexcept {
        const std::uint64_t one = 1;
        static_cast<void>(::write(wake_fd_.fd, &one, sizeof one));
    }

    /// How many idle connections this loop had at its last turn (read by the other loops).
    [[nodiscard]] std::size_t idle_count() const noexcept { return idle_count_.load(std::memory_order_relaxed); }

    /// From a slow thread: its answer, to be sent by this loop.
    void complete(std::unique_ptr<slow_job> job) {
        {
            const std::lock_guard<std::mutex> lock(done_mu_);
            done_.push_back(std::move(job));
        }
        wake();
    }

    void run();

private:
    enum class phase { idle, reading, waiting, writing, lingering };

    struct connection {
        int fd = -1;
        std::uint64_t id = 0;
        std::string remote;
        std::string in;
        std::size_t scanned = 0;  // bytes of `in` searched for the end of the head
        std::string out;
        std::size_t out_pos = 0;
        phase state = phase::idle;
        clock::time_point since;  // idle: since when; reading/writing: since the request began
        std::list<connection*>::iterator where;
        std::list<connection*>* list = nullptr;
        bool close_after = false;
        bool sent_continue = false;
        std::uint32_t events = 0;
        // Known once the head is parsed, for a refusal's log line.
        std::string method;
        std::string path;
    };

    // ---- bookkeeping

    static void place(connection& c, phase p, std::list<connection*>& l, clock::time_point since) {
        c.state = p;
        c.since = since;
        if (c.list != nullptr) {
            l.splice(l.end(), *c.list, c.where);
        } else {
            c.where = l.insert(l.end(), &c);
        }
        c.list = &l;
    }
    void to_idle(connection& c, clock::time_point now) {
        c.method.clear();
        c.path.clear();
        c.sent_continue = false;
        if (c.in.capacity() > 4096 && c.in.empty()) std::string().swap(c.in);
        if (c.out.capacity() > 65536) std::string().swap(c.out);
        place(c, phase::idle, idle_, now);
    }
    void interest(connection& c, std::uint32_t events) const {
        if (c.events == events) return;
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = c.id;
        static_cast<void>(::epoll_ctl(epoll_fd_.fd, EPOLL_CTL_MOD, c.fd, &ev));
        c.events = events;
    }
    void close(connection& c) {
        if (c.list != nullptr) c.list->erase(c.where);
        ::close(c.fd);
        srv_.connections.fetch_sub(1, std::memory_order_relaxed);
        conns_.erase(c.id);  // destroys c
    }

    // ---- the request log: one line per request, buffered per loop, written before each wait

    void log(const connection& c, const request* req, const response& res, clock::time_point start) {
        times_.refresh();
        std::string& o = log_;
        o += times_.log_time();
        o += ' ';
        append_loggable(o, c.remote);
        o += ' ';
        append_loggable(o, req != nullptr ? std::string_view(req->method) : std::string_view(c.method));
        o += ' ';
        append_loggable(o, req != nullptr ? std::string_view(req->path) : std::string_view(c.path));
        o += ' ';
        o += std::to_string(res.status);
        o += " user=";
        append_loggable(o, res.log_user);
        char duration[32];
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - start).count();
        const int n = std::snprintf(duration, sizeof duration, " %.1fms", static_cast<double>(us) / 1000.0);
        o.append(duration, static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(sizeof duration) - 1)));
        if (!res.log_reason.empty()) {
            o += " reason=";
            append_loggable(o, res.log_reason);
        }
        o += '\n';
        if (o.size() >= 3072) flush_log();
    }
    void flush_log() {
        if (log_.empty()) return;
        write_log(log_);
        log_.clear();
    }

    // ---- responses

    void serialize(connection& c, bool head_request, int minor_version, response& res) {
        times_.refresh();
        std::string& o = c.out;
        o += "HTTP/1.1 ";
        o += std::to_string(res.status);
        o += ' ';
        o += reason_phrase(res.status);
        o += "\r\nDate: ";
        o += times_.http_date();
        o += "\r\n";
        if (!res.content_type.empty()) {
            o += "Content-Type: ";
            o += res.content_type;
            o += "\r\n";
        }
        const bool no_body = res.status == 204 || res.status == 304 || (res.status >= 100 && res.status < 200);
        if (!no_body) {
            o += "Content-Length: ";
            o += std::to_string(res.body.size());
            o += "\r\n";
        }
        for (const auto& [name, value] : res.headers) {
            o += name;
            o += ": ";
            o += value;
            o += "\r\n";
        }
        if (res.close || c.close_after) {
            c.close_after = true;
            o += "Connection: close\r\n";
        } else if (minor_version == 0) {
            o += "Connection: keep-alive\r\n";
        }
        o += "\r\n";
        if (!head_request && !no_body) o += res.body;
    }

    /// A response the server makes itself (the request could not be read), then closing.
    void refuse(connection& c, int status, const char* reason, clock::time_point start, std::string retry_after = {}) {
        response& res = res_;
        res.clear();
        res.status = status;
        res.set_content(std::to_string(status) + " " + std::string(reason_phrase(status)) + "\n",
                        "text/plain; charset=utf-8");
        if (!retry_after.empty()) res.set_header("Retry-After", std::move(retry_after));
        res.log_reason = reason;
        res.close = true;
        log(c, nullptr, res, start);
        c.in.clear();
        serialize(c, false, 1, res);
        start_writing(c, clock::now());
    }

    // ---- reading and parsing

    void on_readable(connection& c, clock::time_point now) {
        std::array<char, 16384> buf{};
        const std::size_t cap = srv_.lim.max_header_bytes + srv_.lim.max_body + 4;
        while (true) {
            const ssize_t n = ::recv(c.fd, buf.data(), buf.size(), 0);
            if (n > 0) {
                if (c.state == phase::lingering) continue;  // discarded
                if (c.state == phase::idle) place(c, phase::reading, busy_, now);
                c.in.append(buf.data(), static_cast<std::size_t>(n));
                // A short read emptied the socket (epoll reports anything later): no second recv
                // just to hear EAGAIN. Past cap there is enough to decide; the rest can wait.
                if (static_cast<std::size_t>(n) < buf.size() || c.in.size() > cap) break;
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            close(c);  // end of stream or an error: a half-sent request is the client's loss
            return;
        }
        if (c.state == phase::reading) process(c, now);
    }

    /// Handles every complete request in c.in, in order.
    void process(connection& c, clock::time_point now) {
        const limits& lim = srv_.lim;
        while (c.state == phase::reading && c.out.size() < 65536) {
            // Empty lines before a request line are allowed (RFC 9112, section 2.2).
            std::size_t skip = 0;
            while (skip + 1 < c.in.size() && c.in[skip] == '\r' && c.in[skip + 1] == '\n') skip += 2;
            if (skip != 0) {
                c.in.erase(0, skip);
                c.scanned = 0;
            }
            if (c.in.empty()) {
                if (c.out.empty()) to_idle(c, now);
                break;
            }
            const std::size_t from = c.scanned > 3 ? c.scanned - 3 : 0;
            const std::size_t end = c.in.find("\r\n\r\n", from);
            if (end == std::string::npos) {
                c.scanned = c.in.size();
                const std::size_t line_end = c.in.find("\r\n");
                if ((line_end == std::string::npos ? c.in.size() : line_end) > lim.max_request_line) {
                    refuse(c, 414, "uri-too-long", c.since);
                } else if (c.in.size() > lim.max_header_bytes) {
                    refuse(c, 431, "headers-too-large", c.since);
                }
                return;
            }
            const std::size_t head_size = end + 4;
            if (head_size > lim.max_header_bytes) {
                const std::size_t line_end = c.in.find("\r\n");
                refuse(c, line_end > lim.max_request_line ? 414 : 431,
                       line_end > lim.max_request_line ? "uri-too-long" : "headers-too-large", c.since);
                return;
            }
            request& req = req_;
            req.clear();
            req.remote_addr = c.remote;
            const refusal bad = parse_head(std::string_view(c.in).substr(0, head_size), lim, req);
            c.method = req.method;
            c.path = req.path;
            if (bad.status != 0) {
                refuse(c, bad.status, bad.reason, c.since);
                return;
            }
            const body_frame frame = frame_body(req, lim);
            if (frame.bad.status != 0) {
                refuse(c, frame.bad.status, frame.bad.reason, c.since);
                return;
            }
            const std::size_t body_size = frame.size;
            if (c.in.size() < head_size + body_size) {
                // Wait for the body; a client that asked first is told to go on.
                c.scanned = 0;  // the head is found again from the start next time
                if (!c.sent_continue && iequals(req.header("Expect"), "100-continue")) {
                    c.sent_continue = true;
                    c.out += "HTTP/1.1 100 Continue\r\n\r\n";
                    flush(c, now);  // may close c: nothing after this
                }
                return;
            }
            req.body.assign(c.in, head_size, body_size);
            c.in.erase(0, head_size + body_size);
            c.scanned = 0;
            const bool keep_alive = req.minor_version == 1 ? !connection_has(req.header("Connection"), "close")
                                                           : connection_has(req.header("Connection"), "keep-alive");
            if (!keep_alive || stopping_) c.close_after = true;
            const clock::time_point start = c.since;

            if (srv_.h.slow && srv_.h.slow(req)) {
                auto job = std::make_unique<slow_job>();
                job->owner = this;
                job->connection = c.id;
                job->req = std::move(req);
                if (!srv_.submit(job)) {
                    req = std::move(job->req);
                    refuse(c, 503, "busy", start, "1");
                    return;
                }
                place(c, phase::waiting, waiting_, start);
                interest(c, 0);  // nothing read until the answer is sent
                return;
            }
            response& res = res_;
            res.clear();
            srv_.call(req, res);
            log(c, &req, res, start);
            serialize(c, req.method == "HEAD", req.minor_version, res);
            if (c.close_after) {
                c.in.clear();
                break;
            }
            // Another request may follow in the buffer (pipelining); its clock starts now.
            c.since = now;
        }
        if (!c.out.empty()) start_writing(c, now);
    }

    // ---- writing

    /// The response deadline runs from now. May close c.
    void start_writing(connection& c, clock::time_point now) {
        place(c, phase::writing, busy_, now);
        flush(c, now);
    }

    /// Sends what is queued; afterwards the connection reads again, lingers, or waits for EPOLLOUT.
    /// May close c (a send error).
    void flush(connection& c, clock::time_point now) {
        while (c.out_pos < c.out.size()) {
            const ssize_t n = ::send(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos, MSG_NOSIGNAL);
            if (n > 0) {
                c.out_pos += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                interest(c, EPOLLOUT);
                return;
            }
            close(c);
            return;
        }
        c.out.clear();
        c.out_pos = 0;
        if (c.state != phase::writing) {  // a 100 Continue while reading a body
            interest(c, EPOLLIN);
            return;
        }
        if (c.close_after) {
            // Stop sending, keep reading (and discarding) for a while: closing with unread data
            // would reset the connection, and the client could lose the response.
            ::shutdown(c.fd, SHUT_WR);
            place(c, phase::lingering, lingering_, now);
            interest(c, EPOLLIN);
            return;
        }
        interest(c, EPOLLIN);
        if (c.in.empty()) {
            to_idle(c, now);
        } else {
            // A pipelined request is already here: handled by the loop after this batch of events
            // (not from here, which would make flush, process and refuse call each other).
            place(c, phase::reading, busy_, now);
            ready_.push_back(c.id);
        }
    }

    // ---- slow answers

    void take_completions(clock::time_point now) {
        std::vector<std::unique_ptr<slow_job>> done;
        {
            const std::lock_guard<std::mutex> lock(done_mu_);
            done.swap(done_);
        }
        for (auto& job : done) {
            const auto it = conns_.find(job->connection);
            if (it == conns_.end() || it->second->state != phase::waiting) continue;  // closed meanwhile
            connection& c = *it->second;
            if (stopping_) c.close_after = true;
            log(c, &job->req, job->res, c.since);
            serialize(c, job->req.method == "HEAD", job->req.minor_version, job->res);
            if (c.close_after) c.in.clear();
            interest(c, EPOLLIN);
            start_writing(c, now);
        }
    }

    // ---- connections

    void accept_all(clock::time_point now) {
        for (int i = 0; i < 64; ++i) {
            sockaddr_storage addr{};
            socklen_t len = sizeof addr;
            const int fd = ::accept4(srv_.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len,
                                     SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                    // Out of descriptors: stop listening here for a moment rather than spin.
                    static_cast<void>(::epoll_ctl(epoll_fd_.fd, EPOLL_CTL_DEL, srv_.listen_fd, nullptr));
                    listener_paused_until_ = now + std::chrono::milliseconds(100);
                    std::fprintf(stderr, "warning: cannot accept a connection: %s\n", errno_text(errno).c_str());
                }
                return;  // EAGAIN (taken by another loop), or EINVAL after stop()
            }
            const int one = 1;
            static_cast<void>(::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
            char host[INET6_ADDRSTRLEN] = "-";
            if (addr.ss_family == AF_INET) {
                ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr, host, sizeof host);
            } else if (addr.ss_family == AF_INET6) {
                ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr, host, sizeof host);
            }
            auto owned = std::make_unique<connection>();
            connection& c = *owned;
            c.fd = fd;
            c.id = next_id_++;
            c.remote = host;
            conns_.emplace(c.id, std::move(owned));
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = c.id;
            c.events = EPOLLIN;
            if (::epoll_ctl(epoll_fd_.fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
                ::close(fd);
                conns_.erase(c.id);
                continue;
            }
            const std::size_t count = srv_.connections.fetch_add(1, std::memory_order_relaxed) + 1;
            place(c, phase::idle, idle_, now);
            if (count > srv_.lim.max_connections) {
                // Full: the connection idle longest here makes room, or one idle in another loop
                // (which closes it at its next turn); with none idle anywhere, the new one goes.
                if (idle_.size() > 1) {
                    close(*idle_.front());
                } else if (loop* other = loop_with_idle()) {
                    srv_.owed_evictions.fetch_add(1, std::memory_order_relaxed);
                    other->wake();
                } else {
                    refuse(c, 503, "connection-limit", now, "1");
                }
            }
        }
    }

    /// Another loop with an idle connection to spare, or nullptr. (The loops are fixed while
    /// they run: run() fills the list before starting them.)
    [[nodiscard]] loop* loop_with_idle() const noexcept {
        for (const auto& l : srv_.loops) {
            if (l.get() != this && l->idle_count() > srv_.owed_evictions.load(std::memory_order_relaxed)) {
                return l.get();
            }
        }
        return nullptr;
    }

    /// Closes idle connections other loops asked room for.
    void pay_evictions() {
        std::size_t owed = srv_.owed_evictions.load(std::memory_order_relaxed);
        while (owed > 0 && !idle_.empty()) {
            if (srv_.owed_evictions.compare_exchange_weak(owed, owed - 1, std::memory_order_relaxed)) {
                close(*idle_.front());
                owed = srv_.owed_evictions.load(std::memory_order_relaxed);
            }
        }
    }

    void expire(clock::time_point now) {
        const limits& lim = srv_.lim;
        while (!idle_.empty() && idle_.front()->since + lim.keep_alive_timeout <= now) close(*idle_.front());
        while (!busy_.empty() && busy_.front()->since + lim.request_timeout <= now) {
            connection& c = *busy_.front();
            if (c.state == phase::reading) {
                refuse(c, 408, "request-timeout", c.since);
                // refuse() restarted its clock for writing the 408; it goes to the back
            } else {
                close(c);  // the client does not take its response
            }
        }
        while (!lingering_.empty() && lingering_.front()->since + lim.linger <= now) close(*lingering_.front());
        if (listener_paused_until_ && *listener_paused_until_ <= now && !stopping_) {
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLEXCLUSIVE;
            ev.data.u64 = listener_id;
            static_cast<void>(::epoll_ctl(epoll_fd_.fd, EPOLL_CTL_ADD, srv_.listen_fd, &ev));
            listener_paused_until_.reset();
        }
        if (stopping_ && now >= stop_deadline_) {
            while (!conns_.empty()) close(*conns_.begin()->second);
        }
    }

    /// The wait until the next deadline, in milliseconds (at most a second).
    int next_timeout(clock::time_point now) const {
        clock::time_point next = now + std::chrono::seconds(1);
        const limits& lim = srv_.lim;
        if (!idle_.empty()) next = std::min(next, idle_.front()->since + lim.keep_alive_timeout);
        if (!busy_.empty()) next = std::min(next, busy_.front()->since + lim.request_timeout);
        if (!lingering_.empty()) next = std::min(next, lingering_.front()->since + lim.linger);
        if (listener_paused_until_) next = std::min(next, *listener_paused_until_);
        if (stopping_) next = std::min(next, stop_deadline_);
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
        return static_cast<int>(std::clamp<long long>(ms, 0, 1000));
    }

    void begin_stop(clock::time_point now) {
        stopping_ = true;
        stop_deadline_ = now + srv_.lim.shutdown_grace;
        static_cast<void>(::epoll_ctl(epoll_fd_.fd, EPOLL_CTL_DEL, srv_.listen_fd, nullptr));
        listener_paused_until_.reset();
        for (auto& [id, c] : conns_) c->close_after = true;
        // An idle connection whose next request has already arrived is served (its response
        // closes it); the others close now.
        std::vector<connection*> idle(idle_.begin(), idle_.end());
        for (connection* c : idle) {
            const std::uint64_t id = c->id;
            on_readable(*c, now);
            const auto it = conns_.find(id);
            if (it != conns_.end() && it->second->state == phase::idle) close(*it->second);
        }
    }

    server::impl& srv_;
    fd_closer epoll_fd_;
    fd_closer wake_fd_;
    std::unordered_map<std::uint64_t, std::unique_ptr<connection>> conns_;
    std::list<connection*> idle_;       // waiting for a request; deadline keep_alive_timeout
    std::list<connection*> busy_;       // reading a request or writing its response; request_timeout
    std::list<connection*> waiting_;    // a slow thread has the request; no deadline of its own
    std::list<connection*> lingering_;  // closing; linger
    std::atomic<std::size_t> idle_count_{0};
    std::vector<std::uint64_t> ready_;  // connections with a whole request buffered, to process
    std::uint64_t next_id_ = 2;
    std::optional<clock::time_point> listener_paused_until_;
    bool stopping_ = false;
    clock::time_point stop_deadline_;
    request req_;
    response res_;
    time_texts times_;
    std::string log_;
    std::mutex done_mu_;
    std::vector<std::unique_ptr<slow_job>> done_;
};

void loop::run() {
    std::array<epoll_event, 128> events{};
    while (true) {
        clock::time_point now = clock::now();
        if (!stopping_ && srv_.stopping.load(std::memory_order_acquire)) begin_stop(now);
        if (stopping_ && conns_.empty()) break;
        // Log lines go out before the loop would sleep, or in ~3 KiB batches under load: a write
        // per request would cost as much as the rest of the request's handling.
        int n = 0;
        if (!log_.empty()) n = ::epoll_wait(epoll_fd_.fd, events.data(), static_cast<int>(events.size()), 0);
        if (n == 0) {
            flush_log();
            n = ::epoll_wait(epoll_fd_.fd, events.data(), static_cast<int>(events.size()), next_timeout(now));
        }
        if (n < 0 && errno != EINTR) throw std::runtime_error("epoll_wait: " + errno_text(errno));
        now = clock::now();
        for (int i = 0; i < n; ++i) {
            const std::uint64_t id = events[static_cast<std::size_t>(i)].data.u64;
            const std::uint32_t ev = events[static_cast<std::size_t>(i)].events;
            if (id == listener_id) {
                if (!stopping_) accept_all(now);
                continue;
            }
            if (id == wake_id) {
                std::uint64_t count = 0;
                static_cast<void>(::read(wake_fd_.fd, &count, sizeof count));
                take_completions(now);
                continue;
            }
            const auto it = conns_.find(id);
            if (it == conns_.end()) continue;  // closed earlier in this batch
            connection& c = *it->second;
            if ((ev & EPOLLOUT) != 0U && !c.out.empty()) {
                flush(c, now);
            } else if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0U) {
                if (c.state == phase::waiting) {
                    // Only errors are reported while waiting (interest 0): the client has gone.
                    if ((ev & (EPOLLHUP | EPOLLERR)) != 0U) close(c);
                } else {
                    on_readable(c, now);
                }
            }
        }
        std::size_t next = 0;
        while (next < ready_.size()) {  // process() may add to ready_: no iterators kept
            const auto it = conns_.find(ready_[next++]);
            if (it != conns_.end() && it->second->state == phase::reading) process(*it->second, now);
        }
        ready_.clear();
        expire(now);
        pay_evictions();
        idle_count_.store(idle_.size(), std::memory_order_relaxed);
    }
    flush_log();
}

}  // namespace

void server::impl::slow_worker() {
    while (true) {
        std::unique_ptr<slow_job> job;
        {
            std::unique_lock<std::mutex> lock(slow_mu);
            slow_cv.wait(lock, [&] { return slow_done || !slow_queue.empty(); });
            if (slow_queue.empty()) return;
            job = std::move(slow_queue.front());
            slow_queue.pop_front();
        }
        call(job->req, job->res);
        loop* owner = job->owner;
        owner->complete(std::move(job));
    }
}

server::server(handlers h, limits l) : impl_(std::make_unique<impl>(std::move(h), l)) {
    if (impl_->lim.threads == 0) impl_->lim.threads = std::max(1U, std::thread::hardware_concurrency());
    impl_->lim.slow_threads = std::max(1U, impl_->lim.slow_threads);
}

server::~server() = default;

const limits& server::settings() const noexcept { return impl_->lim; }

int server::bind(const std::string& address, int port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    const int rc = ::getaddrinfo(address.empty() ? nullptr : address.c_str(), service.c_str(), &hints, &found);
    if (rc != 0) throw std::runtime_error("cannot listen on " + address + ": " + ::gai_strerror(rc));
    const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
    std::string why = "no address";
    for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
        const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            why = errno_text(errno);
            continue;
        }
        const int one = 1;
        static_cast<void>(::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
        if (::bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
            why = errno_text(errno);
            ::close(fd);
            continue;
        }
        sockaddr_storage bound{};
        socklen_t len = sizeof bound;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
        impl_->listen_fd = fd;
        return ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port
                                                 : reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
    }
    throw std::runtime_error("cannot listen on " + address + ":" + service + ": " + why);
}

void server::run() {
    impl& s = *impl_;
    if (s.listen_fd < 0) throw std::logic_error("server::run before bind");
    std::vector<loop*> loops;
    {
        const std::lock_guard<std::mutex> lock(s.loops_mu);
        for (unsigned i = 0; i < s.lim.threads; ++i) {
            s.loops.push_back(std::make_unique<loop>(s));
            loops.push_back(s.loops.back().get());
        }
    }
    std::vector<std::thread> slow;
    slow.reserve(s.lim.slow_threads);
    for (unsigned i = 0; i < s.lim.slow_threads; ++i) slow.emplace_back([&s] { s.slow_worker(); });
    std::vector<std::thread> threads;
    threads.reserve(loops.size());
    std::exception_ptr failure;
    std::mutex failure_mu;
    for (loop* l : loops) {
        threads.emplace_back([&, lp = l] {
            try {
                lp->run();
            } catch (...) {
                const std::lock_guard<std::mutex> lock(failure_mu);
                if (!failure) failure = std::current_exception();
                stop();
            }
        });
    }
    for (auto& t : threads) t.join();
    {
        const std::lock_guard<std::mutex> lock(s.slow_mu);
        s.slow_done = true;
        s.slow_queue.clear();  // their connections are gone
    }
    s.slow_cv.notify_all();
    for (auto& t : slow) t.join();
    {
        const std::lock_guard<std::mutex> lock(s.loops_mu);
        s.loops.clear();
    }
    if (failure) std::rethrow_exception(failure);
}

void server::stop() noexcept {
    impl& s = *impl_;
    if (s.stopping.exchange(true)) return;
    // Refuses new connections at once (Linux: a listening socket shut down stops listening, and
    // connections not yet accepted are reset); the descriptor itself closes with the server.
    if (s.listen_fd >= 0) ::shutdown(s.listen_fd, SHUT_RD);
    const std::lock_guard<std::mutex> lock(s.loops_mu);
    for (auto& l : s.loops) l->wake();
}

}  // namespace host::http
