// SPDX-License-Identifier: MIT
// jwtmint-host-backend: a runnable host backend for the widget JWT login flow.
//
// It signs users in with its own small form (standing in for a site's real authentication),
// mints their token at GET /api/customgpt-jwt, and serves the four widget pages. With no
// options it creates an RS256 key and the demo users in ./jwtmint-data and listens on
// http://127.0.0.1:8080/.
#include <jwtmint/error.hpp>
#include <jwtmint/json.hpp>
#include <jwtmint/login_policy.hpp>
#include <jwtmint/version.hpp>

#include "assets.hpp"
#include "common/key_rotation.hpp"
#include "files.hpp"
#include "server.hpp"
#include "sessions.hpp"
#include "signing.hpp"
#include "users.hpp"

#include <CLI/CLI.hpp>
#include <pthread.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

struct options {
    int port = 8080;
    std::string bind = "127.0.0.1";
    std::string data_dir = "jwtmint-data";
    std::string key_file;
    std::string passphrase_file;  ///< --passphrase-file: an encrypted --key's passphrase (over the variable)
    std::string alg;              ///< "" = from --key, else the policy's first algorithm (RS256)
    std::string users_file;
    // The login policy: --policy FILE, then each flag given replaces the file's value.
    std::string policy_file;
    std::string known_roles;  ///< "A,B": the vendor's team roles
    std::string role_claim;   ///< "" = the policy's ("roles")
    std::string role_format;  ///< array | comma (alias string); "" = the policy's (array)
    std::string max_ttl;      ///< the lifetime ceiling; "" = the policy's (10 minutes)
    std::string ttl;          ///< "" = the ceiling, at most 10 minutes
    host::page_settings pages;
    host::http::limits http;
    host::session_settings sessions;
    std::string session_idle_timeout;  ///< "" = the store's default
    std::string session_lifetime;      ///< "" = the store's default
    std::string request_timeout;       ///< "" = http's default
    std::string keep_alive_timeout;    ///< "" = http's default
    std::string shutdown_grace;        ///< "" = http's default
    bool hash_password = false;
};

/// An encrypted --key's passphrase: --passphrase-file (without one trailing line break) over the
/// environment variable JWTMINT_KEY_PASSPHRASE; "" for none. origin says which, for messages.
std::string read_passphrase(const options& o, std::string& origin) {
    if (!o.passphrase_file.empty()) {
        std::string text = host::read_file(o.passphrase_file);
        if (text.size() >= 2 && text.compare(text.size() - 2, 2, "\r\n") == 0) {
            text.resize(text.size() - 2);
        } else if (!text.empty() && text.back() == '\n') {
            text.pop_back();
        }
        if (text.empty()) {
            throw std::invalid_argument("--passphrase-file '" + o.passphrase_file + "' is empty");
        }
        origin = "--passphrase-file '" + o.passphrase_file + "'";
        return text;
    }
    // NOLINTNEXTLINE(concurrency-mt-unsafe): no other thread exists yet
    const char* env = std::getenv("JWTMINT_KEY_PASSPHRASE");
    if (env == nullptr || *env == '\0') return {};
    origin = "the environment variable JWTMINT_KEY_PASSPHRASE";
    return env;
}

/// The library's refusal of an encrypted key, naming the key file and both ways to give its
/// passphrase (passphrase_required), or where the wrong one came from (bad_passphrase).
jwt::error passphrase_help(const jwt::error& e, const std::string& key_file, const std::string& origin) {
    if (e.value() == jwt::errc::passphrase_required) {
        return jwt::error(e.value(), "'" + key_file +
                                         "' is encrypted and no passphrase was given: pass it with --passphrase-file "
                                         "FILE or the environment variable JWTMINT_KEY_PASSPHRASE (the file wins when "
                                         "both are given)");
    }
    if (e.value() == jwt::errc::bad_passphrase) {
        const std::string what = e.what();
        const std::size_t reason = what.find(" (OpenSSL: ");
        return jwt::error(e.value(), "the passphrase from " + origin + " is wrong: it does not decrypt '" + key_file +
                                         "' (or the file is damaged)" +
                                         (reason == std::string::npos ? std::string() : what.substr(reason)));
    }
    return e;
}

