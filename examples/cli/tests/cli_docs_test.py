# SPDX-License-Identifier: MIT
"""The jwtmint tool's man pages and bash completion against the tool itself, run by ctest.

Each TestCase class is one ctest test: `python3 cli_docs_test.py CompletionTest`.
Environment: JWTMINT_BIN (the built tool), JWTMINT_MAN_DIR (examples/cli/man),
JWTMINT_COMPLETION (examples/cli/completion/jwtmint.bash).

What the tool's --help prints is the truth: every command and every option it lists must be in
jwtmint(1) or jwtmint-COMMAND(1), and in what the completion offers, so a new option without
docs fails here. The pages must render with man and groff without a warning, and the completion
must really complete when bash runs it.
"""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

BIN = os.environ.get("JWTMINT_BIN", "")
MAN_DIR = os.environ.get("JWTMINT_MAN_DIR", "")
COMPLETION = os.environ.get("JWTMINT_COMPLETION", "")


def help_text(*command):
    out = subprocess.run([BIN, *command, "--help"], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise AssertionError(f"jwtmint {' '.join(command)} --help exited {out.returncode}: {out.stderr}")
    return out.stdout


def help_section(text, title):
    """The lines of one section of CLI11's help ("Options:", "Subcommands:")."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.strip() == title:
            inside = True
        elif inside and line and not line.startswith(" "):
            break
        elif inside:
            lines.append(line)
    return lines


def help_options(text):
    """Every option name --help lists: "-h,--help" and "--max-lifetime,--max-ttl DURATION" give two each."""
    names = []
    for line in help_section(text, "Options:"):
        m = re.match(r"\s{2}(-[^\s]+)", line)
        if m:
            names += [n for n in m.group(1).split(",") if n.startswith("-")]
    return names


def commands():
    names = [m.group(1) for line in help_section(help_text(), "Subcommands:")
             if (m := re.match(r"\s{2}([a-z][a-z0-9-]*)\s", line))]
    if not names:
        raise AssertionError("jwtmint --help lists no commands: has its layout changed?")
    return names


def man_page(command):
    return os.path.join(MAN_DIR, f"jwtmint-{command}.1" if command else "jwtmint.1")


def man_source_text(path):
    """The page's roff source with font changes and escapes undone: \\-\\-out reads --out."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"\\f[BIRP]", "", text)
    return text.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")


def complete(words, cwd=None):
    """COMPREPLY after bash completes the last of `words` (words[0] is "jwtmint")."""
    script = (
        'source "$JWTMINT_COMPLETION" || exit 3\n'
        # the function the completion registered for jwtmint, as bash would call it
        'spec=$(complete -p jwtmint) || exit 4\n'
        'func=$(sed -n "s/.*-F \\([^ ]*\\) .*/\\1/p" <<<"$spec")\n'
        'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}\n'
        '"$func" jwtmint "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" || exit 5\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    out = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", *words],
                         capture_output=True, text=True, timeout=30, cwd=cwd,
                         env={**os.environ, "JWTMINT_COMPLETION": COMPLETION})
    if out.returncode != 0 or out.stderr:
        raise AssertionError(f"completing {words}: exit {out.returncode}, stderr: {out.stderr}")
    return [w for w in out.stdout.split("\n") if w]


class Env(unittest.TestCase):
    def setUp(self):
        for name, value in (("JWTMINT_BIN", BIN), ("JWTMINT_MAN_DIR", MAN_DIR), ("JWTMINT_COMPLETION", COMPLETION)):
            if not value:
                self.fail(f"{name} is not set (ctest sets it)")


class OptionsDocumentedTest(Env):
    def test_every_command_has_a_page_listed_in_jwtmint_1(self):
        top = man_source_text(man_page(""))
        for command in commands():
            with self.subTest(command=command):
                self.assertTrue(os.path.isfile(man_page(command)), f"no man page {man_page(command)}")
                self.assertRegex(top, rf"\n\.B {command}\n", f"jwtmint(1) does not list the command {command}")
                self.assertIn(f".BR jwtmint-{command} (1)", top, f"jwtmint(1) does not refer to jwtmint-{command}(1)")

    def test_every_option_in_help_is_in_the_man_page(self):
        for command in ["", *commands()]:
            page = man_source_text(man_page(command))
            options = help_options(help_text(*([command] if command else [])))
            self.assertIn("--help", options, f"no options parsed from jwtmint {command} --help")
            for option in options:
                with self.subTest(command=command or "(none)", option=option):
                    self.assertTrue(re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", page),
                                    f"{option} (in jwtmint {command} --help) is not in {man_page(command)}")

    def test_every_option_in_help_is_completed(self):
        self.assertEqual(sorted(set(commands()) - set(complete(["jwtmint", ""]))), [],
                         "commands that the completion does not offer")
        for command in ["", *commands()]:
            offered = set(complete(["jwtmint", *([command] if command else []), "-"]))
            missing = [o for o in help_options(help_text(*([command] if command else []))) if o not in offered]
            with self.subTest(command=command or "(none)"):
                self.assertEqual(missing, [], f"options of jwtmint {command} --help that the completion does not offer")


class ManPagesRenderTest(Env):
    def pages(self):
        pages = sorted(f for f in os.listdir(MAN_DIR) if f.endswith(".1"))
        self.assertGreaterEqual(len(pages), 7)
        return [os.path.join(MAN_DIR, p) for p in pages]

    def test_groff_warns_about_nothing(self):
        for page in self.pages():
            with self.subTest(page=page):
                out = subprocess.run(["groff", "-man", "-ww", "-z", "-Tutf8", page],
                                     capture_output=True, text=True, timeout=30)
                self.assertEqual((out.returncode, out.stderr), (0, ""))

    def test_man_renders_each_page_without_warnings(self):
        if not shutil.which("man"):
            self.fail("man is not installed (apt-get install man-db)")
        for page in self.pages():
            with self.subTest(page=page):
                out = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True,
                                     timeout=30, env={**os.environ, "MANWIDTH": "80", "MAN_KEEP_FORMATTING": "0"})
                self.assertEqual((out.returncode, out.stderr), (0, ""))
                text = re.sub(r".\x08", "", out.stdout)  # man's bold and underline by overstriking
                name = os.path.basename(page)[:-2]
                # The header names the page, and the NAME section starts with it (whatis, apropos).
                self.assertIn(f"{name.upper()}(1)", text.splitlines()[0])
                self.assertRegex(text, rf"NAME\n\s+{re.escape(name)}\s+-\s")
                wide = [line for line in text.splitlines() if len(line) > 80]
                self.assertEqual(wide, [], "lines wider than MANWIDTH: an unbreakable word or a long .nf line")


