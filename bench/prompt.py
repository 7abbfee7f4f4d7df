"""Prompt overhead: prompt tokens sent per token of chapter text, for each extraction profile.

    python bench/prompt.py

The real prompt builder (``providers.prompts.chapter_prompt``) on the chapters of the samples, and the
schema exactly as the OpenAI provider sends it (``strict_schema``, billed as input). Tokens are estimated
as characters / 4 on both sides (tiktoken is not a dependency); the ratio is what matters. Overhead per
chapter is fixed (system prompt, instructions, schema), so the ratio falls as chapters grow: both the
samples' chapters and a 2,000-token chapter are shown. Samples that extract to no chapters by design
(the scan, which needs OCR; the truncated file) are named and left out.
"""

import json

from common import REPO

from enhancer.config import load_app_config
from enhancer.errors import PermanentError
from enhancer.pdf import extract_pdf
from enhancer.profiles import chapter_output_model
from enhancer.providers.base import EnrichmentRequest
from enhancer.providers.llm import system_text
from enhancer.providers.openai_provider import strict_schema
from enhancer.providers.prompts import chapter_prompt


def tokens(text: str) -> float:
    return len(text) / 4


def prompt_tokens(request: EnrichmentRequest) -> float:
    prompt = chapter_prompt(request, chapter_output_model(request.profile_name, request.profile))
    schema = json.dumps(strict_schema(prompt.output_model))
    return tokens(system_text(prompt)) + tokens(prompt.user) + tokens(schema)


def main() -> None:
    config = load_app_config(REPO / "config")
    profiles = config.extraction_profiles
    _, default = profiles.get(None)
    chapters = []
    left_out = []
    for pdf in sorted((REPO / "samples").glob("*.pdf")):
        try:
            result = extract_pdf(
                pdf.read_bytes(),
                profile=default,
                patterns=config.chapter_patterns,
                max_file_bytes=1 << 30,
                max_pages=5000,
            )
        except PermanentError as exc:
            left_out.append(f"{pdf.name} ({exc.code.value})")
            continue
        chapters += [(c.title, c.text) for c in result.chapters]
    long_text = " ".join(t for _, t in chapters)[: 2000 * 4]
    print(f"## prompt overhead: tokens ~ chars/4; {len(chapters)} sample chapters")
    if left_out:
        print(f"left out (no chapters by design): {', '.join(left_out)}")
    print(
        f"{'profile':22} {'prompt/text (samples)':>22} {'fixed tokens':>13} "
        f"{'prompt/text (2,000-token chapter)':>34}"
    )
    for name in sorted(profiles.profiles):
        _, profile = profiles.get(name)

        def request(title: str, text: str, name: str = name, profile: object = profile) -> EnrichmentRequest:
            return EnrichmentRequest(
                document_id="bench",
                chapter_index=0,
                chapter_title=title,
                text=text,
                profile_name=name,
                profile=profile,
            )

        sent = sum(prompt_tokens(request(title, text)) for title, text in chapters)
        text_tokens = sum(tokens(text) for _, text in chapters)
        fixed = prompt_tokens(request("", ""))
        long_ratio = prompt_tokens(request("Chapter", long_text)) / tokens(long_text)
        print(f"{name:22} {sent / text_tokens:22.2f} {fixed:13.0f} {long_ratio:34.2f}")


if __name__ == "__main__":
    main()
