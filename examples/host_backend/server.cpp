// SPDX-License-Identifier: MIT
// Routes, page templates and the request log of the host backend.
#include "server.hpp"

#include <jwtmint/base64url.hpp>
#include <jwtmint/error.hpp>

#include "assets.hpp"
#include "http.hpp"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace host {

namespace {

using http::request;
using http::response;

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

/// Who is asking: the session cookie, looked up once per request.
struct visit {
    std::string session_id;  // the cookie's value; never logged
    std::string user;        // "" when signed out
};

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

std::string cookie_value(const request& req, std::string_view name) {
    std::string_view rest = req.header("Cookie");
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
bool same_origin(const request& req) {
    if (!req.has_header("Origin")) return true;
    return req.header("Origin") == "http://" + std::string(req.header("Host"));
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

std::string reason_phrase(int status) {
    switch (status) {
        case 400: return "bad request";
        case 403: return "forbidden";
        case 404: return "not found";
        case 405: return "method not allowed";
        case 408: return "request timeout";
        case 413: return "payload too large";
        case 414: return "URI too long";
        case 429: return "too many requests";
        case 500: return "internal server error";
        default: return "error";
    }
}

class routes {
public:
    explicit routes(app_state app) : app_(std::move(app)) {}

    [[nodiscard]] const user* signed_in_user(const visit& v) const {
        return v.user.empty() ? nullptr : app_.users.find(v.user);
    }

    [[nodiscard]] std::string header_html(const visit& v, std::string_view active_path) const {
        std::string h = "<header class=\"topbar\">\n";
        h += "  <a class=\"brand\" href=\"/\">jwtmint host backend</a>\n  <nav>";
        for (const page_info& p : widget_pages) {
            h += "<a href=\"" + std::string(p.path) + "\"";
            if (p.path == active_path) h += " aria-current=\"page\"";
            h += ">" + html_escape(p.label) + "</a>";
        }
        h += "</nav>\n  <div class=\"who\">";
        if (const user* u = signed_in_user(v)) {
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

    [[nodiscard]] template_vars common_vars(const visit& v, std::string_view active_path) const {
        const jwt::login_policy& policy = app_.minter.policy();
        return template_vars{
            {"header", header_html(v, active_path)},
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

    [[nodiscard]] std::string index_html(const visit& v, std::string_view next, std::string_view error) const {
        template_vars vars = common_vars(v, "/");
        std::string session;
        if (const user* u = signed_in_user(v)) {
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

    /// Every request: the session looked up once from the cookie, methods a route does not take
    /// turned away (405 with Allow; HEAD included for the token), then the route.
    void handle(const request& req, response& res) const {
        res.set_header("X-Content-Type-Options", "nosniff");
        visit v;
        v.session_id = cookie_value(req, cookie_name);
        if (!v.session_id.empty()) {
            if (auto name = app_.sessions.find(v.session_id)) v.user = std::move(*name);
        }
        route(req, res, v);
        res.log_user = v.user;
        // An empty error response gets a short text body; our own error bodies are kept.
        if (res.status >= 400 && res.body.empty()) {
            res.set_content(std::to_string(res.status) + " " + reason_phrase(res.status) + "\n",
                            std::string(text_type));
        }
    }

    /// Sign-in hashes a password (tenths of a second): it runs on the server's slow threads.
    static bool is_slow(const request& req) { return req.path == "/login" && req.method == "POST"; }

private:
    void route(const request& req, response& res, visit& v) const {
        const std::string& path = req.path;
        std::string_view allow;
        if (path == token_path) {
            allow = "GET";
        } else if (path == "/logout") {
            allow = "POST";
        } else if (path == "/login") {
            allow = "GET, HEAD, POST";
        } else if (path == "/" || path == jwks_path || path == "/static/style.css" || path == "/static/page.js" ||
                   path == "/widget/stand-in.js" || widget_page(path) != nullptr) {
            allow = "GET, HEAD";
        } else {
            res.status = 404;
            return;
        }
        if (!method_in(req.method, allow)) {
            res.status = 405;
            res.set_header("Allow", std::string(allow));
            if (path == token_path) res.set_header("Cache-Control", "no-store");
            res.set_content("405 method not allowed (allowed: " + std::string(allow) + ")\n", std::string(text_type));
            return;
        }
        if (path == token_path) {
            token(res, v);
        } else if (path == jwks_path) {
            jwks(req, res);
        } else if (path == "/login") {
            if (req.method == "POST") {
                login(req, res, v);
            } else {
                res.redirect("/", 303);
            }
        } else if (path == "/logout") {
            logout(req, res, v);
        } else if (path == "/") {
            send_page(res, index_html(v, safe_next(req.param("next")), {}));
        } else if (path == "/static/style.css") {
            send_asset(res, "style.css", "text/css; charset=utf-8");
        } else if (path == "/static/page.js") {
            send_asset(res, "page.js", "text/javascript; charset=utf-8");
        } else if (path == "/widget/stand-in.js") {
            send_asset(res, "stand-in-widget.js", "text/javascript; charset=utf-8");
        } else if (const page_info* p = widget_page(path)) {
            send_page(res, render(asset(p->file), common_vars(v, p->path)));
        }
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

    static const page_info* widget_page(std::string_view path) {
        for (const page_info& p : widget_pages) {
            if (p.path == path) return &p;
        }
        return nullptr;
    }

    static void send_page(response& res, std::string html) {
        res.set_header("Cache-Control", "no-store");  // pages differ per session
        res.set_content(std::move(html), std::string(html_type));
    }

    static void send_asset(response& res, std::string_view name, std::string_view type) {
        res.set_header("Cache-Control", "no-cache");
        res.set_content(std::string(asset(name)), std::string(type));
    }

    /// GET /api/customgpt-jwt: the signed-in user's token. Who the user is and which roles they
    /// have come from the session alone; nothing in the request can change them.
    void token(response& res, const visit& v) const {
        res.set_header("Cache-Control", "no-store");
        const user* u = signed_in_user(v);
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
    void jwks(const request& req, response& res) const {
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
        if (etag_matches(req.header("If-None-Match"), etag)) {
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

    void login(const request& req, response& res, visit& v) const {
        if (!same_origin(req)) {
            res.status = 403;
            res.set_content("403 cross-site sign-in refused\n", std::string(text_type));
            return;
        }
        const std::string username = req.param("username");
        const std::string password = req.param("password");
        const std::string next = safe_next(req.param("next"));
        v.user.clear();  // signed out unless this succeeds
        // Guessing is slowed, then refused, per user and address, and per address: checked
        // before the password, which is then not looked at (see signin_limiter.hpp).
        const signin_limiter::verdict allowed = app_.limiter.begin_attempt(username, req.remote_addr,
                                                                           signin_limiter::clock::now());
        if (!allowed) {
            refuse_sign_in(res, v, next, 429, allowed.reason, allowed.retry_after, "sign-in-throttled");
            return;
        }
        const user* u = username.size() <= 64 && password.size() <= 1024 ? app_.users.authenticate(username, password)
                                                                         : nullptr;
        if (u == nullptr) {
            app_.limiter.record_failure(username, req.remote_addr, signin_limiter::clock::now());
            res.status = 401;
            send_page(res, index_html(v, next, "Wrong username or password."));
            return;
        }
        app_.limiter.record_success(username, req.remote_addr);
        if (!v.session_id.empty()) app_.sessions.erase(v.session_id);  // a fresh id on every sign-in
        // A full store refuses rather than end a session someone is using.
        session_store::created session = app_.sessions.create(u->username);
        if (!session) {
            const bool user_cap = session.refusal == session_store::refusal_user;
            refuse_sign_in(res, v, next, user_cap ? 429 : 503, session.refusal, session.retry_after,
                           user_cap ? "user-session-limit" : "session-limit");
            return;
        }
        v.user = u->username;
        res.set_header("Set-Cookie", session_cookie(session.id));
        res.set_header("Cache-Control", "no-store");
        res.redirect(next, 303);
    }

    /// A sign-in not attempted or not completed: the sign-in page with why and when to retry.
    void refuse_sign_in(response& res, const visit& v, const std::string& next, int status, std::string_view why,
                        std::chrono::seconds retry_after, const char* log_reason) const {
        res.status = status;
        res.log_reason = log_reason;
        res.set_header("Retry-After", std::to_string(retry_after.count()));
        std::string text(why);
        if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
        send_page(res, index_html(v, next, text + " (try again in " + std::to_string(retry_after.count()) + " s)."));
    }

    void logout(const request& req, response& res, const visit& v) const {
        if (!same_origin(req)) {
            res.status = 403;
            res.set_content("403 cross-site sign-out refused\n", std::string(text_type));
            return;
        }
        if (!v.session_id.empty()) app_.sessions.erase(v.session_id);
        res.set_header("Set-Cookie", std::string(cookie_name) + "=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0");
        res.set_header("Cache-Control", "no-store");
        res.redirect("/", 303);
    }

    const app_state app_;  // a copy: the caller's may be a temporary
};

}  // namespace

http::handlers make_handlers(const app_state& app) {
    auto r = std::make_shared<const routes>(app);
    // Render every page once now (signed out, as on a first visit), so that a template naming an
    // unknown value fails at start-up rather than on a visitor's request.
    const visit nobody;
    static_cast<void>(r->index_html(nobody, "/", {}));
    static_cast<void>(r->index_html(nobody, "/", "x"));
    for (const page_info& p : widget_pages) static_cast<void>(render(asset(p.file), r->common_vars(nobody, p.path)));
    http::handlers h;
    h.handle = [r](const request& req, response& res) { r->handle(req, res); };
    h.slow = [](const request& req) { return routes::is_slow(req); };
    h.on_exception = [](const request&, const std::exception_ptr& ep) {
        std::string what = "unknown exception";
        try {
            if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        std::fprintf(stderr, "error: %s\n", what.c_str());
    };
    return h;
}

}  // namespace host
