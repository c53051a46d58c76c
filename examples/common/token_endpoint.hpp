// SPDX-License-Identifier: MIT
// What the Boost.Beast and cpp-httplib token endpoints share, so neither copies the other: the
// command line, the signer and login policy made once at start-up, a demo stand-in for the team's
// own auth middleware, and the answer to GET /api/customgpt-jwt. Every rule about the token (its
// algorithm, role claim, team roles, lifetime) is the library's, through jwt::login_policy.
#pragma once

#include <jwtmint/base64url.hpp>
#include <jwtmint/builder.hpp>
#include <jwtmint/json.hpp>  // jwt::login_policy::from_file reads JSON
#include <jwtmint/key.hpp>
#include <jwtmint/login_policy.hpp>
#include <jwtmint/signers.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jwtmint_examples {

// Plain character arrays, which every HTTP library's string types take.
/// The page fetches its token here (the widget's documented path).
inline constexpr char token_path[] = "/api/customgpt-jwt";
/// The token response's headers: a token is a credential, so no cache may keep it.
inline constexpr char token_content_type[] = "text/plain";
inline constexpr char token_cache_control[] = "no-store";

struct endpoint_options {
    std::uint16_t port = 8080;  ///< on 127.0.0.1; 0 picks a free port
    std::string key_file;       ///< the RS256 private key, PEM
    std::string policy_file;    ///< the login policy, JSON; empty: the policy built in code below
};

/// Reads --port, --key (or JWTMINT_KEY_FILE) and --policy. Returns the exit code when the program
/// should stop here: 0 after --help, non-zero after a mistake, which has been printed.
inline std::optional<int> parse_options(int argc, char** argv, const std::string& description, endpoint_options& out) {
    CLI::App app{description};
    app.add_option("--port", out.port, "TCP port on 127.0.0.1; 0 picks a free one")->capture_default_str();
    app.add_option("--key", out.key_file,
                   "RS256 private key, PEM (make one: openssl genpkey -algorithm RSA -out key.pem)")
        ->envname("JWTMINT_KEY_FILE")
        ->required();
    app.add_option("--policy", out.policy_file,
                   "login policy JSON (examples/widget-policy.json); without it, the policy built into the program");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return std::nullopt;
}

/// A signed-in user as the team's user store knows them.
struct user {
    std::string email;
    std::vector<std::string> roles;  ///< team roles as configured at the vendor
};

/// STAND-IN FOR YOUR AUTH MIDDLEWARE. Your server already knows who is signed in (a session
/// cookie, a bearer token, a reverse proxy's header): put that lookup where find() is called and
/// delete this class. Here one demo session, with a random id made at start-up, belongs to Ada.
class demo_sessions {
public:
    demo_sessions() {
        const std::string id = jwt::base64url_encode(jwt::generate_hmac_secret(32));  // 256 random bits
        table_.emplace(id, user{"ada@example.com", {"Accounting Team", "Support Team"}});
    }

    /// The Cookie header value that signs a client in as Ada, for trying the endpoint out.
    [[nodiscard]] std::string demo_cookie() const { return std::string(cookie_name) + "=" + table_.begin()->first; }

    /// The user whose session the request's Cookie header names, or nullptr.
    [[nodiscard]] const user* find(std::string_view cookie_header) const {
        const std::optional<std::string_view> id = cookie_value(cookie_header);
        if (!id) return nullptr;
        const auto it = table_.find(std::string(*id));
        return it == table_.end() ? nullptr : &it->second;
    }

private:
    static constexpr std::string_view cookie_name = "session";

    /// The value of the "session" cookie in "a=1; session=xyz; b=2" (RFC 6265 section 4.2.1).
    static std::optional<std::string_view> cookie_value(std::string_view header) {
        while (!header.empty()) {
            const std::size_t end = std::min(header.find(';'), header.size());
            std::string_view pair = header.substr(0, end);
            header.remove_prefix(std::min(end + 1, header.size()));
            while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
            if (pair.size() > cookie_name.size() && pair.substr(0, cookie_name.size()) == cookie_name &&
                pair[cookie_name.size()] == '=') {
                return pair.substr(cookie_name.size() + 1);
            }
        }
        return std::nullopt;
    }

