// SPDX-License-Identifier: MIT
// TEST KEYS ONLY. Generated once with the openssl command line for jwtmint's fuzzers and published
// here on purpose: anyone can sign with them, so never use them for anything else.
//   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048
//   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256
//   openssl pkey -pubout
#pragma once

#include <string_view>

namespace jwtmint_fuzz {

inline constexpr std::string_view rs_private_pem = R"pem(-----BEGIN PRIVATE KEY-----
MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQCWSmQEC3XV77uF
3OVGplMfzTrhqelVC85j+nwNHFWmA235cekGYiTRr3+jaexl9pEW2TLb78xIUI3K
DnCSSItc7li+R/Q4kQyZP9ICCTIHCJq1jcF/rqz4zdzCu9vSFzLAUseO7qZ3nLl2
Mjmwc/Ukb9SNOHDGYAOUK6/JBQbduncAGsOnh07BlnuhmTS8ioX4JNuyHr1W7KNJ
oQ0PI7EL/MBAq4EyDMi8IdnvgpKx/Rku/3SR0CbXy/kYF6cdGlL0gKehQCNdKbT5
lpFMKTt0TrHq6IfrJhzh/fALBXOJaXruMZu29E2HTx5Ucvsd6urTyxU9NnJxF5H0
voub0WO3AgMBAAECggEAQjqxHYkxWeBF6oVAMmSccADAaG64iQZlYvCg1yQ76CdN
wOW+U1ZPtGna3RgSGZLROFjpzTs88kcxXLAFUqmOZJsSV3Qc/wqIm0YhFU2ZErlr
eANqmIpQ5mnN1bD0e35GmrNABtBLYp2ZqykR/Bz1lCOF7t/G7tyj5xljYzoIXxAe
VOKZit4fOkOUnEUUwXFvmAoA7ORj5qidGPQJK3szJIhN5D87Cc480jCoeCbQavQd
ywd0M5bpAuLMW/+b5wF/yjjhBSIju5kA+Uai+SQONX+eAEOF1Zno/IChilpXzh4q
5tZYrJ/bIrT4QAvPUHGSQXthIoEJLVracxYHx/gQPQKBgQDMrbPfPr+8cxtfwvwu
slD03J72HgIF2MSzBxUffHNh2UcAQAtsNaCCQpcL1uEi+wlf7YXtEcy87/A2xBYg
6jDkf9HZKFqLYBsrEZGOLxNEtMoUQiXaEcHo1fM/lyOAfu8PFO6Hw+jhsoz5lPh4
h4IzFpKV47A9OA1xfeOO9EATvQKBgQC7+YfrqRHMenLW+qGSFpj0BbmuZn/EJVip
ip11y+mCJZ4+OPbr0PtfOVk2n56ifGU59z+3K73BEX2Mk/X3XtNVxY64gcJxupiU
MfDcoKs6XPNdNHMmP9POXzwentSMxGPRT8uQIINHiVLnXAJnEjKIuTH3z0GBRyIb
IO1InHQSgwKBgQCbJWv74+eYpDPywa1AhD/ja7w+2P41iluHTO4RANfBKt6r7N/7
tSamtm0iN05OorU3dqcWzXBBIysViEsxxfMrsUvS7Mi9bysI2XdYrIxRfyzScFWa
1+0BXfPVlu39P7pb10T7ul+zfRFpOiehzS2/JfQVFBMKRIvEJGWyfah4jQKBgQCm
NqlnSmKAqq2tRoVjxjONYxqjCeNkL5nMoNNG+/4IpPbeEkTUlEASHYWzdUUybEie
DvD6KOVrOOoJSjQuflzk9QGUSLkFE3gjYl2W2UNPIi3Xdq9zXPEPBMsGUG+l4Wpa
BPL9CKLMuLLj/Unqlf61QvzaIRvNEncoAd+PWziPvQKBgQCmS8WXTeAnYXNJ9cAT
tGdh1YOiM9DwFaxELvgbrIXWkPNRDcDKKfbFRi+JwbhnJFWIayIzR3UBSbbgTuwI
vhzH69ukm9Sbb3Hgy+zK2rGlVNrAFGsBPbHCTGYsllhxMR5dn8kQV37sLkSRe6U4
b6XDhJ0b31otz+Bo47OMRQfrGw==
-----END PRIVATE KEY-----
)pem";

inline constexpr std::string_view rs_public_pem = R"pem(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAlkpkBAt11e+7hdzlRqZT
H8064anpVQvOY/p8DRxVpgNt+XHpBmIk0a9/o2nsZfaRFtky2+/MSFCNyg5wkkiL
XO5Yvkf0OJEMmT/SAgkyBwiatY3Bf66s+M3cwrvb0hcywFLHju6md5y5djI5sHP1
JG/UjThwxmADlCuvyQUG3bp3ABrDp4dOwZZ7oZk0vIqF+CTbsh69VuyjSaENDyOx
C/zAQKuBMgzIvCHZ74KSsf0ZLv90kdAm18v5GBenHRpS9ICnoUAjXSm0+ZaRTCk7
dE6x6uiH6yYc4f3wCwVziWl67jGbtvRNh08eVHL7Herq08sVPTZycReR9L6Lm9Fj
twIDAQAB
-----END PUBLIC KEY-----
)pem";

inline constexpr std::string_view ec_private_pem = R"pem(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgM/sn1hXWeK2qBKBj
j/hhSfYLKLZJ1x4XO5u2HFAS9+OhRANCAARcyQ7ZstRCNjTnWkAal65tGAe+YMe2
rTZys2sdr/TDi0oKpRu5vwhk5fgybKSXRPPgQYR1ycuAA4puQi8Up5J1
-----END PRIVATE KEY-----
)pem";

inline constexpr std::string_view ec_public_pem = R"pem(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEXMkO2bLUQjY051pAGpeubRgHvmDH
tq02crNrHa/0w4tKCqUbub8IZOX4Mmykl0Tz4EGEdcnLgAOKbkIvFKeSdQ==
-----END PUBLIC KEY-----
)pem";

/// The HS256 test secret (49 bytes).
inline constexpr std::string_view hs_secret = "jwtmint-fuzz-test-secret-not-for-use-0123456789ab";

/// The passphrase of the encrypted PEM seeds in fuzz/corpus/pem_key.
inline constexpr std::string_view pem_passphrase = "jwtmint-fuzz-test-passphrase";

/// The instant the token fuzzer pins its clock to; the seed tokens are valid then.
inline constexpr long long fixed_now = 1764000000;

}  // namespace jwtmint_fuzz
