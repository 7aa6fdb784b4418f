"""A long fuzz run of the host: a million mutated mails and frame streams, no Hypothesis.

    PYTHONPATH=host .venv-test/bin/python bench/fuzz_long.py [N] [--seed S] [--out DIR]

N (default 1,000,000) inputs are drawn from examples/*.eml and built-in seeds, each mutated
1-6 times by tests/fuzzmut.py (byte flips, header duplication, deep nesting, charset swaps,
encoded words, splices), and sent in turn through: the offline check (7 of 10 inputs), the
check with the examples' DNS fixture (1 of 10), parse_message alone (1 of 10), and the
native-messaging frame reader and triage (1 of 10). It runs on one core (leave the other to
the machine); at 130-170 inputs/s (mutated mails reach megabytes), a million take about two
hours. Run it in the background:

    nohup env PYTHONPATH=host .venv-test/bin/python bench/fuzz_long.py --jobs 2 > /tmp/fuzz.log 2>&1 &

``--jobs K`` runs K shards in parallel, each with its own random stream (the inputs differ),
and prints the summed counts at the end.

Every 10,000 inputs and at the end it prints the counts: inputs, exceptions, serialisation
failures (payloads that do not encode as UTF-8 JSON or validate as BannerPayload), checks
over 2 s of CPU, and the slowest check. Each failing input is written to --out (default
/tmp/minuku-fuzz) as <kind>-<n>.bin, to be turned into a named regression test.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fuzzmut import check_frames, check_payload, check_view, mutate, seeds  # noqa: E402
from minuku.dns import FixtureResolver  # noqa: E402


def frames_from(rng: random.Random, raw: bytes) -> bytes:
    """A stream of a few frames: requests built around the mutated mail, or raw junk."""
    import base64
    import json
    import struct

    out = b""
    for _ in range(rng.randrange(1, 4)):
        kind = rng.choice(["ping", "hello", "check", "junk", "lie"])
        if kind == "junk":
            body = raw[: rng.randrange(0, 300)]
        else:
            obj: dict[str, object] = {
                "type": kind if kind != "lie" else rng.choice(["check", "x"]),
                "protocol_version": rng.choice([1, 0, 2, True, "1"]),
                "id": rng.choice(["a", "", "x" * 65, 7, None, raw[:20].decode("latin-1")]),
            }
            if rng.random() < 0.5:
                obj["message"] = base64.b64encode(raw[:2000]).decode()
            body = json.dumps(obj).encode()
        lie = rng.choice([0, 0, 0, 1, -1]) if kind == "lie" else 0
        out += struct.pack("=I", max(0, len(body) + lie)) + body
    return out + raw[: rng.randrange(0, 8)]


def run(n: int, seed: int, out: Path, tag: str) -> tuple[Counter[str], tuple[float, str]]:
    """One shard: ``n`` inputs from the random stream ``seed``; progress every 10,000."""
    logging.disable(logging.CRITICAL)  # the host logs analysis failures; we count them
    rng = random.Random(seed)
    pool = seeds()
    resolver = FixtureResolver.from_file(ROOT / "examples" / "dns-fixture.json")
    counts: Counter[str] = Counter()
    slowest = (0.0, "")
    t0 = time.monotonic()

    for i in range(n):
        raw = mutate(pool[rng.randrange(len(pool))], rng.randrange, rng.randrange(1, 7))
        lane = rng.randrange(10)
        counts["inputs"] += 1
        kind = (
            "check"
            if lane < 7
            else ("fixture" if lane == 7 else ("view" if lane == 8 else "frames"))
        )
        name = f"{tag}{kind}-{i}"
        try:
            if kind in ("check", "fixture"):
                counts["checks"] += 1
                dt = check_payload(raw, resolver if kind == "fixture" else None)
                if dt > slowest[0]:
                    slowest = (dt, name)
                if dt > 2.0:
                    counts["slow"] += 1
                    (out / f"slow-{name}.bin").write_bytes(raw)
            elif kind == "view":
                check_view(raw)
            else:
                check_frames(frames_from(rng, raw))
        except (UnicodeError, ValueError) as exc:
            what = (
                "serialisation" if "surrogate" in str(exc) or "valid" in str(exc) else "exceptions"
            )
            counts[what] += 1
            (out / f"{what}-{name}.bin").write_bytes(raw)
            (out / f"{what}-{name}.txt").write_text(traceback.format_exc())
        except Exception:
            counts["exceptions"] += 1
            (out / f"exception-{name}.bin").write_bytes(raw)
            (out / f"exception-{name}.txt").write_text(traceback.format_exc())
        if (i + 1) % 10_000 == 0:
            report(tag, counts, slowest, time.monotonic() - t0)
    return counts, slowest


def report(tag: str, counts: Counter[str], slowest: tuple[float, str], seconds: float) -> None:
    rate = counts["inputs"] / max(1e-9, seconds)
    print(
        f"{tag}inputs={counts['inputs']} checks={counts['checks']}"
        f" exceptions={counts['exceptions']} serialisation_failures={counts['serialisation']}"
        f" over_2s={counts['slow']} slowest={slowest[0]:.3f}s({slowest[1]})"
        f" rate={rate:.0f}/s elapsed={seconds:.0f}s",
        flush=True,
    )


def _shard(job: tuple[int, int, str, str]) -> tuple[Counter[str], tuple[float, str]]:
    n, seed, out, tag = job
    return run(n, seed, Path(out), tag)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1, help="shards run in parallel, one per core")
    ap.add_argument("--out", default="/tmp/minuku-fuzz")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    if args.jobs <= 1:
        counts, slowest = run(args.n, args.seed, out, "")
    else:
        # Each shard has its own random stream (seed, shard): the inputs do not repeat.
        from concurrent.futures import ProcessPoolExecutor

        per = -(-args.n // args.jobs)
        jobs = [
            (min(per, args.n - k * per), args.seed * 1000 + k, str(out), f"[{k}] ")
            for k in range(args.jobs)
        ]
        counts, slowest = Counter(), (0.0, "")
        with ProcessPoolExecutor(args.jobs) as ex:
            for c, s in ex.map(_shard, jobs):
                counts += c
                slowest = max(slowest, s)
    report("total ", counts, slowest, time.monotonic() - t0)
    return 1 if counts["exceptions"] or counts["serialisation"] or counts["slow"] else 0


if __name__ == "__main__":
    sys.exit(main())
