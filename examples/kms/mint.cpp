// SPDX-License-Identifier: MIT
// jwtmint-kms-mint: mints a widget token whose signature is made by a Google Cloud KMS key version,
// through the service's REST API over libcurl (no Google SDK): getPublicKey at start-up, then
// asymmetricSign with the digest jwt::kms_signer computed. README.md says how to run it.
#include <jwtmint/jwtmint.hpp>
#include <jwtmint/kms_signer.hpp>

#include <CLI/CLI.hpp>
#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

/// One HTTP exchange's outcome.
struct http_reply {
    long status = 0;
    std::string body;
};

/// How the program reaches Cloud KMS.
struct kms_endpoint {
    std::string base;          // "https://cloudkms.googleapis.com"
    std::string key_version;   // projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/N
    std::string access_token;  // OAuth 2.0 bearer token
    bool allow_http = false;   // http:// for a local stand-in (loopback only)
};

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

/// GET (body empty) or POST (JSON body) to url with the bearer token; throws on transport errors.
http_reply exchange(const kms_endpoint& kms, const std::string& url, const std::string* body) {
    const std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) throw std::runtime_error("curl_easy_init failed");
    curl_slist* raw_headers = nullptr;
    raw_headers = curl_slist_append(raw_headers, ("Authorization: Bearer " + kms.access_token).c_str());
    raw_headers = curl_slist_append(raw_headers, "Content-Type: application/json");
    const std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(raw_headers, &curl_slist_free_all);
    http_reply reply;
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, kms.allow_http ? "http,https" : "https");
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &collect);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);  // thread-safe timeouts
    if (body != nullptr) {
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body->c_str());
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
    }
    if (const CURLcode rc = curl_easy_perform(curl.get()); rc != CURLE_OK) {
        throw std::runtime_error(url + ": " + (error[0] != '\0' ? std::string(error) : curl_easy_strerror(rc)));
    }
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply.status);
    return reply;
}

/// The JSON object of a 200 reply; otherwise throws with Google's error status and message.
nlohmann::json json_of(const http_reply& reply, std::string_view what) {
    auto doc = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
    if (reply.status == 200 && doc.is_object()) return doc;
    std::string reason = "HTTP " + std::to_string(reply.status);
    // {"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED"}}
    if (doc.is_object() && doc.contains("error") && doc["error"].is_object()) {
        const auto& e = doc["error"];
        if (e.contains("status") && e["status"].is_string()) reason += " " + e["status"].get<std::string>();
        if (e.contains("message") && e["message"].is_string()) reason += ": " + e["message"].get<std::string>();
    }
    throw std::runtime_error("Cloud KMS " + std::string(what) + " failed: " + reason);
}

std::string base64_encode(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

/// Standard base64 with padding, as protobuf's JSON mapping writes bytes fields.
std::string base64_decode(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) throw std::runtime_error("the signature is not padded base64");
    std::string out(text.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) throw std::runtime_error("the signature is not base64");
    auto len = static_cast<std::size_t>(n);
    for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) --len;  // EVP_DecodeBlock keeps the pad
    out.resize(len);
    return out;
}

/// The JOSE algorithm of a Cloud KMS CryptoKeyVersionAlgorithm (docs/kms.md), or "".
std::string jose_alg_of(const std::string& kms_alg) {
    const auto ends_with = [&](std::string_view s) {
        return kms_alg.size() >= s.size() && kms_alg.compare(kms_alg.size() - s.size(), s.size(), s) == 0;
    };
    if (kms_alg == "EC_SIGN_P256_SHA256") return "ES256";
    if (kms_alg == "EC_SIGN_P384_SHA384") return "ES384";
    const bool pkcs1 = kms_alg.rfind("RSA_SIGN_PKCS1_", 0) == 0;
    const bool pss = kms_alg.rfind("RSA_SIGN_PSS_", 0) == 0;
    if (!pkcs1 && !pss) return {};
    if (ends_with("_SHA256")) return pkcs1 ? "RS256" : "PS256";
    if (ends_with("_SHA512")) return pkcs1 ? "RS512" : "PS512";
    return {};
}

/// asymmetricSign for one digest: the signature octets (DER for EC keys, as Cloud KMS returns).
std::string asymmetric_sign(const kms_endpoint& kms, const jwt::kms_sign_request& request) {
    // {"digest": {"sha256": "<base64>"}}: the member is named for the key version's hash.
    std::string field = "sha256";
    if (request.digest == "SHA-384") field = "sha384";
    if (request.digest == "SHA-512") field = "sha512";
    const nlohmann::json body = {{"digest", {{field, base64_encode(request.data)}}}};
    const std::string text = body.dump();
    const auto reply = json_of(exchange(kms, kms.base + "/v1/" + kms.key_version + ":asymmetricSign", &text),
                               "asymmetricSign");
    if (!reply.contains("signature") || !reply["signature"].is_string()) {
        throw std::runtime_error("Cloud KMS asymmetricSign returned no signature");
    }
    return base64_decode(reply["signature"].get<std::string>());
}

