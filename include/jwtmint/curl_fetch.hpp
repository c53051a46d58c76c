// SPDX-License-Identifier: MIT
/// @file
/// jwt::curl_fetch: a fetch function for jwt::remote_jwks_verifier over libcurl. Only a program that
/// includes this header depends on libcurl: link it yourself (CMake: find_package(CURL), then
/// target_link_libraries(app PRIVATE CURL::libcurl)); the jwtmint target does not.
#pragma once

#include <jwtmint/remote_jwks.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#if LIBCURL_VERSION_NUM < 0x075500
#error "jwtmint/curl_fetch.hpp needs libcurl 7.85 or newer (CURLOPT_PROTOCOLS_STR)"
#endif

namespace jwt {
inline namespace v1 {

/// How jwt::curl_fetch connects.
struct curl_fetch_options {
    std::string ca_file;               ///< a PEM file of CAs to trust instead of the system's ("" for the system's)
    bool allow_insecure_http = false;  ///< accept http:// URLs and redirects (tests on loopback only)
    long max_redirects = 3;            ///< redirects followed, each to https:// only (unless allowed above)
    /// the User-Agent header sent
    std::string user_agent = "jwtmint";
};

namespace detail {

struct curl_easy_deleter {
    void operator()(CURL* c) const noexcept { curl_easy_cleanup(c); }
};
struct curl_slist_deleter {
    void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

/// What one transfer collects; the callbacks' user data.
struct curl_transfer {
    std::size_t max_size = 0;
    bool too_large = false;
    jwks_response response;
};

/// The body, up to max_size octets; past that the transfer is aborted (returning less than given).
inline std::size_t curl_on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<curl_transfer*>(user);
    const std::size_t n = size * count;
    if (n > t->max_size - t->response.body.size()) {
        t->too_large = true;
        return 0;
    }
    t->response.body.append(data, n);
    return n;
}

inline bool header_name_is(std::string_view name, std::string_view wanted) {
    if (name.size() != wanted.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != wanted[i]) return false;
    }
    return true;
}

/// The ETag and Cache-Control headers of the last response (a redirect's are forgotten).
inline std::size_t curl_on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<curl_transfer*>(user);
    const std::size_t n = size * count;
    const std::string_view line(data, n);
    if (line.rfind("HTTP/", 0) == 0) {  // a new response's status line
        t->response.etag.clear();
        t->response.cache_control.clear();
        return n;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return n;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = detail::trim(line.substr(colon + 1));  // also drops the CR LF
    if (header_name_is(name, "etag")) {
        t->response.etag.assign(value);
    } else if (header_name_is(name, "cache-control")) {
        // Several Cache-Control lines are one list (RFC 9110 section 5.3).
        if (!t->response.cache_control.empty()) t->response.cache_control += ", ";
        t->response.cache_control.append(value);
    }
    return n;
}

/// curl_global_init, once per process (a function-local static: thread-safe to reach). Debian's
/// libcurl 7.88 is built thread-safe, so this may race with the program's own curl_global_init.
inline CURLcode curl_initialised() {
    static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    return rc;
}

}  // namespace detail

/// One GET of request.url with libcurl: HTTPS only (unless options.allow_insecure_http), the
/// system's CAs or options.ca_file, request.timeout for the whole transfer, at most
/// options.max_redirects redirects, the body bounded by request.max_size, If-None-Match sent when
/// given. A transport failure (refused, timed out, TLS, body too long) is status 0 with the reason.
[[nodiscard]] inline jwks_response curl_get(const jwks_request& request, const curl_fetch_options& options = {}) {
    jwks_response failed;
    const auto fail_with = [&](std::string why) {
        failed.error = "curl: " + std::move(why);
        return failed;
    };
    const std::string_view url = request.url;
    const bool https = url.size() >= 8 && detail::header_name_is(url.substr(0, 8), "https://");
    if (!https && !options.allow_insecure_http) {
        return fail_with("the URL " + detail::quote(url) +
                         " is not https://; set curl_fetch_options::allow_insecure_http for a test server");
    }
    if (const CURLcode init = detail::curl_initialised(); init != CURLE_OK) {
        return fail_with(std::string("curl_global_init failed: ") + curl_easy_strerror(init));
    }
    const std::unique_ptr<CURL, detail::curl_easy_deleter> curl{curl_easy_init()};
    if (!curl) return fail_with("curl_easy_init failed");
    std::unique_ptr<curl_slist, detail::curl_slist_deleter> headers;
    const auto add_header = [&](const std::string& line) {
        curl_slist* next = curl_slist_append(headers.get(), line.c_str());
        if (next == nullptr) return false;
        static_cast<void>(headers.release());
        headers.reset(next);
        return true;
    };
    if (!add_header("Accept: application/jwk-set+json, application/json") ||
        (!request.if_none_match.empty() && !add_header("If-None-Match: " + request.if_none_match))) {
        return fail_with("curl_slist_append failed");
    }

    detail::curl_transfer transfer;
    transfer.max_size = request.max_size;
    std::string errors(CURL_ERROR_SIZE + 1, '\0');
    const char* protocols = options.allow_insecure_http ? "http,https" : "https";
    const long timeout_ms = static_cast<long>(std::max<std::chrono::milliseconds::rep>(request.timeout.count(), 1));
    CURL* c = curl.get();
    CURLcode rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errors.data());
    const auto set = [&rc](CURLcode r) {
        if (rc == CURLE_OK) rc = r;
    };
    set(curl_easy_setopt(c, CURLOPT_URL, request.url.c_str()));
    set(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols));
    set(curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocols));
    set(curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L));
    set(curl_easy_setopt(c, CURLOPT_MAXREDIRS, options.max_redirects));
    set(curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms));
    set(curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms));
    set(curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L));  // no SIGALRM for timeouts: safe in threads
    set(curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_size)));
    set(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &detail::curl_on_body));
    set(curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer));
    set(curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &detail::curl_on_header));
    set(curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer));
    set(curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get()));
    set(curl_easy_setopt(c, CURLOPT_USERAGENT, options.user_agent.c_str()));
    if (!options.ca_file.empty()) set(curl_easy_setopt(c, CURLOPT_CAINFO, options.ca_file.c_str()));
    if (rc != CURLE_OK) return fail_with(std::string("cannot set up the transfer: ") + curl_easy_strerror(rc));

    rc = curl_easy_perform(c);
    if (transfer.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        return fail_with("the body of " + request.url + " is longer than " + std::to_string(request.max_size) +
                         " octets (the limit for a JWK Set document)");
    }
    if (rc != CURLE_OK) {
        std::string why = curl_easy_strerror(rc);
        const std::string detail_text = errors.substr(0, errors.find('\0'));  // curl's text ends at a NUL
        if (!detail_text.empty()) why += ": " + detail_text;
        return fail_with(why + " (" + request.url + ")");
    }
    long code = 0;
    if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK) {
        return fail_with("no HTTP status for " + request.url);
    }
    transfer.response.status = static_cast<int>(code);
    return std::move(transfer.response);
}

/// A fetch function for remote_jwks_verifier::options::fetch over libcurl, as curl_get.
[[nodiscard]] inline jwks_fetch_function curl_fetch(curl_fetch_options options = {}) {
    return [options = std::move(options)](const jwks_request& request) { return curl_get(request, options); };
}

}  // namespace v1
}  // namespace jwt
