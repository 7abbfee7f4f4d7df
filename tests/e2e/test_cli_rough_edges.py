"""The CLI's answers to a careless user: one line for a bad option, the environment or the config (never a
pydantic dump), the offline fall-back said without --debug, DEBUG lines under --debug, --version, the
summary table readable at 80 columns, the runbook script outside the venv."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from enhancer import __version__
from enhancer.local.session import DocumentSummary

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "doc-enhancer"
SAMPLES = REPO / "samples"


def _cli(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "LLM_PROVIDER")}
    return subprocess.run(
        [str(CLI), *args], cwd=cwd, env=base | (env or {}), capture_output=True, text=True, timeout=600
    )


def _one_pdf(tmp_path: Path) -> Path:
    if not (SAMPLES / "annual-report.pdf").is_file():
        pytest.skip("samples/ not generated (make samples)")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "annual-report.pdf").write_bytes((SAMPLES / "annual-report.pdf").read_bytes())
    return folder


def test_version_flag() -> None:
    done = _cli("--version")
    assert (done.returncode, done.stdout.strip()) == (0, __version__)


@pytest.mark.parametrize("command", ["run", "serve"])
def test_a_bogus_provider_is_one_line_listing_the_choices(command: str, tmp_path: Path) -> None:
    args = [command, str(tmp_path)] if command == "run" else [command, "--port", "0"]
    done = _cli(*args, "--provider", "bogus")

    assert done.returncode == 2
    assert (
        done.stderr.strip() == "error: --provider 'bogus' is not one of: openai, anthropic, bedrock, offline"
    )
    assert "validation error" not in done.stderr


def test_a_bogus_llm_provider_variable_is_one_line(tmp_path: Path) -> None:
    done = _cli("run", str(tmp_path), env={"LLM_PROVIDER": "bogus"})

    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1
    assert "LLM_PROVIDER" in done.stderr
    assert "errors.pydantic.dev" not in done.stderr


def test_an_unknown_run_profile_stops_the_command(tmp_path: Path) -> None:
    done = _cli("run", str(tmp_path), "--profile", "Technical-Book")

    assert done.returncode == 2
    assert "unknown profile 'Technical-Book' (did you mean 'technical_book'?)" in done.stderr


def test_a_broken_pricing_file_stops_run_before_any_document(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    for path in (REPO / "config").glob("*.json"):
        (config / path.name).write_bytes(path.read_bytes())
    (config / "llm_pricing.json").write_text(
        '{"models": {"gpt-4.1": {"input_per_mtok": -1}}}', encoding="utf-8"
    )

    done = _cli("run", str(tmp_path), "--config-dir", str(config))

    assert done.returncode == 1
    assert "llm_pricing.json" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_paid_provider_without_a_key_says_it_runs_offline_without_debug(tmp_path: Path) -> None:
    folder = _one_pdf(tmp_path)

    done = _cli(
        "run",
        str(folder),
        "--out",
        str(tmp_path / "out"),
        env={"LLM_PROVIDER": "openai", "OPENAI_API_KEY": ""},
    )

    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: LLM_PROVIDER is openai but OPENAI_API_KEY is not set: using the offline provider"
    ]


def test_debug_shows_debug_lines_with_each_functions_own_name(tmp_path: Path) -> None:
    folder = _one_pdf(tmp_path)

    done = _cli("run", str(folder), "--out", str(tmp_path / "out"), "--debug", "--json")

    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)  # stdout stays the summaries
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert any(line["level"] == "DEBUG" for line in lines)
    for line in lines:
        if line.get("message") == "invoking the handler":
            assert line["function_name"].startswith("doc-enhancer-local-")


def test_the_summary_table_fits_80_columns() -> None:
    from enhancer.cli import run as run_command

    summaries = [
        DocumentSummary(
            file="/x/kubernetes-field-guide.pdf",
            document_id="a",
            status="COMPLETED",
            pages=14,
            chapters=6,
            seconds=3.2,
            llm_calls=6,
            estimated_cost_usd=0.0123,
        ),
        DocumentSummary(
            file="/x/truncated.pdf", document_id="b", status="FAILED", error_code="INVALID_LLM_OUTPUT"
        ),
        DocumentSummary(
            file="/x/a-very-long-file-name-for-a-technical-handbook-2024.pdf",
            document_id="c",
            status="PARTIAL",
            pages=120,
            chapters=14,
            seconds=12.5,
        ),
    ]
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, force_terminal=True, color_system=None)
    import rich.console

    original = rich.console.Console
    rich.console.Console = lambda *a, **k: console  # type: ignore[assignment,misc]
    try:
        run_command._print_table(summaries, Path("outputs"))
    finally:
        rich.console.Console = original  # type: ignore[misc]
    text = buffer.getvalue()
    assert all(len(line) <= 80 for line in text.splitlines())
    for cell in (
        "COMPLETED",
        "PARTIAL",
        "FAILED",
        "INVALID_LLM_OUTPUT",
        "0.0123",
        "12.5",
        "6/0",
        "truncated.pdf",
    ):
        assert cell in text
    assert "…" not in text  # nothing cut


def test_the_runbook_script_outside_the_venv_says_what_to_do(tmp_path: Path) -> None:
    # A copy of the script beside no .venv, run by a Python without the project installed.
    script = tmp_path / "scripts" / "run_pipeline.py"
    script.parent.mkdir()
    script.write_text((REPO / "scripts" / "run_pipeline.py").read_text())
    python = sys.base_prefix + "/bin/python3"
    done = subprocess.run(
        [python, "-I", str(script), "--help"], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )

    assert done.returncode == 1
    assert "make install" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_sends_handler_logs_to_stderr(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_ENDPOINT_URL", "LLM_PROVIDER")}
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [str(CLI), "serve", "--port", "0"], stdout=stdout, stderr=stderr, env=env, cwd=tmp_path
        )
        try:
            # S3 sends its s3:TestEvent when serve sets up the notification; the extract handler logs it.
            for _ in range(240):
                if "s3:TestEvent acknowledged" in err.read_text() or process.poll() is not None:
                    break
                subprocess.run(["sleep", "0.25"], check=True)
        finally:
            process.terminate()
            process.wait(timeout=30)

    assert "s3:TestEvent acknowledged" in err.read_text()
    assert '"level"' not in out.read_text()


@pytest.mark.parametrize("command", ["status", "reprocess"])
def test_a_value_that_is_no_document_id_is_one_line_before_any_aws_call(command: str) -> None:
    done = _cli(command, "not-an-id", "--endpoint-url", "http://127.0.0.1:9")

    assert done.returncode == 2
    assert done.stderr.strip() == "error: 'not-an-id' is not a document id (32 lower-case hex characters)"


def test_extract_with_a_mistyped_profile_is_one_line() -> None:
    if not (SAMPLES / "annual-report.pdf").is_file():
        pytest.skip("samples/ not generated (make samples)")
    done = _cli("extract", str(SAMPLES / "annual-report.pdf"), "--profile", "Report")

    assert done.returncode == 2
    assert done.stderr.strip().startswith(
        "error: --profile: unknown profile 'Report' (did you mean 'report'?)"
    )
