"""Enrichment providers. SDKs are imported lazily inside each provider module: cold starts matter."""

from enhancer.providers.base import (
    EnrichmentOutcome,
    EnrichmentProvider,
    EnrichmentRequest,
    ReduceOutcome,
    ReduceRequest,
)

__all__ = ["EnrichmentOutcome", "EnrichmentProvider", "EnrichmentRequest", "ReduceOutcome", "ReduceRequest"]