    std::map<std::string, user, std::less<>> table_;
};

/// What GET /api/customgpt-jwt answers; send it with token_content_type and token_cache_control.
struct token_reply {
    unsigned status = 500;  ///< 200 (the token), 401 (no session) or 500 (minting failed; logged)
    std::string body;
};

/// The signer and the login policy, made once; get() may run on many threads at once.
class token_endpoint {
public:
    /// Loads the key and the policy.
    /// @throws jwt::error naming the file and the fix: a key file that is missing or unreadable,
    /// not an RSA key of 2048 bits or more, a policy file that is invalid or does not allow RS256
    explicit token_endpoint(const endpoint_options& options)
        : signer_(load_signer(options.key_file)),
          policy_(options.policy_file.empty() ? built_in_policy() : jwt::login_policy::from_file(options.policy_file)) {
        policy_.check().value();
        policy_.check_algorithm(jwt::rs256::alg).value();
    }

    /// The demo stand-in's cookie (printed at start-up so the endpoint can be tried).
    [[nodiscard]] std::string demo_cookie() const { return sessions_.demo_cookie(); }

    /// The answer to GET /api/customgpt-jwt for the request's Cookie header (empty if none).
    [[nodiscard]] token_reply get(std::string_view cookie_header) const {
        const user* u = sessions_.find(cookie_header);  // your auth middleware's answer
        if (u == nullptr) return {401, "not signed in\n"};
        try {
            return {200, mint(*u)};
        } catch (const std::exception& e) {
            // The reason goes to the log only: it may name roles and users the client must not learn.
            std::fprintf(stderr, "cannot mint a token for %s: %s\n", u->email.c_str(), e.what());
            return {500, "cannot issue a token\n"};
        }
    }

private:
    /// jwt::rs256::from_pem_file, with the file named in every refusal (a missing file's already is).
    static jwt::rs256 load_signer(const std::string& path) {
        jwt::result<jwt::rs256> signer = jwt::rs256::try_from_pem_file(path);
        if (signer) return std::move(signer).value();
        const std::string message = signer.error().what();
        if (message.find(path) != std::string::npos) throw std::move(signer).error();
        throw jwt::error(signer.error().value(), "key file '" + path + "': " + message);
    }

    /// The policy when no --policy file is given: the README's, in code.
    static jwt::login_policy built_in_policy() {
        return jwt::login_policy{}.team_roles({"Accounting Team", "Support Team"});
    }

    /// The token: the role claim as the policy names and forms it, the email, iat now and exp at
    /// most ten minutes later (less if the policy's ceiling is lower).
    /// @throws jwt::error when the policy refuses the user's roles (unknown_role, ...)
    [[nodiscard]] std::string mint(const user& u) const {
        using namespace std::chrono_literals;
        return jwt::builder{signer_, policy_}
            .roles(u.roles)
            .email(u.email)
            .expires_in(std::min<std::chrono::seconds>(10min, policy_.max_lifetime()))
            .sign();
    }

    jwt::rs256 signer_;
    jwt::login_policy policy_;
    demo_sessions sessions_;
};

/// An example server's main(): reads the options, then returns serve(options)'s exit code. An
/// exception (a jwt::error for the key or the policy, naming the file and the fix, or a port that
/// is taken) is printed after the program's name, and the exit code is 1.
template <class Serve>
int endpoint_main(int argc, char** argv, const char* program, const std::string& description, Serve serve) {
    try {
        endpoint_options options;
        if (const std::optional<int> exit_code = parse_options(argc, argv, description, options)) return *exit_code;
        return serve(options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", program, e.what());
        return 1;
    }
}

}  // namespace jwtmint_examples
