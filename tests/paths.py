"""Where the tests find the repository's examples and the shared conformance suites."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SHARED_TESTSUITES = ROOT.parent / "shared" / "testsuites"
# Real list mail (../shared/corpora; CI has it beside the clone, a user's clone may not).
LIST_CORPUS = ROOT.parent / "shared" / "corpora" / "lists.tar.xz"


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def list_mails() -> list[tuple[str, bytes]]:
    """Every post of the list corpus as (name, raw bytes), in name order, read straight from
    the archive (nothing unpacked by hand); [] when ../shared/corpora is absent."""
    import tarfile

    if not LIST_CORPUS.is_file():
        return []
    out: list[tuple[str, bytes]] = []
    with tarfile.open(LIST_CORPUS) as tar:
        for m in tar:
            f = tar.extractfile(m) if m.isfile() and m.name.endswith(".eml") else None
            if f is not None:
                out.append((m.name, f.read()))
    return sorted(out)