class CompletionTest(Env):
    def test_a_command_name(self):
        self.assertEqual(complete(["jwtmint", "ke"]), ["keygen"])
        self.assertEqual(complete(["jwtmint", "ins"]), ["inspect"])

    def test_an_option(self):
        self.assertEqual(complete(["jwtmint", "sign", "--pass"]), ["--passphrase-file"])
        self.assertEqual(complete(["jwtmint", "keygen", "rs256", "--pub"]), ["--public-out"])
        # Each command offers its own options, not another's.
        self.assertNotIn("--jwks-url", complete(["jwtmint", "sign", "--"]))

    def test_algorithms_after_keygen_and_alg(self):
        self.assertEqual(complete(["jwtmint", "keygen", "e"]), ["es256", "es384", "es512", "eddsa"])
        self.assertEqual(complete(["jwtmint", "keygen", "--out", "k.pem", "hs"]), ["hs256", "hs384", "hs512"])
        # Once the algorithm is given, no second one.
        self.assertEqual(complete(["jwtmint", "keygen", "rs256", "--out", "k.pem", ""]), [])
        self.assertEqual(complete(["jwtmint", "verify", "--alg", "ES"]), ["ES256", "ES384", "ES512"])

    def test_option_values(self):
        self.assertEqual(complete(["jwtmint", "keygen", "hs256", "--format", ""]), ["raw", "base64url"])
        self.assertEqual(complete(["jwtmint", "pubkey", "--format", "jw"]), ["jwk", "jwks"])
        self.assertEqual(complete(["jwtmint", "sign", "--role-format", "a"]), ["array"])
        # A value that is free text gets no options offered in its place.
        self.assertEqual(complete(["jwtmint", "sign", "--role", ""]), [])

    def test_files_for_file_options(self):
        with tempfile.TemporaryDirectory() as d:
            for name in ("rs256-private.pem", "rs256-public.pem", "policy.json"):
                open(os.path.join(d, name), "w").close()
            os.mkdir(os.path.join(d, "keys"))
            self.assertEqual(sorted(complete(["jwtmint", "keygen", "rs256", "--out", "rs"], cwd=d)),
                             ["rs256-private.pem", "rs256-public.pem"])
            self.assertEqual(complete(["jwtmint", "sign", "--policy", "po"], cwd=d), ["policy.json"])
            self.assertEqual(complete(["jwtmint", "doctor", "--passphrase-file", "ke"], cwd=d), ["keys"])
            self.assertEqual(complete(["jwtmint", "sign", "--key", "=", "rs256-pr"], cwd=d), ["rs256-private.pem"])
            self.assertEqual(sorted(complete(["jwtmint", "pubkey", "rs"], cwd=d)),
                             ["rs256-private.pem", "rs256-public.pem"])


if __name__ == "__main__":
    import sys
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        suite = unittest.defaultTestLoader.loadTestsFromName(sys.argv[1], sys.modules[__name__])
        sys.exit(0 if unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful() else 1)
    unittest.main()
