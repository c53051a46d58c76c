// SPDX-License-Identifier: MIT
// Routes, page templates and the request log of the host backend.
#include "server.hpp"

#include "assets.hpp"

// cpp-httplib without CPPHTTPLIB_OPENSSL_SUPPORT: this server speaks plain HTTP (put TLS in a
// reverse proxy), and <openssl/ssl.h> is never included. Debian's libcpp-httplib-dev is a
// compiled build made with that macro, which adds one member (`ssl`) to httplib::Request after
// the ones used here; so this file only reads Requests the library made (method, path, headers,
// params, body, remote_addr) and never creates, copies or destroys one.
#include <jwtmint/base64url.hpp>
#include <jwtmint/error.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace host {

namespace {

using httplib::Request;
using httplib::Response;

constexpr std::string_view cookie_name = "jwtmint_session";
constexpr std::string_view token_path = "/api/customgpt-jwt";
constexpr std::string_view jwks_path = "/.well-known/jwks.json";
constexpr std::string_view html_type = "text/html; charset=utf-8";
constexpr std::string_view text_type = "text/plain; charset=utf-8";

struct page_info {
    std::string_view path;
    std::string_view file;
    std::string_view label;
    std::string_view summary;
};

constexpr page_info widget_pages[] = {
    {"/standard-embed", "standard-embed.html", "Standard embed",
     "embed.js builds the chat iframe on page load; the page fetches a token on load and calls "
     "window.CustomGPTEmbed.setJwtToken(token)."},
    {"/live-chat", "live-chat.html", "Live Chat",
     "chat.js shows a bubble; the page passes a resolver to CustomGPT.init({jwt}), and a "
     "fresh token is fetched each time the bubble opens."},
    {"/ai-assistant", "ai-assistant.html", "AI Assistant",
     "builds its iframe on page load; the page calls "
     "window.CustomGPTAiAssistant.setJwtToken(token)."},
    {"/instant-viewer", "instant-viewer.html", "Instant Viewer",
     "builds its iframe on page load; the page calls "
     "window.CustomGPTInstantViewer.setJwtToken(token)."},
};

/// Per request, on the worker thread that serves it (cpp-httplib runs the pre-routing handler,
/// the route and the logger of one request on one thread): the start time for the log, and the
/// signed-in user, looked up once from the cookie.
struct request_context {
    std::chrono::steady_clock::time_point start;
    bool active = false;
    std::string session_id;  // the cookie's value; never logged
    std::string user;        // "" when signed out
};
// Its constructor cannot throw: time_point's and string's default constructors do not (the former
// is just not declared noexcept).
// NOLINTNEXTLINE(cert-err58-cpp)
thread_local request_context current;

/// base64url(SHA-256(text)): a strong validator of a document.
std::string sha256_base64url(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed (EVP_Digest)");
    }
    return jwt::base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), size));
}

std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

/// A JSON string literal that is also safe inside a <script> element.
std::string script_string(std::string_view s) {
    const std::string json =
        nlohmann::json(std::string(s)).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
    std::string out;
    for (const char c : json) {
        switch (c) {
            case '<': out += "\\u003c"; break;
            case '>': out += "\\u003e"; break;
            case '&': out += "\\u0026"; break;
            default: out += c;
        }
    }
    return out;
}

using template_vars = std::map<std::string, std::string, std::less<>>;

/// Fills {{name}} (HTML-escaped), {{json:name}} (a script-safe JSON string) and {{raw:name}}
/// (HTML the server built itself). @throws std::logic_error for a name not in vars
std::string render(std::string_view text, const template_vars& vars) {
    std::string out;
    out.reserve(text.size() + 1024);
    std::size_t pos = 0;
    while (true) {
        const std::size_t open = text.find("{{", pos);
        if (open == std::string_view::npos) break;
        const std::size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos) throw std::logic_error("unclosed {{ in a page template");
        out.append(text.substr(pos, open - pos));
        std::string_view key = text.substr(open + 2, close - open - 2);
        enum { html, json, raw } mode = html;
        if (key.substr(0, 5) == "json:") {
            mode = json;
            key.remove_prefix(5);
        } else if (key.substr(0, 4) == "raw:") {
            mode = raw;
            key.remove_prefix(4);
        }
        const auto it = vars.find(key);
        if (it == vars.end())
            throw std::logic_error("page template refers to unknown value '" + std::string(key) + "'");
        out += mode == html ? html_escape(it->second) : mode == json ? script_string(it->second) : it->second;
        pos = close + 2;
    }
    out.append(text.substr(pos));
    return out;
}

