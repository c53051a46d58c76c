// SPDX-License-Identifier: MIT
// jwtmint: the command line tool for widget-login JWTs (keygen, pubkey, sign, verify, inspect,
// doctor). This file wires the commands to CLI11 and turns every failure into one line on
// stderr and an exit status: 0 done, 1 refused (the token or set-up is bad), 2 usage or key error.
#include <jwtmint/builder.hpp>
#include <jwtmint/error.hpp>
#include <jwtmint/version.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "durations.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <iostream>
#include <new>

namespace {

constexpr const char* exit_status_help =
    "Exit status: 0 done, 1 refused (the token or the set-up is bad), 2 usage error or unusable "
    "key.";

/// --now as an option on sub; CLI11 fills the plain integer, the optional says whether it was
/// given.
CLI::Option* add_now_option(CLI::App* sub, std::int64_t& value, const char* what) {
    return sub->add_option("--now", value, what)->type_name("UNIX_SECONDS");
}

/// The name of the subcommand being parsed, for "see: jwtmint sign --help".
std::string help_hint(const CLI::App& app) {
    for (const CLI::App* sub : app.get_subcommands()) return "jwtmint " + sub->get_name() + " --help";
    return "jwtmint --help";
}

/// The widget's login rules on sub: --policy and the flags that override it, or --general.
void add_policy_options(CLI::App* sub, cli::policy_options& o) {
    sub->add_option("--policy", o.file,
                    "The widget's login policy: a JSON file with role_claim, role_format, team_roles, "
                    "algorithms, max_lifetime_seconds, identity_claims (all optional; the flags below "
                    "override it). Default: the widget's rules, RS256/ES256/HS256, a 'roles' array, "
                    "10 minutes at most")
        ->type_name("FILE");
    sub->add_flag("--general", o.general,
                  "Lift the widget's rules, for a team's other JWTs: any algorithm the key fits, no role "
                  "required, a lifetime of up to 1 day (or --max-lifetime); not with --policy");
    sub->add_option("--known-roles", o.known_roles,
                    "The team roles configured at the vendor, comma-separated (repeatable); every role "
                    "must be one of them, case-insensitively (overrides the policy's team_roles)")
        ->allow_extra_args(false)
        ->type_name("\"A,B\"");
    sub->add_option("--role-claim", o.role_claim,
                    "Name of the role claim, the vendor's 'Attribute name' (default: the policy's, roles)");
    sub->add_option("--role-format", o.role_format,
                    "The role claim as a JSON array (array, the default) or one comma-separated string "
                    "(comma; also: string, comma_separated); verify reads both")
        ->check(CLI::IsMember({"array", "comma", "comma_separated", "string"}));
    sub->add_option("--max-lifetime,--max-ttl", o.max_lifetime,
                    "Lifetime ceiling, e.g. 10m (default: the policy's, 10m; under --general 1d)")
        ->type_name("DURATION");
}

/// Parses the command line and runs one command; returns the exit status.
int run(int argc, char** argv) {
    CLI::App app{"jwtmint " JWTMINT_VERSION_STRING
                 ": mint and check the short-lived JWTs that sign a user into an embedded AI chat widget"};
    app.name("jwtmint");
    app.set_version_flag("-V,--version", "jwtmint " JWTMINT_VERSION_STRING, "Print the version and exit");
    // No require_subcommand(): CLI11 would report a missing command before an unknown option.
    app.footer(std::string("Example: jwtmint keygen rs256 --out private_key.pem --public-out public_key.pem\n") +
               exit_status_help + "\nRun 'jwtmint COMMAND --help' for a command's options.");

    // Every algorithm name below comes from the table in common.hpp.
    const std::string algs = cli::algorithm_list();
    const std::string algs_lower = cli::algorithm_list(true);

    // keygen
    cli::keygen_options kg;
    auto* keygen = app.add_subcommand("keygen",
                                      "Write a new private key (PEM) or HMAC secret with mode 0600, "
                                      "and print what to paste into the vendor's settings");
    keygen
        ->add_option("algorithm", kg.algorithm,
                     "One of " + algs_lower +
                         " (any case): rs*/ps* make an RSA key, es256/es384/es512 an EC key on "
                         "P-256/P-384/P-521, eddsa an Ed25519 key, hs* a secret as long as the hash")
        ->required()
        ->check(CLI::IsMember(cli::algorithm_names_lower(), CLI::ignore_case));
    keygen->add_option("--out", kg.out, "The file to create (never overwritten without --force)")
        ->required()
        ->type_name("FILE");
    auto* bits = keygen->add_option("--bits", kg.bits, "RSA modulus size in bits for rs*/ps* (at least 2048)")
                     ->capture_default_str();
    auto* bytes = keygen->add_option("--bytes", kg.bytes,
                                     "HMAC secret size in bytes (default and minimum: the hash length, "
                                     "32 for hs256, 48 for hs384, 64 for hs512)");
    auto* format = keygen
                       ->add_option("--format", kg.format,
                                    "HMAC secret file: raw (the random bytes) or base64url (printable text that is "
                                    "itself the secret, for settings that take typed text)")
                       ->check(CLI::IsMember({"raw", "base64url"}))
                       ->capture_default_str();
    keygen
        ->add_option("--public-out", kg.public_out,
                     "Write the public key PEM to FILE (mode 0644) instead of stdout; both files are "
                     "written, or neither (not for hs*)")
        ->type_name("FILE");
    keygen->add_flag("--force", kg.force, "Replace existing files (the private key written anew with mode 0600)");
    keygen
        ->add_option("--passphrase-file", kg.passphrase_file,
                     "Encrypt the PEM key with the passphrase in FILE (default: the environment variable "
                     "JWTMINT_KEY_PASSPHRASE when it is set; --next reads the current key with it too)")
        ->type_name("FILE");
    keygen->add_flag("--next", kg.next,
                     "--out names the current key (it must exist, for the same algorithm): write the next key "
                     "of a rotation beside it, rs256-private.pem -> rs256-next-private.pem, other names "
                     "key.pem -> key-next.pem (not for hs*)");
    keygen->footer(
        "Prints the public key PEM (or, for hs*, the secret in base64url) on stdout, or writes the public key to "
        "--public-out FILE; notes go to stderr.\n"
        "Examples:\n"
        "  jwtmint keygen rs256 --out private_key.pem --public-out public_key.pem\n"
        "  jwtmint keygen es384 --out es384.pem --public-out es384.pub.pem\n"
        "  jwtmint keygen eddsa --out ed25519.pem > ed25519.pub.pem\n"
        "  jwtmint keygen hs256 --format base64url --out hs256.secret\n"
        "  jwtmint keygen rs256 --next --out data/rs256-private.pem   (writes data/rs256-next-private.pem)\n" +
        std::string(exit_status_help));

    // pubkey
    cli::pubkey_options pk;
    auto* pubkey = app.add_subcommand("pubkey",
                                      "Print the public key (SPKI PEM) of a private key, or one JWK Set of "
                                      "several keys");
    // --key and the positional KEY are one list; at least one key is needed, in either form
    // (checked in run_pubkey: CLI11 would mark both as REQUIRED).
    pubkey
        ->add_option("--key", pk.keys,
                     "Private key: PEM or JWK (a public key is re-printed), or a key URI (handle:..., pkcs11:...); "
                     "repeat for a JWK Set of several keys (--format jwks), e.g. the current key and the next one. "
                     "One key at least, given as --key or as KEY")
        ->allow_extra_args(false)
        ->type_name("FILE|URI");
    pubkey->add_option("key", pk.positional_keys, "The same as --key FILE (either form, or both)")
        ->type_name("FILE|URI");
    pubkey
        ->add_option("--format", pk.format,
                     "pem, jwk (with its RFC 7638 thumbprint as kid), or jwks (a JWK Set of every --key, each "
                     "with its thumbprint as kid, its alg and use sig); pem and jwk take one --key")
        ->check(CLI::IsMember({"pem", "jwk", "jwks"}))
        ->capture_default_str();
    pubkey
        ->add_option("--passphrase-file", pk.passphrase_file,
                     "Passphrase of an encrypted PEM key, in FILE (without one trailing line break); default: the "
                     "environment variable JWTMINT_KEY_PASSPHRASE")
        ->type_name("FILE");
    pubkey->footer(
        "Examples:\n"
        "  jwtmint pubkey --key private_key.pem > public_key.pem\n"
        "  jwtmint pubkey --key rs256-private.pem --key rs256-next-private.pem --format jwks > jwks.json\n" +
        std::string(exit_status_help));

    // sign
    cli::sign_options sg;
    sg.ttl = cli::format_duration_option(jwt::default_lifetime.count());
    std::int64_t sign_now = 0;
    auto* sign = app.add_subcommand("sign", "Mint one widget-login token and print it");
    sign->add_option(
            "--key", sg.key,
            "Private key (PEM or JWK), or for HS256/384/512 a file holding the raw secret; or a key URI "
            "OpenSSL's store opens (handle:0x81000001 for a TPM key through tpm2-openssl, pkcs11:..., file:...)")
        ->required()
        ->type_name("FILE|URI");
    sign->add_option("--alg", sg.alg,
                     "One of " + algs +
                         " (default: from the key: RSA RS256, EC P-256/384/521 ES256/384/512, "
                         "Ed25519 EdDSA, any other file HS256); the widget accepts RS256, ES256 and "
                         "HS256 only (the others need --general)");
    sign->add_option("--role", sg.roles,
                     "A team role, exactly as the vendor spells it (repeat for several; a comma "
                     "separates roles as the vendor reads them: --role \"A,B\" is two roles, so a "
                     "role name never holds a comma); required unless --general")
        ->allow_extra_args(false)
        ->type_name("ROLE");
    sign->add_option("--email", sg.email,
                     "Session email (the vendor uses the first of email, upn, preferred_username)");
    sign->add_option("--upn", sg.upn, "User principal name");
    sign->add_option("--preferred-username", sg.preferred_username, "Preferred username");
    sign->add_option("--sub", sg.sub, "sub: the user's stable id in your system");
    sign->add_option("--iss", sg.iss, "iss: the issuer");
    sign->add_option("--aud", sg.aud, "aud: the audience");
    sign->add_option("--kid", sg.kid, "kid header: names the key for verifiers holding several");
    sign->add_option("--jti", sg.jti, "jti: a unique token id");
    add_policy_options(sign, sg.policy);
    sign->add_option("--ttl", sg.ttl, "Lifetime: 600, 600s, 10m, 1h30m... (at most --max-lifetime)")
        ->type_name("DURATION")
        ->capture_default_str();
    sign->add_option("--claim", sg.claims, "A custom claim, NAME=JSON (repeatable), e.g. --claim 'dept=\"sales\"'")
        ->allow_extra_args(false)
        ->type_name("NAME=JSON");
    auto* sign_now_opt = add_now_option(sign, sign_now, "Issue the token as if it were this Unix time (for tests)");
    sign->add_option("--passphrase-file", sg.passphrase_file,
                     "Passphrase of an encrypted PEM key, in FILE (without one trailing line break); default: the "
                     "environment variable JWTMINT_KEY_PASSPHRASE")
        ->type_name("FILE");
    sign->footer(
        "Prints the token and a newline on stdout.\n"
        "Example:\n"
        "  jwtmint sign --key private_key.pem --role \"Accounting Team\" --email ada@example.com "
        "--ttl 10m\n"
        "  jwtmint sign --key private_key.pem --policy widget-policy.json --role \"Accounting Team,Support "
        "Team\"\n"
        "  jwtmint sign --key es384.pem --general --ttl 1h   (a token that is not for the widget)\n" +
        std::string(exit_status_help));

    // verify
    cli::verify_options vf;
    std::int64_t verify_now = 0;
    auto* verify = app.add_subcommand("verify",
                                      "Verify a token with a key: exit 0 and its header and claims as "
                                      "JSON, or exit 1 and why it is refused");
    verify->add_option("token", vf.token, "The token (default: read from standard input)")->type_name("TOKEN");
    auto* verify_key = verify
                           ->add_option("--key", vf.key,
                                        "Public or private PEM, a JWK or JWK Set, or for HS* the raw secret; or a key "
                                        "URI (handle:..., pkcs11:..., file:...)")
                           ->type_name("FILE|URI");
    auto* verify_url = verify
                           ->add_option(
                               "--jwks-url", vf.jwks_url,
                               "Verify against the JWK Set at this https:// URL (the token's kid picks the key)")
                           ->type_name("URL")
                           ->excludes(verify_key);
    verify->add_option("--cacert", vf.cacert, "With --jwks-url: trust the CAs in this PEM file instead of the system's")
        ->type_name("FILE")
        ->needs(verify_url);
    verify->add_flag("--allow-http", vf.allow_http, "With --jwks-url: accept an http:// URL (a test server only)")
        ->needs(verify_url);
    verify->add_option("--alg", vf.alg, "One of " + algs + " (default: from the key; never from the token)");
    add_now_option(verify, verify_now, "Judge the token as if it were this Unix time");
    verify->add_option("--leeway", vf.leeway, "Clock skew tolerated on exp, nbf and iat (seconds, or 30s, 1m)")
        ->type_name("SECONDS")
        ->capture_default_str();
    add_policy_options(verify, vf.policy);
    verify->add_option("--iss", vf.iss, "Require this issuer");
    verify->add_option("--aud", vf.aud, "Require this audience (a token with an aud is refused without it)");
    verify->add_option("--sub", vf.sub, "Require this subject");
    verify
        ->add_option("--passphrase-file", vf.passphrase_file,
                     "Passphrase of an encrypted PEM key, in FILE (without one trailing line break); default: the "
                     "environment variable JWTMINT_KEY_PASSPHRASE")
        ->type_name("FILE");
    verify->footer(
        "Exit status: 0 valid (header and claims as JSON on stdout), 1 refused ('error: <code>: "
        "<why>' on\n"
        "stderr), 2 usage error or unusable key.\n"
        "Example:\n"
        "  jwtmint sign --key private_key.pem --role Support | jwtmint verify --key "
        "public_key.pem\n"
        "  jwtmint verify --jwks-url https://idp.example/.well-known/jwks.json --general TOKEN");

    // inspect
    cli::inspect_options in;
    std::int64_t inspect_now = 0;
    auto* inspect = app.add_subcommand("inspect",
                                       "Decode a token WITHOUT verifying it, with readable times and "
                                       "warnings about what the vendor would refuse");
    inspect->add_option("token", in.token, "The token (default: read from standard input)")->type_name("TOKEN");
    add_now_option(inspect, inspect_now, "Describe times as if it were this Unix time");
    inspect->add_option("--role-claim", in.role_claim, "Name of the role claim")->capture_default_str();
    inspect->add_option("--max-ttl", in.max_ttl, "Warn when the lifetime is longer")
        ->type_name("DURATION")
        ->capture_default_str();
    inspect->add_flag("--json", in.json, "Print one JSON object (\"verified\": false) instead of text");
    inspect->footer(
        "Exit status: 0 decoded (warnings or not), 1 not a decodable JWT, 2 usage error.\n"
        "Example:\n"
        "  jwtmint inspect eyJhbGciOi...");

    // doctor
    cli::doctor_options dr;
    std::int64_t doctor_now = 0;
    auto* doctor = app.add_subcommand("doctor",
                                      "Check a set-up, one line per check: key, strength, file mode, "
                                      "key pair, a fresh token, a backend's token, roles, clock");
    doctor
        ->add_option("--key", dr.key,
                     "The private key (or HMAC secret) the backend signs with: a file, or a key URI (handle:..., "
                     "pkcs11:..., file:...)")
        ->required()
        ->type_name("PRIVATE");
    doctor->add_option("--public", dr.public_key, "The public key pasted into the vendor's settings (PEM or JWK)")
        ->type_name("PUBLIC.pem");
    doctor
        ->add_option("--next-key", dr.next_key,
                     "The next key of a rotation, which does not sign yet (default: the file beside --key "
                     "named as keygen --next names it, e.g. rs256-next-private.pem, when it exists)")
        ->type_name("PRIVATE");
    doctor->add_option("--token", dr.token, "A token the backend minted ('-' reads standard input)")
        ->type_name("TOKEN");
    doctor->add_option("--alg", dr.alg, "One of " + algs + " (default: from the key)");
    add_policy_options(doctor, dr.policy);
    add_now_option(doctor, doctor_now, "Check as if it were this Unix time");
    doctor
        ->add_option("--passphrase-file", dr.passphrase_file,
                     "Passphrase of an encrypted PEM key, in FILE (without one trailing line break); default: the "
                     "environment variable JWTMINT_KEY_PASSPHRASE")
        ->type_name("FILE");
    doctor->add_flag("--allow-warnings", dr.allow_warnings, "Exit 0 when checks only warn (none failed)");
    doctor->add_flag("--json", dr.json,
                     "Print one JSON object instead of lines: checks (each with name, outcome ok/warn/fail/skip, "
                     "message, fix or null), summary, exit_status, vendor_public_key, next_public_key; the same exit "
                     "status");
    doctor->footer(
        "Verdicts: [ ok ] passed, [warn] works but is risky, [FAIL] will not work, [skip] not "
        "checked.\n"
        "Exit status: 0 when every check passed (ok or skip; with --allow-warnings, warn too), 1 "
        "otherwise,\n"
        "2 usage error or unreadable key file.\n"
        "Example:\n"
        "  jwtmint doctor --key private_key.pem --public pasted.pem --token \"$TOKEN\" \\\n"
        "                 --known-roles \"Accounting Team,Support Team\"\n"
        "  jwtmint doctor --key private_key.pem --policy widget-policy.json --token \"$TOKEN\"");

    for (CLI::App* sub : app.get_subcommands({})) sub->fallthrough(false);

    if (argc <= 1) {
        std::cerr << app.help();
        return cli::exit_usage;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        cli::print_usage_error(std::string(e.what()) + " (see: " + help_hint(app) + ")");
        return cli::exit_usage;
    }

    try {
        kg.bits_given = bits->count() > 0;
        kg.bytes_given = bytes->count() > 0;
        kg.format_given = format->count() > 0;
        if (sign_now_opt->count() > 0) sg.now = sign_now;
        sg.ttl_given = sign->get_option("--ttl")->count() > 0;
        if (verify->get_option("--now")->count() > 0) vf.now = verify_now;
        if (inspect->get_option("--now")->count() > 0) in.now = inspect_now;
        if (doctor->get_option("--now")->count() > 0) dr.now = doctor_now;

        int status = cli::exit_usage;
        if (keygen->parsed()) {
            status = cli::run_keygen(kg);
        } else if (pubkey->parsed()) {
            status = cli::run_pubkey(pk);
        } else if (sign->parsed()) {
            status = cli::run_sign(sg);
        } else if (verify->parsed()) {
            status = cli::run_verify(vf);
        } else if (inspect->parsed()) {
            status = cli::run_inspect(in);
        } else if (doctor->parsed()) {
            status = cli::run_doctor(dr);
        } else {
            cli::print_usage_error(
                "no command given; the commands are keygen, pubkey, sign, verify, inspect, doctor "
                "(see: jwtmint --help)");
        }
        // A token or key that never reached its reader (a full disk, a closed pipe) is a failure.
        if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
            std::fputs("error: cannot write to standard output\n", stderr);
            return cli::exit_refused;
        }
        return status;
    } catch (const cli::usage_error& e) {
        cli::print_usage_error(std::string(e.what()) + " (see: " + help_hint(app) + ")");
        return cli::exit_usage;
    } catch (const cli::refusal& e) {
        cli::print_error(e.code(), e.what());
        return cli::exit_refused;
    } catch (const jwt::error& e) {
        cli::print_error(e.value(), e.what());
        // A failure inside OpenSSL or the signer is no fault of the input.
        const bool internal = e.value() == jwt::errc::openssl_error || e.value() == jwt::errc::signing_failed;
        return internal ? cli::exit_refused : cli::exit_usage;
    } catch (const std::bad_alloc&) {
        std::fputs("error: out of memory\n", stderr);
        return cli::exit_refused;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", cli::one_line(e.what()).c_str());
        return cli::exit_refused;
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {  // CLI11 construction errors and anything else unforeseen
        std::fprintf(stderr, "error: %s\n", cli::one_line(e.what()).c_str());
        return cli::exit_refused;
    } catch (...) {
        std::fputs("error: unexpected failure\n", stderr);
        return cli::exit_refused;
    }
}
