"""Cold start of the native-messaging host: launch → first answered ``ping``, as Thunderbird does it.

    .venv-test/bin/python bench/bench_startup.py [RUNS] [--python PATH] [--no-launcher]

Each run writes nothing but starts the host exactly as an installed Minuku is started: the
POSIX launcher that ``minuku install`` writes (``exec PYTHON -m minuku host "$@"``, rendered by
``install.render_launcher``), run from its own folder with Thunderbird's two arguments (the
manifest path and the add-on id). The clock runs from just before the launch to the moment the
whole ``pong`` frame has been read. It prints median/min/max over RUNS (default 21, at least
15) runs, the machine's load (``/proc/loadavg``: the machine is shared), the same figures for
the bare interpreter (``python -c pass``: the floor under any host, at the same load), and the
top entries of ``python -X importtime`` for the same start-up (which modules the first pong
pays for).

By default the package comes from this source tree (``PYTHONPATH=host``) and the python is the
one running this script (the test venv); ``--python`` names another (an installed host venv).
``--against DIR`` times another copy of the package (DIR holds ``minuku/``, e.g. an older
commit's ``host`` from ``git archive``) in the same rounds, interleaved, and prints both: a
change is judged at the same moments of a shared machine.
Target (issue 10): median <= 60 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PING = json.dumps({"type": "ping", "protocol_version": 1, "id": "bench"}).encode()
FRAME = struct.pack("=I", len(PING)) + PING
TARGET_MS = 60.0


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def environment(source: Path = ROOT / "host") -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(source)
    return env


def launcher(folder: Path, python: str) -> list[str]:
    """The command Thunderbird runs: the installed launcher with its two arguments."""
    sys.path.insert(0, str(ROOT / "host"))
    from minuku.install import render_launcher

    path = folder / "minuku-host"
    path.write_text(render_launcher("linux", Path(python)), encoding="utf-8")
    path.chmod(0o755)
    manifest = folder / "minuku.json"
    manifest.write_text("{}", encoding="utf-8")
    return [str(path), str(manifest), "minuku@addons.minuku"]


def one_run(cmd: list[str], cwd: Path, env: dict[str, str], stderr: int | None = None) -> float:
    """Milliseconds from launch to the whole first pong; the host is then closed by EOF.

    With ``stderr`` (a file descriptor), returns once more: what the host had written to it when
    the pong arrived is what the first pong paid for (the check worker starts after it)."""
    return _run(cmd, cwd, env, stderr)[0]


def _run(cmd: list[str], cwd: Path, env: dict[str, str], stderr: int | None) -> tuple[float, int]:
    t = time.perf_counter()
    p = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, cwd=cwd, env=env
    )
    assert p.stdin is not None and p.stdout is not None
    p.stdin.write(FRAME)
    p.stdin.flush()
    head = p.stdout.read(4)
    (n,) = struct.unpack("=I", head)
    body = p.stdout.read(n)
    ms = (time.perf_counter() - t) * 1000
    written = os.fstat(stderr).st_size if stderr is not None else 0
    p.stdin.close()
    p.wait(10)
    answer = json.loads(body)
    if answer.get("type") != "pong" or answer.get("id") != "bench":
        raise SystemExit(f"not a pong: {body!r}")
    return ms, written


def _bare(python: str, cwd: Path, env: dict[str, str]) -> float:
    """Milliseconds for the venv's python to start and exit: the floor under any host."""
    t = time.perf_counter()
    subprocess.run([python, "-c", "pass"], cwd=cwd, env=env, check=True)
    return (time.perf_counter() - t) * 1000


def import_breakdown(cmd: list[str], cwd: Path, env: dict[str, str], top: int = 12) -> None:
    """Run once more under ``-X importtime`` and print the modules with the largest totals,
    counting only what was imported before the pong arrived."""
    env = dict(env, PYTHONPROFILEIMPORTTIME="1")
    with tempfile.TemporaryFile() as err:
        _, written = _run(cmd, cwd, env, err.fileno())
        err.seek(0)
        lines = err.read(written).decode("utf-8", "replace").splitlines()
    rows = []
    for line in lines:
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, total_us, name = line.split(":", 1)[1].split("|")
        rows.append((int(total_us), int(self_us), name[1:].rstrip()))
    top_level = [r for r in rows if not r[2].startswith(" ")]
    print(
        f"imports before the first pong: {len(rows)} modules, "
        f"{sum(r[0] for r in top_level) / 1000:.1f} ms (-X importtime, inflated by its own cost)"
    )
    for total, own, name in sorted(rows, reverse=True)[:top]:
        print(f"  {total / 1000:7.1f} ms total {own / 1000:6.1f} ms self  {name}")
    heavy = [r[2].strip() for r in rows if r[2].strip().split(".")[0] in ("pydantic", "dns")]
    print(f"  pydantic/dnspython modules imported before the pong: {len(heavy)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="?", type=int, default=21)
    ap.add_argument("--python", default=sys.executable, help="the host venv's python")
    ap.add_argument("--no-launcher", action="store_true", help="run PYTHON -m minuku host directly")
    ap.add_argument(
        "--against", type=Path, metavar="DIR", help="another package folder, interleaved"
    )
    args = ap.parse_args()
    runs = max(15, args.runs)
    env = environment()
    other_env = environment(args.against.resolve()) if args.against else None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.no_launcher:
            cmd = [args.python, "-m", "minuku", "host"]
        else:
            cmd = launcher(folder, args.python)
        one_run(cmd, folder, env)  # the first run writes .pyc files; not counted
        if other_env is not None:
            one_run(cmd, folder, other_env)
        before = load()
        times: list[float] = []
        floor: list[float] = []
        other: list[float] = []
        for _ in range(runs):  # interleaved: all see the same moments of a shared machine
            times.append(one_run(cmd, folder, env))
            floor.append(_bare(args.python, folder, env))
            if other_env is not None:
                other.append(one_run(cmd, folder, other_env))
        after = load()
        median = statistics.median(times)
        print(
            f"cold start to first pong ({'python -m minuku host' if args.no_launcher else 'installed launcher'}):"
            f" median {median:.1f} ms, min {min(times):.1f} ms, max {max(times):.1f} ms"
            f" over {runs} runs; load {before} -> {after} ({os.cpu_count()} cores)"
        )
        print(f"  target <= {TARGET_MS:.0f} ms: {'met' if median <= TARGET_MS else 'NOT met'}")
        if other:
            print(
                f"  {args.against} in the same rounds: median {statistics.median(other):.1f} ms,"
                f" min {min(other):.1f} ms, max {max(other):.1f} ms"
            )
        print(
            f"  the interpreter alone (python -c pass, same load): median"
            f" {statistics.median(floor):.1f} ms, min {min(floor):.1f} ms"
        )
        import_breakdown(cmd, folder, env)


if __name__ == "__main__":
    main()
