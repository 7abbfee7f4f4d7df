"""What ``run`` and ``serve`` check before they start anything: the options, the environment and the whole
configuration, each problem one line on stderr (never a pydantic dump or a traceback).

Exit codes: 2 for a bad option value (``--provider``, ``--profile``), 1 for a bad environment or config
(the command line contract's fatal error).
"""

import logging
from pathlib import Path
from typing import NoReturn, get_args

import typer
from pydantic import ValidationError

from enhancer.config import AppConfig
from enhancer.errors import ConfigError, PermanentError
from enhancer.settings import LlmSettings, ProviderName

PROVIDERS: tuple[str, ...] = get_args(ProviderName)
EXIT_USAGE, EXIT_FATAL = 2, 1


def fail(message: str, exit_code: int) -> NoReturn:
    typer.echo(f"error: {' '.join(message.split())}", err=True)
    raise typer.Exit(exit_code)


def llm_settings(provider: str | None) -> LlmSettings:
    """``LLM_*`` settings with ``--provider`` applied; a value that is not a provider is one line."""
    if provider is not None and provider not in PROVIDERS:
        fail(f"--provider {provider!r} is not one of: {', '.join(PROVIDERS)}", EXIT_USAGE)
    try:
        settings = LlmSettings()
        return settings.model_copy(update={"provider": provider}) if provider else settings
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "environment"
        got = f" (got {first['input']!r})" if isinstance(first.get("input"), str | int | float) else ""
        fail(f"{field}: {first['msg']}{got}", EXIT_FATAL)


def configuration(settings: LlmSettings, config_dir: Path | None) -> AppConfig:
    """The whole config checked as handlers check it at cold start (``enhancer.startup``)."""
    from enhancer.startup import check_configuration

    try:
        return check_configuration(settings, config_dir)
    except ConfigError as exc:
        fail(str(exc), EXIT_FATAL)


def profile(config: AppConfig, name: str | None) -> None:
    if name is None:
        return
    try:
        config.extraction_profiles.require(name)
    except PermanentError as exc:
        fail(f"--profile: {exc.message}", EXIT_USAGE)


def warn_without_key(settings: LlmSettings) -> None:
    """A paid provider chosen without its key runs offline; say so on stderr, whatever the log level."""
    from enhancer.providers.secrets import KEY_NAMES, api_key_for

    name = settings.effective_provider()
    if name in KEY_NAMES and not settings.api_keys_secret and not api_key_for(name, settings):  # type: ignore[arg-type]
        typer.echo(
            f"warning: LLM_PROVIDER is {name} but {KEY_NAMES[name]} is not set: using the offline provider",
            err=True,
        )


def debug_logs() -> None:
    """DEBUG lines of the package's plain loggers (``enhancer.pdf``, …) go with the handlers' JSON lines."""
    from enhancer.observability import logger

    package = logging.getLogger("enhancer")
    package.setLevel(logging.DEBUG)
    handler = logger.registered_handler
    if handler not in package.handlers:
        package.addHandler(handler)


def check(
    *, provider: str | None, profile_name: str | None = None, config_dir: Path | None = None
) -> LlmSettings:
    """Every check above, in order; returns the LLM settings the command will run with."""
    settings = llm_settings(provider)
    config = configuration(settings, config_dir)
    profile(config, profile_name)
    warn_without_key(settings)
    return settings