/// "600", "600s", "10m" or "1h" as seconds; nullopt for anything else.
std::optional<std::chrono::seconds> parse_duration(const std::string& text) {
    if (text.empty() || text.size() > 12) return std::nullopt;
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    if (digits == 0) return std::nullopt;
    const long long value = std::stoll(text.substr(0, digits));
    const std::string unit = text.substr(digits);
    long long scale = 0;
    if (unit.empty() || unit == "s") {
        scale = 1;
    } else if (unit == "m" || unit == "min") {
        scale = 60;
    } else if (unit == "h") {
        scale = 3600;
    } else {
        return std::nullopt;
    }
    return std::chrono::seconds(value * scale);
}

/// A duration option as milliseconds: "10", "10s", "500ms", "2m"; throws naming the option.
std::chrono::milliseconds parse_millis(const std::string& option, const std::string& text) {
    if (text.size() > 2 && text.compare(text.size() - 2, 2, "ms") == 0) {
        const std::string digits = text.substr(0, text.size() - 2);
        if (!digits.empty() && digits.size() <= 9 && digits.find_first_not_of("0123456789") == std::string::npos) {
            return std::chrono::milliseconds(std::stoll(digits));
        }
    } else if (const auto s = parse_duration(text)) {
        return *s;
    }
    throw std::invalid_argument(option + " '" + text + "' is not a duration like 10, 10s, 500ms, 2m");
}

/// Lets the process hold as many connections as --max-connections asks for: raises the soft
/// limit on open files to the hard one, and returns what the server may use.
std::size_t connections_allowed(std::size_t wanted) {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return wanted;
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        static_cast<void>(::setrlimit(RLIMIT_NOFILE, &lim));
        static_cast<void>(::getrlimit(RLIMIT_NOFILE, &lim));
    }
    constexpr rlim_t reserve = 64;  // key files, the log, epoll and eventfd descriptors
    if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= wanted + reserve) return wanted;
    return lim.rlim_cur > reserve ? static_cast<std::size_t>(lim.rlim_cur - reserve) : 1;
}

/// Reads one line from standard input, without echo when it is a terminal.
std::string read_password() {
    termios saved{};
    const bool tty = ::isatty(STDIN_FILENO) == 1 && ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        std::fputs("Password: ", stderr);
    }
    std::string line;
    std::getline(std::cin, line);
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::fputs("\n", stderr);
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

int run_hash_password() {
    const std::string password = read_password();
    if (password.empty()) {
        std::fputs(
            "error: empty password; type it, or pipe it in:\n"
            "  printf '%s' 'the password' | jwtmint-host-backend --hash-password\n",
            stderr);
        return 1;
    }
    std::printf("%s\n", host::password_hash_json(host::hash_password(password)).c_str());
    std::fputs(
        "Put this object as the user's \"password\" in the users file\n"
        "(see examples/host_backend/users.json).\n",
        stderr);
    return 0;
}

bool is_loopback(const std::string& address) {
    return address.rfind("127.", 0) == 0 || address == "::1" || address == "localhost";
}

std::string url_host(const std::string& bind) {
    if (bind == "0.0.0.0" || bind.empty()) return "127.0.0.1";
    if (bind == "::") return "[::1]";
    if (bind.find(':') != std::string::npos) return "[" + bind + "]";
    return bind;
}

host::user_store load_users(const options& o, std::string& origin) {
    if (!o.users_file.empty()) {
        origin = o.users_file;
        return host::user_store::parse(host::read_file(o.users_file), origin);
    }
    // Nothing configured: the demo users, copied once into the data folder so they can be edited.
    const std::filesystem::path path = std::filesystem::path(o.data_dir) / "users.json";
    origin = path.string();
    if (!std::filesystem::exists(path)) {
        host::ensure_private_dir(o.data_dir);
        const auto demo = host::embedded_file("users.json");
        if (!demo) throw std::logic_error("the demo users are missing from the program");
        host::write_new_file(path, *demo, 0600);
    }
    return host::user_store::parse(host::read_file(path), origin);
}

