# Doxygen's view of a public header (INPUT_FILTER of docs/Doxyfile.in); the headers themselves are
# not changed. Every line keeps its number, so warnings point at the real line.
#  - The lines that open and close the inline namespace jwt::v1 become blank: code writes jwt::,
#    and the reference says jwt::builder, not jwt::v1::builder.
#  - The internals (namespace detail) are hidden, except the class templates the signers inherit
#    their factories and sign() from (detail::pkey_signer, detail::hmac_signer): without them a
#    signer's page would list none of the calls a user makes on it.
{ line[NR] = $0 }
END {
    for (i = 1; i <= NR; i++) {
        pre[i] = ""; post[i] = ""
        if (line[i] ~ /^inline namespace v1 \{$/ || line[i] ~ /^\}  \/\/ namespace v1$/) line[i] = ""
        if (line[i] ~ /^namespace detail \{$/) post[i] = " /** @cond JWTMINT_DETAIL */"
        if (line[i] ~ /^\}  \/\/ namespace detail$/) pre[i] = "/** @endcond */ "
    }
    for (i = 1; i <= NR; i++) {
        if (line[i] !~ /^class (pkey|hmac)_signer \{$/) continue
        j = i
        while (j > 1 && (line[j - 1] ~ /^template / || line[j - 1] ~ /^\/\/\//)) j--
        pre[j] = "/** @endcond */ " pre[j]
        for (k = i + 1; k <= NR && line[k] !~ /^\};$/; k++) {}
        post[k] = post[k] " /** @cond JWTMINT_DETAIL */"
    }
    for (i = 1; i <= NR; i++) print pre[i] line[i] post[i]
}
