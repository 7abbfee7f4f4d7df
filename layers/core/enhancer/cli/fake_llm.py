"""``doc-enhancer fake-llm``: the fake LLM server for demos (the same as ``python -m enhancer.fakellm``)."""

from typing import Annotated

import typer


def fake_llm(
    port: Annotated[int, typer.Option(help="port on 127.0.0.1")] = 8765,
    latency_ms: Annotated[int, typer.Option(help="added to every answer")] = 0,
    error_rate: Annotated[float, typer.Option(help="share of requests answered with 500")] = 0.0,
    throttle_rate: Annotated[float, typer.Option(help="share answered with 429 + retry-after")] = 0.0,
    timeout_rate: Annotated[float, typer.Option(help="share that hang past the client timeout")] = 0.0,
    malformed_rate: Annotated[float, typer.Option(help="share with broken or off-schema JSON")] = 0.0,
    seed: Annotated[int, typer.Option(help="seed of the fault RNG")] = 0,
) -> None:
    """Serve fake OpenAI, Anthropic and Bedrock Converse endpoints with injectable faults."""
    from enhancer.fakellm.__main__ import main

    raise typer.Exit(
        main(
            [
                f"--port={port}",
                f"--latency-ms={latency_ms}",
                f"--error-rate={error_rate}",
                f"--throttle-rate={throttle_rate}",
                f"--timeout-rate={timeout_rate}",
                f"--malformed-rate={malformed_rate}",
                f"--seed={seed}",
            ]
        )
    )
