// SPDX-License-Identifier: MIT
// The host backend's HTTP routes: sign-in, GET /api/customgpt-jwt, the four widget pages.
#pragma once

#include "http.hpp"
#include "sessions.hpp"
#include "signin_limiter.hpp"
#include "signing.hpp"
#include "users.hpp"

#include <string>

namespace host {

/// What the pages put into the widget snippets.
struct page_settings {
    std::string project_id = "PROJECT_ID";
    std::string project_key = "PROJECT_KEY";
    std::string embed_script_url = "/widget/stand-in.js";
    std::string live_chat_script_url = "/widget/stand-in.js";
    std::string ai_assistant_script_url = "/widget/stand-in.js";
    std::string instant_viewer_script_url = "/widget/stand-in.js";
};

/// Everything the routes share. The users and the settings are immutable; the session store and
/// the sign-in limiter lock themselves, and the minter's keys change only through its thread-safe key ring (on SIGHUP).
/// The referenced objects must outlive the server; the routes keep a copy of this struct itself.
struct app_state {
    const user_store& users;
    session_store& sessions;
    signin_limiter& limiter;
    const token_minter& minter;
    page_settings pages;
};

/// How long a client may cache GET /.well-known/jwks.json (Cache-Control: max-age), in seconds:
/// well under the time a retired key stays published (11 minutes or more), so that a verifier's
/// cached copy never outlives a retired key's last tokens by much, and a next key published with
/// SIGHUP reaches every cache within 5 minutes (wait that long before promoting it).
inline constexpr int jwks_max_age = 300;

/// The routes, for http::server (which writes the one-line-per-request log).
/// @throws std::logic_error when an embedded page refers to a value the server does not supply
[[nodiscard]] http::handlers make_handlers(const app_state& app);

}  // namespace host
