// SPDX-License-Identifier: MIT
// libFuzzer target: jwt::base64url_decode on arbitrary text, and encode/decode round trips.
// Properties: an accepted text is the one canonical encoding of what it decodes to (re-encoding
// gives the same text back); the throwing and error_code forms agree; any octets encode to
// base64url_encoded_size() characters of the URL-safe alphabet that decode back to them.
#include <jwtmint/base64url.hpp>

#include "fuzz_common.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

using jwtmint_fuzz::expect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in = jwtmint_fuzz::as_text(data, size);

    std::error_code ec;
    const std::string decoded = jwt::base64url_decode(in, ec);
    bool threw = false;
    std::string decoded_by_throwing;
    try {
        decoded_by_throwing = jwt::base64url_decode(in);
    } catch (const jwt::error& e) {
        threw = true;
        expect(e.code() == jwt::errc::invalid_base64url, "decode threw another code than invalid_base64url");
    }
    expect(threw == static_cast<bool>(ec), "the throwing and error_code decoders disagree");
    if (ec) {
        expect(ec == jwt::errc::invalid_base64url, "decode failed with another code than invalid_base64url");
        expect(decoded.empty(), "a failed decode returned octets");
    } else {
        expect(decoded == decoded_by_throwing, "the two decoders returned different octets");
        expect(jwt::base64url_encode(decoded) == in, "an accepted text is not the canonical encoding of its octets");
    }

    const std::string encoded = jwt::base64url_encode(in);
    expect(encoded.size() == jwt::base64url_encoded_size(in.size()),
           "encoded size differs from base64url_encoded_size");
    expect(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
               std::string::npos,
           "the encoder wrote a character outside the URL-safe alphabet");
    std::error_code ec2;
    expect(jwt::base64url_decode(encoded, ec2) == in && !ec2, "encode then decode does not give the input back");

    std::string appended = "prefix.";
    jwt::base64url_append(appended, in);
    expect(appended == "prefix." + encoded, "base64url_append differs from base64url_encode");
    return 0;
}
