// SPDX-License-Identifier: MIT
// libFuzzer target: the verifier's JSON scanner (jwt::detail::json_object_scan) against
// nlohmann::json plus the former duplicate-name, depth and byte-order-mark rules, on the raw
// input. Properties: the same verdict; for an accepted object the same members, in the same
// order, with values that parse to the reference's, names and strings that decode to its
// strings, and numbers that json_number_value reads as nlohmann reads them, bit for bit
// (tests/json_scan_oracle.hpp says exactly what is compared).
#include "../tests/json_scan_oracle.hpp"
#include "fuzz_common.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string diff = jwtmint_test::compare_with_reference(jwtmint_fuzz::as_text(data, size));
    if (!diff.empty()) std::fprintf(stderr, "json_scan and the reference differ: %s\n", diff.c_str());
    jwtmint_fuzz::expect(diff.empty(), "json_object_scan disagrees with nlohmann::json and the former rules");
    return 0;
}
