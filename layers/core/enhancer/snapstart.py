"""Lambda SnapStart for the functions that have it: prime before the snapshot, reconnect after a restore.

Before the snapshot the function builds what every invocation needs (the pipeline's AWS clients, the
config, and for the LLM functions the provider with its SDK and API key), so a restored container starts
with those modules imported and those models built. Network connections and credentials do not survive a
snapshot: after a restore the cached pipeline and providers are dropped, and the first invocation builds
them again from the already-imported code, opening fresh connections with the restored credentials.

The hooks come from ``snapshot_restore_py``, which the Lambda Python runtimes (3.12+) ship; where it is
absent (a laptop, the tests, a function without SnapStart never calls the hooks) nothing is registered.
"""

from enhancer.observability import logger


def prime(*, provider: bool) -> None:
    """Register the hooks; ``provider``: also build the LLM provider (enrich, validate)."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return

    def before_snapshot() -> None:
        from enhancer.pipeline.context import current_pipeline

        pipeline = current_pipeline()
        if provider:
            from enhancer.pipeline.providers import current_provider

            current_provider(pipeline.config)
        logger.info("snapstart: primed before the snapshot", extra={"provider": provider})

    def after_restore() -> None:
        from enhancer.pipeline.context import clear_pipeline_cache
        from enhancer.pipeline.providers import clear_provider_cache

        clear_pipeline_cache()
        clear_provider_cache()

    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
