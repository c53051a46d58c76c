// SPDX-License-Identifier: MIT
/// @file
/// Umbrella header: everything jwtmint offers except the calls that take or give a JSON document
/// (builder::claim with a JSON value, verified_token::claims(), login policy files), which
/// <jwtmint/json.hpp> enables: it brings nlohmann/json, whose header costs more to compile than
/// the rest of jwtmint together, so only a file that asks for it pays for it.
#pragma once

#include <jwtmint/base64url.hpp>
#include <jwtmint/builder.hpp>
#include <jwtmint/claims.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/jwk.hpp>
#include <jwtmint/key.hpp>
#include <jwtmint/key_ring.hpp>
#include <jwtmint/key_uri.hpp>
#include <jwtmint/kms_signer.hpp>
#include <jwtmint/login_policy.hpp>
#include <jwtmint/signers.hpp>
#include <jwtmint/verified_token.hpp>
#include <jwtmint/verifier.hpp>
#include <jwtmint/version.hpp>
