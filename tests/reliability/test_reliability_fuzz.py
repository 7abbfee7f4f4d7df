"""Malformed input: the samples with flipped bytes, truncated, or with a content stream spliced in from
another file. No unhandled exception, a documented outcome for every file, bounded memory."""

import random
import re
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enhancer.config import AppConfig, load_app_config
from enhancer.errors import PermanentError
from enhancer.fakellm import FakeLlmServer
from enhancer.models import ErrorCode
from enhancer.pdf import extract_pdf
from tests.reliability.harness import LARGE, MARKS, SAMPLES, local_stack, sized

pytestmark = MARKS

SOURCES = {p.name: p.read_bytes() for p in sorted(SAMPLES.glob("*.pdf"))}
KINDS = ("flip", "truncate", "splice", "flip+truncate")
STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
PEAK_BYTES = 256 * 1024 * 1024  # per file; the largest sample is under 40 kB
needs_samples = pytest.mark.skipif(not SOURCES, reason="samples/ not generated (make samples)")


def mutate(data: bytes, kind: str, rng: random.Random) -> bytes:
    out = bytearray(data)
    if "flip" in kind:
        for _ in range(rng.randint(1, 64)):
            out[rng.randrange(len(out))] ^= rng.randint(1, 255)
    if "truncate" in kind:
        del out[rng.randint(0, len(out)) :]
    if kind == "splice":
        donor = SOURCES[rng.choice(sorted(SOURCES))]
        targets, streams = list(STREAM.finditer(bytes(out))), STREAM.findall(donor)
        if targets and streams:
            target = rng.choice(targets)
            out[target.start(1) : target.end(1)] = rng.choice(streams)
    return bytes(out)


@pytest.fixture(scope="module")
def app_config(config_dir: Path) -> AppConfig:
    return load_app_config(config_dir)


@needs_samples
@settings(
    max_examples=sized(60, 1000),
    deadline=None,
    derandomize=not LARGE,  # CI sees the same examples every run; the soak explores
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    name=st.sampled_from(sorted(SOURCES) or ["none"]),
    kind=st.sampled_from(KINDS),
    seed=st.integers(0, 2**32 - 1),
)
def test_mutated_pdfs_extract_or_fail_with_a_documented_code(
    app_config: AppConfig, name: str, kind: str, seed: int
) -> None:
    data = mutate(SOURCES[name], kind, random.Random(seed))
    _, profile = app_config.extraction_profiles.get("default")
    tracemalloc.start()
    try:
        extraction = extract_pdf(
            data,
            profile=profile,
            patterns=app_config.chapter_patterns,
            max_file_bytes=50 * 1024 * 1024,
            max_pages=5000,
        )
    except PermanentError as exc:
        assert exc.code in set(ErrorCode), exc.code  # noqa: PT017 - any example may raise or not
    else:
        assert extraction.chapters, "a readable PDF always has at least one chapter"
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"{peak / 2**20:.0f} MiB for {len(data)} bytes"


@needs_samples
def test_mutated_pdfs_through_the_pipeline_end_with_a_documented_outcome(
    aws_endpoint: str, fake_llm: FakeLlmServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(20240601)
    files = {}
    for n in range(sized(24, 200)):
        name, kind = rng.choice(sorted(SOURCES)), KINDS[n % len(KINDS)]
        files[f"fuzz-{n:03d}-{kind}-{name}"] = mutate(SOURCES[name], kind, rng)
    # OCR has its own suites (tests/unit/ocr, tests/integration/ocr); RapidOCR on every mutated scan would
    # take most of this run's time, so mutated scans here end NO_TEXT or CORRUPT_PDF.
    env = {"LLM_PROVIDER": "openai", "OPENAI_API_KEY": "sk-fake-reliability", "OCR_ENGINE": "none"}
    with local_stack(monkeypatch, aws_endpoint, "fuzz", env=env) as stack:
        ids = [stack.upload(name, body) for name, body in files.items()]
        stack.wait_terminal(ids)
        # every file: one record and one result, COMPLETED / PARTIAL / FAILED with a documented code
        results = stack.assert_accounted_for()
        crashes = sum(p.stats.crashes for p in stack.pollers.values())
    assert crashes == 0, "a handler raised out of its batch processor"
    outcomes = sorted(f"{r['status']}:{r['error_code']}" for r in results.values())
    assert "FAILED:INTERNAL" not in outcomes, "bad input must get its own code, not INTERNAL"
    print(
        f"\nfuzz: {len(files)} mutated PDFs → "
        + ", ".join(f"{o} x{outcomes.count(o)}" for o in sorted(set(outcomes)))
    )
