"""What the API logic works with, built once from settings: stores, the presigner and plain values.

The api function and the operator CLI build the same services; the CLI passes short-timeout clients so an
unreachable stack fails in seconds rather than after the SDK's retries.
"""

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from enhancer.resources import QUEUES
from enhancer.settings import LlmSettings, StorageSettings
from enhancer.storage import DocumentStore, ObjectStore, QueueClient

UPLOAD_EXPIRES_S = 900
RESULT_URL_EXPIRES_S = 900
# API Gateway answers at most 10 MB; larger results are handed out as a presigned GET instead.
INLINE_RESULT_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class ProviderConfig:
    """Which LLM provider is configured and whether a key is present; never the key itself."""

    provider: str
    fallback_provider: str | None
    openai_key: bool
    anthropic_key: bool
    keys_secret: bool

    @classmethod
    def from_settings(cls, llm: LlmSettings) -> "ProviderConfig":
        return cls(
            provider=llm.effective_provider(),
            fallback_provider=llm.fallback_provider,
            openai_key=bool(llm.openai_api_key and llm.openai_api_key.get_secret_value()),
            anthropic_key=bool(llm.anthropic_api_key and llm.anthropic_api_key.get_secret_value()),
            keys_secret=bool(llm.api_keys_secret),
        )


@dataclass(frozen=True)
class ApiServices:
    documents: DocumentStore
    objects: ObjectStore
    presigner: ObjectStore
    queues: QueueClient
    input_bucket: str
    output_bucket: str
    queue_urls: dict[str, str]
    max_file_bytes: int
    provider: ProviderConfig
    profiles: frozenset[str]
    region: str
    upload_expires_s: int = UPLOAD_EXPIRES_S
    result_url_expires_s: int = RESULT_URL_EXPIRES_S
    inline_result_max_bytes: int = INLINE_RESULT_MAX_BYTES


def build_services(
    storage: StorageSettings,
    llm: LlmSettings,
    *,
    max_file_bytes: int,
    profiles: frozenset[str],
    client_config: Config | None = None,
) -> ApiServices:
    base = client_config or Config()
    session = boto3.session.Session()
    s3: Any = session.client("s3", config=base)
    # SigV4 presigning signs Content-Type and metadata headers (SigV2 URLs would not pin them).
    presign_s3: Any = session.client("s3", config=base.merge(Config(signature_version="s3v4")))
    return ApiServices(
        documents=DocumentStore(storage.documents_table, client=session.client("dynamodb", config=base)),
        objects=ObjectStore(s3),
        presigner=ObjectStore(presign_s3),
        queues=QueueClient(session.client("sqs", config=base)),
        input_bucket=storage.input_bucket,
        output_bucket=storage.output_bucket,
        # Every queue of the stack (health checks each one and its DLQ), from the one list the stack builds.
        queue_urls={spec.key: getattr(storage, spec.env_var.lower()) for spec in QUEUES},
        max_file_bytes=max_file_bytes,
        provider=ProviderConfig.from_settings(llm),
        profiles=profiles,
        region=session.region_name or "us-east-1",
    )
