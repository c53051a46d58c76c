# SPDX-License-Identifier: MIT
# bash completion for jwtmint(1): the commands, each command's options, the algorithm names after
# keygen and --alg, the values of --format and --role-format, and file names for the options
# that take a file. Installed as share/bash-completion/completions/jwtmint, where bash-completion
# loads it on first use; or source it from ~/.bashrc.
# Every option a command's --help prints must be listed here: examples/cli/tests/cli_docs_test.py
# checks it.

_jwtmint_files() {
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$1")
}

_jwtmint_words() {
    mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
}

_jwtmint() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev=""
    ((COMP_CWORD > 0)) && prev="${COMP_WORDS[COMP_CWORD - 1]}"
    # --opt=value: bash splits at '=' (COMP_WORDBREAKS), so the option is the word before it.
    if [[ $cur == "=" ]] && ((COMP_CWORD > 1)); then
        prev="${COMP_WORDS[COMP_CWORD - 1]}"
        cur=""
    elif [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
        prev="${COMP_WORDS[COMP_CWORD - 2]}"
    fi

    local commands="keygen pubkey sign verify inspect doctor"
    local algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA HS256 HS384 HS512"
    local algs_lower="rs256 rs384 rs512 ps256 ps384 ps512 es256 es384 es512 eddsa hs256 hs384 hs512"
    local policy="--policy --general --known-roles --role-claim --role-format --max-lifetime --max-ttl"
    local policy_values="--policy --known-roles --role-claim --role-format --max-lifetime --max-ttl"

    local cmd="" cmd_at=0 i
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ " $commands " == *" ${COMP_WORDS[i]} "* ]]; then
            cmd="${COMP_WORDS[i]}"
            cmd_at=$i
            break
        fi
    done

    local opts="" takes_value=""
    case "$cmd" in
    "")
        _jwtmint_words "$commands -h --help -V --version" "$cur"
        return
        ;;
    keygen)
        opts="--out --public-out --bits --bytes --format --force --passphrase-file --next"
        takes_value="--out --public-out --bits --bytes --format --passphrase-file"
        ;;
    pubkey)
        opts="--key --format --passphrase-file"
        takes_value="$opts"
        ;;
    sign)
        opts="--key --alg --role --email --upn --preferred-username --sub --iss --aud --kid --jti $policy
              --ttl --claim --now --passphrase-file"
        takes_value="--key --alg --role --email --upn --preferred-username --sub --iss --aud --kid --jti
                     $policy_values --ttl --claim --now --passphrase-file"
        ;;
    verify)
        opts="--key --jwks-url --cacert --allow-http --alg --now --leeway $policy --iss --aud --sub
              --passphrase-file"
        takes_value="--key --jwks-url --cacert --alg --now --leeway $policy_values --iss --aud --sub
                     --passphrase-file"
        ;;
    inspect)
        opts="--now --role-claim --max-ttl --json"
        takes_value="--now --role-claim --max-ttl"
        ;;
    doctor)
        opts="--key --public --next-key --token --alg $policy --now --passphrase-file --json
              --allow-warnings"
        takes_value="--key --public --next-key --token --alg $policy_values --now --passphrase-file"
        ;;
    esac
    opts="$opts -h --help"

    case "$prev" in
    --out | --public-out | --passphrase-file | --key | --policy | --public | --next-key | --cacert)
        _jwtmint_files "$cur"
        return
        ;;
    --alg)
        _jwtmint_words "$algs" "$cur"
        return
        ;;
    --format)
        if [[ $cmd == keygen ]]; then
            _jwtmint_words "raw base64url" "$cur"
        else
            _jwtmint_words "pem jwk jwks" "$cur"
        fi
        return
        ;;
    --role-format)
        _jwtmint_words "array comma comma_separated string" "$cur"
        return
        ;;
    --bits)
        _jwtmint_words "2048 3072 4096" "$cur"
        return
        ;;
    esac
    # Any other option that takes a value: a name, a role, a duration, a URL; nothing to offer.
    if [[ -n $prev && " $takes_value " == *" $prev "* ]]; then
        COMPREPLY=()
        return
    fi

    if [[ $cur == -* ]]; then
        _jwtmint_words "$opts" "$cur"
        return
    fi

    # A positional argument.
    case "$cmd" in
    keygen)
        # The algorithm, unless a word after keygen already is one.
        local word skip=0
        for ((i = cmd_at + 1; i < COMP_CWORD; i++)); do
            word="${COMP_WORDS[i]}"
            if [[ $word == "=" ]]; then
                skip=1 # --out=FILE: the value follows
            elif ((skip)); then
                skip=0
            elif [[ " $takes_value " == *" $word "* ]]; then
                skip=1
            elif [[ $word != -* ]]; then
                COMPREPLY=()
                return
            fi
        done
        _jwtmint_words "$algs_lower" "${cur,,}"
        ;;
    pubkey)
        _jwtmint_files "$cur"
        ;;
    *)
        COMPREPLY=() # a token
        ;;
    esac
}

complete -F _jwtmint jwtmint
