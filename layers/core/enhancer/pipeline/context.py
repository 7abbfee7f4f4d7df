"""What every step needs, built once per cold start by the handlers from settings and config.

Logic functions take a ``Pipeline`` and plain models; they never read the environment or build clients.
"""

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from enhancer.config import AppConfig, get_app_config
from enhancer.ocr import OcrOptions, make_engine, resolve_engine
from enhancer.settings import OcrSettings, PdfEngine, Settings, get_settings
from enhancer.storage import (
    DocumentStore,
    ObjectStore,
    QueueClient,
    document_store,
    object_store,
    queue_client,
)


@dataclass(frozen=True)
class Pipeline:
    documents: DocumentStore
    objects: ObjectStore
    queues: QueueClient
    config: AppConfig
    output_bucket: str
    enrich_queue_url: str
    validate_queue_url: str
    idempotency_table: str
    max_file_bytes: int
    max_pages: int
    pdf_engine: PdfEngine
    pages_queue_url: str = ""
    fanout_pages: int = 300
    pages_per_task: int = 100
    ocr: OcrOptions | None = None
    ocr_fanout_pages: int = 4
    ocr_pages_per_task: int = 4


def ocr_options(settings: OcrSettings, *, on_lambda: bool) -> OcrOptions | None:
    """The OCR engine of ``OCR_ENGINE`` (its libraries load on first use), or None for ``none``."""
    name = resolve_engine(settings.engine, on_lambda=on_lambda)
    if name is None:
        return None
    return OcrOptions(
        engine=make_engine(name, threads=settings.threads),
        dpi=settings.dpi,
        min_dpi=min(settings.min_dpi, settings.dpi),
        max_pixels=settings.max_pixels,
        min_coverage=settings.min_image_coverage,
    )


def build_pipeline(settings: Settings, config_dir: Path | None = None) -> Pipeline:
    storage = settings.storage
    return Pipeline(
        documents=document_store(storage.documents_table),
        objects=object_store(),
        queues=queue_client(),
        config=get_app_config(config_dir or settings.extraction.config_dir),
        output_bucket=storage.output_bucket,
        enrich_queue_url=storage.enrich_queue_url,
        validate_queue_url=storage.validate_queue_url,
        idempotency_table=storage.idempotency_table,
        max_file_bytes=settings.extraction.max_file_bytes,
        max_pages=settings.extraction.max_pages,
        pdf_engine=settings.extraction.pdf_engine,
        pages_queue_url=storage.pages_queue_url,
        fanout_pages=settings.extraction.fanout_pages,
        pages_per_task=settings.extraction.pages_per_task,
        ocr=ocr_options(settings.ocr, on_lambda=bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))),
        ocr_fanout_pages=settings.ocr.fanout_pages,
        ocr_pages_per_task=settings.ocr.pages_per_task,
    )


@lru_cache(maxsize=1)
def _cached(_endpoint: str | None) -> Pipeline:
    return build_pipeline(get_settings())


def current_pipeline() -> Pipeline:
    """The handlers' pipeline: cached per process (and per endpoint, for tests and the local runtime)."""
    return _cached(os.environ.get("AWS_ENDPOINT_URL"))


def clear_pipeline_cache() -> None:
    _cached.cache_clear()
