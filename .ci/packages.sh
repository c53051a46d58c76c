#!/usr/bin/env bash
# CI stage: the Debian packages, as a user on Debian 12 gets them.
#  1. installs what packaging needs (debhelper, dpkg-dev, fakeroot, lintian; man-db, bash-completion
#     and PyJWT to check the result);
#  2. builds libjwtmint-dev and jwtmint-tools with `dpkg-buildpackage -us -uc -b` from a copy of the
#     tree in a temporary directory (the tree itself stays clean);
#  3. runs lintian on the .changes: any E: or W: fails (overrides carry their reason in debian/);
#  4. installs both with apt-get, then builds the README's first example
#     (tests/package/consumer/main.cpp, which a ctest keeps equal to the README's) against the
#     installed package with the README's find_package lines and with `pkg-config --cflags --libs
#     jwtmint`, no prefix or path given; PyJWT verifies each token with the public key;
#  5. runs the installed `jwtmint --version`, finds `man jwtmint-keygen`, and completes from the
#     installed bash completion through bash-completion's loader;
#  6. purges both packages (also when a step fails), so later stages see a clean system.
# Run as root or with sudo, on a machine where scripts/install-deps.sh ran.
set -euo pipefail
cd "$(dirname "$0")/.."
src="$(pwd)"
start=$(date +%s)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q --no-install-recommends \
  debhelper dpkg-dev fakeroot lintian man-db bash-completion pkg-config python3-jwt python3-cryptography

work="$(mktemp -d)"
installed=0
cleanup() {
  if [ "$installed" = 1 ]; then
    $SUDO apt-get purge -y -q libjwtmint-dev jwtmint-tools >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "packages: $*" >&2; exit 1; }

# 2. Build from a copy: the git checkout's files (tracked, and untracked but not ignored), or the
# tree without its build directories when it is not a checkout.
version="$(dpkg-parsechangelog -l debian/changelog -S Version)"
tree="$work/jwtmint-${version%-*}"
mkdir -p "$tree"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$src" ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
    xargs -0 cp --parents -t "$tree"
else
  tar -C "$src" --exclude='./build*' --exclude='./obj-*' --exclude=node_modules --exclude=.git -cf - . |
    tar -C "$tree" -xf -