struct mint_settings {
    std::vector<std::string> roles;
    std::string email;
    int lifetime_minutes = 10;
};

/// Makes the signer for the key version's algorithm and mints one token with it.
template <class Alg>
std::string mint_with(const kms_endpoint& kms, const jwt::public_key& pub, const mint_settings& s) {
    jwt::kms_signer_options options;
    options.key_name = kms.key_version;
    options.sign = [&kms](const jwt::kms_sign_request& r) -> jwt::result<std::string> {
        return asymmetric_sign(kms, r);
    };
    // The public key and the key version are checked together here: a probe signature is verified.
    const auto signer = jwt::kms_signer<Alg>::create(pub, std::move(options));
    jwt::builder b{signer};
    b.roles(s.roles).expires_in(std::chrono::minutes(s.lifetime_minutes));
    if (!s.email.empty()) b.email(s.email);
    return b.sign();
}

bool loopback(const std::string& url) {
    for (const char* prefix : {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/",
                               "http://[::1]:", "http://[::1]/"}) {
        if (url.rfind(prefix, 0) == 0) return true;
    }
    return false;
}

}  // namespace

// NOLINTNEXTLINE(bugprone-exception-escape): CLI11's parser and the streams may throw; the program ends either way
int main(int argc, char** argv) {
    CLI::App app{"Mints a widget token signed by a Google Cloud KMS key version (REST API, no SDK)"};
    kms_endpoint kms;
    mint_settings settings;
    std::string token_env = "GOOGLE_OAUTH_ACCESS_TOKEN";
    kms.base = "https://cloudkms.googleapis.com";
    app.add_option("--key-version", kms.key_version,
                   "projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/N")
        ->required();
    app.add_option("--role", settings.roles, "a team role (repeat for several)")->required();
    app.add_option("--email", settings.email, "the user's email");
    app.add_option("--lifetime-minutes", settings.lifetime_minutes, "token lifetime")->capture_default_str();
    app.add_option("--endpoint", kms.base, "Cloud KMS's base URL (http:// only on loopback, for a stand-in)")
        ->capture_default_str();
    app.add_option("--token-env", token_env, "the environment variable holding the OAuth 2.0 access token")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    while (!kms.base.empty() && kms.base.back() == '/') kms.base.pop_back();
    kms.allow_http = loopback(kms.base);
    if (kms.base.rfind("https://", 0) != 0 && !kms.allow_http) {
        std::cerr << "jwtmint-kms-mint: --endpoint must be https:// (http:// is for a stand-in on loopback)\n";
        return 2;
    }
    const char* token = std::getenv(token_env.c_str());  // NOLINT(concurrency-mt-unsafe): one thread yet
    if (token == nullptr || *token == '\0') {
        std::cerr << "jwtmint-kms-mint: $" << token_env << " is empty; set it to an access token, e.g. export "
                  << token_env << "=\"$(gcloud auth print-access-token)\"\n";
        return 2;
    }
    kms.access_token = token;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        std::cerr << "jwtmint-kms-mint: curl_global_init failed\n";
        return 1;
    }
    int status = 0;
    try {
        // getPublicKey: {"pem": "...", "algorithm": "EC_SIGN_P256_SHA256", ...}
        const auto key = json_of(exchange(kms, kms.base + "/v1/" + kms.key_version + "/publicKey", nullptr),
                                 "getPublicKey");
        const std::string kms_alg = key.value("algorithm", std::string());
        const std::string alg = jose_alg_of(kms_alg);
        if (alg.empty()) {
            throw std::runtime_error("the key version's algorithm " + kms_alg +
                                     " has no JOSE algorithm jwtmint signs (docs/kms.md lists those it has)");
        }
        const auto pub = jwt::public_key::from_pem(key.value("pem", std::string()));
        std::optional<std::string> minted;
        jwt::with_algorithm(alg, [&](auto tag) {
            using Alg = typename decltype(tag)::type;
            if constexpr (jwt::is_pkey_algorithm_v<Alg> && !std::is_same_v<Alg, jwt::eddsa>) {
                minted = mint_with<Alg>(kms, pub, settings);
            }
        });
        if (!minted) throw std::runtime_error("no signer for " + alg);
        std::cout << *minted << '\n';
    } catch (const std::exception& e) {
        std::cerr << "jwtmint-kms-mint: " << e.what() << '\n';
        status = 1;
    }
    curl_global_cleanup();
    return status;
}
