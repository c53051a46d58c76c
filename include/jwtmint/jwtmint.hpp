// SPDX-License-Identifier: MIT
// Umbrella header: everything jwtmint offers.
#pragma once

#include <jwtmint/base64url.hpp>
#include <jwtmint/builder.hpp>
#include <jwtmint/claims.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/json.hpp>
#include <jwtmint/jwk.hpp>
#include <jwtmint/key.hpp>
#include <jwtmint/login_policy.hpp>
#include <jwtmint/signers.hpp>
#include <jwtmint/verified_token.hpp>
#include <jwtmint/verifier.hpp>
#include <jwtmint/version.hpp>
