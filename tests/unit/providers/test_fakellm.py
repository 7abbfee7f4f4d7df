import contextlib
import json
import subprocess
import sys
import urllib.error
import urllib.request

from enhancer.fakellm import FakeLlmServer, FaultPlan
from enhancer.fakellm.server import fill


def test_answers_fill_the_schema_within_its_limits() -> None:
    schema = {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "maxLength": 40},
            "keywords": {
                "type": "array",
                "items": {"type": "string", "maxLength": 6},
                "minItems": 1,
                "maxItems": 3,
            },
            "level": {"enum": ["beginner", "advanced"], "type": "string"},
            "notes": {
                "anyOf": [{"type": "array", "items": {"type": "string"}, "maxItems": 2}, {"type": "null"}]
            },
            "short": {"type": "string", "description": "a field (at most 5 characters)"},
        },
    }
    text = "Terraform plans infrastructure changes. Terraform applies them. State files record what exists."

    answer = fill(schema, text, root=schema)

    assert len(answer["summary"]) <= 40
    assert answer["summary"].startswith("Terraform plans")
    assert 1 <= len(answer["keywords"]) <= 3
    assert all(len(k) <= 6 for k in answer["keywords"])
    assert answer["keywords"][0] == "terraf"  # the most frequent word, clipped
    assert answer["level"] == "beginner"
    assert len(answer["notes"]) == 2
    assert len(answer["short"]) <= 5


def test_faults_are_reproducible_with_a_seed() -> None:
    def run() -> list[str]:
        plan = FaultPlan(throttle_rate=0.2, error_rate=0.2, malformed_rate=0.2, seed=7)
        with FakeLlmServer(plan=plan) as server:
            for _ in range(15):
                request = urllib.request.Request(
                    f"{server.openai_base_url}/chat/completions",
                    data=json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode(),
                    headers={"content-type": "application/json", "authorization": "Bearer sk-secret"},
                )
                with contextlib.suppress(urllib.error.HTTPError):
                    urllib.request.urlopen(request, timeout=5).read()
            stats = json.loads(urllib.request.urlopen(f"{server.url}/_fake/stats", timeout=5).read())
            assert stats["requests"] == 15
            assert stats["by_route"] == {"openai": 15}
            assert all("authorization" not in r.headers for r in server.requests)
            return [r.action for r in server.requests]

    first, second = run(), run()

    assert first == second
    assert {"429", "500"} & set(first)
    assert "ok" in first


def test_runs_standalone() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "enhancer.fakellm", "--help"], capture_output=True, text=True, check=True
    )

    assert "--error-rate" in out.stdout
    assert "--latency-ms" in out.stdout
