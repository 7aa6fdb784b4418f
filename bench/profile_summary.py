"""Where a Thunderbird thread's time goes, from a Gecko profile (Services.profiler's JSON).

    .venv-test/bin/python bench/profile_summary.py test-output/e2e/arrival-folder-profile.json

tests/e2e/test_arrival_imap.py writes that file when run with MINUKU_E2E_PROFILE=1 (the
profiler samples every thread called GeckoMain, every 1 ms, while "check this folder" runs).
Prints, for each sampled main thread (Thunderbird's own process and its child processes, the
add-on's "extension" process among them), the share of samples per frame: self time (the
frame at the top of the stack) and inclusive time (anywhere on the stack), the top N of each.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any


def _table(t: dict[str, Any]) -> tuple[dict[str, int], list[list[Any]]]:
    schema: dict[str, int] = t["schema"]
    data: list[list[Any]] = t["data"]
    return schema, data


def _threads(profile: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    proc_name = profile.get("meta", {}).get("processType", "parent")
    for th in profile.get("threads", []):
        out.append((f"{th.get('processName') or proc_name}/{th.get('name')}", th))
    for sub in profile.get("processes", []):
        if isinstance(sub, str):  # a child's profile may come as a JSON string
            sub = json.loads(sub)
        out.extend(_threads(sub))
    return out


def summarize(
    th: dict[str, Any], top: int
) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    strings: list[str] = th.get("stringTable") or th.get("stringArray") or []
    f_schema, frames = _table(th["frameTable"])
    s_schema, stacks = _table(th["stackTable"])
    smp_schema, samples = _table(th["samples"])
    loc = f_schema["location"]
    names = [strings[f[loc]] if isinstance(f[loc], int) else str(f[loc]) for f in frames]
    prefix, frame = s_schema["prefix"], s_schema["frame"]
    self_c: Counter[str] = Counter()
    incl_c: Counter[str] = Counter()
    n = 0
    for s in samples:
        st = s[smp_schema["stack"]]
        if st is None:
            continue
        n += 1
        seen: set[str] = set()
        first = True
        while st is not None:
            name = names[stacks[st][frame]]
            if first:
                self_c[name] += 1
                first = False
            if name not in seen:
                incl_c[name] += 1
                seen.add(name)
            st = stacks[st][prefix]
    return n, self_c.most_common(top), incl_c.most_common(top)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("profile", type=Path)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    profile = json.loads(args.profile.read_text("utf-8"))
    for name, th in _threads(profile):
        if "samples" not in th or "frameTable" not in th:
            continue
        n, self_top, incl_top = summarize(th, args.top)
        if n < 50:
            continue
        print(f"== {name}: {n} samples")
        print("  self:")
        for fn, c in self_top:
            print(f"    {100 * c / n:5.1f}%  {fn[:150]}")
        print("  inclusive:")
        for fn, c in incl_top:
            print(f"    {100 * c / n:5.1f}%  {fn[:150]}")


if __name__ == "__main__":
    main()
