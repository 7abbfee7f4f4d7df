"""API keys: from the Secrets Manager secret on AWS, from the environment on a laptop.

``LLM_API_KEYS_SECRET`` names one secret holding JSON ``{"OPENAI_API_KEY": …, "ANTHROPIC_API_KEY": …}``;
Powertools parameters reads it at run time and caches it (``max_age``), so a rotated key arrives within
minutes and no key ever sits in a plain environment variable on AWS. Keys never reach a log line: only
the secret's *name* and the key's *name* are ever mentioned.
"""

from typing import Literal

from enhancer.errors import RetryableError
from enhancer.models import ErrorCode
from enhancer.settings import LlmSettings

SECRET_MAX_AGE_S = 300
KEY_NAMES: dict[str, str] = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def api_key_for(provider: Literal["openai", "anthropic"], settings: LlmSettings) -> str | None:
    """The provider's key, or None when none is configured."""
    key_name = KEY_NAMES[provider]
    if settings.api_keys_secret:
        from aws_lambda_powertools.utilities import parameters

        try:
            values = parameters.get_secret(
                settings.api_keys_secret, transform="json", max_age=SECRET_MAX_AGE_S
            )
        except Exception as exc:
            raise RetryableError(
                f"could not read {key_name} from secret {settings.api_keys_secret!r} ({type(exc).__name__})",
                code=ErrorCode.LLM_UNAVAILABLE,
            ) from None
        value = values.get(key_name) if isinstance(values, dict) else None
        return str(value) if value else None
    secret = settings.openai_api_key if provider == "openai" else settings.anthropic_api_key
    value = secret.get_secret_value() if secret is not None else ""
    return value or None