std::string_view asset(std::string_view name) {
    const auto file = embedded_file(name);
    if (!file) throw std::logic_error("missing embedded file " + std::string(name));
    return *file;
}

std::string cookie_value(const Request& req, std::string_view name) {
    const std::string header = req.get_header_value("Cookie");
    std::string_view rest = header;
    while (!rest.empty()) {
        const std::size_t semi = rest.find(';');
        std::string_view item = rest.substr(0, semi);
        rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        const std::size_t eq = item.find('=');
        if (eq != std::string_view::npos && item.substr(0, eq) == name) return std::string(item.substr(eq + 1));
    }
    return {};
}

/// A state-changing form must come from our own pages: browsers send Origin on POST, and a
/// different one means another site is submitting (cookies are SameSite=Lax, this is the second
/// line). Clients that send no Origin (curl, scripts) are allowed.
bool same_origin(const Request& req) {
    if (!req.has_header("Origin")) return true;
    return req.get_header_value("Origin") == "http://" + req.get_header_value("Host");
}

/// Only our own pages are places to return to after sign-in (no open redirect).
std::string safe_next(std::string_view next) {
    for (const page_info& p : widget_pages) {
        if (next == p.path) return std::string(next);
    }
    return "/";
}

std::string session_cookie(std::string_view id) {
    return std::string(cookie_name) + "=" + std::string(id) + "; HttpOnly; SameSite=Lax; Path=/";
}

std::string format_roles(const std::vector<std::string>& roles) {
    std::string out;
    for (const auto& r : roles) {
        if (!out.empty()) out += ", ";
        out += r;
    }
    return out;
}

std::string identity_of(const user& u) {
    if (!u.email.empty()) return "email " + u.email;
    if (!u.upn.empty()) return "upn " + u.upn;
    if (!u.preferred_username.empty()) return "preferred_username " + u.preferred_username;
    return "no identity claim";
}

/// Percent-encodes anything outside printable ASCII, so a request cannot forge log lines.
std::string loggable(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
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
    return out;
}

std::string reason_phrase(int status) {
    switch (status) {
        case 400: return "bad request";
        case 403: return "forbidden";
        case 404: return "not found";
        case 405: return "method not allowed";
        case 413: return "payload too large";
        case 414: return "URI too long";
        case 500: return "internal server error";
        default: return "error";
    }
}

std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf, n);  // n is 0 if the text did not fit (it does: 20 characters to year 9999)
}

class routes {
public:
    explicit routes(app_state app) : app_(std::move(app)) {}

    [[nodiscard]] const user* signed_in_user() const {
        return current.user.empty() ? nullptr : app_.users.find(current.user);
    }

    [[nodiscard]] std::string header_html(std::string_view active_path) const {
        std::string h = "<header class=\"topbar\">\n";
        h += "  <a class=\"brand\" href=\"/\">jwtmint host backend</a>\n  <nav>";
        for (const page_info& p : widget_pages) {
            h += "<a href=\"" + std::string(p.path) + "\"";
            if (p.path == active_path) h += " aria-current=\"page\"";
            h += ">" + html_escape(p.label) + "</a>";
        }
        h += "</nav>\n  <div class=\"who\">";
        if (const user* u = signed_in_user()) {
            h += R"(Signed in as <strong id="signed-in-user">)" + html_escape(u->username) +
                 R"(</strong> <form method="post" action="/logout">)" +
                 R"(<button type="submit">Sign out</button></form>)";
        } else {
            const std::string next = active_path == "/" ? "/" : "/?next=" + std::string(active_path);
            h += "Not signed in &middot; <a href=\"" + html_escape(next) + "\">Sign in</a>";
        }
        h += "</div>\n</header>";
        return h;
    }

    [[nodiscard]] template_vars common_vars(std::string_view active_path) const {
        const jwt::login_policy& policy = app_.minter.policy();
        return template_vars{
            {"header", header_html(active_path)},
            {"project_id", app_.pages.project_id},
            {"project_key", app_.pages.project_key},
            {"embed_script_url", app_.pages.embed_script_url},
            {"live_chat_script_url", app_.pages.live_chat_script_url},
            {"ai_assistant_script_url", app_.pages.ai_assistant_script_url},
            {"instant_viewer_script_url", app_.pages.instant_viewer_script_url},
            {"alg", std::string(app_.minter.alg())},
            {"role_claim", policy.role_claim()},
            {"role_format",
             policy.role_format() == jwt::role_format::array ? "a JSON array" : "a comma-separated string"},
            {"ttl", std::to_string(app_.minter.ttl().count())},
        };
    }

