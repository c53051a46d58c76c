// SPDX-License-Identifier: MIT
// The docs gate's fixture (docs/check.sh): a public header with one undocumented function. Added
// to the public headers, it must fail the reference's Doxygen configuration, which must name it.
#pragma once

namespace jwt {
inline namespace v1 {

/// A documented function, which the gate must not name.
inline int documented_call() noexcept { return 1; }

inline int undocumented_call() noexcept { return 2; }

}  // namespace v1
}  // namespace jwt