fi
t=$(date +%s)
(cd "$tree" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
  { tail -n 60 "$work/build.log"; fail "dpkg-buildpackage failed (log above)"; }
echo "packages: built in $(($(date +%s) - t)) s"
changes=("$work"/jwtmint_"$version"_*.changes)
debs=("$work"/libjwtmint-dev_"$version"_all.deb "$work"/jwtmint-tools_"$version"_*.deb)
for deb in "${debs[@]}"; do
  [ -f "$deb" ] || fail "no $deb"
  echo "== dpkg -c $(basename "$deb")"
  dpkg -c "$deb"
done

# 3. lintian: errors and warnings fail; information and pedantic tags are shown.
echo "== lintian"
# (Lintian 2.116 counts an overridden warning towards --fail-on when --show-overrides is given, so
# the overrides in force are shown by a second run that cannot fail.)
lintian --fail-on error,warning --display-info --pedantic "${changes[0]}" || fail "lintian found errors or warnings"
echo "== lintian overrides in force (each with its reason in debian/*.lintian-overrides)"
lintian --fail-on none --show-overrides "${changes[0]}" | grep -E '^[ON]:' || true

# 4. Install, and build the README's example against what was installed.
installed=1
(cd "$work" && $SUDO apt-get install -y -q "${debs[@]/#$work/.}")

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/key.pem" 2>/dev/null
openssl pkey -in "$work/key.pem" -pubout -out "$work/public.pem"
check_token() {  # TOKEN_FILE WHAT
  /usr/bin/python3 - "$1" "$work/public.pem" "$2" <<'EOF'
import sys
import jwt  # PyJWT
token, public, what = open(sys.argv[1]).read().strip(), open(sys.argv[2]).read(), sys.argv[3]
claims = jwt.decode(token, public, algorithms=["RS256"])
assert claims["roles"] == ["Accounting Team", "Support Team"], claims
assert claims["email"] == "ada@example.com", claims
assert 0 < claims["exp"] - claims["iat"] <= 600, claims
print(f"packages: PyJWT verified the token of the example built with {what}")
EOF
}

app="$work/app"
mkdir -p "$app"
cp "$src/tests/package/consumer/main.cpp" "$app/"
snippet="$(awk '/<!-- tests\/package: install -->/ {on=1; next} on && /^```cmake$/ {inside=1; next}
                inside && /^```$/ {exit} inside {print}' README.md)"
grep -q 'find_package(jwtmint' <<<"$snippet" || fail "no find_package snippet in README.md's Install section"
printf 'cmake_minimum_required(VERSION 3.21)\nproject(app LANGUAGES CXX)\nadd_executable(app main.cpp)\n%s\n' \
  "$snippet" >"$app/CMakeLists.txt"
(unset CMAKE_PREFIX_PATH PKG_CONFIG_PATH; cmake -S "$app" -B "$app/build" >/dev/null && cmake --build "$app/build" >/dev/null)
grep -qx 'jwtmint_DIR:PATH=/usr/share/cmake/jwtmint' "$app/build/CMakeCache.txt" ||
  fail "find_package(jwtmint) did not use the installed /usr/share/cmake/jwtmint: $(grep jwtmint_DIR "$app/build/CMakeCache.txt")"
"$app/build/app" "$work/key.pem" >"$work/token-cmake"
check_token "$work/token-cmake" "find_package(jwtmint)"

[ "$(env -u PKG_CONFIG_PATH pkg-config --variable=pcfiledir jwtmint)" = /usr/share/pkgconfig ] ||
  fail "pkg-config does not find jwtmint.pc in /usr/share/pkgconfig"
flags="$(env -u PKG_CONFIG_PATH pkg-config --cflags --libs jwtmint)"
echo "packages: pkg-config --cflags --libs jwtmint: $flags"
case "$flags" in *-I*) fail "pkg-config gives an -I for /usr/include (debian/rules sets an absolute include directory)" ;; esac
# shellcheck disable=SC2086  # the flags are words
c++ -std=c++17 "$app/main.cpp" -o "$work/app-pkgconfig" $flags
"$work/app-pkgconfig" "$work/key.pem" >"$work/token-pkgconfig"
check_token "$work/token-pkgconfig" "pkg-config"

# 5. The tool, its man page and its completion, from where the package put them.
[ "$(command -v jwtmint)" = /usr/bin/jwtmint ] || fail "jwtmint is not /usr/bin/jwtmint"
[ "$(jwtmint --version)" = "jwtmint ${version%-*}" ] || fail "jwtmint --version says '$(jwtmint --version)'"
[ "$(man -w jwtmint-keygen)" = /usr/share/man/man1/jwtmint-keygen.1.gz ] || fail "man -w jwtmint-keygen: $(man -w jwtmint-keygen 2>&1)"
warnings="$(MANWIDTH=80 man --warnings jwtmint-keygen 2>&1 >/dev/null)"
[ -z "$warnings" ] || fail "man jwtmint-keygen warns: $warnings"
completed="$(bash --norc --noprofile -c '
  source /usr/share/bash-completion/bash_completion
  __load_completion jwtmint || exit 3
  func=$(complete -p jwtmint | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
  for line in "jwtmint ke" "jwtmint keygen --pub" "jwtmint keygen e"; do
    read -r -a COMP_WORDS <<<"$line"; COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    "$func" jwtmint "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    echo "${COMPREPLY[*]}"
  done')" || fail "bash-completion did not load the installed completion for jwtmint"
[ "$completed" = $'keygen\n--public-out\nes256 es384 es512 eddsa' ] || fail "the installed completion gave: $completed"
echo "packages: jwtmint --version, man -w jwtmint-keygen and the bash completion work as installed"

# 6. Purge, and check nothing is left.
$SUDO apt-get purge -y -q libjwtmint-dev jwtmint-tools >/dev/null
installed=0
for f in /usr/bin/jwtmint /usr/include/jwtmint /usr/share/cmake/jwtmint /usr/share/pkgconfig/jwtmint.pc; do
  [ ! -e "$f" ] || fail "$f is still there after the purge"
done
echo "packages: stage done in $(($(date +%s) - start)) s"
