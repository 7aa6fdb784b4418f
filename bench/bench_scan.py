"""`minuku scan` on a large mbox of real mail: messages/s with --jobs 1 and --jobs N, peak RSS.

    .venv-test/bin/python bench/bench_scan.py [--copies K] [--jobs N] [--no-flat]

The mbox is built from the real list mail in ``/tmp/minuku-corpora/lists/*/*.eml`` (unpacked
from ``../shared/corpora/lists.tar.xz`` when absent; never committed), K copies of it (default
3: ~3,300 messages, ~45 MB), written as mboxrd (">From " escaped). Each run is the command a
user types, ``python -m minuku scan --offline --jsonl --jobs J MBOX``, from this source tree;
the clock covers the whole command (start-up, the fork server, every message, the output).
Every run uses one snapshot of ``host/`` (the working tree may change between runs).
While it runs the RSS of the scan process and of all its descendants (fork server, check
processes) is sampled every 0.1 s from ``/proc``: "tree" sums RSS, so pages the check processes
share with the fork server count more than once (an upper bound). With ``--flat`` (default on)
N jobs also scan an mbox twice as large, to show that memory does not grow with the mbox.

It checks that the --jobs 1 and --jobs N outputs are byte-identical and prints the speed-up
with the machine's load (``/proc/loadavg``): on a shared machine the other processes take
cores too. Target (issue 10): speed-up >= 0.8 x N on N cores.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "corpora"
SCRATCH = Path("/tmp/minuku-corpora")


def corpus() -> list[Path]:
    target = SCRATCH / "lists"
    if not target.is_dir():
        SCRATCH.mkdir(parents=True, exist_ok=True)
        with tarfile.open(SHARED / "lists.tar.xz") as tar:
            tar.extractall(SCRATCH, filter="data")
    files = sorted(target.glob("*/*.eml"))
    if not files:
        raise SystemExit(f"no .eml files under {target}")
    return files


def write_mbox(path: Path, files: list[Path], copies: int) -> int:
    """mboxrd: a "From " line before each message, body lines matching >*From escaped."""
    n = 0
    with open(path, "wb") as out:
        for _ in range(copies):
            for f in files:
                out.write(b"From bench@example.net Mon Jan  1 00:00:00 2024\n")
                for line in f.read_bytes().splitlines(keepends=True):
                    if line.lstrip(b">").startswith(b"From "):
                        line = b">" + line
                    out.write(line)
                if not line.endswith(b"\n"):
                    out.write(b"\n")
                out.write(b"\n")
                n += 1
    return n


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process (its own threads, not its children)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
        fields = stat[stat.rindex(b")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
            ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(parents.get(pid, []))
    return out


def run_scan(
    mbox: Path, jobs: int, out: Path, source: Path
) -> tuple[float, int, int, int, float, float]:
    """(seconds, peak RSS of the scan process kB, peak RSS of its whole tree kB, processes,
    CPU seconds of the whole tree as last seen, CPU seconds of the scan process itself)."""
    env = dict(os.environ, PYTHONPATH=str(source))
    cmd = [sys.executable, "-m", "minuku", "scan", "--offline", "--jsonl", "--jobs", str(jobs)]
    t = time.perf_counter()
    with open(out, "wb") as fh:
        p = subprocess.Popen([*cmd, str(mbox)], stdout=fh, env=env)
        peak_self = peak_tree = most = 0
        cpu: dict[int, float] = {}
        while p.poll() is None:
            pids = _descendants(p.pid)
            rss = [_rss_kb(pid) for pid in pids]
            for pid in pids:
                cpu[pid] = max(cpu.get(pid, 0.0), _cpu_s(pid))
            peak_self = max(peak_self, rss[0])
            peak_tree = max(peak_tree, sum(rss))
            most = max(most, len(pids))
            time.sleep(0.1)
    seconds = time.perf_counter() - t
    if p.returncode not in (0, 1, 2):
        raise SystemExit(f"scan failed with status {p.returncode}")
    return seconds, peak_self, peak_tree, most, sum(cpu.values()), cpu.get(p.pid, 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--copies", type=int, default=3, help="copies of the corpus in the mbox")
    ap.add_argument("--jobs", type=int, default=0, help="N (default: the cores we may use)")
    ap.add_argument("--no-flat", action="store_true", help="skip the twice-as-large mbox run")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "host"))
    from minuku.scan import default_jobs

    jobs = args.jobs or default_jobs()
    files = corpus()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # Every run gets the same code: a snapshot of host/, not the working tree that others
        # may be editing between two runs.
        source = folder / "host"
        shutil.copytree(ROOT / "host", source, ignore=shutil.ignore_patterns("__pycache__"))
        compileall.compile_dir(source, quiet=1)  # neither run pays for compiling
        mbox = folder / "large.mbox"
        n = write_mbox(mbox, files, args.copies)
        size_mb = mbox.stat().st_size / 1e6
        print(
            f"mbox: {n} real messages ({len(files)} list mails x {args.copies}), {size_mb:.1f} MB;"
            f" {os.cpu_count()} cores, {default_jobs()} usable"
        )
        rates = {}
        cpus = {}
        for j in (1, jobs):
            before = load()
            secs, peak_self, peak_tree, procs, cpu, own = run_scan(
                mbox, j, folder / f"out{j}.jsonl", source
            )
            rates[j] = n / secs
            cpus[j] = cpu
            print(
                f"  --jobs {j}: {n / secs:7.1f} msg/s ({secs:.1f} s, {cpu:.1f} CPU s: it got"
                f" {cpu / secs:.2f} cores; the scan process itself {own / n * 1e3:.2f} ms"
                " per message: reading, handing out, writing);"
                f" peak RSS scan process {peak_self / 1024:.0f} MiB, whole tree"
                f" {peak_tree / 1024:.0f} MiB ({procs} processes); load {before} -> {load()}"
            )
        same = (folder / "out1.jsonl").read_bytes() == (folder / f"out{jobs}.jsonl").read_bytes()
        speedup = rates[jobs] / rates[1]
        print(
            f"  speed-up x{speedup:.2f} with {jobs} jobs (target >= {0.8 * jobs:.1f});"
            f" outputs of --jobs 1 and --jobs {jobs} {'identical' if same else 'DIFFER'}"
        )
        if not same:
            one = (folder / "out1.jsonl").read_text("utf-8").splitlines()
            many = (folder / f"out{jobs}.jsonl").read_text("utf-8").splitlines()
            diff = [(a, b) for a, b in zip(one, many, strict=False) if a != b]
            print(f"  {len(diff)} records differ (lines: {len(one)} / {len(many)}); first ones:")
            for a, b in diff[:3]:
                print(f"    --jobs 1: {a[:300]}\n    --jobs {jobs}: {b[:300]}")
        # What the other processes on a shared machine cannot blur: the CPU the work itself
        # costs. Equal CPU per message means no parallel overhead: on N free cores the
        # wall-clock speed-up then approaches N.
        print(
            f"  CPU per message: --jobs 1 {cpus[1] / n * 1e3:.2f} ms, --jobs {jobs}"
            f" {cpus[jobs] / n * 1e3:.2f} ms (parallel overhead {cpus[jobs] / cpus[1] - 1:+.0%})"
        )
        if not args.no_flat:
            big = folder / "double.mbox"
            n2 = write_mbox(big, files, args.copies * 2)
            before = load()
            secs, peak_self, peak_tree, procs, _, _ = run_scan(
                big, jobs, folder / "double.jsonl", source
            )
            print(
                f"  flat memory: {n2} messages ({big.stat().st_size / 1e6:.0f} MB), --jobs {jobs}:"
                f" {n2 / secs:.1f} msg/s; peak RSS scan process {peak_self / 1024:.0f} MiB,"
                f" whole tree {peak_tree / 1024:.0f} MiB; load {before} -> {load()}"
            )


if __name__ == "__main__":
    main()
