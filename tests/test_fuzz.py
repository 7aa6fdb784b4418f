"""Property-based fuzzing (Hypothesis) of the pure check, the MIME walk and the
native-messaging frame reader: a short run (about 30 s) for every test run; bench/fuzz_long.py
runs the same mutators over a million inputs.

Properties: no exception escapes; the payload serialises as valid UTF-8 JSON (RFC 8259 §8.1)
and validates against wire.BannerPayload; one check takes under 2 s of CPU.
"""

from __future__ import annotations

import json
import struct

import pytest
from fuzzmut import check_frames, check_payload, check_view, mutate, seeds
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from minuku.dns import FixtureResolver
from paths import EXAMPLES

SEEDS = seeds()


def fuzz(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        database=None,
        derandomize=True,  # the same inputs on every run: a failure here is reproducible
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def mails() -> st.SearchStrategy[bytes]:
    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        seed = SEEDS[draw(st.integers(0, len(SEEDS) - 1))]

        def pick(n: int) -> int:
            return draw(st.integers(0, max(0, n - 1)))

        return mutate(seed, pick, draw(st.integers(1, 6)))

    return build()


@fuzz(3000)
@given(raw=mails())
def test_fuzz_offline_check(raw: bytes) -> None:
    assert check_payload(raw) < 2.0


@fuzz(1000)
@given(raw=mails())
def test_fuzz_check_with_fixture_resolver(raw: bytes) -> None:
    resolver = FixtureResolver.from_file(EXAMPLES / "dns-fixture.json")
    assert check_payload(raw, resolver) < 2.0


@fuzz(2500)
@given(raw=mails())
def test_fuzz_mime_walk(raw: bytes) -> None:
    check_view(raw)


@fuzz(1500)
@given(raw=st.binary(max_size=4096))
def test_fuzz_parse_random_bytes(raw: bytes) -> None:
    check_view(raw)
    assert check_payload(raw) < 2.0


def _frame(body: bytes, lie: int = 0) -> bytes:
    return struct.pack("=I", max(0, len(body) + lie)) + body


@st.composite
def frame_streams(draw: st.DrawFn) -> bytes:
    bodies = draw(
        st.lists(
            st.one_of(
                st.binary(max_size=200),
                st.builds(
                    lambda t, v, i, extra: json.dumps(
                        {"type": t, "protocol_version": v, "id": i, **extra}
                    ).encode(),
                    st.sampled_from(["ping", "hello", "check", "result", "", None]),
                    st.one_of(st.integers(-3, 3), st.booleans(), st.text(max_size=3)),
                    st.one_of(st.text(max_size=80), st.integers(), st.none()),
                    st.dictionaries(
                        st.sampled_from(["message", "options", "x"]), st.text(max_size=20)
                    ),
                ),
                st.text(max_size=100).map(lambda s: s.encode("utf-8", "surrogatepass")),
            ),
            max_size=5,
        )
    )
    out = b"".join(_frame(b, draw(st.sampled_from([0, 0, 0, -1, 1, 1 << 20]))) for b in bodies)
    return out + draw(st.binary(max_size=7))


@fuzz(1500)
@given(stream=frame_streams())
def test_fuzz_native_messaging_frames(stream: bytes) -> None:
    check_frames(stream)


@pytest.mark.parametrize("index", range(len(SEEDS)))
def test_every_seed_holds_the_properties(index: int) -> None:
    check_view(SEEDS[index])
    assert check_payload(SEEDS[index]) < 2.0