    [[nodiscard]] std::string index_html(std::string_view next, std::string_view error) const {
        template_vars vars = common_vars("/");
        std::string session;
        if (const user* u = signed_in_user()) {
            template_vars s = vars;
            s["username"] = u->username;
            s["display_name"] = u->display_name.empty() ? u->username : u->display_name;
            s["roles"] = format_roles(u->roles);
            s["identity"] = identity_of(*u);
            session = render(asset("signed-in.html"), s);
        } else {
            template_vars s = vars;
            s["next"] = std::string(next);
            s["error"] = std::string(error);
            s["error_hidden"] = error.empty() ? "hidden" : "";
            std::string demo;
            for (const user& d : app_.users.all()) {
                demo += "<li><code>" + html_escape(d.username) + "</code>: " + html_escape(format_roles(d.roles)) +
                        " <span class=\"muted\">(" + html_escape(identity_of(d)) + ")</span></li>";
            }
            s["demo_users"] = demo;
            s["note"] = app_.users.note();
            session = render(asset("sign-in.html"), s);
        }
        vars["session_section"] = session;
        std::string cards;
        for (const page_info& p : widget_pages) {
            cards += "<li><a href=\"" + std::string(p.path) + "\">" + html_escape(p.label) +
                     "</a>: " + html_escape(p.summary) + "</li>\n";
        }
        vars["page_cards"] = cards;
        const std::string public_key_pem = app_.minter.public_key_pem();
        if (public_key_pem.empty()) {
            vars["key_section"] =
                "<p>HS256: paste the shared secret from the secret file into the vendor's settings "
                "(it is not shown here).</p>";
        } else {
            vars["key_section"] =
                "<p>Paste this public key into the vendor's settings "
                "(My Profile &rarr; SSO &rarr; JWT Authorization, algorithm " +
                html_escape(app_.minter.alg()) + "):</p>\n<pre id=\"public-key\">" + html_escape(public_key_pem) +
                "</pre>";
        }
        return render(asset("index.html"), vars);
    }

