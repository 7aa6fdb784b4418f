"""Issue 10's bars in one run: speed against authheaders at its best, cold start, memory, scan.

    .venv-test/bin/pip install '.[bench]'
    PYTHONPATH=host .venv-test/bin/python bench/issue10.py [--rounds 5] [--quick]

Runs, one after the other on the same machine: ``bench_auth`` on each real list on its own
(``nfc``, then ``kasan-dev``: two lists of different shape, so a figure tuned on one shows
whether it holds on the other) and on both with the synthetic corpus; ``bench_startup``;
``bench_memory`` (a 30 MB message, in ``check`` and through the host); ``bench_scan``. Their
own output is shown as it comes; the summary at the end quotes the figures each bar is judged
by, with the machine load of each part. On a shared machine, rerun before trusting a miss or
a pass by a hair.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LISTS = Path("/tmp/minuku-corpora/lists")


def run(args: list[str]) -> str:
    """Run one bench with this interpreter, echo its output, return it."""
    print(f"\n$ {' '.join(['bench/' + args[0], *args[1:]])}", flush=True)
    proc = subprocess.run(
        [sys.executable, str(HERE / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        env=os.environ,
    )
    print(proc.stdout, end="", flush=True)
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
    return proc.stdout


def grab(pattern: str, text: str) -> str:
    m = re.search(pattern, text)
    return m.group(1) if m else "(not printed)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="fewer rounds and runs (a smoke run)")
    args = ap.parse_args()
    rounds = "2" if args.quick else str(args.rounds)
    summary: list[str] = []
    ratio = r"ratio minuku / authheaders: ([\d.]+x wall, [\d.]+x CPU time)"
    load = r"load ([\d.]+→[\d.]+)"
    lists = [LISTS / "nfc", LISTS / "kasan-dev"]
    if not all(d.is_dir() for d in lists):
        # bench_auth unpacks ../shared/corpora/lists.tar.xz on first use
        run(["bench_auth.py", "--rounds", "1", "--synthetic", "0"])
    for d in lists:
        out = run(["bench_auth.py", "--rounds", rounds, "--synthetic", "0", "--lists", str(d)])
        summary.append(
            f"full check vs authheaders' authentication, {d.name} alone:"
            f" {grab(ratio, out)} (load {grab(load, out)}; bar >= 1.0x, aim 2x)"
        )
    out = run(["bench_auth.py", "--rounds", rounds, "--synthetic", "0" if args.quick else "1500"])
    summary.append(
        f"full check vs authheaders' authentication, all real mail: {grab(ratio, out)}"
        f" (load {grab(load, out)})"
    )
    if not args.quick:
        synth = out.split("synthetic (bench/corpus.py)")[-1]
        summary.append(f"  synthetic corpus: {grab(ratio, synth)}")
    out = run(["bench_startup.py", "15" if args.quick else "31"])
    summary.append(
        "cold start to first pong: median "
        + grab(r"median ([\d.]+ ms)", out)
        + " (bar <= 60 ms; "
        + grab(r"(load [^(]+)\(", out).strip()
        + ")"
    )
    out = run(["bench_memory.py", "--mb", "30"])
    summary.append("30 MB message, check: " + grab(r"check: peak RSS ([^;(]+)", out).strip())
    summary.append(
        "30 MB message, host, largest process: "
        + grab(r"largest process: ([^(]+)", out).strip()
        + "; whole tree (summed PSS): "
        + grab(r"summed PSS peaks at ([^(]+)", out).strip()
        + " (bar <= 3x)"
    )
    out = run(["bench_scan.py", "--copies", "1" if args.quick else "3", "--no-flat"])
    summary.append("scan: " + grab(r"(speed-up x[^;]+;[^\n]+)", out))
    summary.append("  " + grab(r"(CPU per message:[^\n]+)", out))
    print("\n== issue 10, in one run")
    for line in summary:
        print(f"  {line}")


if __name__ == "__main__":
    main()
