"""The one Secrets Manager secret holding the LLM provider keys; functions get its name, never a key."""

import json

from aws_cdk import SecretValue
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from enhancer.resources import APP_NAME
from infra import nag
from infra.constants import SECRET_KEYS


class SecretsConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        super().__init__(scope, construct_id)
        self.llm_api_keys = secretsmanager.Secret(
            self,
            "LlmApiKeys",
            secret_name=f"{APP_NAME}/{stage}/llm-api-keys",
            description="JSON {OPENAI_API_KEY, ANTHROPIC_API_KEY} read at run time by enrich and validate",
            # Empty placeholders, not keys: the operator puts the real ones with put-secret-value after
            # deploy, so no key ever passes through the template, the CLI history of a deploy or an env var.
            secret_string_value=SecretValue.unsafe_plain_text(json.dumps(dict.fromkeys(SECRET_KEYS, ""))),
        )
        nag.acknowledge(
            self.llm_api_keys,
            "SMG4",
            "Third-party LLM API keys are issued and revoked in the provider's console; a rotation Lambda "
            "cannot mint them. Operators rotate by put-secret-value (see README).",
        )