    /// Registers the handlers; each holds a reference to self, so the routes live as long as the
    /// server.
    static void install(httplib::Server& server, const std::shared_ptr<const routes>& self) {
        server.set_pre_routing_handler([self](const Request& req, Response& res) { return self->pre_route(req, res); });

        server.Get("/", [self](const Request& req, Response& res) {
            send_page(res, self->index_html(safe_next(req.get_param_value("next")), {}));
        });
        for (const page_info& p : widget_pages) {
            server.Get(std::string(p.path), [self, &p](const Request&, Response& res) {
                send_page(res, render(asset(p.file), self->common_vars(p.path)));
            });
        }
        server.Get("/static/style.css",
                   [](const Request&, Response& res) { send_asset(res, "style.css", "text/css; charset=utf-8"); });
        server.Get("/static/page.js",
                   [](const Request&, Response& res) { send_asset(res, "page.js", "text/javascript; charset=utf-8"); });
        server.Get("/widget/stand-in.js", [](const Request&, Response& res) {
            send_asset(res, "stand-in-widget.js", "text/javascript; charset=utf-8");
        });

        server.Get(std::string(token_path), [self](const Request&, Response& res) { self->token(res); });
        server.Get(std::string(jwks_path), [self](const Request& req, Response& res) { self->jwks(req, res); });
        server.Get("/login", [](const Request&, Response& res) { res.set_redirect("/", 303); });
        server.Post("/login", [self](const Request& req, Response& res) { self->login(req, res); });
        server.Post("/logout", [self](const Request& req, Response& res) { self->logout(req, res); });

        // An empty error response gets a short text body; our own error bodies are kept.
        server.set_error_handler(httplib::Server::HandlerWithResponse([](const Request&, Response& res) {
            if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
            res.set_content(std::to_string(res.status) + " " + reason_phrase(res.status) + "\n",
                            std::string(text_type));
            return httplib::Server::HandlerResponse::Handled;
        }));
        server.set_exception_handler([](const Request&, Response& res, const std::exception_ptr& ep) {
            std::string what = "unknown exception";
            try {
                if (ep) std::rethrow_exception(ep);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
            std::fprintf(stderr, "error: %s\n", what.c_str());
            res.status = 500;
            res.set_content("500 internal server error\n", std::string(text_type));
        });
        server.set_logger([](const Request& req, const Response& res) { log_request(req, res); });
    }

private:
    /// Runs first for every request: times it, resolves the session once, and turns away
    /// methods a route does not take (405 with Allow), HEAD included for the token.
    httplib::Server::HandlerResponse pre_route(const Request& req, Response& res) const {
        current = request_context{};
        current.start = std::chrono::steady_clock::now();
        current.active = true;
        current.session_id = cookie_value(req, cookie_name);
        if (!current.session_id.empty()) {
            if (auto name = app_.sessions.find(current.session_id)) current.user = std::move(*name);
        }
        std::string_view allow;
        if (req.path == token_path) {
            allow = "GET";
        } else if (req.path == "/logout") {
            allow = "POST";
        } else if (req.path == "/login") {
            allow = "GET, HEAD, POST";
        } else if (req.path == "/" || req.path == jwks_path || req.path.rfind("/static/", 0) == 0 ||
                   req.path.rfind("/widget/", 0) == 0 || is_widget_page(req.path)) {
            allow = "GET, HEAD";
        } else {
            return httplib::Server::HandlerResponse::Unhandled;
        }
        if (method_in(req.method, allow)) return httplib::Server::HandlerResponse::Unhandled;
        res.status = 405;
        res.set_header("Allow", std::string(allow));
        if (req.path == token_path) res.set_header("Cache-Control", "no-store");
        res.set_content("405 method not allowed (allowed: " + std::string(allow) + ")\n", std::string(text_type));
        return httplib::Server::HandlerResponse::Handled;
    }

    static bool method_in(std::string_view method, std::string_view allow) {
        while (!allow.empty()) {
            const std::size_t comma = allow.find(',');
            if (allow.substr(0, comma) == method) return true;
            if (comma == std::string_view::npos) break;
            allow.remove_prefix(comma + 1);
            while (!allow.empty() && allow.front() == ' ') allow.remove_prefix(1);
        }
        return false;
    }

    static bool is_widget_page(std::string_view path) {
        for (const page_info& p : widget_pages) {
            if (p.path == path) return true;
        }
        return false;
    }

    static void send_page(Response& res, const std::string& html) {
        res.set_header("Cache-Control", "no-store");  // pages differ per session
        res.set_content(html, std::string(html_type));
    }

    static void send_asset(Response& res, std::string_view name, std::string_view type) {
        res.set_header("Cache-Control", "no-cache");
        const std::string_view body = asset(name);
        res.set_content(body.data(), body.size(), std::string(type));
    }

    /// GET /api/customgpt-jwt: the signed-in user's token. Who the user is and which roles they
    /// have come from the session alone; nothing in the request can change them.
    void token(Response& res) const {
        res.set_header("Cache-Control", "no-store");
        const user* u = signed_in_user();
        if (u == nullptr) {
            res.status = 401;
            res.set_content("401 not signed in: sign in at / first\n", std::string(text_type));
            return;
        }
        try {
            res.set_content(app_.minter.mint(*u), std::string(text_type));
        } catch (const jwt::error& e) {
            std::fprintf(stderr, "error: cannot mint a token for '%s': %s: %s\n", u->username.c_str(),
                         jwt::errc_name(e.value()), e.what());
            res.status = 500;
            res.set_content("500 could not mint a token (see the server log)\n", std::string(text_type));
        }
    }

    /// GET /.well-known/jwks.json: the public keys of the key ring (current, next, and retired
    /// keys whose tokens may still be alive), cacheable, with a strong ETag for revalidation.
    void jwks(const Request& req, Response& res) const {
        const std::optional<std::string> document = app_.minter.public_jwks();
        if (!document) {
            res.status = 404;
            res.set_header("Cache-Control", "no-store");
            res.set_content(
                "404 no JWK Set: this backend signs with HS256, a shared secret, which is never published (the "
                "vendor's settings hold the same secret)\n",
                std::string(text_type));
            return;
        }
        const std::string etag = "\"" + sha256_base64url(*document) + "\"";
        res.set_header("Cache-Control", "public, max-age=" + std::to_string(jwks_max_age));
        res.set_header("ETag", etag);
        if (etag_matches(req.get_header_value("If-None-Match"), etag)) {
            res.status = 304;
            return;
        }
        res.set_content(*document, "application/json");
    }

    /// Whether an If-None-Match value names etag (RFC 9110 section 13.1.2: "*", or a list of
    /// entity tags compared weakly, so W/"x" matches "x").
    static bool etag_matches(std::string_view header, std::string_view etag) {
        while (!header.empty()) {
            const std::size_t comma = header.find(',');
            std::string_view item = header.substr(0, comma);
            while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
            while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
            if (item.rfind("W/", 0) == 0) item.remove_prefix(2);
            if (item == "*" || item == etag) return true;
            if (comma == std::string_view::npos) break;
            header.remove_prefix(comma + 1);
        }
        return false;
    }

    void login(const Request& req, Response& res) const {
        if (!same_origin(req)) {
            res.status = 403;
            res.set_content("403 cross-site sign-in refused\n", std::string(text_type));
            return;
        }
        const std::string username = req.get_param_value("username");
        const std::string password = req.get_param_value("password");
        const std::string next = safe_next(req.get_param_value("next"));
        const user* u = username.size() <= 64 && password.size() <= 1024 ? app_.users.authenticate(username, password)
                                                                         : nullptr;
        if (u == nullptr) {
            current.user.clear();
            res.status = 401;
            send_page(res, index_html(next, "Wrong username or password."));
            return;
        }
        if (!current.session_id.empty()) app_.sessions.erase(current.session_id);  // a fresh id on every sign-in
        current.user = u->username;
        res.set_header("Set-Cookie", session_cookie(app_.sessions.create(u->username).id));
        res.set_header("Cache-Control", "no-store");
        res.set_redirect(next, 303);
    }

    void logout(const Request& req, Response& res) const {
        if (!same_origin(req)) {
            res.status = 403;
            res.set_content("403 cross-site sign-out refused\n", std::string(text_type));
            return;
        }
        if (!current.session_id.empty()) app_.sessions.erase(current.session_id);
        res.set_header("Set-Cookie", std::string(cookie_name) + "=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0");
        res.set_header("Cache-Control", "no-store");
        res.set_redirect("/", 303);
    }

    /// One line per request: time, client, method, path (no query), status, user, duration.
    /// Never the token, the cookie, the form fields or any header.
    static void log_request(const Request& req, const Response& res) {
        char duration[32] = "-";
        if (current.active) {
            const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                                  current.start)
                                .count();
            // At most 31 characters, cut short if need be (snprintf always ends the text).
            static_cast<void>(std::snprintf(duration, sizeof duration, "%.1fms", static_cast<double>(us) / 1000.0));
        }
        const std::string line = utc_now() + " " + loggable(req.remote_addr) + " " + loggable(req.method) + " " +
                                 loggable(req.path) + " " + std::to_string(res.status) +
                                 " user=" + (current.user.empty() ? std::string("-") : loggable(current.user)) + " " +
                                 duration + "\n";
        std::fputs(line.c_str(), stdout);
        static_cast<void>(std::fflush(stdout));  // a log line that cannot be written has no one to report to
        current = request_context{};
    }

    const app_state app_;  // a copy: the caller's may be a temporary
};

}  // namespace

void install_routes(httplib::Server& server, const app_state& app) {
    auto r = std::make_shared<const routes>(app);
    // Render every page once now (signed out, as on a first visit), so that a template naming an
    // unknown value fails at start-up rather than on a visitor's request.
    static_cast<void>(r->index_html("/", {}));
    static_cast<void>(r->index_html("/", "x"));
    for (const page_info& p : widget_pages) static_cast<void>(render(asset(p.file), r->common_vars(p.path)));
    server.set_default_headers({{"X-Content-Type-Options", "nosniff"}});
    // cpp-httplib sends a response's headers and body in separate writes; with Nagle's algorithm on,
    // the body waits for the client's delayed ACK of the headers (about 40 ms on Linux): with it,
    // 4 keep-alive connections got 150 responses/s and an idle CPU. Off, the same got ~6,000/s.
    server.set_tcp_nodelay(true);
    server.set_payload_max_length(std::size_t{64} * 1024);
    routes::install(server, r);
}

}  // namespace host
