#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The benchmark rows for keys held by a provider: RS256 and ES256 tokens minted with a key inside a
software TPM (swtpm through tpm2-openssl, by its handle: URI), beside the same benchmark with a
key in memory, in one run of jwtmint_bench.

    /usr/bin/python3 bench/provider_rows.py --bench build-bench/bench/jwtmint_bench [--out FILE]

The TPM and its keys are made the way tests/custody/tpm_test.py makes them (TpmFixture). With
--out, writes the table as Markdown (docs/benchmarks-custody.md). Exit 77 when swtpm, tpm2-tools
or tpm2-openssl is missing (JWTMINT_REQUIRE_TPM=1 makes that a failure). No timing is judged: a
TPM's speed is the TPM's.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "custody"))
import tpm_test  # noqa: E402  (TpmFixture, missing_packages)

ROW = {"RS256": ("mint/RS256/jwtmint", "mint/RS256/jwtmint-provider"),
       "ES256": ("mint/ES256/jwtmint", "mint/ES256/jwtmint-provider")}


def run(bench, min_time, reps):
    fixture = tpm_test.TpmFixture()
    try:
        env = dict(fixture.env, JWTMINT_BENCH_URI_RS256="handle:" + fixture.RSA_HANDLE,
                   JWTMINT_BENCH_URI_ES256="handle:" + fixture.EC_HANDLE)
        names = [n for pair in ROW.values() for n in pair]
        pattern = "^(" + "|".join(n.replace("/", "/") for n in names) + ")/real_time/threads:1$"
        p = subprocess.run([bench, f"--benchmark_filter={pattern}", f"--benchmark_min_time={min_time}",
                            f"--benchmark_repetitions={reps}", "--benchmark_report_aggregates_only=true",
                            "--benchmark_format=json"], env=env, capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            raise SystemExit(f"{bench} exited {p.returncode}:\n{p.stderr[-2000:]}")
        data = json.loads(p.stdout)
    finally:
        fixture.close()
    out = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name", "median") != "median" and reps > 1:
            continue
        name = b["run_name"].split("/real_time")[0]
        out[name] = b["real_time"] if b["time_unit"] == "ns" else b["real_time"] * {"us": 1e3, "ms": 1e6}[b["time_unit"]]
    missing = [n for n in names if n not in out]
    if missing:
        raise SystemExit(f"rows missing from the run: {missing}")
    return out, data.get("context", {})


def table(ns):
    lines = ["| algorithm | key in memory: µs/token | tokens/s | key in a TPM (swtpm): µs/token | tokens/s | TPM / memory |",
             "|---|---:|---:|---:|---:|---:|"]
    for alg, (mem, prov) in ROW.items():
        a, b = ns[mem], ns[prov]
        lines.append(f"| {alg} | {a / 1e3:,.1f} | {1e9 / a:,.0f} | {b / 1e3:,.1f} | {1e9 / b:,.0f} | {b / a:,.1f}x |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="the jwtmint_bench binary")
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--out", help="write the Markdown report here")
    args = ap.parse_args()
    missing = tpm_test.missing_packages()
    if missing:
        print("skipped: the provider rows need " + ", ".join(missing))
        return 1 if os.environ.get("JWTMINT_REQUIRE_TPM", "0") == "1" else 77
    ns, ctx = run(args.bench, args.min_time, args.repetitions)
    text = table(ns)
    print(text)
    if args.out:
        swtpm = subprocess.run(["swtpm", "--version"], capture_output=True, text=True).stdout.strip()
        cmd = "/usr/bin/python3 bench/provider_rows.py --bench " + os.path.relpath(args.bench, ROOT)
        Path(args.out).write_text(
            "# Benchmarks: keys held by a provider\n\n"
            f"Written by `{cmd} --out {os.path.relpath(args.out, ROOT)}` on {time.strftime('%Y-%m-%d')}, "
            f"{ctx.get('num_cpus', '?')} CPUs, {platform.machine()}; {swtpm}, tpm2-openssl through the swtpm TCTI on "
            "loopback. Wall-clock time per token on one thread (the median of "
            f"{args.repetitions} runs), the same builder call and claims as every row of "
            "[benchmarks.md](benchmarks.md), in the same run of `jwtmint_bench`.\n\n"
            + text + "\n\n"
            "The key in a TPM is a persistent handle (`handle:0x81000010`, `handle:0x81000011`) loaded with "
            "`jwt::rs256::from_uri` / `jwt::es256::from_uri`. Each token is one TPM command over a socket, "
            "and a software TPM does its RSA and ECDSA with OpenSSL inside another process: the gap is the "
            "device's round trip and its own signing, which jwtmint only waits for. A hardware TPM has its own "
            "speed, often well below a software one: size a token endpoint by a measurement on the device it "
            "will use ([key-custody.md](key-custody.md)).\n")
        print("wrote " + args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
