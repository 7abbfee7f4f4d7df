"""One synth per session (plus one with ``provider=bedrock``): the real app (cdk.json context, cdk-nag on)
with stub code assets.

``stub_assets=true`` points every function and both layers at ``infra/stub_asset`` so the suite neither
runs pip nor hashes a 150 MB layer; ``make synth`` builds and packages the real ones.
"""

import json
import os
import sys
from pathlib import Path

import pytest
from aws_cdk.assertions import Template
from infra_synth import Synth

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # ``infra`` is a top-level package beside ``tests``
    sys.path.insert(0, str(REPO_ROOT))

# This machine's Node 20 works with jsii but gets a banner on every start; the value is the major version.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# Context different from every default, so a test can tell the context was honoured.
TEST_CONTEXT = {
    "stub_assets": True,
    "stage": "test",
    "alert_email": "ops@example.com",
    "provider": "openai",
    "model": "gpt-test",
    "max_workers": 7,
    "rate_limit": 90,
}


def _synth(tmp_path_factory: pytest.TempPathFactory, **overrides: object) -> Synth:
    from infra.app import build_app

    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"] | TEST_CONTEXT | overrides
    outdir: Path = tmp_path_factory.mktemp("cdk.out")
    app = build_app(context, outdir)
    # Synth runs cdk-nag: an unacknowledged finding raises here, with the report in outdir.
    app.synth()
    stack = app.node.find_child(f"DocumentEnhancer-{TEST_CONTEXT['stage']}")
    template = Template.from_stack(stack)  # type: ignore[arg-type]
    return Synth(
        template=template,
        resources=template.to_json()["Resources"],
        report=json.loads((outdir / "validation-report.json").read_text()),
        stage="test",
        max_workers=7,
    )


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory)


@pytest.fixture(scope="session")
def rapidocr_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """``-c ocr_engine=rapidocr``: the OCR layer on the extract functions, no Textract permission."""
    return _synth(tmp_path_factory, ocr_engine="rapidocr")


@pytest.fixture(scope="session")
def bedrock_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The one extra synth: what changes with ``-c provider=bedrock`` (IAM for the models, its nag acks)."""
    return _synth(tmp_path_factory, provider="bedrock")