std::string lower(std::string text) {
    for (char& c : text) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return text;
}

std::string identity_of(const host::user& u) {
    if (!u.email.empty()) return "email " + u.email;
    if (!u.upn.empty()) return "upn " + u.upn;
    if (!u.preferred_username.empty()) return "preferred_username " + u.preferred_username;
    return "no identity claim";
}

/// --known-roles "A,B": each name trimmed; an empty one is a mistake (a doubled comma).
std::vector<std::string> split_roles(const std::string& text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const std::size_t first = item.find_first_not_of(" \t");
        item = first == std::string::npos ? std::string()
                                          : item.substr(first, item.find_last_not_of(" \t") - first + 1);
        if (item.empty()) {
            throw std::invalid_argument("--known-roles '" + text +
                                        "' holds an empty name; separate role names with single commas, e.g. \"A,B\"");
        }
        out.push_back(std::move(item));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

/// The login policy: the --policy file (or the widget's defaults), then each flag given.
jwt::login_policy make_policy(const options& o) {
    jwt::login_policy policy;
    if (!o.policy_file.empty()) policy = jwt::login_policy::from_file(o.policy_file);
    if (!o.role_claim.empty()) policy.role_claim(o.role_claim);
    if (!o.role_format.empty()) {
        policy.role_format(o.role_format == "array" ? jwt::role_format::array : jwt::role_format::comma_separated);
    }
    if (!o.known_roles.empty()) policy.team_roles(split_roles(o.known_roles));
    if (!o.max_ttl.empty()) {
        const auto max_ttl = parse_duration(o.max_ttl);
        if (!max_ttl || max_ttl->count() < 1) {
            throw std::invalid_argument("--max-lifetime '" + o.max_ttl + "' is not a lifetime like 600, 90s, 5m");
        }
        policy.max_lifetime(*max_ttl);
    }
    policy.check().value();  // a bad flag value (invalid_policy), named
    return policy;
}

/// Where the team roles came from, for messages.
std::string team_roles_origin(const options& o) {
    if (!o.known_roles.empty()) return "--known-roles";
    return "the policy file '" + o.policy_file + "'";
}

/// Every role of every user as the policy would write it, before anything listens: a role the
/// vendor would refuse stops the program naming the user, the role and the nearest team role.
void check_user_roles(const host::user_store& users, const jwt::login_policy& policy, const options& o,
                      const std::string& users_origin) {
    for (const host::user& u : users.all()) {
        for (const std::string& role : u.roles) {
            const jwt::status st = policy.check_role(role);
            if (st) continue;
            // Built once, for the exception below.
            // NOLINTNEXTLINE(performance-inefficient-string-concatenation)
            std::string why = users_origin + ": user '" + u.username + "' has role '" + role + "'";
            if (st.error().value() == jwt::errc::unknown_role) {
                why += ", which is not a team role";
                if (const auto near = policy.nearest_team_role(role)) {
                    why += " (did you mean '" + *near + "'?)";
                }
                why += "; the team roles (" + team_roles_origin(o) + ") are: " + join(policy.team_roles()) +
                       ". Correct the users file, or add the role to the team roles if the "
                       "vendor has it";
            } else if (policy.role_format() == jwt::role_format::comma_separated &&
                       role.find(',') != std::string::npos) {
                why +=
                    ", which holds a comma: in one comma-separated role claim the vendor "
                    "would read it as two roles; use --role-format array (role_format "
                    "\"array\" in the policy file) or rename the role";
            } else {
                why += ", which the vendor would refuse: " + std::string(st.error().what());
            }
            throw std::invalid_argument(why);
        }
    }
}

void print_banner(const options& o, const host::signing_key& key, const host::token_minter& minter,
                  const host::user_store& users, const std::string& users_origin) {
    const jwt::login_policy& policy = minter.policy();
    const std::string alg(minter.alg());
    std::printf("jwtmint host backend %s\n\n", JWTMINT_VERSION_STRING);
    std::printf("Signing key   %s (%s%s%s%s)\n", key.path.c_str(), alg.c_str(),
                key.inferred_from.empty() ? "" : ", from the key: ", key.inferred_from.c_str(),
                key.created ? ", created now" : "");
    if (!key.public_key_pem.empty()) {
        std::printf("Public key    paste it into the vendor's settings\n");
        std::printf("              (My Profile > SSO > JWT Authorization, algorithm %s)", alg.c_str());
        if (!key.public_path.empty()) std::printf("; also in %s", key.public_path.c_str());
        std::printf(":\n\n%s\n", key.public_key_pem.c_str());
        std::printf("Key id        %s (each token's kid header: the key's RFC 7638 thumbprint)\n",
                    minter.key_id().c_str());
        std::printf("JWK Set       /.well-known/jwks.json (the current, next and recently retired public keys)\n");
        std::printf("Rotation      jwtmint keygen %s --next --out %s, then kill -HUP %ld\n", lower(alg).c_str(),
                    key.path.c_str(), static_cast<long>(::getpid()));
        std::printf("              (README: \"Rotating the signing key\")\n\n");
    } else {
        std::printf("Shared secret paste the contents of %s into the vendor's settings\n", key.path.c_str());
        std::printf("              (JWT Authorization, algorithm %s); it is not printed here\n", alg.c_str());
        std::printf("JWK Set       none: an HS256 secret is never published\n\n");
    }
    const char* form = policy.role_format() == jwt::role_format::array ? "a JSON array" : "a comma-separated string";
    if (!o.policy_file.empty()) std::printf("Policy        %s\n", o.policy_file.c_str());
    std::printf("Role claim    \"%s\" as %s (the vendor's \"Attribute name\")\n", policy.role_claim().c_str(), form);
    if (policy.team_roles().empty()) {
        std::printf(
            "Team roles    not given: the users' roles are not checked against the vendor's\n"
            "              (pass --known-roles \"A,B\" or a --policy file with team_roles)\n");
    } else {
        std::printf("Team roles    %s (every user's roles checked)\n", join(policy.team_roles()).c_str());
    }
    std::printf("Lifetime      %lld s (ceiling %lld s)\n", static_cast<long long>(minter.ttl().count()),
                static_cast<long long>(policy.max_lifetime().count()));
    std::printf("Widget        p_id %s\n", o.pages.project_id.c_str());
    std::printf("              standard embed %s\n", o.pages.embed_script_url.c_str());
    std::printf("              live chat      %s\n", o.pages.live_chat_script_url.c_str());
    std::printf("              AI assistant   %s\n", o.pages.ai_assistant_script_url.c_str());
    std::printf("              instant viewer %s\n", o.pages.instant_viewer_script_url.c_str());
    std::printf("Users         %s\n", users_origin.c_str());
    for (const host::user& u : users.all()) {
        std::string roles;
        for (const auto& r : u.roles) roles += (roles.empty() ? "" : ", ") + r;
        std::printf("  %-10s %-36s roles: %s\n", u.username.c_str(), identity_of(u).c_str(), roles.c_str());
    }
    if (!users.note().empty()) std::printf("  %s\n", users.note().c_str());
    std::printf("  Add a user: printf '%%s' 'NEW PASSWORD' | jwtmint-host-backend --hash-password\n");
    std::printf("              and put its output as the user's \"password\" in the users file\n\n");
}

int run(int argc, char** argv) {
    options o;
    CLI::App cli{
        "jwtmint-host-backend: signs users in, mints their widget-login JWT at\n"
        "GET /api/customgpt-jwt and serves the four widget pages. With no options it creates\n"
        "an RS256 key and demo users in ./jwtmint-data. Each option can also be set by the\n"
        "environment variable shown with it; an encrypted --key reads its passphrase from\n"
        "--passphrase-file FILE, or else from JWTMINT_KEY_PASSPHRASE.",
        "jwtmint-host-backend"};
    cli.set_version_flag("--version", JWTMINT_VERSION_STRING);
    cli.add_option("--port", o.port, "TCP port (0 picks a free one)")
        ->envname("JWTMINT_PORT")
        ->check(CLI::Range(0, 65535))
        ->capture_default_str();
    cli.add_option("--bind", o.bind, "address to listen on")->envname("JWTMINT_BIND")->capture_default_str();
    cli.add_option("--data-dir", o.data_dir, "folder for the generated key and the users file")
        ->envname("JWTMINT_DATA_DIR")
        ->capture_default_str();
    cli.add_option("--key", o.key_file,
                   "private key PEM (RS256, ES256) or secret file (HS256); default: "
                   "created in the data folder")
        ->envname("JWTMINT_KEY");
    cli.add_option("--passphrase-file", o.passphrase_file,
                   "the passphrase of an encrypted --key, in FILE (one trailing line break is not part of it); "
                   "default: the environment variable JWTMINT_KEY_PASSPHRASE")
        ->type_name("FILE");
    cli.add_option("--alg", o.alg,
                   "signing algorithm (default: from --key: an RSA key RS256, an EC P-256 key "
                   "ES256, a file that is no PEM key HS256; without --key, RS256)")
        ->envname("JWTMINT_ALG")
        ->transform(CLI::IsMember({"rs256", "es256", "hs256"}, CLI::ignore_case));
    cli.add_option("--users", o.users_file,
                   "users JSON file; default: DATA_DIR/users.json, created from the demo users")
        ->envname("JWTMINT_USERS");
    cli.add_option("--policy", o.policy_file,
                   "login policy JSON file (role_claim, role_format, team_roles, algorithms, "
                   "max_lifetime_seconds, identity_claims); the flags below replace its values")
        ->envname("JWTMINT_POLICY");
    cli.add_option("--known-roles", o.known_roles,
                   "the vendor's team roles, comma-separated; every user's roles must be among "
                   "them (case-insensitively) or the program does not start")
        ->envname("JWTMINT_KNOWN_ROLES")
        ->type_name("\"A,B\"");
    cli.add_option("--role-claim", o.role_claim,
                   "name of the role claim (the vendor's \"Attribute name\"); default: roles")
        ->envname("JWTMINT_ROLE_CLAIM");
    cli.add_option("--role-format", o.role_format,
                   "role claim as a JSON array, or one comma-separated string (comma; string is "
                   "the same); default: array")
        ->envname("JWTMINT_ROLE_FORMAT")
        ->transform(CLI::Transformer(
                        {{"array", "array"}, {"comma", "comma"}, {"string", "comma"}, {"comma_separated", "comma"}},
                        CLI::ignore_case)
                        .description("{array,comma}"));
    cli.add_option("--ttl", o.ttl, "token lifetime: seconds, or 90s, 5m, 1h; default: the ceiling, at most 10m")
        ->envname("JWTMINT_TTL");
    cli.add_option("--max-lifetime,--max-ttl", o.max_ttl,
                   "lifetime ceiling (default 10m); raise it to allow a --ttl above 10 minutes")
        ->envname("JWTMINT_MAX_TTL");
    cli.add_option("--agent-id,--project-id", o.pages.project_id, "the agent's project id (p_id in the snippets)")
        ->envname("JWTMINT_AGENT_ID")
        ->capture_default_str();
    cli.add_option("--project-key", o.pages.project_key, "the agent's project key (p_key in the snippets)")
        ->envname("JWTMINT_PROJECT_KEY")
        ->capture_default_str();
    cli.add_option("--embed-script-url", o.pages.embed_script_url,
                   "standard embed script (the vendor's: https://cdn.customgpt.ai/js/embed.js)")
        ->envname("JWTMINT_EMBED_SCRIPT_URL")
        ->capture_default_str();
    cli.add_option("--live-chat-script-url", o.pages.live_chat_script_url,
                   "Live Chat script (the vendor's: https://cdn.customgpt.ai/js/chat.js)")
        ->envname("JWTMINT_LIVE_CHAT_SCRIPT_URL")
        ->capture_default_str();
    cli.add_option("--ai-assistant-script-url", o.pages.ai_assistant_script_url, "AI Assistant widget script")
        ->envname("JWTMINT_AI_ASSISTANT_SCRIPT_URL")
        ->capture_default_str();
    cli.add_option("--instant-viewer-script-url", o.pages.instant_viewer_script_url, "Instant Viewer widget script")
        ->envname("JWTMINT_INSTANT_VIEWER_SCRIPT_URL")
        ->capture_default_str();
    cli.add_option("--threads", o.http.threads, "event-loop threads (0: one per CPU)")
        ->envname("JWTMINT_THREADS")
        ->check(CLI::Range(0U, 256U))
        ->capture_default_str();
    cli.add_option("--max-connections", o.http.max_connections,
                   "open connections at most; beyond, the longest-idle one is closed")
        ->envname("JWTMINT_MAX_CONNECTIONS")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
        ->capture_default_str();
    cli.add_option("--request-timeout", o.request_timeout,
                   "time for a client to send a whole request, and to take its response (default 10s)")
        ->envname("JWTMINT_REQUEST_TIMEOUT");
    cli.add_option("--keep-alive-timeout", o.keep_alive_timeout,
                   "an idle keep-alive connection closes after this (default 15s)")
        ->envname("JWTMINT_KEEP_ALIVE_TIMEOUT");
    cli.add_option("--shutdown-grace", o.shutdown_grace,
                   "on SIGTERM/SIGINT, time for requests in progress to finish (default 10s)")
        ->envname("JWTMINT_SHUTDOWN_GRACE");
    cli.add_option("--max-sessions", o.sessions.max_sessions,
                   "sign-in sessions held at most; when full, sign-in is refused (503), no session in use is ended")
        ->envname("JWTMINT_MAX_SESSIONS")
        ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}))
        ->capture_default_str();
    cli.add_option("--max-sessions-per-user", o.sessions.max_per_user,
                   "sessions of one user at most; beyond, that user's sign-in is refused (429)")
        ->envname("JWTMINT_MAX_SESSIONS_PER_USER")
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}))
        ->capture_default_str();
    cli.add_option("--session-idle-timeout", o.session_idle_timeout, "a session unused this long ends (default 30m)")
        ->envname("JWTMINT_SESSION_IDLE_TIMEOUT");
    cli.add_option("--session-lifetime", o.session_lifetime, "a session ends this long after sign-in (default 8h)")
        ->envname("JWTMINT_SESSION_LIFETIME");
    cli.add_flag("--hash-password", o.hash_password,
                 "read a password from standard input, print its scrypt hash for the users file, and exit");
    CLI11_PARSE(cli, argc, argv);

    if (o.hash_password) {
        try {
            return run_hash_password();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "error: %s\n", e.what());
            return 1;
        }
    }

    // One log line per write, also into a pipe (should that fail, stdout keeps its buffering).
    static_cast<void>(std::setvbuf(stdout, nullptr, _IOLBF, 0));

    // SIGINT and SIGTERM (stop) and SIGHUP (re-read the keys) are taken by a sigwait thread
    // (below), and SIGUSR1 is how main wakes it when the server ends on its own; all four must be
    // blocked in every thread, so block them here, before the first thread exists: every thread
    // inherits the mask.
    sigset_t handled_signals;
    sigemptyset(&handled_signals);
    sigaddset(&handled_signals, SIGINT);
    sigaddset(&handled_signals, SIGTERM);
    sigaddset(&handled_signals, SIGHUP);
    sigaddset(&handled_signals, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &handled_signals, nullptr);
    // A browser closing a connection is not a reason to die. (signal fails only for a signal
    // number that does not exist.)
    static_cast<void>(std::signal(SIGPIPE, SIG_IGN));

    // Built once here and shared, read-only, by every request thread (the sessions lock
    // themselves).
    std::optional<host::signing_key> key;
    std::optional<host::user_store> users;
    std::optional<host::token_minter> minter;
    std::string passphrase;  // of an encrypted --key, from --passphrase-file or JWTMINT_KEY_PASSPHRASE
    std::string passphrase_origin;
    std::vector<std::string> startup_rotation;
    std::optional<host::session_store> sessions;
    host::signin_limiter limiter;
    std::optional<host::http::server> server;
    int port = 0;
    try {
        const jwt::login_policy policy = make_policy(o);
        const std::chrono::seconds ceiling = policy.max_lifetime();
        std::chrono::seconds ttl = std::min<std::chrono::seconds>(ceiling, 10min);
        if (!o.ttl.empty()) {
            const auto given = parse_duration(o.ttl);
            if (!given || given->count() < 1)
                throw std::invalid_argument("--ttl '" + o.ttl + "' is not a lifetime like 600, 90s, 5m");
            if (*given > ceiling) {
                throw std::invalid_argument(
                    "--ttl " + o.ttl + " is longer than the ceiling of " + std::to_string(ceiling.count()) +
                    " s; the vendor recommends 10 minutes at most (raise the ceiling "
                    "explicitly with --max-lifetime, or max_lifetime_seconds in the policy file)");
            }
            ttl = *given;
        }
        const std::optional<host::algorithm> alg = o.alg.empty() ? std::nullopt : host::parse_algorithm(o.alg);
        // The policy lists the algorithms the vendor's settings accept; the first is the one a
        // key created here gets.
        const host::algorithm default_alg =
            policy.algorithms().empty()
                ? host::algorithm::rs256
                : host::parse_algorithm(policy.algorithms().front()).value_or(host::algorithm::rs256);
        // Kept for SIGHUP, which reads the key files again.
        passphrase = read_passphrase(o, passphrase_origin);
        try {
            key.emplace(host::load_or_create_key(
                alg, default_alg, [&](std::string_view name) { return policy.check_algorithm(name); }, o.key_file,
                o.data_dir, passphrase));
        } catch (const jwt::error& e) {
            throw passphrase_help(e, o.key_file.empty() ? "the key in " + o.data_dir : o.key_file, passphrase_origin);
        }
        std::string users_origin;
        users.emplace(load_users(o, users_origin));
        check_user_roles(*users, policy, o, users_origin);
        minter.emplace(key->signer, policy, ttl);
        if (!minter->public_jwks()) {
            // HS256: no key ring, nothing to publish.
        } else if (std::filesystem::exists(jwtmint_examples::next_key_path(key->path))) {
            // A next key waiting beside the current one is published from the start, as SIGHUP would.
            startup_rotation = minter->reload(key->path, {}, passphrase);
        }
        // Mint once for every user now: a role or email the vendor would refuse fails here,
        // naming the user, instead of on their first page load.
        for (const host::user& u : users->all()) {
            try {
                static_cast<void>(minter->mint(u));
            } catch (const jwt::error& e) {
                throw std::invalid_argument(users_origin + ": user '" + u.username +
                                            "' cannot get a token: " + jwt::errc_name(e.value()) + ": " + e.what());
            }
        }
        host::http::limits limits = o.http;
        if (!o.request_timeout.empty()) limits.request_timeout = parse_millis("--request-timeout", o.request_timeout);
        if (!o.keep_alive_timeout.empty()) {
            limits.keep_alive_timeout = parse_millis("--keep-alive-timeout", o.keep_alive_timeout);
        }
        if (!o.shutdown_grace.empty()) limits.shutdown_grace = parse_millis("--shutdown-grace", o.shutdown_grace);
        limits.max_connections = connections_allowed(o.http.max_connections);
        if (limits.max_connections < o.http.max_connections) {
            std::fprintf(stderr,
                         "warning: --max-connections %zu is more than this process may open; using %zu "
                         "(raise the open-files limit, ulimit -n)\n",
                         o.http.max_connections, limits.max_connections);
        }
        host::session_settings session_settings = o.sessions;
        if (!o.session_idle_timeout.empty()) {
            session_settings.idle_timeout = std::chrono::ceil<std::chrono::seconds>(
                parse_millis("--session-idle-timeout", o.session_idle_timeout));
        }
        if (!o.session_lifetime.empty()) {
            session_settings.lifetime = std::chrono::ceil<std::chrono::seconds>(parse_millis("--session-lifetime",
                                                                                             o.session_lifetime));
        }
        sessions.emplace(session_settings);
        server.emplace(host::make_handlers(host::app_state{*users, *sessions, limiter, *minter, o.pages}), limits);

        for (const std::string& w : key->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
        if (!is_loopback(o.bind)) {
            std::fprintf(stderr,
                         "warning: listening on %s over plain HTTP; put TLS in front of it\n"
                         "(a reverse proxy) before real users sign in\n",
                         o.bind.c_str());
        }
        try {
            port = server->bind(o.bind, o.port);
        } catch (const std::runtime_error& e) {
            throw std::runtime_error(std::string(e.what()) + " (in use? try --port 0 for a free one)");
        }
        print_banner(o, *key, *minter, *users, users_origin);
        for (const std::string& line : startup_rotation) std::printf("Next key      %s\n", line.c_str());
        if (!startup_rotation.empty()) std::printf("\n");
    } catch (const jwt::error& e) {
        std::fprintf(stderr, "error: %s: %s\n", jwt::errc_name(e.value()), e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    std::printf("Listening on http://%s:%d/ (open it in a browser; Ctrl-C stops)\n", url_host(o.bind).c_str(), port);

    // SIGHUP: the key files again (a next key appeared, or was moved over the current one). The
    // key ring changes under the running server; requests keep minting meanwhile.
    const auto reload_keys = [&] {
        std::printf("SIGHUP: re-reading %s and %s\n", key->path.c_str(),
                    jwtmint_examples::next_key_path(key->path).c_str());
        try {
            for (const std::string& line : minter->reload(key->path, key->public_path, passphrase)) {
                std::printf("SIGHUP: %s\n", line.c_str());
            }
            return;
        } catch (const jwt::error& e) {
            std::fprintf(stderr, "error: SIGHUP: %s: %s\n", jwt::errc_name(e.value()), e.what());
        } catch (const std::exception& e) {
            std::fprintf(stderr, "error: SIGHUP: %s\n", e.what());
        }
        std::printf("SIGHUP: nothing changed; keys: %s\n", minter->describe_keys().c_str());
    };

    std::atomic<int> received{0};
    // Stopping or reloading from a signal handler is not async-signal-safe; from this thread it is.
    std::thread waiter([&] {
        while (true) {
            int sig = 0;
            if (sigwait(&handled_signals, &sig) != 0) continue;
            if (sig == SIGUSR1) return;  // main: the server stopped on its own
            if (sig == SIGHUP) {
                reload_keys();
                continue;
            }
            received = sig;
            server->stop();
            return;
        }
    });
    std::string failure;
    try {
        server->run();
    } catch (const std::exception& e) {
        failure = e.what();
    }
    if (received == 0) pthread_kill(waiter.native_handle(), SIGUSR1);
    waiter.join();
    if (!failure.empty()) {
        std::fprintf(stderr, "error: the server stopped: %s\n", failure.c_str());
        return 1;
    }
    if (received != 0) {
        std::printf("Stopped (%s)\n", received == SIGINT ? "SIGINT" : "SIGTERM");
        return 0;
    }
    std::fprintf(stderr, "error: the server stopped unexpectedly\n");
    return 1;
}

}  // namespace

// What run does not catch itself (setting up the options, a thread or the server) ends the
// program with its message, not with std::terminate.
int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
